// sin, cos, exp, log and pow for bench-fp (see fpmath.h), after fdlibm's kernels: reduce the
// argument to a small interval with an exactly representable constant split in two
// (Cody-Waite), evaluate a minimax polynomial there, and put the reduction back.
#include "lib.h"
#include "fpmath.h"

// fcvt.l.d with a static rounding mode: rdn rounds toward -inf, rne to nearest even. These are
// the rounding-mode fields a compiler cannot express in C.
double floor(double x) {
  if (fabs(x) >= 0x1p52)
    return x; // already an integer (or inf/NaN)
  long i;
  asm("fcvt.l.d %0, %1, rdn" : "=r"(i) : "f"(x));
  return (double)i;
}

long lround_even(double x) {
  long i;
  asm("fcvt.l.d %0, %1, rne" : "=r"(i) : "f"(x));
  return i;
}

// ---- sine and cosine ----

static const double PIO2_HI = 1.57079632673412561417e+00;  // first 33 bits of pi/2
static const double PIO2_LO = 6.07710050650619224932e-11;  // pi/2 - PIO2_HI
static const double TWO_OVER_PI = 6.36619772367581382433e-01;

// sin(x) for |x| <= pi/4 (fdlibm __kernel_sin).
static double ksin(double x) {
  const double S1 = -1.66666666666666324348e-01, S2 = 8.33333333332248946124e-03,
               S3 = -1.98412698298579493134e-04, S4 = 2.75573137070700676789e-06,
               S5 = -2.50507602534068634195e-08, S6 = 1.58969099521155010221e-10;
  double z = x * x;
  double r = S2 + z * (S3 + z * (S4 + z * (S5 + z * S6)));
  return x + x * z * (S1 + z * r);
}

// cos(x) for |x| <= pi/4 (fdlibm __kernel_cos, without the tail correction).
static double kcos(double x) {
  const double C1 = 4.16666666666666019037e-02, C2 = -1.38888888888741095749e-03,
               C3 = 2.48015872894767294178e-05, C4 = -2.75573143513906633035e-07,
               C5 = 2.08757232129817482790e-09, C6 = -1.13596475577881948265e-11;
  double z = x * x;
  double r = z * (C1 + z * (C2 + z * (C3 + z * (C4 + z * (C5 + z * C6)))));
  double hz = 0.5 * z;
  double w = 1.0 - hz;
  return w + (((1.0 - w) - hz) + z * r);
}

// x = k*pi/2 + y with |y| <= pi/4; the quadrant k mod 4 picks the kernel and the signs.
void sincos(double x, double *s, double *c) {
  if (fabs(x) > 0x1p20)
    panic("sincos: argument too large for the reduction");
  long k = lround_even(x * TWO_OVER_PI);
  double y = (x - k * PIO2_HI) - k * PIO2_LO;
  double sy = ksin(y), cy = kcos(y);
  switch (k & 3) {
  case 0: *s = sy;  *c = cy;  break;
  case 1: *s = cy;  *c = -sy; break;
  case 2: *s = -sy; *c = -cy; break;
  default: *s = -cy; *c = sy; break;
  }
}

double sin(double x) {
  double s, c;
  sincos(x, &s, &c);
  return s;
}

double cos(double x) {
  double s, c;
  sincos(x, &s, &c);
  return c;
}

double tan(double x) {
  double s, c;
  sincos(x, &s, &c);
  return s / c;
}

// ---- exponential and logarithm ----

static const double LN2_HI = 6.93147180369123816490e-01; // first 32 bits of ln 2
static const double LN2_LO = 1.90821492927058770002e-10; // ln 2 - LN2_HI
static const double INV_LN2 = 1.44269504088896338700e+00;

// 2^k as a double, for -1022 <= k <= 1023 (a normal number: exponent field k + 1023).
static double pow2i(long k) { return bitsd((uint64)(k + 1023) << 52); }

// x = k*ln2 + r, |r| <= ln2/2; e^r from fdlibm's rational form, then times 2^k in two steps
// so that results near the subnormal range still come out right.
double exp(double x) {
  if (x != x)
    return x;
  if (x > 709.782712893384)
    return 1.0 / 0.0; // overflow: +inf
  if (x < -745.1332191019412)
    return 0.0; // underflow
  const double P1 = 1.66666666666666019037e-01, P2 = -2.77777777770155933842e-03,
               P3 = 6.61375632143793436117e-05, P4 = -1.65339022054652515390e-06,
               P5 = 4.13813679705723846039e-08;
  long k = lround_even(x * INV_LN2);
  double hi = x - k * LN2_HI, lo = k * LN2_LO;
  double r = hi - lo;
  double t = r * r;
  double c = r - t * (P1 + t * (P2 + t * (P3 + t * (P4 + t * P5))));
  double y = 1.0 - ((lo - (r * c) / (2.0 - c)) - hi);
  long k1 = k / 2;
  return y * pow2i(k1) * pow2i(k - k1);
}

// x = 2^e * m with sqrt(2)/2 <= m < sqrt(2); log(m) = 2 atanh(s), s = (m-1)/(m+1), from
// fdlibm's polynomial in s^2.
double log(double x) {
  if (!(x > 0.0))
    return x == 0.0 ? -1.0 / 0.0 : 0.0 / 0.0; // -inf, or NaN for x < 0 and NaN
  if (x == 1.0 / 0.0)
    return x;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01,
               Lg3 = 2.857142874366239149e-01, Lg4 = 2.222219843214978396e-01,
               Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  long e = 0;
  if (x < 0x1p-1022) { // subnormal: scale into the normal range first
    x *= 0x1p54;
    e = -54;
  }
  uint64 b = dbits(x);
  e += (long)(b >> 52) - 1023;
  double m = bitsd((b & ((1UL << 52) - 1)) | (1023UL << 52));
  if (m > 1.41421356237309504880) {
    m *= 0.5;
    e++;
  }
  double f = m - 1.0;
  double s = f / (2.0 + f);
  double z = s * s;
  double R = z * (Lg1 + z * (Lg2 + z * (Lg3 + z * (Lg4 + z * (Lg5 + z * (Lg6 + z * Lg7))))));
  double hfsq = 0.5 * f * f;
  return e * LN2_HI - ((hfsq - (s * (hfsq + R) + e * LN2_LO)) - f);
}

double pow(double x, double y) {
  if (x < 0.0)
    panic("pow: negative base");
  if (y == 0.0)
    return 1.0;
  if (x == 0.0)
    return y > 0.0 ? 0.0 : 1.0 / 0.0;
  return exp(y * log(x));
}

// ---- formatting ----

// Digits come from scaling x into [1, 10) by powers of ten; the last digit may be off by one,
// which does not matter for a message.
char *fmt_e(char *buf, double x, int digits) {
  char *p = buf;
  if (x != x) {
    memcpy(buf, "nan", 4);
    return buf;
  }
  if (__builtin_signbit(x))
    *p++ = '-';
  x = fabs(x);
  if (x == 1.0 / 0.0) {
    memcpy(p, "inf", 4);
    return buf;
  }
  int e = 0;
  if (x != 0.0) {
    while (x >= 10.0) x *= 0.1, e++;
    while (x < 1.0) x *= 10.0, e--;
  }
  for (int i = 0; i < digits; i++) {
    int d = (int)x;
    if (d > 9)
      d = 9;
    *p++ = (char)('0' + d);
    if (i == 0 && digits > 1)
      *p++ = '.';
    x = (x - d) * 10.0;
  }
  *p++ = 'e';
  *p++ = e < 0 ? '-' : '+';
  if (e < 0)
    e = -e;
  if (e >= 100)
    *p++ = (char)('0' + e / 100);
  *p++ = (char)('0' + e / 10 % 10);
  *p++ = (char)('0' + e % 10);
  *p = 0;
  return buf;
}
