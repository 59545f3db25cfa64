// virtio-blk over virtio-mmio version 2 (virtio 1.2 sections 4.2.2, 2.7 and 5.2): the device
// handshake, one split virtqueue of QNUM descriptors, and one request in flight at a time
// (header, data, status: three descriptors).
#include "lib.h"
#include "virt.h"

// Low-word bits a driver written for legacy devices refuses (the ones xv6 clears): RO 5, SCSI 7,
// CONFIG_WCE 11, MQ 12, ANY_LAYOUT 27, INDIRECT_DESC 28, EVENT_IDX 29.
#define LEGACY_REFUSED ((1u << 5) | (1u << 7) | (1u << 11) | (1u << 12) | (1u << 27) | (1u << 28) | (1u << 29))

#define QNUM 8

struct avail {
  uint16 flags, idx, ring[QNUM], used_event;
};
struct used_elem {
  uint32 id, len;
};
struct used {
  uint16 flags, idx;
  struct used_elem ring[QNUM];
  uint16 avail_event;
};

// The rings of the one device an image drives (a test or a kernel uses one disk).
static struct virtq_desc desc[QNUM] __attribute__((aligned(16)));
static struct avail avail __attribute__((aligned(2)));
static volatile struct used used __attribute__((aligned(4)));
uint64 vblk_interrupts_acked;

static uint32 reg(struct vblk *d, uint32 off) { return mmio_r32(d->base + off); }
static void wreg(struct vblk *d, uint32 off, uint32 v) { mmio_w32(d->base + off, v); }

static void set_addr(struct vblk *d, uint32 off, const volatile void *p) {
  wreg(d, off, (uint32)(uint64)p);
  wreg(d, off + 4, (uint32)((uint64)p >> 32));
}

// Features: a virtio 1.x driver needs VERSION_1 and takes only that (everything else is optional
// and unused), writing both words. A legacy-style one takes what the device offers less
// LEGACY_REFUSED and writes back only the low word, so it never acknowledges VERSION_1.
static int negotiate(struct vblk *d, int low_word_only) {
  if (low_word_only) {
    wreg(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
    uint32 lo = reg(d, VIRTIO_MMIO_DEVICE_FEATURES) & ~LEGACY_REFUSED;
    wreg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
    wreg(d, VIRTIO_MMIO_DRIVER_FEATURES, lo);
    return 0;
  }
  wreg(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
  if (!(reg(d, VIRTIO_MMIO_DEVICE_FEATURES) & VIRTIO_F_VERSION_1_HI))
    return -1;
  wreg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
  wreg(d, VIRTIO_MMIO_DRIVER_FEATURES, 0);
  wreg(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
  wreg(d, VIRTIO_MMIO_DRIVER_FEATURES, VIRTIO_F_VERSION_1_HI);
  return 0;
}

int vblk_init(struct vblk *d, uint64 base, int irq) { return vblk_init_as(d, base, irq, 0); }

int vblk_init_as(struct vblk *d, uint64 base, int irq, int low_word_only) {
  d->base = base;
  d->irq = irq;
  d->last_used = 0;
  d->busy = 0;
  if (reg(d, VIRTIO_MMIO_MAGIC) != VIRTIO_MAGIC || reg(d, VIRTIO_MMIO_VERSION) != 2 || reg(d, VIRTIO_MMIO_DEVICE_ID) != VIRTIO_ID_BLOCK)
    return -1;
  wreg(d, VIRTIO_MMIO_STATUS, 0); // reset
  wreg(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE);
  wreg(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE | VIRTIO_ST_DRIVER);
  if (negotiate(d, low_word_only) != 0)
    return -1;
  wreg(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK);
  if (!(reg(d, VIRTIO_MMIO_STATUS) & VIRTIO_ST_FEATURES_OK))
    return -1;
  wreg(d, VIRTIO_MMIO_QUEUE_SEL, 0);
  if (reg(d, VIRTIO_MMIO_QUEUE_NUM_MAX) < QNUM)
    return -1;
  wreg(d, VIRTIO_MMIO_QUEUE_NUM, QNUM);
  memset(desc, 0, sizeof(desc));
  memset(&avail, 0, sizeof(avail));
  memset((void *)&used, 0, sizeof(used));
  set_addr(d, VIRTIO_MMIO_QUEUE_DESC, desc);
  set_addr(d, VIRTIO_MMIO_QUEUE_DRIVER, &avail);
  set_addr(d, VIRTIO_MMIO_QUEUE_DEVICE, &used);
  wreg(d, VIRTIO_MMIO_QUEUE_READY, 1);
  wreg(d, VIRTIO_MMIO_STATUS, VIRTIO_ST_ACKNOWLEDGE | VIRTIO_ST_DRIVER | VIRTIO_ST_FEATURES_OK | VIRTIO_ST_DRIVER_OK);
  d->capacity = (uint64)reg(d, VIRTIO_MMIO_CONFIG) | (uint64)reg(d, VIRTIO_MMIO_CONFIG + 4) << 32;
  return 0;
}

void vblk_start(struct vblk *d, int type, uint64 sector, void *buf, uint32 len) {
  d->hdr.type = type;
  d->hdr.reserved = 0;
  d->hdr.sector = sector;
  d->status = 0xff;
  d->busy = 1;
  int n = 0;
  desc[n] = (struct virtq_desc){(uint64)&d->hdr, 16, VIRTQ_DESC_F_NEXT, 1};
  n++;
  if (len > 0) {
    uint16 write = type == VIRTIO_BLK_T_OUT ? 0 : VIRTQ_DESC_F_WRITE; // device writes what we read
    desc[n] = (struct virtq_desc){(uint64)buf, len, (uint16)(write | VIRTQ_DESC_F_NEXT), (uint16)(n + 1)};
    n++;
  }
  desc[n] = (struct virtq_desc){(uint64)&d->status, 1, VIRTQ_DESC_F_WRITE, 0};
  avail.ring[avail.idx % QNUM] = 0;
  __sync_synchronize(); // the descriptors before the index that publishes them
  avail.idx++;
  __sync_synchronize(); // the index before the notification
  wreg(d, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

int vblk_poll(struct vblk *d) {
  uint32 isr = reg(d, VIRTIO_MMIO_INTERRUPT_STATUS);
  if (isr) {
    wreg(d, VIRTIO_MMIO_INTERRUPT_ACK, isr);
    vblk_interrupts_acked++;
  }
  __sync_synchronize();
  if (!d->busy || used.idx == d->last_used)
    return !d->busy;
  d->last_used++;
  d->busy = 0;
  return 1;
}

int vblk_rw_polled(struct vblk *d, int type, uint64 sector, void *buf, uint32 len) {
  vblk_start(d, type, sector, buf, len);
  while (!vblk_poll(d))
    ;
  return d->status;
}
