// The double-precision maths bench-fp needs, written here because guest images have no libm.
//
// sqrt, fabs, fmin and fmax are single RV64D instructions (fsqrt.d, fsgnjx.d, fmin.d, fmax.d)
// through clang builtins; -fno-math-errno (build.json "isa": "rv64gc") lets sqrt be one
// instruction. The others are polynomial approximations after fdlibm: error within a few ulp on
// the domains below, which is plenty for a picture and an FFT. They are deterministic, so the
// hart and QEMU must produce the same bits.
#pragma once
#include "types.h"

#define PI 3.14159265358979323846

static inline double sqrt(double x) { return __builtin_sqrt(x); }
static inline double fabs(double x) { return __builtin_fabs(x); }
static inline double fmin(double a, double b) { return __builtin_fmin(a, b); }
static inline double fmax(double a, double b) { return __builtin_fmax(a, b); }

// The raw IEEE 754 bits of a double, and back (fmv.x.d, fmv.d.x).
static inline uint64 dbits(double x) { return __builtin_bit_cast(uint64, x); }
static inline double bitsd(uint64 b) { return __builtin_bit_cast(double, b); }

double floor(double x);            // |x| < 2^63
long lround_even(double x);        // nearest integer, ties to even (fcvt.l.d with rne)
void sincos(double x, double *s, double *c); // |x| < 2^20
double sin(double x);
double cos(double x);
double tan(double x);
double exp(double x);              // any x; overflows to +inf, underflows to 0
double log(double x);              // x > 0, including subnormals
double pow(double x, double y);    // x >= 0 only

// Writes x in scientific notation with `digits` significant digits ("-1.25e-16") to buf, which
// must hold digits + 12 bytes; returns buf. For messages, not results: the checksums use bits.
char *fmt_e(char *buf, double x, int digits);
