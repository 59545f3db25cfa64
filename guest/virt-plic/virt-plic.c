// The PLIC on the virt board (run with --harts 2 and a --disk): two real sources, the UART
// (source 10: its transmitter-empty interrupt is up as soon as IER.THRI is set, until IIR is
// read or IER cleared) and virtio-blk in slot 0 (source 1: up after a completed request until
// InterruptACK). Hart 0 checks, mostly with interrupts masked, by reading mip and claiming:
//   gateway        a raised source is pending even at priority 0, which never interrupts;
//                  lowering the level before a claim withdraws it
//   priorities     the highest priority wins the claim, ties go to the lower source id
//   threshold      only priority > threshold interrupts or can be claimed
//   claim/complete a claimed source is not pending again until completed, then at once if
//                  its level is still high
//   routing        hart 0's S context raises SEIP, not MEIP; a source enabled only for hart 1's
//                  M context interrupts hart 1 (whose handler claims it), never hart 0
#include "lib.h"
#include "riscv.h"
#include "test.h"
#include "virt.h"

#define UART VIRT_UART_IRQ
#define BLK VIRT_VIRTIO_IRQ(0)
#define M0 PLIC_CTX_M(0)
#define S0 PLIC_CTX_S(0)
#define M1 PLIC_CTX_M(1)

static struct vblk disk;
static volatile int hart1_ready, hart1_go;
static volatile int hart1_claimed, hart1_irqs;

static int pending(int src) { return (plic_pending(src / 32) >> (src % 32)) & 1; }
static int meip(void) { return (r_mip() & MIP_MEIP) != 0; }
static int seip(void) { return (r_mip() & MIP_SEIP) != 0; }

static void uart_level(int on) { mmio_w8(uart_base + UART_IER, on ? UART_IER_THRI : 0); }

// virtio: a GET_ID request raises the used-buffer interrupt; vblk_poll acknowledges it.
static void blk_raise(void) {
  static char id[20];
  vblk_start(&disk, VIRTIO_BLK_T_GET_ID, 0, id, sizeof(id));
}
static void blk_lower(void) { vblk_poll(&disk); }

static void reset_plic(void) {
  for (int ctx = 0; ctx < 4; ctx++) {
    plic_enable(ctx, UART, 0);
    plic_enable(ctx, BLK, 0);
    plic_threshold(ctx, 0);
  }
  plic_priority(UART, 0);
  plic_priority(BLK, 0);
  for (int c; (c = plic_claim(M0)) != 0;)
    plic_complete(M0, c);
}

// Hart 1: takes its M-context interrupt, claims it, silences the UART and completes.
uint64 m_trap(uint64 cause, uint64 epc, uint64 tval) {
  if (cause != (CAUSE_INTERRUPT | IRQ_M_EXT) || r_mhartid() != 1) {
    printf("virt-plic: hart %ld: unexpected trap mcause 0x%lx mepc 0x%lx\n", r_mhartid(), cause, epc);
    exit(2);
  }
  int src = plic_claim(M1);
  hart1_claimed = src;
  hart1_irqs++;
  if (src == UART)
    uart_level(0);
  if (src)
    plic_complete(M1, src);
  return epc;
}

void secondary_main(uint64 hartid) {
  if (hartid != 1)
    for (;;)
      wfi();
  w_mtvec((uint64)virt_mtrap_entry);
  w_mie(MIE_MEIE);
  hart1_ready = 1;
  while (!hart1_go)
    ;
  CSR_SET(mstatus, MSTATUS_MIE);
  for (;;)
    wfi();
}

int main(uint64 hartid) {
  uart_console();
  printf("virt-plic: sources %d (UART) and %d (virtio-blk)\n", UART, BLK);
  if (vblk_init(&disk, VIRT_VIRTIO(0), BLK) != 0) {
    printf("virt-plic: no block device in virtio slot 0; run with --disk\n");
    return 1;
  }
  while (!hart1_ready)
    ;
  reset_plic();

  test_begin("gateway");
  CHECK_EQ(pending(UART), 0);
  uart_level(1);
  CHECK_EQ(pending(UART), 1); // pending at priority 0 ...
  plic_enable(M0, UART, 1);
  CHECK_EQ(meip(), 0);         // ... but never interrupts
  CHECK_EQ(plic_claim(M0), 0);
  uart_level(0);
  CHECK_EQ(pending(UART), 0); // withdrawn before any claim
  test_end();

  test_begin("priorities");
  plic_enable(M0, BLK, 1);
  plic_priority(UART, 5);
  plic_priority(BLK, 2);
  uart_level(1);
  blk_raise();
  CHECK_EQ(pending(UART) + pending(BLK), 2);
  CHECK_EQ(meip(), 1);
  CHECK_EQ(plic_claim(M0), UART); // the higher priority first
  CHECK_EQ(plic_claim(M0), BLK);
  CHECK_EQ(plic_claim(M0), 0);
  CHECK_EQ(meip(), 0);            // both claimed
  plic_complete(M0, UART);        // still high: pending again at once
  CHECK_EQ(pending(UART), 1);
  CHECK_EQ(meip(), 1);
  CHECK_EQ(plic_claim(M0), UART);
  uart_level(0);
  plic_complete(M0, UART);
  CHECK_EQ(pending(UART), 0);
  blk_lower();
  plic_complete(M0, BLK);
  CHECK_EQ(pending(BLK), 0);
  plic_priority(UART, 3);
  plic_priority(BLK, 3);
  uart_level(1);
  blk_raise();
  CHECK_EQ(plic_claim(M0), BLK); // a tie goes to the lower id
  CHECK_EQ(plic_claim(M0), UART);
  uart_level(0);
  blk_lower();
  plic_complete(M0, BLK);
  plic_complete(M0, UART);
  test_end();

  test_begin("threshold");
  plic_priority(UART, 5);
  plic_priority(BLK, 2);
  uart_level(1);
  blk_raise();
  plic_threshold(M0, 5);
  CHECK_EQ(meip(), 0);
  CHECK_EQ(plic_claim(M0), 0);
  plic_threshold(M0, 2);
  CHECK_EQ(meip(), 1);
  CHECK_EQ(plic_claim(M0), UART);
  CHECK_EQ(plic_claim(M0), 0); // BLK at 2 is not above 2
  CHECK_EQ(meip(), 0);
  plic_threshold(M0, 1);
  CHECK_EQ(meip(), 1);
  CHECK_EQ(plic_claim(M0), BLK);
  uart_level(0);
  blk_lower();
  plic_complete(M0, UART);
  plic_complete(M0, BLK);
  plic_threshold(M0, 0);
  test_end();

  test_begin("routing to S and to hart 1");
  reset_plic();
  plic_priority(UART, 1);
  plic_enable(S0, UART, 1);
  uart_level(1);
  CHECK_EQ(seip(), 1);
  CHECK_EQ(meip(), 0);
  CHECK_EQ(plic_claim(S0), UART);
  CHECK_EQ(seip(), 0);
  uart_level(0);
  plic_complete(S0, UART);
  plic_enable(S0, UART, 0);
  plic_enable(M1, UART, 1);
  hart1_go = 1;
  uart_level(1); // hart 1 takes it
  for (int i = 0; i < 100000 && hart1_irqs == 0; i++)
    ;
  CHECK_EQ(hart1_irqs, 1);
  CHECK_EQ(hart1_claimed, UART);
  CHECK_EQ(meip(), 0);
  CHECK_EQ(seip(), 0);
  CHECK_EQ(pending(UART), 0);
  test_end();
  return test_finish("virt-plic");
}
