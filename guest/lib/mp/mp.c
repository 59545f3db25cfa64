// Multiprocessor runtime: per-hart layout, start-up rendezvous, barrier, spinlock (mp.h).
#include "mp.h"

struct mp_info mp_info; // written by hart 0 in mp_entry, before the others start

// One combining-tree node: the arrival counter and the release sense on separate lines, so
// that arrivals do not knock the waiters' copies of the sense out of their caches.
struct mp_bnode {
  volatile uint32 count;
  uint8 pad0[MP_LINE - 4];
  volatile uint32 sense;
  uint8 pad1[MP_LINE - 4];
};

// The runtime area of a hart, just below its stack (mp_param.h). Tree node (level l, group g)
// lives in the area of the group's first hart, g * FANIN^(l+1), slot l: spread over the nodes.
struct mp_area {
  struct mp_bnode node[MP_BARRIER_LEVELS];
  uint32 sense; // this hart's barrier sense: private
};
_Static_assert(sizeof(struct mp_area) <= MP_AREA_SIZE, "mp_area exceeds MP_AREA_SIZE");

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

// Start-up rendezvous: before the first barrier every hart must have cleared its own area
// (the tree nodes in it are other harts' too). Arrivals count on one line that only hart 0
// reads; the rest wait on a separate go flag, so each arrival invalidates one copy, not all.
static struct {
  volatile uint32 count;
} MP_ALIGNED arrived;
static struct {
  volatile uint32 go;
} MP_ALIGNED go;

static void rendezvous(uint64 me) {
  __atomic_fetch_add(&arrived.count, 1, __ATOMIC_ACQ_REL); // amoadd.w.aqrl
  if (me == 0) {
    while (__atomic_load_n(&arrived.count, __ATOMIC_ACQUIRE) != mp_info.nharts)
      ;
    __atomic_store_n(&go.go, 1, __ATOMIC_RELEASE); // fence rw,w; sw
  } else {
    while (__atomic_load_n(&go.go, __ATOMIC_ACQUIRE) == 0)
      ;
  }
}

// Called by mp_entry on every running hart, on its own stack, once .bss is clear.
void mp_start(uint64 me) __attribute__((noreturn));
void mp_start(uint64 me) {
  if (mp_local_size() == 0) {
    if (me == 0)
      printf("mp: %lu bytes of memory per node leave no room past the image and the stack\n",
             mp_info.slice);
    if (me == 0)
      exit(PANIC_EXIT_CODE);
    mp_park();
  }
  memset(area(me), 0, sizeof(struct mp_area));
  rendezvous(me);
  int rc = main(me);
  if (me == 0)
    exit(rc);
  mp_park();
}

// Harts taking part at `level`: harts at level 0, groups of the level below above it.
static uint64 members_at(uint64 level) {
  uint64 n = mp_info.nharts;
  for (uint64 l = 0; l < level; l++)
    n = (n + MP_BARRIER_FANIN - 1) / MP_BARRIER_FANIN;
  return n;
}

// Arrive at tree node (level, g) holding `sense`; returns once the whole barrier is complete.
static void arrive(uint64 level, uint64 g, uint64 first_hart, uint64 span, uint32 sense) {
  uint64 total = members_at(level); // participants at this level
  uint64 lo = g * MP_BARRIER_FANIN;
  uint64 n = total - lo < MP_BARRIER_FANIN ? total - lo : MP_BARRIER_FANIN; // in this group
  struct mp_bnode *node = &area(first_hart)->node[level];
  if (__atomic_fetch_add(&node->count, 1, __ATOMIC_ACQ_REL) == n - 1) {
    // Last arrival of the group: reset for next time (nobody touches count until the release
    // below), finish the levels above, then release the group.
    node->count = 0;
    if (total > MP_BARRIER_FANIN) {
      uint64 up = span * MP_BARRIER_FANIN;
      arrive(level + 1, g / MP_BARRIER_FANIN, (first_hart / up) * up, up, sense);
    }
    __atomic_store_n(&node->sense, sense, __ATOMIC_RELEASE); // fence rw,w; sw
  } else {
    while (__atomic_load_n(&node->sense, __ATOMIC_ACQUIRE) != sense) // lw; fence r,rw
      ;
  }
}

void mp_barrier(void) {
  uint64 me = mp_hartid();
  struct mp_area *a = area(me);
  uint32 sense = a->sense ^ 1;
  a->sense = sense;
  uint64 span = MP_BARRIER_FANIN; // harts under one node at this level
  arrive(0, me / MP_BARRIER_FANIN, (me / span) * span, span, sense);
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
