// Radix-2 complex FFT, decimation in time: the bit-reversal permutation, then log2(N) passes of
// butterflies with a precomputed twiddle table. Each round synthesises a signal of three
// complex tones plus noise, transforms it forward, checks the spectrum (peaks, Parseval's
// theorem, a few bins against the direct DFT), transforms it back and checks the round trip.
#include "bench-fp.h"

struct cpx {
  double re, im;
};

static struct cpx twiddle[FFT_N / 2]; // e^(-2 pi i k / N)
static struct cpx signal[FFT_N], work[FFT_N];

static void make_twiddles(void) {
  for (int k = 0; k < FFT_N / 2; k++)
    sincos(-2.0 * PI * k / FFT_N, &twiddle[k].im, &twiddle[k].re);
}

// e^(-2 pi i m / N) for any m, from the half table: the second half is the first negated.
static struct cpx root(uint64 m) {
  m %= FFT_N;
  struct cpx w = twiddle[m % (FFT_N / 2)];
  if (m >= FFT_N / 2)
    w.re = -w.re, w.im = -w.im;
  return w;
}

static void bit_reverse(struct cpx *a) {
  for (uint32 i = 0, j = 0; i < FFT_N; i++) {
    if (i < j) {
      struct cpx t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    uint32 bit = FFT_N >> 1; // j += 1, counting with the bits reversed
    while (j & bit) {
      j ^= bit;
      bit >>= 1;
    }
    j |= bit;
  }
}

// In place. The inverse uses the conjugate twiddles and divides by N.
static void fft(struct cpx *a, int inverse) {
  bit_reverse(a);
  double sign = inverse ? -1.0 : 1.0;
  for (int len = 2; len <= FFT_N; len <<= 1) {
    int half = len / 2, step = FFT_N / len;
    for (int i = 0; i < FFT_N; i += len) {
      for (int j = 0; j < half; j++) {
        double wr = twiddle[j * step].re, wi = sign * twiddle[j * step].im;
        struct cpx *p = &a[i + j], *q = &a[i + j + half];
        double tr = q->re * wr - q->im * wi;
        double ti = q->re * wi + q->im * wr;
        q->re = p->re - tr;
        q->im = p->im - ti;
        p->re += tr;
        p->im += ti;
      }
    }
  }
  if (inverse) {
    for (int i = 0; i < FFT_N; i++) {
      a[i].re *= 1.0 / FFT_N;
      a[i].im *= 1.0 / FFT_N;
    }
  }
}

// ---- one round ----

struct tone {
  int bin;
  double amp, phase;
};

static void synthesise(const struct tone *tones, int ntones) {
  for (int n = 0; n < FFT_N; n++) {
    double re = (rng_unit() - 0.5) * 1e-3, im = (rng_unit() - 0.5) * 1e-3;
    for (int t = 0; t < ntones; t++) {
      // the angle 2 pi (bin n mod N) / N + phase, reduced exactly before it is rounded
      long m = ((long)tones[t].bin * n) % FFT_N;
      double s, c;
      sincos(2.0 * PI * m / FFT_N + tones[t].phase, &s, &c);
      re += tones[t].amp * c;
      im += tones[t].amp * s;
    }
    signal[n] = (struct cpx){re, im};
  }
}

static double energy(const struct cpx *a) {
  double e = 0.0;
  for (int i = 0; i < FFT_N; i++)
    e += a[i].re * a[i].re + a[i].im * a[i].im;
  return e;
}

// |FFT bin k - the DFT sum for bin k|, over N (the scale of a bin).
static double dft_error(int k) {
  double re = 0.0, im = 0.0;
  for (int n = 0; n < FFT_N; n++) {
    struct cpx w = root((uint64)k * n);
    re += signal[n].re * w.re - signal[n].im * w.im;
    im += signal[n].re * w.im + signal[n].im * w.re;
  }
  return fmax(fabs(re - work[k].re), fabs(im - work[k].im)) / FFT_N;
}

// The bin with the largest magnitude other than those in `skip` (which ends at a -1).
static int peak(const int *skip) {
  int best = -1;
  double bestm = -1.0;
  for (int k = 0; k < FFT_N; k++) {
    int skipped = 0;
    for (const int *s = skip; *s >= 0; s++)
      skipped |= *s == k;
    double m = work[k].re * work[k].re + work[k].im * work[k].im;
    if (!skipped && m > bestm)
      bestm = m, best = k;
  }
  return best;
}

struct fft_stats {
  double parseval, dft, roundtrip; // worst relative errors seen
};

static void check_spectrum(const struct tone *tones, struct fft_stats *st) {
  int found[4] = {-1, -1, -1, -1};
  for (int i = 0; i < 3; i++)
    found[i] = peak(found);
  for (int i = 0; i < 3; i++) // the tones are given loudest first
    CHECK(found[i] == tones[i].bin);
  double amp = sqrt(work[tones[0].bin].re * work[tones[0].bin].re +
                    work[tones[0].bin].im * work[tones[0].bin].im) / FFT_N;
  CHECK(fabs(amp - tones[0].amp) < 1e-3);
  double et = energy(signal), ef = energy(work) / FFT_N;
  st->parseval = fmax(st->parseval, fabs(et - ef) / et);
  st->dft = fmax(st->dft, fmax(dft_error(tones[1].bin), dft_error((int)(rng() % FFT_N))));
}

static double roundtrip_error(void) {
  double worst = 0.0;
  for (int i = 0; i < FFT_N; i++)
    worst = fmax(worst, fmax(fabs(work[i].re - signal[i].re), fabs(work[i].im - signal[i].im)));
  return worst;
}

static uint64 hash_spectrum(uint64 h) {
  for (int k = 0; k < FFT_N; k++)
    h = mix(h, dbits(work[k].re) ^ (dbits(work[k].im) << 1));
  return h;
}

uint64 fft_bench(void) {
  test_begin("fft");
  make_twiddles();
  rng_seed(0x9e3779b97f4a7c15UL);
  struct fft_stats st = {0, 0, 0};
  uint64 hash = 0;
  for (int r = 0; r < FFT_ROUNDS; r++) {
    struct tone tones[3] = {
      {17 + 5 * r, 1.0, 2.0 * PI * rng_unit()},
      {300 + 37 * r, 0.5, 2.0 * PI * rng_unit()},
      {FFT_N - 1000 + r, 0.25, 2.0 * PI * rng_unit()}, // a negative frequency
    };
    synthesise(tones, 3);
    memcpy(work, signal, sizeof(work));
    fft(work, 0);
    hash = hash_spectrum(hash);
    check_spectrum(tones, &st);
    fft(work, 1);
    st.roundtrip = fmax(st.roundtrip, roundtrip_error());
  }
  CHECK(st.parseval < 1e-13);
  CHECK(st.dft < 1e-13);
  CHECK(st.roundtrip < 1e-13);
  char a[24], b[24], c[24];
  printf("  fft: worst errors: Parseval %s, direct DFT %s, round trip %s\n", fmt_e(a, st.parseval, 2),
         fmt_e(b, st.dft, 2), fmt_e(c, st.roundtrip, 2));
  hash = mix(hash, dbits(st.parseval));
  hash = mix(hash, dbits(st.dft));
  hash = mix(hash, dbits(st.roundtrip));
  test_end();
  return hash;
}
