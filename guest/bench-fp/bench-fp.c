// Floating-point workload for the speed benchmark: a ray tracer and an FFT in double precision,
// the mix of multiply-adds, divisions, square roots, conversions and compares that numeric code
// does, built for rv64gc (lp64d).
//
// The same source builds as bench-fp.elf (bare metal, HTIF) and bench-fp.linux.elf (runs under
// qemu-riscv64); both print the same `checksum` lines, so the hart's floating point can be
// compared with QEMU's bit for bit: the 8-bit picture, the raw bits of the linear radiance and
// of every FFT spectrum, and the accrued exception flags (fflags). Every part checks its own
// results; the program exits 1 if any check fails.
//
// `qemu-riscv64 bench-fp.linux.elf ppm > out.ppm` writes the picture instead.
#include "bench-fp.h"

uint64 mix(uint64 sum, uint64 v) {
  uint64 k = sum ^ v;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdUL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53UL;
  k ^= k >> 33;
  return k + 0x9e3779b97f4a7c15UL;
}

// ---- pseudo-random numbers (xorshift64*) ----

static uint64 rng_state;

void rng_seed(uint64 seed) { rng_state = seed; }

uint64 rng(void) {
  uint64 x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545f4914f6cdd1dUL;
}

double rng_unit(void) { return (double)(rng() >> 11) * 0x1p-53; }

// fflags: the exception flags accrued since crt0 (or the kernel) cleared fcsr: NV DZ OF UF NX.
static uint64 r_fflags(void) {
  uint64 x;
  asm volatile("csrr %0, fflags" : "=r"(x));
  return x;
}

// ---- the maths library ----

static int near(double got, double want, double tol) { return fabs(got - want) <= tol * fabs(want); }

static void check_math(void) {
  test_begin("maths library");
  CHECK(dbits(sqrt(2.0)) == 0x3ff6a09e667f3bcdUL); // correctly rounded
  CHECK(sqrt(0x1p-1074) == 0x1p-537 && sqrt(-0.0) == 0.0);
  CHECK(floor(-1.5) == -2.0 && floor(2.0) == 2.0 && floor(0x1p60) == 0x1p60);
  CHECK(lround_even(2.5) == 2 && lround_even(3.5) == 4 && lround_even(-2.5) == -2);
  CHECK(near(sin(PI / 6), 0.5, 1e-15) && near(cos(PI / 3), 0.5, 1e-15));
  CHECK(near(tan(PI / 4), 1.0, 1e-15) && near(sin(-1000.0), -0.8268795405320025, 1e-13));
  CHECK(near(exp(1.0), 2.718281828459045, 1e-15) && near(exp(-700.0), 9.85967654375977e-305, 1e-13));
  CHECK(near(log(10.0), 2.302585092994046, 1e-15) && near(log(0x1p-1060), -1060 * 0.6931471805599453, 1e-15));
  CHECK(near(pow(2.0, 10.0), 1024.0, 1e-14) && near(pow(0.5, 1.0 / 2.2), 0.7297400528407231, 1e-14));
  double worst = 0.0;
  for (int i = -2000; i <= 2000; i++) { // sin^2 + cos^2 = 1 over many quadrants
    double s, c;
    sincos(i * 0.0137, &s, &c);
    worst = fmax(worst, fabs(s * s + c * c - 1.0));
  }
  CHECK(worst < 4e-16);
  test_end();
}

// P6 PPM on stdout (Linux flavour only: the bare-metal console is text).
static void __attribute__((unused)) write_ppm(void) {
  printf("P6\n%d %d\n255\n", RT_WIDTH, RT_HEIGHT);
  for (int y = 0; y < RT_HEIGHT; y++)
    for (int x = 0; x < RT_WIDTH; x++)
      for (int c = 0; c < 3; c++)
        consputc(rt_image[y][x][c]);
}

int main(int argc, char **argv) {
#ifdef FLAVOUR_LINUX
  if (argc > 1 && strcmp(argv[1], "ppm") == 0) {
    uint64 radiance, nonfinite;
    rt_render(&radiance, &nonfinite);
    write_ppm();
    return 0;
  }
#endif
  printf("bench-fp: ray tracer %dx%d, %d samples a pixel; %d-point FFT, %d rounds\n", RT_WIDTH,
         RT_HEIGHT, RT_SPP, FFT_N, FFT_ROUNDS);
  check_math();
  uint64 radiance;
  uint64 pixels = raytrace(&radiance);
  uint64 spectra = fft_bench();
  uint64 flags = r_fflags();
  printf("checksum pixels: 0x%016lx\n", pixels);
  printf("checksum radiance: 0x%016lx\n", radiance);
  printf("checksum fft: 0x%016lx\n", spectra);
  printf("checksum fflags: 0x%02lx\n", flags);
  printf("checksum: 0x%016lx\n", mix(mix(mix(mix(0, pixels), radiance), spectra), flags));
  return test_finish("bench-fp");
}
