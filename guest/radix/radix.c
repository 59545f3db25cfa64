// Parallel radix sort in the style of SPLASH-2 RADIX, run by every hart of the machine.
//
// N 32-bit keys, uniform in [0, 2^radix_key_bits), are generated from radix_seed: key i is a
// function of i alone, so the sorted result and the checksum do not depend on the hart count.
// The key array is distributed: hart k owns indices [k*per, k*per + n_k) (per = ceil(N/H)),
// stored in its own node's memory (mp_local_base), twice (source and destination of a pass).
// Each pass sorts on one digit of radix_digit_bits bits:
//   1. histogram: each hart counts the digits of its own keys (local reads and writes)
//   2. rank: digits are split into columns of 32 (one 128-byte line of counters); the owner of
//      a column scans it down over all harts' histograms, replacing each count by the number of
//      keys with that digit on lower-numbered harts, and records the digit's total
//   3. permute: each hart adds the prefix of the digit totals to its ranks and writes every key
//      to its place in the destination array, which crosses into other harts' memory (remote
//      writes), following a bucket from one partition into the next when it fills.
// Barriers separate the phases. At the end every hart checks that its part is sorted and
// continues into the next part; checksums of the keys (sums of hashes, added up over the harts
// by mp_barrier_sum) must be the same before and after.
// Hart 0 prints "radix: N keys, H harts, OK checksum 0x..." and exits 0, or FAIL and exits 1.
//
// Parameters: 64-bit globals in section .params. A benchmark may overwrite them in the image
// before loading it (runFlash's `patch`, by symbol name); the defaults take about 6 million
// instructions per hart on 16 harts (93 million on one).
#include "mp.h"

uint64 radix_keys MP_PARAM = 524288;  // N: number of keys, >= 1
uint64 radix_digit_bits MP_PARAM = 8; // bits per pass (radix 2^bits), 1..12
uint64 radix_key_bits MP_PARAM = 32;  // keys are below 2^key_bits, 1..32; passes: ceil(key/digit)
uint64 radix_seed MP_PARAM = 0x5eed5eed;

#define MAX_DIGIT_BITS 12
#define COLUMN 32 // digits per column: one line of uint32 counters
#define GOLDEN 0x9e3779b97f4a7c15UL

static uint32 digit_total[1 << MAX_DIGIT_BITS] MP_ALIGNED; // written by the column owners

// The run's geometry, from the parameters: written by hart 0 before the first barrier, only
// read afterwards (so every hart keeps a shared copy in its cache).
static struct geometry {
  uint64 n, h, per;         // keys, harts, keys per partition
  uint64 radix, mask, passes, digit_bits, key_bits;
  uint64 buf_bytes;         // one partition buffer, line aligned
  uint64 off_hist, off_cur, off_end, off_part, bytes; // data region layout, see layout()
} g;

// Hart k's data region: buf 0, buf 1 (per keys each), hist[radix] (its row of the histogram
// matrix, then its ranks), and its bucket cursors: cur[radix], end[radix], part[radix].
static void layout(void) {
  g.n = radix_keys;
  g.h = mp_nharts();
  g.per = (g.n + g.h - 1) / g.h;
  g.digit_bits = radix_digit_bits;
  g.key_bits = radix_key_bits;
  g.radix = 1UL << g.digit_bits;
  g.mask = g.radix - 1;
  g.passes = (g.key_bits + g.digit_bits - 1) / g.digit_bits;
  g.buf_bytes = mp_align(g.per * 4, MP_LINE);
  g.off_hist = 2 * g.buf_bytes;
  g.off_cur = g.off_hist + mp_align(g.radix * 4, MP_LINE);
  g.off_end = g.off_cur + g.radix * 8;
  g.off_part = g.off_end + g.radix * 8;
  g.bytes = g.off_part + mp_align(g.radix * 4, MP_LINE);
}

static uint32 *buf(uint64 hart, uint64 which) {
  return (uint32 *)(mp_local_base(hart) + which * g.buf_bytes);
}
static uint32 *hist(uint64 hart) { return (uint32 *)(mp_local_base(hart) + g.off_hist); }
static uint64 part_lo(uint64 hart) { return hart * g.per < g.n ? hart * g.per : g.n; }
static uint64 part_len(uint64 hart) {
  uint64 lo = part_lo(hart);
  return g.n - lo < g.per ? g.n - lo : g.per;
}

static uint32 key_of(uint64 i) {
  return (uint32)(mp_mix64(radix_seed + i * GOLDEN) >> (64 - g.key_bits));
}

// Hart 0 says why the parameters cannot run; every hart gets the same answer.
static const char *check_params(void) {
  if (radix_keys == 0)
    return "radix_keys must be at least 1";
  if (radix_digit_bits < 1 || radix_digit_bits > MAX_DIGIT_BITS)
    return "radix_digit_bits must be 1..12";
  if (radix_key_bits < 1 || radix_key_bits > 32)
    return "radix_key_bits must be 1..32";
  if (radix_keys > 0xffffffffUL)
    return "radix_keys must be below 2^32";
  if (g.bytes > mp_local_size())
    return "the keys do not fit in the nodes' memory: fewer keys, more nodes or more memory";
  return 0;
}

// Two order-independent checksums of a hart's keys: sums of two different hashes.
static void generate(uint64 me, uint64 sums[2]) {
  uint32 *a = buf(me, 0);
  uint64 lo = part_lo(me), n = part_len(me), s0 = 0, s1 = 0;
  for (uint64 i = 0; i < n; i++) {
    uint32 k = key_of(lo + i);
    a[i] = k;
    s0 += mp_mix64(k);
    s1 += mp_mix64(k ^ GOLDEN);
  }
  sums[0] = s0;
  sums[1] = s1;
}

static void histogram(uint64 me, const uint32 *src, uint64 shift) {
  uint32 *h = hist(me);
  for (uint64 d = 0; d < g.radix; d++)
    h[d] = 0;
  uint64 n = part_len(me), mask = g.mask;
  for (uint64 i = 0; i < n; i++)
    h[(src[i] >> shift) & mask]++;
}

// Exclusive scan of each owned column down the harts' histograms; records the digit totals.
static void rank_columns(uint64 me) {
  uint64 width = g.radix < COLUMN ? g.radix : COLUMN;
  uint64 columns = g.radix / width;
  for (uint64 c = me; c < columns; c += g.h) {
    uint32 run[COLUMN];
    for (uint64 j = 0; j < width; j++)
      run[j] = 0;
    for (uint64 k = 0; k < g.h; k++) {
      uint32 *row = hist(k) + c * width;
      for (uint64 j = 0; j < width; j++) {
        uint32 t = row[j];
        row[j] = run[j];
        run[j] += t;
      }
    }
    for (uint64 j = 0; j < width; j++)
      digit_total[c * width + j] = run[j];
  }
}

// Bucket cursors: cur[d] is where the next key with digit d goes, end[d] the end of the
// partition it is in, part[d] that partition's hart.
static void place_cursors(uint64 me, uint64 dst) {
  uint32 *h = hist(me);
  uint32 **cur = (uint32 **)(mp_local_base(me) + g.off_cur);
  uint32 **end = (uint32 **)(mp_local_base(me) + g.off_end);
  uint32 *part = (uint32 *)(mp_local_base(me) + g.off_part);
  uint64 base = 0;
  for (uint64 d = 0; d < g.radix; d++) {
    uint64 at = base + h[d];
    uint64 k = at / g.per;
    cur[d] = buf(k, dst) + (at - k * g.per); // k may be past the last hart if no key goes here
    end[d] = buf(k, dst) + g.per;
    part[d] = (uint32)k;
    base += digit_total[d];
  }
}

static __attribute__((noinline)) uint32 *next_partition(uint64 d, uint64 dst) {
  uint32 **end = (uint32 **)(mp_local_base(mp_hartid()) + g.off_end);
  uint32 *part = (uint32 *)(mp_local_base(mp_hartid()) + g.off_part);
  uint64 k = ++part[d];
  end[d] = buf(k, dst) + g.per;
  return buf(k, dst);
}

static void permute(uint64 me, const uint32 *src, uint64 dst, uint64 shift) {
  uint32 **cur = (uint32 **)(mp_local_base(me) + g.off_cur);
  uint32 **end = (uint32 **)(mp_local_base(me) + g.off_end);
  uint64 n = part_len(me), mask = g.mask;
  for (uint64 i = 0; i < n; i++) {
    uint32 key = src[i];
    uint64 d = (key >> shift) & mask;
    uint32 *c = cur[d];
    if (c == end[d])
      c = next_partition(d, dst);
    *c = key;
    cur[d] = c + 1;
  }
}

// Counts keys out of order within the part and against the first key of the next part, and
// the checksums of the part as generate() makes them.
static void check(uint64 me, uint64 final, uint64 out[3]) {
  const uint32 *a = buf(me, final);
  uint64 n = part_len(me), s0 = 0, s1 = 0, bad = 0;
  for (uint64 i = 0; i < n; i++) {
    uint32 k = a[i];
    if (i > 0 && a[i - 1] > k)
      bad++;
    s0 += mp_mix64(k);
    s1 += mp_mix64(k ^ GOLDEN);
  }
  if (n > 0 && me + 1 < g.h && part_len(me + 1) > 0 && a[n - 1] > buf(me + 1, final)[0])
    bad++;
  out[0] = s0;
  out[1] = s1;
  out[2] = bad;
}

int main(uint64 me) {
  if (me == 0)
    layout();
  mp_barrier();
  const char *why = check_params();
  if (why) {
    if (me == 0)
      printf("radix: FAIL: %s (%lu keys, %lu harts, %lu bytes per hart needed, %lu there)\n", why,
             radix_keys, g.h, g.bytes, mp_local_size());
    return 1;
  }
  uint64 before[2];
  generate(me, before);
  mp_barrier_sum(before, 2);
  for (uint64 p = 0; p < g.passes; p++) {
    uint64 shift = p * g.digit_bits, src = p & 1, dst = src ^ 1;
    histogram(me, buf(me, src), shift);
    mp_barrier();
    rank_columns(me);
    mp_barrier();
    place_cursors(me, dst);
    permute(me, buf(me, src), dst, shift);
    mp_barrier();
  }
  uint64 after[3];
  check(me, g.passes & 1, after);
  mp_barrier_sum(after, 3);
  if (me != 0)
    return 0;
  if (after[2] != 0 || after[0] != before[0] || after[1] != before[1]) {
    printf("radix: %lu keys, %lu harts, FAIL: %lu keys out of order, checksum 0x%lx before, "
           "0x%lx after\n",
           g.n, g.h, after[2], before[0], after[0]);
    return 1;
  }
  printf("radix: %lu keys, %lu harts, OK checksum 0x%lx\n", g.n, g.h, after[0]);
  return 0;
}
