// UART echo with interrupts, on the virt board: hart 0 sleeps in wfi; each receive interrupt
// comes through the PLIC (source 10, hart 0's M context), the handler claims it, drains the
// receive FIFO and echoes every byte upper-cased (so the output proves the guest handled it),
// and completes it. The line "quit" ends the program with a summary, exit status 0.
// With the kernel command line (/chosen/bootargs, --append) "poll", it polls LSR instead, with
// receive interrupts off, as firmware consoles do.
//
//   console: UART (lib/virt uart_console), exit: test finisher
#include "lib.h"
#include "riscv.h"
#include "virt.h"

static volatile int quit;
static volatile uint64 interrupts, bytes, lines, wakeups, spurious;
static char line[64];
static int linelen;

static void got(int c) {
  bytes++;
  uart_putc(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
  if (c == '\n' || c == '\r') {
    line[linelen] = 0;
    lines++;
    if (strcmp(line, "quit") == 0)
      quit = 1;
    linelen = 0;
  } else if (linelen < (int)sizeof(line) - 1) {
    line[linelen++] = (char)c;
  }
}

uint64 m_trap(uint64 cause, uint64 epc, uint64 tval) {
  if (cause != (CAUSE_INTERRUPT | IRQ_M_EXT)) {
    printf("virt-uart-echo: unexpected trap mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", cause, epc, tval);
    exit(2);
  }
  int src = plic_claim(PLIC_CTX_M(0));
  if (src == VIRT_UART_IRQ) {
    interrupts++;
    // IIR says why; receive data and character timeout both mean: read until empty
    uint8 iir = mmio_r8(uart_base + UART_IIR);
    if ((iir & UART_IIR_NONE) != 0)
      spurious++;
    for (int c; (c = uart_getc()) >= 0;)
      got(c);
  } else if (src != 0) {
    spurious++;
  }
  if (src != 0)
    plic_complete(PLIC_CTX_M(0), src);
  return epc;
}

static int poll_mode;

static void bootargs(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  if (depth == 1 && fdt_node_is(node[1], "chosen") && strcmp(prop, "bootargs") == 0)
    poll_mode = strcmp((const char *)val, "poll") == 0;
}

static int polled(void) {
  while (!quit) {
    int c = uart_getc();
    if (c >= 0)
      got(c);
  }
  printf("virt-uart-echo: %ld bytes, %ld lines, polled\n", bytes, lines);
  printf("virt-uart-echo: PASS\n");
  return 0;
}

int main(uint64 hartid, uint64 dtb) {
  uart_console();
  fdt_walk((const void *)dtb, bootargs, 0);
  printf("virt-uart-echo: type lines; \"quit\" ends\n");
  if (poll_mode)
    return polled();
  w_mtvec((uint64)virt_mtrap_entry);
  plic_priority(VIRT_UART_IRQ, 1);
  plic_threshold(PLIC_CTX_M(0), 0);
  plic_enable(PLIC_CTX_M(0), VIRT_UART_IRQ, 1);
  mmio_w8(uart_base + UART_IER, UART_IER_RDI);
  w_mie(MIE_MEIE);
  CSR_SET(mstatus, MSTATUS_MIE);
  while (!quit) {
    wfi();
    wakeups++;
  }
  CSR_CLEAR(mstatus, MSTATUS_MIE);
  printf("virt-uart-echo: %ld bytes, %ld lines, %ld interrupts, %ld wakeups, %ld spurious\n", bytes, lines,
         interrupts, wakeups, spurious);
  int ok = interrupts > 0 && spurious == 0 && lines > 0;
  printf("virt-uart-echo: %s\n", ok ? "PASS" : "FAIL");
  return ok ? 0 : 1;
}
