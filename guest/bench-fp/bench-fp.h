// Shared by the parts of bench-fp: the workloads, the checksum and the random numbers.
#pragma once
#include "lib.h"
#include "test.h"
#include "fpmath.h"

// Picture size and the work per pixel; RT_SPP samples on a jittered grid of RT_GRID x RT_GRID.
#define RT_WIDTH 96
#define RT_HEIGHT 72
#define RT_GRID 2
#define RT_SPP (RT_GRID * RT_GRID)
#define RT_MAX_DEPTH 4 // reflection bounces after the primary hit

#define FFT_LOG 12
#define FFT_N (1 << FFT_LOG)
#define FFT_ROUNDS 12

extern uint8 rt_image[RT_HEIGHT][RT_WIDTH][3]; // gamma-corrected RGB, row 0 at the top

// raytrace.c: renders rt_image; returns a hash of its bytes and sets *radiance to a hash of
// the bits of each row's summed linear radiance (before exposure and rounding).
uint64 raytrace(uint64 *radiance);
uint64 rt_render(uint64 *radiance, uint64 *nonfinite); // the same without the self-checks
// fft.c: FFT_ROUNDS forward and inverse transforms; returns a hash of the spectra's bits.
uint64 fft_bench(void);

// bench-fp.c
uint64 mix(uint64 sum, uint64 v);
uint64 rng(void);
double rng_unit(void); // uniform in [0, 1), 53 random bits
void rng_seed(uint64 seed);
