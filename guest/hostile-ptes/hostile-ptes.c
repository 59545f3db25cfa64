// A hostile guest for the monitor's isolation (docs/monitor.md, invariant 8): it tries to reach
// memory that is not its own, by every address it can name, and checks that every try faults
// as it would on hardware with this much RAM: a load or store access fault, with mtval the
// address it used, taken in its own M-mode handler (lib/priv). Natively the board has nothing
// beyond RAM either, so the program passes there too.
//
//   M-mode, physically  every 16 MiB below RAM that holds no device; the first bytes past its
//                       RAM; every 64 MiB up to 4 GiB; every power of two up to 2^63
//   S-mode, Sv39        VPN2 1: 512 megapage leaves onto the GiB past its RAM (2 MiB steps)
//                       VPN2 3..255: gigapage leaves onto GiB 3 to 66 and then spread up to
//                       the top of Sv39's 56-bit physical addresses
// Each is loaded and stored (the store writes the address itself), at the start and the end of
// a page. RAM's size comes from the device tree. Nothing is delegated: every fault lands in M.
//
// Virtual map of the S-mode runs (root table `root`):
//   0x0_4000_0000  VPN2 1   -> l1: megapage i at the i-th 2 MiB past RAM's end (rounded up)
//   0x0_8000_0000  VPN2 2   1 GiB identity map of RAM (code, data, stacks)
//   k << 30        VPN2 k   gigapage `far_giga(k)`, k = 3..255
#include "priv.h"
#include "probes.h"
#include "test.h"
#include "virt.h"

#define RAM 0x80000000UL
#define MEGA (1UL << 21)
#define GIGA (1UL << 30)
#define VA_MEGAS GIGA
#define FIRST_SLOT 3
#define LAST_SLOT 255
#define NEAR_GIGAS 64
#define PA_BITS 56

static pte_t root[512] __attribute__((aligned(4096)));
static pte_t l1[512] __attribute__((aligned(4096)));
static uint64 ram_size;
static uint64 touched, faulted;

static void memory_size(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  if (depth == 1 && fdt_node_is(node[1], "memory") && strcmp(prop, "reg") == 0 && len >= 16)
    ram_size = fdt64(val + 8);
}

// The physical gigapage behind VPN2 slot k: the 64 after RAM's first, then spread evenly up to
// the last one a 56-bit physical address has.
static uint64 far_giga(int k) {
  uint64 j = k - FIRST_SLOT;
  if (j < NEAR_GIGAS)
    return 3 + j;
  uint64 span = (1UL << (PA_BITS - 30)) - 1 - (3 + NEAR_GIGAS);
  return 3 + NEAR_GIGAS + (j - NEAR_GIGAS + 1) * span / (LAST_SLOT - FIRST_SLOT + 1 - NEAR_GIGAS);
}

static const char *mode_name(int priv) { return priv == PRV_M ? "M" : "S"; }

// One access to `va` from `priv` (M: physical) must take exactly one access fault at `va`.
static void touch(int priv, uint64 va, int store) {
  trap_clear();
  probe_fn f = store ? probe_sd : probe_ld;
  if (priv == PRV_M)
    f(va);
  else
    run_in_mode(priv, f, va);
  touched++;
  uint64 want = store ? CAUSE_STORE_ACCESS : CAUSE_LOAD_ACCESS;
  if (mtrap.count == 1 && mtrap.cause == want && mtrap.tval == va) {
    faulted++;
    return;
  }
  if (touched - faulted <= 8)
    printf("hostile-ptes: %s-mode %s at 0x%lx: %ld traps, mcause 0x%lx, mtval 0x%lx\n", mode_name(priv),
           store ? "store" : "load", va, mtrap.count, mtrap.cause, mtrap.tval);
}

static void touch_page(int priv, uint64 va, uint64 size) {
  touch(priv, va, 0);
  touch(priv, va, 1);
  touch(priv, va + size - 8, 0);
  touch(priv, va + size - 8, 1);
}

static int is_device(uint64 pa) {
  return (pa >= VIRT_FINISHER && pa < VIRT_FINISHER + 0x1000) || (pa >= VIRT_CLINT && pa < VIRT_CLINT + 0x10000) ||
         (pa >= VIRT_PLIC && pa < VIRT_PLIC + VIRT_PLIC_SIZE) ||
         (pa >= VIRT_UART && pa < VIRT_VIRTIO(VIRT_VIRTIO_SLOTS));
}

// Every access of a section faulted.
#define SECTION_END(t0, f0)                                                                   \
  do {                                                                                        \
    CHECK_EQ(faulted - (f0), touched - (t0));                                                 \
    test_end();                                                                               \
  } while (0)

static void physical(void) {
  test_begin("M-mode, physical addresses");
  uint64 t0 = touched, f0 = faulted;
  for (uint64 pa = 0; pa < RAM; pa += 16UL << 20)
    if (!is_device(pa) && !is_device(pa + 0xff8))
      touch_page(PRV_M, pa, 0x1000);
  uint64 end = RAM + ram_size;
  touch_page(PRV_M, end, 0x1000);
  for (uint64 pa = PGROUNDUP(end) + (64UL << 20); pa < (1UL << 32); pa += 64UL << 20)
    touch_page(PRV_M, pa, 0x1000);
  for (int b = 32; b < 64; b++)
    touch_page(PRV_M, 1UL << b, 0x1000);
  SECTION_END(t0, f0);
}

static pte_t leaf(uint64 pa) { return PA2PTE(pa) | PTE_R | PTE_W | PTE_A | PTE_D | PTE_V; }

static void build_tables(void) {
  uint64 first = (RAM + ram_size + MEGA - 1) & ~(MEGA - 1);
  root[1] = PA2PTE(l1) | PTE_V;
  for (int i = 0; i < 512; i++)
    l1[i] = leaf(first + i * MEGA);
  root[2] = PA2PTE(RAM) | PTE_R | PTE_W | PTE_X | PTE_A | PTE_D | PTE_V;
  for (int k = FIRST_SLOT; k <= LAST_SLOT; k++)
    root[k] = leaf(far_giga(k) << 30);
  w_satp(MAKE_SATP(root));
  sfence_vma();
}

static void megapages(void) {
  test_begin("S-mode, megapages past RAM");
  uint64 t0 = touched, f0 = faulted;
  for (int i = 0; i < 512; i++)
    touch_page(PRV_S, VA_MEGAS + i * MEGA, MEGA);
  SECTION_END(t0, f0);
}

static void gigapages(void) {
  test_begin("S-mode, gigapages to 2^56");
  uint64 t0 = touched, f0 = faulted;
  for (int k = FIRST_SLOT; k <= LAST_SLOT; k++)
    touch_page(PRV_S, (uint64)k << 30, GIGA);
  SECTION_END(t0, f0);
}

// Its own RAM, through the same tables: the last word is there and holds what was stored.
static void own_ram(void) {
  test_begin("its own RAM");
  trap_clear();
  uint64 last = RAM + ram_size - 8;
  CHECK_EQ(run_in_mode(PRV_S, probe_sd, last), last);
  CHECK_EQ(probe_ld(last), last);
  CHECK_EQ(mtrap.count, 0);
  test_end();
}

int main(uint64 hartid, uint64 dtb) {
  trap_init();
  fdt_walk((const void *)dtb, memory_size, 0);
  printf("hostile-ptes: %ld MiB of RAM at 0x%lx; reaching past it\n", ram_size >> 20, RAM);
  physical();
  build_tables();
  megapages();
  gigapages();
  own_ram();
  printf("hostile-ptes: %ld loads and stores past RAM, %ld faulted in the guest\n", touched, faulted);
  return test_finish("hostile-ptes");
}
