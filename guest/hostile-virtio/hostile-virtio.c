// A hostile guest for the monitor's isolation (docs/monitor.md, invariant 8): it programs its
// virtio-blk device (slot 0) to read and write memory that is not its own RAM, and checks that
// the device refuses every time as virtio says a device refuses a driver's error: it stops the
// queue and sets DEVICE_NEEDS_RESET, uses no buffer and writes nothing. The device reaches guest
// memory only through the VM's pmap, so in a VM nothing past the guest's RAM is machine memory
// it could reach; natively the board has nothing there either, so the program passes both ways.
//
// Each case resets the device, negotiates VERSION_1, sets up one queue of QN entries and, for
// the buffer cases, makes one read request (header, data, status) with one address wrong:
//   queue     descriptor table, available ring or used ring past RAM, across its end, or where
//             an address plus the ring's length wraps around 2^64
//   request   header, data buffer or status byte past RAM; a data buffer across RAM's end (the
//             last bytes of RAM keep what they held); on a device register (the CLINT's
//             mtimecmp); 4 GiB long; at the top of the address space; a chain that loops; a
//             next index past the queue
// Then a good read still works. RAM's size comes from the device tree; disk contents do not
// matter.
#include "lib.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

#define RAM 0x80000000UL
#define QN 8
#define SENTINEL 0x5a
#define TOP (~0UL)

struct avail {
  uint16 flags, idx, ring[QN], used_event;
};
struct used {
  uint16 flags, idx;
  struct { uint32 id, len; } ring[QN];
  uint16 avail_event;
};

static struct virtq_desc desc[QN] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(2)));
static volatile struct used used __attribute__((aligned(4)));
static struct { uint32 type, reserved; uint64 sector; } hdr __attribute__((aligned(16)));
static volatile uint8 status;
static uint8 buf[512] __attribute__((aligned(16)));
static uint64 ram_end;

static void memory_size(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  if (depth == 1 && fdt_node_is(node[1], "memory") && strcmp(prop, "reg") == 0 && len >= 16)
    ram_end = fdt64(val) + fdt64(val + 8);
}

static uint32 reg(uint32 off) { return mmio_r32(VIRT_VIRTIO(0) + off); }
static void wreg(uint32 off, uint32 v) { mmio_w32(VIRT_VIRTIO(0) + off, v); }
static void set_addr(uint32 off, uint64 a) {
  wreg(off, (uint32)a);
  wreg(off + 4, (uint32)(a >> 32));
}

// Reset, handshake and one queue at (d, a, u); returns the device status.
static uint32 start(uint64 d, uint64 a, uint64 u) {
  wreg(VIRTIO_MMIO_STATUS, 0);
  wreg(VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE | VIRTIO_ST_DRIVER);
  wreg(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  wreg(VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_F_VERSION_1_HI);
  wreg(VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
  wreg(VIRTIO_MMIO_QUEUE_SEL, 0);
  wreg(VIRTIO_MMIO_QUEUE_NUM, QN);
  memset(desc, 0, sizeof(desc));
  memset(&avail, 0, sizeof(avail));
  memset((void *)&used, 0, sizeof(used));
  set_addr(VIRTIO_MMIO_QUEUE_DESC, d);
  set_addr(VIRTIO_MMIO_QUEUE_DRIVER, a);
  set_addr(VIRTIO_MMIO_QUEUE_DEVICE, u);
  wreg(VIRTIO_MMIO_QUEUE_READY, 1);
  wreg(VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK | VIRTIO_ST_DRIVER_OK);
  return reg(VIRTIO_MMIO_STATUS);
}

static uint32 start_good(void) { return start((uint64)desc, (uint64)&avail, (uint64)&used); }

// Notifies queue 0 and waits, as a driver must, until the device has used the request or refused
// it: a device may serve a request after the notifying store returns (QEMU does, and so does a
// VM whose pages the DMA must first ask the monitor for). Returns the device status.
static uint32 notify(void) {
  wreg(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
  uint32 st = reg(VIRTIO_MMIO_STATUS);
  for (int i = 0; i < 100000 && used.idx == 0 && (st & VIRTIO_ST_NEEDS_RESET) == 0; i++)
    st = reg(VIRTIO_MMIO_STATUS);
  return st;
}

// Makes descriptors 0..2 a read request (header h, data of len at d, status byte s) available and
// notifies; returns the device status once the device has used or refused it.
static uint32 request(uint64 h, uint64 d, uint32 len, uint64 s) {
  hdr.type = VIRTIO_BLK_T_IN;
  hdr.sector = 0;
  status = 0xff;
  desc[0] = (struct virtq_desc){h, 16, VIRTQ_DESC_F_NEXT, 1};
  desc[1] = (struct virtq_desc){d, len, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2};
  desc[2] = (struct virtq_desc){s, 1, VIRTQ_DESC_F_WRITE, 0};
  avail.ring[avail.idx % QN] = 0;
  __sync_synchronize();
  avail.idx++;
  __sync_synchronize();
  return notify();
}

static int refusals;

// The device refused: it wants a reset, used nothing and wrote no status.
static void expect_refused(int line, uint32 st) {
  check_true(line, "DEVICE_NEEDS_RESET", (st & VIRTIO_ST_NEEDS_RESET) != 0);
  check_eq(line, "used.idx", used.idx, 0);
  check_eq(line, "status byte", status, 0xff);
  refusals++;
}

#define QUEUE_CASE(name, d, a, u)                                                               \
  do {                                                                                          \
    test_begin(name);                                                                           \
    status = 0xff;                                                                              \
    expect_refused(__LINE__, start(d, a, u));                                                   \
    test_end();                                                                                 \
  } while (0)

#define REQUEST_CASE(name, h, d, len, s)                                                        \
  do {                                                                                          \
    test_begin(name);                                                                           \
    start_good();                                                                               \
    expect_refused(__LINE__, request(h, d, len, s));                                            \
    test_end();                                                                                 \
  } while (0)

static void queue_cases(void) {
  uint64 d = (uint64)desc, a = (uint64)&avail, u = (uint64)&used;
  QUEUE_CASE("descriptor table past RAM", ram_end, a, u);
  QUEUE_CASE("descriptor table across RAM's end", ram_end - 64, a, u);
  QUEUE_CASE("available ring past RAM", d, ram_end + 0x1000, u);
  QUEUE_CASE("used ring past RAM", d, a, ram_end);
  QUEUE_CASE("used ring across RAM's end", d, a, ram_end - 8);
  QUEUE_CASE("used ring wrapping 2^64", d, a, TOP - 31);
  QUEUE_CASE("rings in another GiB", d + (1UL << 30), a + (2UL << 30), u + (3UL << 30));
}

static void request_cases(void) {
  uint64 h = (uint64)&hdr, d = (uint64)buf, s = (uint64)&status;
  REQUEST_CASE("header past RAM", ram_end, d, 512, s);
  REQUEST_CASE("data past RAM", h, ram_end, 512, s);
  REQUEST_CASE("data far past RAM", h, ram_end + (1UL << 30), 512, s);
  REQUEST_CASE("status past RAM", h, d, 512, ram_end + 16);
  REQUEST_CASE("data on a device register", h, VIRT_CLINT + 0x4000, 8, s);
  REQUEST_CASE("data 4 GiB long", h, d, 0xffffffffu, s);
  REQUEST_CASE("data at the top of the address space", h, TOP - 255, 512, s);

  test_begin("data across RAM's end");
  volatile uint8 *last = (volatile uint8 *)(ram_end - 256);
  for (int i = 0; i < 256; i++)
    last[i] = SENTINEL;
  start_good();
  expect_refused(__LINE__, request(h, ram_end - 256, 512, s));
  int kept = 0;
  for (int i = 0; i < 256; i++)
    kept += last[i] == SENTINEL;
  CHECK_EQ(kept, 256);
  test_end();

  test_begin("a chain that loops");
  start_good();
  hdr.type = VIRTIO_BLK_T_IN;
  status = 0xff;
  desc[0] = (struct virtq_desc){h, 16, VIRTQ_DESC_F_NEXT, 1};
  desc[1] = (struct virtq_desc){d, 512, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 0};
  avail.ring[0] = 0;
  __sync_synchronize();
  avail.idx = 1;
  __sync_synchronize();
  expect_refused(__LINE__, notify());
  test_end();

  test_begin("a next index past the queue");
  start_good();
  hdr.type = VIRTIO_BLK_T_IN;
  status = 0xff;
  desc[0] = (struct virtq_desc){h, 16, VIRTQ_DESC_F_NEXT, QN + 3};
  avail.ring[0] = 0;
  __sync_synchronize();
  avail.idx = 1;
  __sync_synchronize();
  expect_refused(__LINE__, notify());
  test_end();
}

// After all that the device still serves a good request.
static void good_request(void) {
  test_begin("a good read afterwards");
  uint32 st = start_good();
  CHECK_EQ(st & VIRTIO_ST_NEEDS_RESET, 0);
  st = request((uint64)&hdr, (uint64)buf, 512, (uint64)&status);
  CHECK_EQ(st & VIRTIO_ST_NEEDS_RESET, 0);
  CHECK_EQ(used.idx, 1);
  CHECK_EQ(status, 0);
  test_end();
}

int main(uint64 hartid, uint64 dtb) {
  uart_console();
  fdt_walk((const void *)dtb, memory_size, 0);
  printf("hostile-virtio: RAM ends at 0x%lx; pointing the disk past it\n", ram_end);
  if (reg(VIRTIO_MMIO_MAGIC) != VIRTIO_MAGIC || reg(VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK) {
    printf("hostile-virtio: no block device in slot 0 (give a disk)\n");
    return 2;
  }
  queue_cases();
  request_cases();
  good_request();
  printf("hostile-virtio: %d requests and queues outside RAM refused\n", refusals);
  return test_finish("hostile-virtio");
}
