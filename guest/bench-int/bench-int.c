// Integer workload for the speed benchmark: sorting, hashing, CRC and pointer chasing over a
// few MiB of data, the mix of branches, loads and stores that compiled integer code does.
//
// The same source builds as bench-int.elf (bare metal, HTIF) and bench-int.linux.elf (runs
// under qemu-riscv64); both print the same `checksum:` line, so the simulator's result can be
// compared with QEMU's. Every kernel checks its own result and the program exits 1 if any is
// wrong. BENCH_ROUNDS scales the run (about 300 million instructions at the default).
#include "lib.h"

#ifndef BENCH_ROUNDS
#define BENCH_ROUNDS 8
#endif

#define SORT_N (1 << 15)   // keys per sort
#define HASH_SLOTS (1 << 16)
#define HASH_KEYS 40000    // keys inserted per round (load factor 0.61)
#define CRC_BYTES (1 << 18)
#define LIST_N (1 << 16)   // nodes in the pointer-chasing cycle
#define LIST_STEPS (1 << 19)

static int failures;

static void expect(int ok, const char *what, int round) {
  if (!ok) {
    printf("bench-int: round %d: %s is wrong\n", round, what);
    failures++;
  }
}

// ---- pseudo-random numbers (xorshift64*) and a murmur3 finaliser ----

static uint64 rng_state;

static uint64 rng(void) {
  uint64 x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545f4914f6cdd1dUL;
}

static uint64 fmix64(uint64 k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdUL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53UL;
  k ^= k >> 33;
  return k;
}

static uint64 mix(uint64 sum, uint64 v) { return fmix64(sum ^ v) + 0x9e3779b97f4a7c15UL; }

// ---- quicksort and merge sort ----

static uint32 keys[SORT_N], keys2[SORT_N], scratch[SORT_N];

static void insertion_sort(uint32 *a, int n) {
  for (int i = 1; i < n; i++) {
    uint32 v = a[i];
    int j = i - 1;
    for (; j >= 0 && a[j] > v; j--)
      a[j + 1] = a[j];
    a[j + 1] = v;
  }
}

// Hoare partition around a median of three; recurse on the smaller side so the stack stays
// logarithmic.
static void quicksort(uint32 *a, int n) {
  while (n > 16) {
    uint32 x = a[0], y = a[n / 2], z = a[n - 1];
    uint32 pivot = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int i = -1, j = n;
    for (;;) {
      do i++; while (a[i] < pivot);
      do j--; while (a[j] > pivot);
      if (i >= j)
        break;
      uint32 t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
    int left = j + 1;
    if (left < n - left) {
      quicksort(a, left);
      a += left;
      n -= left;
    } else {
      quicksort(a + left, n - left);
      n = left;
    }
  }
  insertion_sort(a, n);
}

static void merge_sort(uint32 *a, uint32 *tmp, int n) {
  for (int width = 1; width < n; width *= 2) {
    for (int lo = 0; lo < n; lo += 2 * width) {
      int mid = lo + width < n ? lo + width : n;
      int hi = lo + 2 * width < n ? lo + 2 * width : n;
      int i = lo, j = mid, k = lo;
      while (i < mid && j < hi)
        tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
      while (i < mid)
        tmp[k++] = a[i++];
      while (j < hi)
        tmp[k++] = a[j++];
    }
    uint32 *t = a;
    a = tmp;
    tmp = t;
  }
  // after an odd number of passes the result sits in the scratch buffer
  if (a != keys2)
    memcpy(keys2, a, sizeof(keys2));
}

static uint64 bench_sort(int round) {
  for (int i = 0; i < SORT_N; i++)
    keys[i] = keys2[i] = (uint32)rng();
  quicksort(keys, SORT_N);
  merge_sort(keys2, scratch, SORT_N);
  int sorted = 1;
  uint64 sum = 0;
  for (int i = 0; i < SORT_N; i++) {
    if (i > 0 && keys[i - 1] > keys[i])
      sorted = 0;
    if (keys[i] != keys2[i])
      sorted = 0;
    sum = sum * 31 + keys[i];
  }
  expect(sorted, "sort order", round);
  return sum;
}

// ---- open-addressing hash table with FNV-1a over the key bytes ----

struct slot {
  uint64 key; // 0 = empty
  uint64 value;
};
static struct slot table[HASH_SLOTS];

static uint32 fnv1a64(uint64 key) {
  uint64 h = 0xcbf29ce484222325UL;
  for (int i = 0; i < 8; i++) {
    h ^= (key >> (8 * i)) & 0xff;
    h *= 0x100000001b3UL;
  }
  return (uint32)(h ^ (h >> 32));
}

static struct slot *lookup(uint64 key) {
  uint32 i = fnv1a64(key) & (HASH_SLOTS - 1);
  while (table[i].key != 0 && table[i].key != key)
    i = (i + 1) & (HASH_SLOTS - 1);
  return &table[i];
}

static uint64 bench_hash(int round) {
  memset(table, 0, sizeof(table));
  uint64 seed = rng();
  int inserted = 0;
  for (int i = 0; i < HASH_KEYS; i++) {
    uint64 key = fmix64(seed + i) | 1;
    struct slot *s = lookup(key);
    if (s->key == 0) {
      s->key = key;
      inserted++;
    }
    s->value += i;
  }
  // look up every inserted key and as many that were never inserted
  uint64 sum = 0;
  int found = 0, missing = 0;
  for (int i = 0; i < HASH_KEYS; i++) {
    struct slot *s = lookup(fmix64(seed + i) | 1);
    found += s->key != 0;
    sum += s->value;
    struct slot *t = lookup(fmix64(seed + HASH_KEYS + i) | 1);
    missing += t->key == 0;
  }
  expect(found == HASH_KEYS && inserted == HASH_KEYS, "hash table contents", round);
  expect(missing >= HASH_KEYS - 2, "hash table misses", round); // fmix64 collisions on |1 are rare
  return mix(sum, (uint64)missing);
}

// ---- CRC-32 (IEEE 802.3, reflected), table driven ----

static uint32 crc_table[256];
static uint8 crc_buf[CRC_BYTES];

static void crc_init(void) {
  for (uint32 i = 0; i < 256; i++) {
    uint32 c = i;
    for (int k = 0; k < 8; k++)
      c = (c & 1) ? 0xedb88320U ^ (c >> 1) : c >> 1;
    crc_table[i] = c;
  }
}

static uint32 crc32(const uint8 *p, size_t n) {
  uint32 c = 0xffffffffU;
  for (size_t i = 0; i < n; i++)
    c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
  return c ^ 0xffffffffU;
}

static uint64 bench_crc(int round) {
  for (int i = 0; i < CRC_BYTES; i += 8) {
    uint64 r = rng();
    memcpy(&crc_buf[i], &r, 8);
  }
  uint32 whole = crc32(crc_buf, CRC_BYTES);
  // CRC-32 detects every single-bit change
  crc_buf[round % CRC_BYTES] ^= 1;
  uint32 flipped = crc32(crc_buf, CRC_BYTES);
  expect(whole != flipped, "crc sensitivity", round);
  return ((uint64)whole << 32) | flipped;
}

// ---- pointer chasing around one random cycle ----

struct node {
  struct node *next;
  uint64 value;
};
static struct node nodes[LIST_N];
static uint32 perm[LIST_N];

static uint64 bench_list(int round) {
  // Sattolo's algorithm: a random permutation that is a single cycle
  for (uint32 i = 0; i < LIST_N; i++)
    perm[i] = i;
  for (uint32 i = LIST_N - 1; i > 0; i--) {
    uint32 j = (uint32)(rng() % i);
    uint32 t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (uint32 i = 0; i < LIST_N; i++) {
    nodes[i].next = &nodes[perm[i]];
    nodes[i].value = fmix64(i + (uint64)round);
  }
  struct node *p = &nodes[0];
  uint64 sum = 0;
  for (int s = 0; s < LIST_STEPS; s++) {
    sum += p->value;
    p = p->next;
  }
  // LIST_STEPS is a multiple of the cycle length, so the walk ends where it began
  expect(p == &nodes[0], "list cycle", round);
  return sum;
}

int main(void) {
  printf("bench-int: %d rounds of sort, hash, crc32 and list walks\n", BENCH_ROUNDS);
  crc_init();
  expect(crc32((const uint8 *)"123456789", 9) == 0xcbf43926U, "crc32 check value", -1);
  rng_state = 0x853c49e6748fea9bUL;
  uint64 checksum = 0;
  for (int round = 0; round < BENCH_ROUNDS; round++) {
    checksum = mix(checksum, bench_sort(round));
    checksum = mix(checksum, bench_hash(round));
    checksum = mix(checksum, bench_crc(round));
    checksum = mix(checksum, bench_list(round));
  }
  printf("checksum: 0x%016lx\n", checksum);
  if (failures) {
    printf("bench-int: FAIL (%d self-checks failed)\n", failures);
    return 1;
  }
  printf("bench-int: PASS\n");
  return 0;
}
