// The virtio block device (lib/virt's driver): requests one at a time; a process sleeps until
// the completion interrupt (the boot hart's S context), the kernel polls while it boots.
#include "defs.h"

static struct vblk vd;
static struct spinlock lock;
static int ready, inflight, done;

int diskinit(void) {
  initlock(&lock, "disk");
  for (int i = 0; i < machine.nvirtio; i++) {
    if (vblk_init(&vd, IO(machine.virtio[i]), machine.virtio_irq[i]) == 0) {
      plic_priority(vd.irq, 1);
      plic_enable(PLIC_CTX_S(cpuid()), vd.irq, 1);
      ready = 1;
      printf("[kernel] virtio-blk at 0x%lx (irq %d): %ld sectors\n", machine.virtio[i], vd.irq, vd.capacity);
      return 0;
    }
  }
  return -1;
}

void diskintr(void) {
  acquire(&lock);
  if (vblk_poll(&vd) && inflight) {
    done = 1;
    wakeup(&done);
  }
  release(&lock);
}

// Reads len bytes (whole sectors) at `sector` into buf (a kernel address). 0 on success.
int disk_read(uint64 sector, void *buf, uint32 len) {
  if (!ready)
    return -1;
  acquire(&lock);
  while (inflight)
    sleep(&inflight, &lock);
  inflight = 1;
  done = 0;
  int status;
  if (myproc() == 0) {
    status = vblk_rw_polled(&vd, VIRTIO_BLK_T_IN, sector, buf, len); // booting: no one to sleep
  } else {
    vblk_start(&vd, VIRTIO_BLK_T_IN, sector, buf, len);
    while (!done)
      sleep(&done, &lock);
    status = vd.status;
  }
  inflight = 0;
  wakeup(&inflight);
  release(&lock);
  return status == 0 ? 0 : -1;
}
