// Jacobi relaxation with a 5-point stencil (SPLASH-2 OCEAN's inner kernel, in integers), run
// by every hart of the machine.
//
// A W x H grid of 24-bit fixed-point values starts from pseudo-random values (a function of
// the cell and stencil_seed alone, so results do not depend on the hart count). The border
// cells stay fixed; each iteration replaces every interior cell by
//     (4*centre + north + south + west + east + 4) >> 3
// reading one copy of the grid and writing the other (double buffering), with a barrier
// between iterations. The rows are split into bands of ceil(H / harts) rows, one band per hart,
// stored in that hart's node memory (mp_local_base); the rows just above and below a band are
// read from the neighbouring harts' memory. Harts past the last band only take part in the
// barriers.
//
// Self-check, by hart 0 at the end: every hart hashes its rows of the result, and
// mp_barrier_sum adds the hashes up into the checksum.
// If W*H*T <= stencil_serial_max (and the grid fits twice in hart 0's memory), hart 0 repeats
// the whole relaxation serially on a plain 2D array and compares every cell and the checksum;
// otherwise it recomputes six 8x8 windows (corners, centre and band boundaries) serially from
// their cones of dependence (the window plus T cells around it) and compares them cell by
// cell, unless those cones would cover the grid anyway, when it reruns the whole grid.
// Hart 0 prints "stencil: WxH grid, T iterations, N harts, OK checksum 0x..." and exits 0, or
// FAIL with the first difference and exits 1.
//
// Parameters: 64-bit globals in section .params. A benchmark may overwrite them in the image
// before loading it (runFlash's `patch`, by symbol name); the defaults take about 5.5 million
// instructions per hart on 16 harts (84 million on one).
#include "mp.h"

uint64 stencil_width MP_PARAM = 512;        // W: columns, 3..2^20
uint64 stencil_height MP_PARAM = 512;       // H: rows, 3..2^20
uint64 stencil_iters MP_PARAM = 20;         // T: iterations, >= 0
uint64 stencil_seed MP_PARAM = 0x57e9c11;   // initial values
uint64 stencil_serial_max MP_PARAM = 1 << 18; // largest W*H*T always checked by a full rerun

#define GOLDEN 0x9e3779b97f4a7c15UL
#define WINDOW 8
#define NWINDOWS 6

// The run's geometry, from the parameters: written by hart 0 before the first barrier, only
// read afterwards (so every hart keeps a shared copy in its cache).
static struct {
  uint64 w, h, t, harts;
  uint64 band;       // rows per band: ceil(h / harts)
  uint64 band_bytes; // one copy of a band, line aligned
} g;

static uint32 init_cell(uint64 r, uint64 c) {
  return (uint32)(mp_mix64(stencil_seed ^ (r << 32 | c)) >> 40);
}

static inline uint32 relax(uint32 centre, uint32 n, uint32 s, uint32 w, uint32 e) {
  return (4 * centre + n + s + w + e + 4) >> 3;
}

// Row r of copy `which` of the distributed grid, wherever it lives.
static uint32 *row(uint64 which, uint64 r) {
  uint64 k = r / g.band;
  return (uint32 *)(mp_local_base(k) + which * g.band_bytes) + (r - k * g.band) * g.w;
}

static uint64 band_lo(uint64 hart) { return hart * g.band < g.h ? hart * g.band : g.h; }
static uint64 band_hi(uint64 hart) { return band_lo(hart + 1); }

// Order-dependent hash of one row, mixed with its index; the checksum is the sum over rows.
static uint64 row_hash(const uint32 *a, uint64 r) {
  uint64 x = 0xcbf29ce484222325UL;
  for (uint64 c = 0; c < g.w; c++)
    x = (x ^ a[c]) * 0x100000001b3UL;
  return mp_mix64(x + r * GOLDEN);
}

static void init_band(uint64 me) {
  for (uint64 r = band_lo(me); r < band_hi(me); r++) {
    uint32 *a = row(0, r), *b = row(1, r);
    for (uint64 c = 0; c < g.w; c++)
      a[c] = b[c] = init_cell(r, c);
  }
}

// One interior row: out[c] for 1 <= c < w-1. Unrolled by two so that the centre row's values
// pass through registers instead of being loaded three times.
static void relax_row(uint32 *out, const uint32 *up, const uint32 *mid, const uint32 *dn,
                      uint64 w) {
  uint32 left = mid[0], centre = mid[1];
  const uint32 *next = mid + 2;
  uint32 *o = out + 1, *end = out + w - 1;
  up++, dn++;
  for (; o + 1 < end; o += 2, up += 2, dn += 2, next += 2) {
    uint32 r1 = next[0], r2 = next[1];
    o[0] = relax(centre, up[0], dn[0], left, r1);
    o[1] = relax(r1, up[1], dn[1], centre, r2);
    left = r1;
    centre = r2;
  }
  if (o < end)
    o[0] = relax(centre, up[0], dn[0], left, next[0]);
}

static void iterate(uint64 me, uint64 src) {
  uint64 lo = band_lo(me), hi = band_hi(me);
  if (lo == 0)
    lo = 1;
  if (hi == g.h)
    hi = g.h - 1;
  for (uint64 r = lo; r < hi; r++)
    relax_row(row(src ^ 1, r), row(src, r - 1), row(src, r), row(src, r + 1), g.w);
}

// --- hart 0's serial checks -------------------------------------------------------------

// Relaxes the sub-grid rows [r0, r1) x cols [c0, c1) of the whole grid for T iterations in
// two scratch arrays, plain 2D indexing. Cells on the sub-grid's edge that are not on the
// grid's border have unknown neighbours; the error spreads one cell per iteration, so after
// iteration i only cells at least i cells inside such an edge are exact, and only those are
// computed. Returns the copy holding the result.
static uint32 *relax_serial(uint32 *a, uint32 *b, uint64 r0, uint64 r1, uint64 c0, uint64 c1) {
  uint64 cols = c1 - c0;
  for (uint64 r = r0; r < r1; r++)
    for (uint64 c = c0; c < c1; c++)
      a[(r - r0) * cols + (c - c0)] = b[(r - r0) * cols + (c - c0)] = init_cell(r, c);
  for (uint64 i = 1; i <= g.t; i++) {
    uint64 lo_r = r0 == 0 ? 1 : r0 + i, hi_r = r1 == g.h ? g.h - 1 : r1 - i;
    uint64 lo_c = c0 == 0 ? 1 : c0 + i, hi_c = c1 == g.w ? g.w - 1 : c1 - i;
    for (uint64 r = lo_r; r < hi_r; r++)
      for (uint64 c = lo_c; c < hi_c; c++) {
        uint64 at = (r - r0) * cols + (c - c0);
        b[at] = relax(a[at], a[at - cols], a[at + cols], a[at - 1], a[at + 1]);
      }
    uint32 *t = a;
    a = b;
    b = t;
  }
  return a;
}

static uint64 clamp_window(uint64 x, uint64 limit) {
  uint64 s = WINDOW < limit ? WINDOW : limit;
  x = x >= s / 2 ? x - s / 2 : 0;
  return x + s > limit ? limit - s : x;
}

static uint64 sat_sub(uint64 a, uint64 b) { return a > b ? a - b : 0; }
static uint64 min64(uint64 a, uint64 b) { return a < b ? a : b; }

// Number of cells that differ from a serial recomputation; describes the first in *bad.
struct mismatch {
  uint64 r, c;
  uint32 got, want;
};

static uint64 check_full(uint32 *scratch, uint64 final, uint64 *serial_sum,
                         struct mismatch *bad) {
  uint64 cells = g.w * g.h;
  uint32 *s = relax_serial(scratch, scratch + cells, 0, g.h, 0, g.w);
  uint64 sum = 0, diff = 0;
  for (uint64 r = 0; r < g.h; r++) {
    sum += row_hash(s + r * g.w, r);
    const uint32 *p = row(final, r);
    for (uint64 c = 0; c < g.w; c++)
      if (p[c] != s[r * g.w + c] && diff++ == 0)
        *bad = (struct mismatch){r, c, p[c], s[r * g.w + c]};
  }
  *serial_sum = sum;
  return diff;
}

static uint64 check_window(uint32 *scratch, uint64 final, uint64 wr, uint64 wc,
                           struct mismatch *bad) {
  uint64 sr = min64(WINDOW, g.h), sc = min64(WINDOW, g.w);
  uint64 r0 = sat_sub(wr, g.t), r1 = min64(g.h, wr + sr + g.t);
  uint64 c0 = sat_sub(wc, g.t), c1 = min64(g.w, wc + sc + g.t);
  uint64 cols = c1 - c0;
  uint32 *s = relax_serial(scratch, scratch + (r1 - r0) * cols, r0, r1, c0, c1);
  uint64 diff = 0;
  for (uint64 r = wr; r < wr + sr; r++)
    for (uint64 c = wc; c < wc + sc; c++) {
      uint32 got = row(final, r)[c], want = s[(r - r0) * cols + (c - c0)];
      if (got != want && diff++ == 0)
        *bad = (struct mismatch){r, c, got, want};
    }
  return diff;
}

// Cells in the largest cone of dependence of a window (two copies are the scratch it needs).
static uint64 cone_cells(void) {
  return min64(g.h, WINDOW + 2 * g.t) * min64(g.w, WINDOW + 2 * g.t);
}

static int report(uint64 sum) {
  uint64 final = g.t & 1;
  uint32 *scratch = (uint32 *)(mp_local_base(0) + 2 * g.band_bytes);
  uint64 room = mp_local_size() - 2 * g.band_bytes, diff = 0;
  struct mismatch bad = {0, 0, 0, 0};
  // The whole grid when it is small, or when the windows' cones would cover it anyway.
  uint64 cells = g.w * g.h;
  int full_fits = 2 * cells * 4 <= room, cones_fit = 2 * cone_cells() * 4 <= room;
  int full = full_fits && (cells * g.t <= stencil_serial_max || NWINDOWS * cone_cells() >= cells ||
                           !cones_fit);
  printf("stencil: ");
  if (full) {
    uint64 serial_sum;
    diff = check_full(scratch, final, &serial_sum, &bad);
    printf("serial rerun: checksum 0x%lx, %lu cells differ\n", serial_sum, diff);
    if (serial_sum != sum && diff == 0) {
      printf("stencil: FAIL: checksums differ but no cell does\n");
      return 1;
    }
  } else if (cones_fit) {
    uint64 active = (g.h + g.band - 1) / g.band; // harts with a band
    uint64 b1 = g.band, bm = active / 2 * g.band, bl = (active - 1) * g.band;
    uint64 at[NWINDOWS][2] = {
        {0, 0}, {g.h, g.w}, {b1, g.w / 2}, {bm, 0}, {bl, g.w}, {g.h / 2, g.w / 2},
    };
    for (int i = 0; i < NWINDOWS; i++)
      diff += check_window(scratch, final, clamp_window(at[i][0], g.h),
                           clamp_window(at[i][1], g.w), &bad);
    printf("serial rerun of %d windows: %lu cells differ\n", NWINDOWS, diff);
  } else {
    printf("FAIL: no room on node 0 to check the result (%lu bytes)\n", 2 * cone_cells() * 4);
    return 1;
  }
  printf("stencil: %lux%lu grid, %lu iterations, %lu harts, ", g.w, g.h, g.t, g.harts);
  if (diff) {
    printf("FAIL: cell (%lu,%lu) is 0x%x, serial 0x%x\n", bad.r, bad.c, bad.got, bad.want);
    return 1;
  }
  printf("OK checksum 0x%lx\n", sum);
  return 0;
}

static void layout(void) {
  g.w = stencil_width;
  g.h = stencil_height;
  g.t = stencil_iters;
  g.harts = mp_nharts();
  g.band = (g.h + g.harts - 1) / g.harts;
  g.band_bytes = mp_align(g.band * g.w * 4, MP_LINE);
}

int main(uint64 me) {
  if (me == 0)
    layout();
  mp_barrier();
  if (g.w < 3 || g.h < 3 || g.w > 1 << 20 || g.h > 1 << 20) {
    if (me == 0)
      printf("stencil: FAIL: stencil_width and stencil_height must be 3..2^20\n");
    return 1;
  }
  if (2 * g.band_bytes > mp_local_size()) {
    if (me == 0)
      printf("stencil: FAIL: a band of %lu rows needs %lu bytes per node, %lu there\n", g.band,
             2 * g.band_bytes, mp_local_size());
    return 1;
  }
  init_band(me);
  mp_barrier();
  for (uint64 i = 0; i < g.t; i++) {
    iterate(me, i & 1);
    mp_barrier();
  }
  uint64 sum = 0;
  for (uint64 r = band_lo(me); r < band_hi(me); r++)
    sum += row_hash(row(g.t & 1, r), r);
  mp_barrier_sum(&sum, 1);
  return me == 0 ? report(sum) : 0;
}
