// The QEMU virt board's devices for guest code: register maps and small drivers shared by the
// board test programs (M-mode), the firmware virt-sbi and the kernel virt-kernel (S-mode, which
// reaches the devices through its own mappings: every driver takes its base address).
//
//   device         physical base                 registers (see the simulator's src/devices/*.ts)
//   finisher       0x0010_0000                   u32 at 0: 0x5555 pass, code << 16 | 0x3333 fail,
//                                                0x7777 reset
//   CLINT          0x0200_0000                   msip[h] u32 at 4h, mtimecmp[h] u64 at 0x4000 + 8h,
//                                                mtime u64 at 0xbff8
//   PLIC           0x0c00_0000                   priority[s] at 4s, pending at 0x1000, enable[c] at
//                                                0x2000 + 0x80c, threshold[c] at 0x200000 + 0x1000c,
//                                                claim/complete at +4; context c = 2*hart (M),
//                                                2*hart + 1 (S)
//   UART 16550     0x1000_0000, irq 10           byte registers RBR/THR IER IIR/FCR LCR MCR LSR
//   virtio-mmio k  0x1000_1000 + 0x1000k, irq 1+k  version 2 (modern) transport
#pragma once
#include "types.h"

#define VIRT_FINISHER 0x100000UL
#define VIRT_CLINT 0x2000000UL
#define VIRT_PLIC 0xc000000UL
#define VIRT_PLIC_SIZE 0x4000000UL
#define VIRT_UART 0x10000000UL
#define VIRT_UART_IRQ 10
#define VIRT_VIRTIO(k) (0x10001000UL + 0x1000UL * (k))
#define VIRT_VIRTIO_IRQ(k) (1 + (k))
#define VIRT_VIRTIO_SLOTS 8

#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333
#define FINISHER_RESET 0x7777

#define PLIC_CTX_M(hart) (2 * (hart))
#define PLIC_CTX_S(hart) (2 * (hart) + 1)

// ---- MMIO accessors (volatile, one access each) ----
static inline uint32 mmio_r32(uint64 a) { return *(volatile uint32 *)a; }
static inline void mmio_w32(uint64 a, uint32 v) { *(volatile uint32 *)a = v; }
static inline uint8 mmio_r8(uint64 a) { return *(volatile uint8 *)a; }
static inline void mmio_w8(uint64 a, uint8 v) { *(volatile uint8 *)a = v; }
static inline uint64 mmio_r64(uint64 a) { return *(volatile uint64 *)a; }
static inline void mmio_w64(uint64 a, uint64 v) { *(volatile uint64 *)a = v; }

// ---- finisher.c ----
void finisher_exit(int code) __attribute__((noreturn)); // 0: pass, else fail with code
void finisher_reset(void) __attribute__((noreturn));

// ---- clint.c (M-mode only) ----
uint64 clint_mtime(void);
void clint_set_mtimecmp(uint64 hart, uint64 when);
void clint_set_msip(uint64 hart, int on);

// ---- uart.c ----
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_IIR 2
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_IER_RDI 0x01
#define UART_IER_THRI 0x02
#define UART_IIR_NONE 0x01
#define UART_IIR_ID 0x0e
#define UART_IIR_THRI 0x02
#define UART_IIR_RDI 0x04
#define UART_IIR_CTI 0x0c
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20
#define UART_MCR_LOOP 0x10
#define UART_MCR_OUT2 0x08
extern uint64 uart_base;
void uart_init(uint64 base);      // 8N1, FIFOs on (trigger 1 byte), interrupts off
void uart_putc(int c);            // waits for THR empty
int uart_getc(void);              // a received byte, or -1
void uart_console(void);          // printf and exit() go to the UART and the finisher (M-mode)

// ---- plic.c ----
extern uint64 plic_base;
void plic_init(uint64 base);
void plic_priority(int src, int prio);
void plic_enable(int ctx, int src, int on);
void plic_threshold(int ctx, int t);
uint32 plic_pending(int word);
int plic_claim(int ctx);
void plic_complete(int ctx, int src);

// ---- virtio-mmio version 2 transport (virtio 1.2 sections 4.2.2 and 2.7) ----
#define VIRTIO_MMIO_MAGIC 0x000
#define VIRTIO_MMIO_VERSION 0x004
#define VIRTIO_MMIO_DEVICE_ID 0x008
#define VIRTIO_MMIO_DEVICE_FEATURES 0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL 0x014
#define VIRTIO_MMIO_DRIVER_FEATURES 0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL 0x024
#define VIRTIO_MMIO_QUEUE_SEL 0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX 0x034
#define VIRTIO_MMIO_QUEUE_NUM 0x038
#define VIRTIO_MMIO_QUEUE_READY 0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY 0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS 0x060
#define VIRTIO_MMIO_INTERRUPT_ACK 0x064
#define VIRTIO_MMIO_STATUS 0x070
#define VIRTIO_MMIO_QUEUE_DESC 0x080
#define VIRTIO_MMIO_QUEUE_DRIVER 0x090
#define VIRTIO_MMIO_QUEUE_DEVICE 0x0a0
#define VIRTIO_MMIO_CONFIG 0x100

#define VIRTIO_ST_ACKNOWLEDGE 1
#define VIRTIO_ST_DRIVER 2
#define VIRTIO_ST_DRIVER_OK 4
#define VIRTIO_ST_FEATURES_OK 8
#define VIRTIO_ST_NEEDS_RESET 0x40

#define VIRTIO_F_VERSION_1_HI 1 // VIRTIO_F_VERSION_1, bit 32: bit 0 of the high feature word

#define VIRTQ_DESC_F_NEXT 1
#define VIRTQ_DESC_F_WRITE 2

struct virtq_desc {
  uint64 addr;
  uint32 len;
  uint16 flags, next;
};

// ---- virtio_blk.c: a split-virtqueue driver, one request in flight ----
#define VIRTIO_MAGIC 0x74726976
#define VIRTIO_ID_BLOCK 2
#define VIRTIO_BLK_T_IN 0
#define VIRTIO_BLK_T_OUT 1
#define VIRTIO_BLK_T_FLUSH 4
#define VIRTIO_BLK_T_GET_ID 8
#define VBLK_SECTOR 512

struct vblk {
  uint64 base;        // the slot's registers
  uint64 capacity;    // sectors
  int irq;            // PLIC source
  uint16 last_used;   // used ring entries consumed
  int busy;
  // a request: header, status; the data buffer is the caller's
  struct { uint32 type, reserved; uint64 sector; } hdr __attribute__((aligned(16)));
  volatile uint8 status;
};
// Probes slot base: 0 if it holds a block device and the handshake succeeds, else -1.
int vblk_init(struct vblk *d, uint64 base, int irq);
// The same, negotiating as a driver written for legacy devices when low_word_only is set: it
// writes back only the low word of its features, so VERSION_1 is not negotiated.
int vblk_init_as(struct vblk *d, uint64 base, int irq, int low_word_only);
// Starts a request (type T_IN/T_OUT/T_FLUSH/T_GET_ID) for `len` bytes at `buf` (identity-mapped
// physical address); vblk_poll() says when it is done.
void vblk_start(struct vblk *d, int type, uint64 sector, void *buf, uint32 len);
// After an interrupt (or while polling): acknowledges it; returns 1 once the request has
// completed (its status is in d->status), 0 while it is still in flight.
int vblk_poll(struct vblk *d);
// Starts and waits, polling: returns the request's status (0 = OK).
int vblk_rw_polled(struct vblk *d, int type, uint64 sector, void *buf, uint32 len);
extern uint64 vblk_interrupts_acked;

// ---- mtrap.S: M-mode trap entry calling the program's m_trap ----
extern char virt_mtrap_entry[];
uint64 m_trap(uint64 mcause, uint64 mepc, uint64 mtval);

// ---- fdt.c: device tree reading ----
#define FDT_MAX_DEPTH 8
// node[0] is the root (""), node[depth] the node holding the property.
typedef void (*fdt_prop_fn)(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len);
int fdt_walk(const void *dtb, fdt_prop_fn fn, void *ctx); // 0, or -1 for a bad tree
uint32 fdt32(const void *p);
uint64 fdt64(const void *p);
int fdt_node_is(const char *name, const char *prefix);
int fdt_has_string(const uint8 *val, uint32 len, const char *s);
int fdt_count_cpus(const void *dtb);
