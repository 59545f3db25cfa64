// Multiprocessor runtime: per-hart layout, start-up, barrier with reduction, spinlock (mp.h).
#include "mp.h"

struct mp_info mp_info; // written by hart 0 in mp_boot, before it releases the others

// One node of the combining tree. Arrivals add to `count` and `sum` on one line; the last
// arrival of the group writes `result` and then `sense` on another line, which the waiters
// spin on: arrivals do not knock the waiters' copies out of their caches.
struct mp_bnode {
  volatile uint32 count;
  volatile uint64 sum[MP_SUMS];
  uint8 pad0[MP_LINE - 8 - 8 * MP_SUMS];
  volatile uint32 sense;
  volatile uint64 result[MP_SUMS];
  uint8 pad1[MP_LINE - 8 - 8 * MP_SUMS];
};
_Static_assert(sizeof(struct mp_bnode) == 2 * MP_LINE, "mp_bnode is two lines");

// The runtime area of a hart, just below its stack (mp_param.h). Tree node (level l, group g)
// lives in the area of the group's first hart, g * FANIN^(l+1), slot l: spread over the nodes,
// each near the harts that use it most.
struct mp_area {
  struct mp_bnode node[MP_BARRIER_LEVELS];
  uint32 sense; // this hart's barrier sense: private
};
_Static_assert(sizeof(struct mp_area) <= MP_AREA_SIZE, "mp_area exceeds MP_AREA_SIZE");

// The tree used once at start-up, before the harts have cleared their areas: in .bss, which
// hart 0 cleared before releasing the others. Levels of up to 128, 16, 2, 1 nodes.
#define BOOT_NODES (128 + 16 + 2 + 1)
static struct mp_bnode boot_nodes[BOOT_NODES] MP_ALIGNED;
static const uint32 boot_level_base[MP_BARRIER_LEVELS] = {0, 128, 144, 146};
_Static_assert(MP_MAX_HARTS <= 1024 && MP_BARRIER_FANIN == 8, "boot_nodes is sized for this");

extern char __stack_start[]; // link.ld: end of the image's loaded and bss parts

static uint64 slice_top(uint64 hart) { return MP_RAMBASE + (hart + 1) * mp_info.slice; }

static struct mp_area *area(uint64 hart) {
  return (struct mp_area *)(slice_top(hart) - MP_STACK_SIZE - MP_AREA_SIZE);
}

// Bytes at the start of every slice that the data region skips: the image on node 0.
static uint64 reserve(void) { return mp_align((uint64)__stack_start - MP_RAMBASE, 4096); }

uint64 mp_local_base(uint64 hart) { return MP_RAMBASE + hart * mp_info.slice + reserve(); }

uint64 mp_local_size(void) {
  uint64 used = reserve() + MP_AREA_SIZE + MP_STACK_SIZE;
  return mp_info.slice > used ? mp_info.slice - used : 0;
}

// Participants at `level`: harts at level 0, groups of the level below above it.
static uint64 members_at(uint64 level) {
  uint64 n = mp_info.nharts;
  for (uint64 l = 0; l < level; l++)
    n = (n + MP_BARRIER_FANIN - 1) / MP_BARRIER_FANIN;
  return n;
}

static struct mp_bnode *tree_node(uint64 level, uint64 g, int boot) {
  if (boot)
    return &boot_nodes[boot_level_base[level] + g];
  uint64 first = g;
  for (uint64 l = 0; l <= level; l++)
    first *= MP_BARRIER_FANIN;
  return &area(first)->node[level];
}

// Arrive at tree node (level, g) with `sense` and partial sums v[0..n); returns once every
// hart has arrived, with v replaced by the totals.
static void arrive(uint64 level, uint64 g, uint32 sense, uint64 *v, int n, int boot) {
  uint64 total = members_at(level);
  uint64 lo = g * MP_BARRIER_FANIN;
  uint64 members = total - lo < MP_BARRIER_FANIN ? total - lo : MP_BARRIER_FANIN;
  struct mp_bnode *node = tree_node(level, g, boot);
  for (int i = 0; i < n; i++)
    __atomic_fetch_add(&node->sum[i], v[i], __ATOMIC_RELAXED); // amoadd.d
  // amoadd.w.aqrl: the sums above, and everything this hart wrote before the barrier, are
  // visible to whoever sees the count.
  if (__atomic_fetch_add(&node->count, 1, __ATOMIC_ACQ_REL) == members - 1) {
    // Last arrival of the group: take the group's sums and reset the node (nobody touches it
    // again until the release below), finish the levels above, then release the group.
    for (int i = 0; i < n; i++) {
      v[i] = node->sum[i];
      node->sum[i] = 0;
    }
    node->count = 0;
    if (total > MP_BARRIER_FANIN)
      arrive(level + 1, g / MP_BARRIER_FANIN, sense, v, n, boot);
    for (int i = 0; i < n; i++)
      node->result[i] = v[i];
    __atomic_store_n(&node->sense, sense, __ATOMIC_RELEASE); // fence rw,w; sw
  } else {
    while (__atomic_load_n(&node->sense, __ATOMIC_ACQUIRE) != sense) // lw; fence r,rw
      ;
    for (int i = 0; i < n; i++)
      v[i] = node->result[i];
  }
}

static void tree_barrier(uint64 *v, int n, int boot) {
  uint64 me = mp_hartid();
  uint32 sense;
  if (boot) {
    sense = 1; // boot_nodes start cleared (sense 0) and are used once
  } else {
    struct mp_area *a = area(me);
    sense = a->sense ^ 1;
    a->sense = sense;
  }
  arrive(0, me / MP_BARRIER_FANIN, sense, v, n, boot);
}

void mp_barrier(void) { tree_barrier(0, 0, 0); }

void mp_barrier_sum(uint64 *v, int n) {
  if (n < 0 || n > MP_SUMS)
    panic("mp_barrier_sum: n");
  tree_barrier(v, n, 0);
}

// Start-up release tree: hart k > 0 waits for go[(k - 1) / FANIN], and once released sets
// go[k] for its own children FANIN*k + 1 .. FANIN*k + FANIN. Each flag has at most FANIN
// waiters, so no line is polled by every hart. The flags must be zero before .bss is: .data.
#define BOOT_PARENTS ((MP_MAX_HARTS - 2) / MP_BARRIER_FANIN + 1)
static struct {
  volatile uint32 go;
} MP_ALIGNED boot_go[BOOT_PARENTS] __attribute__((section(".data.mp_boot_go")));

extern char __bss_start[], __bss_end[];

static void boot_release(uint64 me, uint64 nharts, uint64 slice) {
  if (me == 0) {
    memset(__bss_start, 0, __bss_end - __bss_start);
    mp_info.nharts = nharts;
    mp_info.slice = slice;
  } else {
    while (__atomic_load_n(&boot_go[(me - 1) / MP_BARRIER_FANIN].go, __ATOMIC_ACQUIRE) == 0)
      ;
  }
  if (MP_BARRIER_FANIN * me + 1 < nharts)
    __atomic_store_n(&boot_go[me].go, 1, __ATOMIC_RELEASE); // fence rw,w; sw
}

// Called by mp_entry on every running hart, on its own stack: until boot_release returns,
// .bss may not be clear, so nothing here touches it.
void mp_boot(uint64 me, uint64 nharts, uint64 slice) __attribute__((noreturn));
void mp_boot(uint64 me, uint64 nharts, uint64 slice) {
  boot_release(me, nharts, slice);
  if (mp_local_size() == 0) {
    if (me == 0) {
      printf("mp: %lu bytes of memory per node leave no room past the image and the stack\n",
             mp_info.slice);
      exit(PANIC_EXIT_CODE);
    }
    mp_park();
  }
  // The barrier tree nodes in the areas are shared: clear this hart's area, and let nobody
  // use them until everybody has (the start-up tree lives in .bss, already clear).
  memset(area(me), 0, sizeof(struct mp_area));
  tree_barrier(0, 0, 1);
  int rc = main(me);
  if (me == 0)
    exit(rc);
  mp_park();
}

void mp_lock(mp_lock_t *l) {
  for (;;) {
    if (__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE) == 0) // amoswap.w.aq
      return;
    while (l->locked) // spin on the cached copy until it changes
      ;
  }
}

void mp_unlock(mp_lock_t *l) { __atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE); }
