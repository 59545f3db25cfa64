// engineering: the "Engineering" workload of Disco's evaluation (SOSP 1997), a multiprogrammed
// mix of long-running processes with large working sets and many TLB misses, as an engineering
// group's compute server ran them: logic simulation and cache simulation.
//
//   engineering [-p PROCS] [-s SCALE]  starts PROCS processes at once (default 16), logicsim
//                                      and cachesim by turns, and waits for them all; PASS iff
//                                      every one exits 0
//   logicsim [-s SCALE] [-i SEED]      gate-level simulation of a 64x64-bit array multiplier
//                                      (about 24000 gates in 576 KiB of gate records) over
//                                      2 * SCALE passes of 64 random input vectors, every
//                                      product checked against the CPU's own mul and mulhu
//   cachesim [-s SCALE] [-i SEED]      a 4096-set, 8-way LRU cache (384 KiB of tags and use
//                                      stamps) driven by cyclic sweeps whose miss count has a
//                                      closed form, 4 * SCALE phases of them
//
// logicsim and cachesim need no kernel of ours: they also run under qemu-riscv64.
#include "user.h"

int engineering(int argc, char **argv) {
  long procs = option(argc, argv, "-p", 16), scale = option(argc, argv, "-s", 1);
  static long pids[256];
  if (procs < 1 || procs > (long)NELEM(pids)) {
    printf("engineering: -p must be 1 to %d\n", (int)NELEM(pids));
    return 2;
  }
  int failed = 0;
  for (long i = 0; i < procs; i++) {
    char s[24], seed[24];
    char *args[] = {i % 2 ? "cachesim" : "logicsim", "-s", decimal(s, scale), "-i", decimal(seed, i), 0};
    pids[i] = spawn("virt-user", args);
    if (pids[i] < 0) {
      printf("engineering: cannot start %s %ld\n", args[0], i);
      failed = 1;
    }
  }
  for (long i = 0; i < procs; i++) {
    int status = -1;
    if (pids[i] >= 0 && (waitpid(pids[i], &status) < 0 || WEXITSTATUS(status) != 0))
      failed = 1;
  }
  printf("engineering: %ld processes (%ld logicsim, %ld cachesim), scale %ld\n", procs, (procs + 1) / 2, procs / 2,
         scale);
  printf("engineering: %s\n", failed ? "FAIL" : "PASS");
  return failed;
}

// ---- logicsim ----

// The circuit is an unsigned N x N array multiplier: N*N AND gates make the partial products
// and row i of adders adds partial product i into the running sum, rippling its carry. Gates are
// made in an order where inputs come first (the netlist is topologically sorted) and evaluated
// by level, as a levelized compiled-code simulator does: one level's gates lie in every row of
// the array, so each sweep strides across all the gate records, page after page.
//
// The simulation is bit-parallel: a gate's value is a machine word whose bit v is its output
// for input vector v, so one sweep simulates 64 multiplications.
#define LS_N 64
#define LS_MAXGATES 24576
#define LS_MAXLEVEL 1024
#define NONE 0xffffffffu

enum { IN, AND, OR, XOR };

struct gate {
  uint64 value;
  uint32 in[2];
  uint8 op;
  uint16 level; // longest path from an input
};

static struct gate gates[LS_MAXGATES];
static uint32 ngates;
static uint32 order[LS_MAXGATES];   // gate numbers by level
static uint32 nlevel[LS_MAXLEVEL];  // gates per level

static uint32 gate(int op, uint32 a, uint32 b) {
  if (ngates == LS_MAXGATES)
    panic("logicsim: too many gates");
  struct gate *g = &gates[ngates];
  g->op = op;
  g->in[0] = a;
  g->in[1] = b;
  if (op != IN) {
    uint16 la = gates[a].level, lb = gates[b].level;
    g->level = 1 + (la > lb ? la : lb);
    if (g->level >= LS_MAXLEVEL)
      panic("logicsim: circuit too deep");
  }
  return ngates++;
}

// Adds bits x and y and the carry *carry (x and *carry may be NONE, absent) into a sum bit;
// *carry becomes the carry out. Two inputs make a half adder, three a full adder.
static uint32 adder(uint32 x, uint32 y, uint32 *carry) {
  uint32 c = *carry;
  if (x == NONE || c == NONE) {
    uint32 a = x == NONE ? c : x;
    *carry = gate(AND, a, y);
    return gate(XOR, a, y);
  }
  uint32 p = gate(XOR, x, y);
  uint32 g = gate(AND, x, y);
  uint32 pc = gate(AND, p, c);
  *carry = gate(OR, g, pc);
  return gate(XOR, p, c);
}

// Builds the multiplier; a[] and b[] get the input gates, product[] the 2N output bits.
static void build_multiplier(uint32 *a, uint32 *b, uint32 *product) {
  static uint32 pp[LS_N][LS_N];
  for (int j = 0; j < LS_N; j++)
    a[j] = gate(IN, 0, 0);
  for (int j = 0; j < LS_N; j++)
    b[j] = gate(IN, 0, 0);
  for (int i = 0; i < LS_N; i++)
    for (int j = 0; j < LS_N; j++)
      pp[i][j] = gate(AND, a[j], b[i]);
  for (int p = 0; p < 2 * LS_N; p++)
    product[p] = p < LS_N ? pp[0][p] : NONE;
  for (int i = 1; i < LS_N; i++) {
    uint32 carry = NONE;
    for (int k = 0; k < LS_N; k++)
      product[i + k] = adder(product[i + k], pp[i][k], &carry);
    product[i + LS_N] = carry;
  }
}

// Sorts the gates by level (a counting sort); returns the number of levels.
static int levelize(void) {
  int levels = 0;
  for (uint32 g = 0; g < ngates; g++) {
    nlevel[gates[g].level]++;
    if (gates[g].level + 1 > levels)
      levels = gates[g].level + 1;
  }
  uint32 start = 0;
  for (int l = 0; l < levels; l++) {
    uint32 n = nlevel[l];
    nlevel[l] = start;
    start += n;
  }
  for (uint32 g = 0; g < ngates; g++)
    order[nlevel[gates[g].level]++] = g;
  return levels;
}

static void simulate(uint32 first) {
  for (uint32 i = first; i < ngates; i++) {
    struct gate *g = &gates[order[i]];
    uint64 x = gates[g->in[0]].value, y = gates[g->in[1]].value;
    g->value = g->op == AND ? x & y : g->op == OR ? x | y : x ^ y;
  }
}

int logicsim(int argc, char **argv) {
  long scale = option(argc, argv, "-s", 1), id = option(argc, argv, "-i", 0);
  static uint32 a[LS_N], b[LS_N], product[2 * LS_N];
  build_multiplier(a, b, product);
  int levels = levelize();
  uint64 seed = 0x10915 + id, fold = 0;
  long passes = 2 * scale, wrong = 0;
  for (long pass = 0; pass < passes; pass++) {
    uint64 x[64], y[64];
    for (int v = 0; v < 64; v++) {
      x[v] = rand64(&seed);
      y[v] = rand64(&seed);
    }
    for (int j = 0; j < LS_N; j++) { // transpose: input bit j of every vector into one word
      uint64 wa = 0, wb = 0;
      for (int v = 0; v < 64; v++) {
        wa |= ((x[v] >> j) & 1) << v;
        wb |= ((y[v] >> j) & 1) << v;
      }
      gates[a[j]].value = wa;
      gates[b[j]].value = wb;
    }
    simulate(2 * LS_N); // the inputs are level 0, first in order[]
    for (int v = 0; v < 64; v++) {
      uint64 lo = 0, hi = 0;
      for (int p = 0; p < LS_N; p++) {
        lo |= ((gates[product[p]].value >> v) & 1) << p;
        hi |= ((gates[product[LS_N + p]].value >> v) & 1) << p;
      }
      unsigned __int128 want = (unsigned __int128)x[v] * y[v];
      if (lo != (uint64)want || hi != (uint64)(want >> 64))
        wrong++;
      fold = fold * 31 + hi;
    }
  }
  printf("logicsim %ld: %dx%d multiplier, %u gates in %d levels, %ld vectors, %ld wrong, fold 0x%lx\n", id, LS_N,
         LS_N, ngates, levels, passes * 64, wrong, fold);
  return wrong != 0;
}

// ---- cachesim ----

// The cache is simulated exactly, with true LRU. Each phase sweeps K lines of its own (tags no
// other phase uses) cyclically through each of a set of cache sets, R rounds; sets are
// independent, so per set: K <= ways fits, and only the first round misses (K misses); K > ways
// evicts every line just before its next use, so every access misses (K * R). Visiting the
// sets in a strided order makes consecutive accesses fall on different pages of the arrays.
#define CS_SETS 4096
#define CS_WAYS 8
#define CS_LINE_BITS 6
#define CS_SET_BITS 12

static uint64 tags[CS_SETS][CS_WAYS];  // tag + 1; 0 is an empty way
static uint32 stamp[CS_SETS][CS_WAYS]; // time of last use: the least recent is the victim
static uint32 now;

// Simulates one access; returns 1 on a miss.
static int access(uint64 addr) {
  uint64 set = (addr >> CS_LINE_BITS) & (CS_SETS - 1), tag = (addr >> (CS_LINE_BITS + CS_SET_BITS)) + 1;
  uint64 *t = tags[set];
  uint32 *s = stamp[set];
  now++;
  int victim = 0;
  for (int w = 0; w < CS_WAYS; w++) {
    if (t[w] == tag) {
      s[w] = now;
      return 0;
    }
    if (s[w] < s[victim])
      victim = w;
  }
  t[victim] = tag;
  s[victim] = now;
  return 1;
}

int cachesim(int argc, char **argv) {
  // Lines per set of the phases, in turns: both sides of the ways, and the edge itself.
  static const uint64 lines[] = {CS_WAYS, CS_WAYS + 1, 3, 2 * CS_WAYS, 1, CS_WAYS + 4, CS_WAYS - 2, CS_WAYS + 2};
  long scale = option(argc, argv, "-s", 1), id = option(argc, argv, "-i", 0);
  uint64 seed = 0xcac4e + id, accesses = 0, misses = 0, expected = 0;
  long phases = 4 * scale;
  for (long phase = 0; phase < phases; phase++) {
    uint64 r = rand64(&seed);
    uint64 k = lines[(phase + id) % NELEM(lines)], rounds = 2 + r % 2;
    uint64 nsets = 128 + (r >> 8) % 256, first = (r >> 20) % CS_SETS, stride = ((r >> 32) % CS_SETS) | 1;
    uint64 base = (uint64)phase * 2 * CS_WAYS; // this phase's first tag
    for (uint64 round = 0; round < rounds; round++)
      for (uint64 line = 0; line < k; line++)
        for (uint64 j = 0; j < nsets; j++) {
          uint64 set = (first + j * stride) % CS_SETS;
          misses += access((((base + line) << CS_SET_BITS) + set) << CS_LINE_BITS);
        }
    accesses += rounds * k * nsets;
    expected += k <= CS_WAYS ? k * nsets : k * nsets * rounds;
  }
  printf("cachesim %ld: %d sets x %d ways LRU, %ld phases, %lu accesses, %lu misses (closed form %lu)\n", id, CS_SETS,
         CS_WAYS, phases, accesses, misses, expected);
  return misses != expected;
}
