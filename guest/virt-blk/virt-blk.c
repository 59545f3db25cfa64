// virtio-blk on the virt board: drives slot 0 (the --disk image the test made) through the
// virtio-mmio v2 handshake and a split virtqueue, with completions signalled by interrupt
// (PLIC source 1 -> hart 0's M context; the hart sleeps in wfi meanwhile).
//
// The test's image: sector 0 starts with "FLASHDISCO-TESTDISK" and the sector count (u32 at 32);
// every byte i of sector s > 0 is (s * 7 + i) & 255. The program checks all of it, writes
// sectors 10..13 with (s * 13 + i + 1) & 255, flushes, reads them back, reads past the end
// (must fail with IOERR), asks for the serial (GET_ID), and prints a checksum of the disk.
//
// With the kernel command line (/chosen/bootargs, --append) "lowword" it negotiates as a driver
// written for legacy devices does (xv6): it writes back only the low word of the features, so
// VERSION_1 is not negotiated, and still expects FEATURES_OK to stay set, as on QEMU.
#include "lib.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

#define W_FIRST 10
#define W_COUNT 4

static struct vblk disk;
static uint8 buf[8 * VBLK_SECTOR] __attribute__((aligned(16)));
static volatile int done;
static volatile uint64 irqs;

uint64 m_trap(uint64 cause, uint64 epc, uint64 tval) {
  if (cause != (CAUSE_INTERRUPT | IRQ_M_EXT)) {
    printf("virt-blk: unexpected trap mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", cause, epc, tval);
    exit(2);
  }
  int src = plic_claim(PLIC_CTX_M(0));
  if (src == disk.irq) {
    irqs++;
    if (vblk_poll(&disk))
      done = 1;
  }
  if (src)
    plic_complete(PLIC_CTX_M(0), src);
  return epc;
}

// One request, waiting for its interrupt asleep; returns the virtio status byte.
static int request(int type, uint64 sector, void *p, uint32 len) {
  done = 0;
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  vblk_start(&disk, type, sector, p, len);
  while (!done) {
    wfi(); // an interrupt pending with MIE clear still ends wfi
    CSR_SET(mstatus, MSTATUS_MIE);
    CSR_CLEAR(mstatus, MSTATUS_MIE);
  }
  return disk.status;
}

static int low_word_only;

static void bootargs(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  if (depth == 1 && fdt_node_is(node[1], "chosen") && strcmp(prop, "bootargs") == 0)
    low_word_only = strcmp((const char *)val, "lowword") == 0;
}

static uint8 pattern(uint64 s, int i) { return (uint8)(s * 7 + i); }
static uint8 written(uint64 s, int i) { return (uint8)(s * 13 + i + 1); }

int main(uint64 hartid, uint64 dtb) {
  uart_console();
  fdt_walk((const void *)dtb, bootargs, 0);
  printf("virt-blk: virtio-blk in slot 0, interrupt-driven%s\n", low_word_only ? ", low feature word only" : "");
  w_mtvec((uint64)virt_mtrap_entry);
  test_begin("handshake");
  int ok = vblk_init_as(&disk, VIRT_VIRTIO(0), VIRT_VIRTIO_IRQ(0), low_word_only) == 0;
  CHECK(ok);
  test_end();
  if (!ok)
    return test_finish("virt-blk");
  plic_priority(disk.irq, 1);
  plic_enable(PLIC_CTX_M(0), disk.irq, 1);
  plic_threshold(PLIC_CTX_M(0), 0);
  w_mie(MIE_MEIE);

  test_begin("read every sector");
  CHECK_EQ(request(VIRTIO_BLK_T_IN, 0, buf, VBLK_SECTOR), 0);
  CHECK_EQ(memcmp(buf, "FLASHDISCO-TESTDISK", 19), 0);
  uint32 sectors = *(uint32 *)(buf + 32);
  CHECK_EQ(sectors, disk.capacity);
  uint64 sum = 0, bad = 0;
  for (uint64 s = 1; s < disk.capacity; s += 8) {
    uint64 n = disk.capacity - s < 8 ? disk.capacity - s : 8;
    CHECK_EQ(request(VIRTIO_BLK_T_IN, s, buf, n * VBLK_SECTOR), 0);
    for (uint64 k = 0; k < n; k++)
      for (int i = 0; i < VBLK_SECTOR; i++) {
        uint8 b = buf[k * VBLK_SECTOR + i];
        bad += b != pattern(s + k, i);
        sum = sum * 31 + b;
      }
  }
  CHECK_EQ(bad, 0);
  test_end();

  test_begin("write, flush, read back");
  for (int k = 0; k < W_COUNT; k++)
    for (int i = 0; i < VBLK_SECTOR; i++)
      buf[k * VBLK_SECTOR + i] = written(W_FIRST + k, i);
  CHECK_EQ(request(VIRTIO_BLK_T_OUT, W_FIRST, buf, W_COUNT * VBLK_SECTOR), 0);
  CHECK_EQ(request(VIRTIO_BLK_T_FLUSH, 0, 0, 0), 0);
  memset(buf, 0, sizeof(buf));
  CHECK_EQ(request(VIRTIO_BLK_T_IN, W_FIRST, buf, W_COUNT * VBLK_SECTOR), 0);
  bad = 0;
  for (int k = 0; k < W_COUNT; k++)
    for (int i = 0; i < VBLK_SECTOR; i++)
      bad += buf[k * VBLK_SECTOR + i] != written(W_FIRST + k, i);
  CHECK_EQ(bad, 0);
  test_end();

  test_begin("errors and get-id");
  CHECK_EQ(request(VIRTIO_BLK_T_IN, disk.capacity, buf, VBLK_SECTOR), 1); // IOERR past the end
  memset(buf, 0, 32);
  CHECK_EQ(request(VIRTIO_BLK_T_GET_ID, 0, buf, 20), 0);
  CHECK_EQ(strcmp((char *)buf, "flashdisco-disk0"), 0);
  test_end();

  printf("virt-blk: %d sectors, checksum 0x%lx, %ld completion interrupts\n", sectors, sum, irqs);
  return test_finish("virt-blk");
}
