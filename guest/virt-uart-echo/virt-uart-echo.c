// UART echo with interrupts, on the virt board: hart 0 sleeps in wfi; each receive interrupt
// comes through the PLIC (source 10, hart 0's M context), the handler claims it, drains the
// receive FIFO and echoes every byte upper-cased (so the output proves the guest handled it),
// and completes it. The line "quit" ends the program with a summary, exit status 0.
// Words of the kernel command line (/chosen/bootargs, --append):
//   poll   it polls LSR instead, with receive interrupts off, as firmware consoles do;
//   probe  it boots as Linux treats its 8250 UART: it sleeps (a kernel waiting for devices),
//          probes the port as the 8250 driver's autoconfig does (loopback test, FIFOs cleared,
//          RBR read), sleeps again, and only then opens it as the tty layer does (FIFOs cleared
//          and RBR read once more, then receive interrupts on and the FIFOs turned on again);
//          with poll it polls after the probe instead. Input handed to the UART before the
//          port is opened is thrown away by those resets, as on hardware.
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

static int poll_mode, probe_mode;

// Whether the space-separated words of s include w.
static int has_word(const char *s, const char *w) {
  int n = strlen(w);
  for (const char *p = s; *p;) {
    while (*p == ' ')
      p++;
    const char *e = p;
    while (*e && *e != ' ')
      e++;
    if (e - p == n && memcmp(p, w, n) == 0)
      return 1;
    p = e;
  }
  return 0;
}

static void bootargs(void *ctx, int depth, const char **node, const char *prop, const uint8 *val, uint32 len) {
  if (depth == 1 && fdt_node_is(node[1], "chosen") && strcmp(prop, "bootargs") == 0) {
    poll_mode = has_word((const char *)val, "poll");
    probe_mode = has_word((const char *)val, "probe");
  }
}

// ---- the 8250 driver's view of the port (probe mode) ----
#define UART_MSR 6
#define UART_IER_RLSI 0x04
#define UART_FCR_ENABLE 0x01
#define UART_FCR_CLEAR 0x06 // both FIFOs
#define UART_FCR_TRIGGER_8 0x80
#define UART_MCR_DTR_RTS 0x03

static uint8 r8(int reg) { return mmio_r8(uart_base + reg); }
static void w8(int reg, uint8 v) { mmio_w8(uart_base + reg, v); }

// serial8250_clear_fifos: clear both FIFOs, and leave them off.
static void clear_fifos(void) {
  w8(UART_FCR, UART_FCR_ENABLE);
  w8(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR);
  w8(UART_FCR, 0);
}

// What the interrupt registers hold is read and dropped (startup's "clear the interrupt registers").
static void clear_interrupts(void) {
  r8(UART_LSR);
  r8(UART_RBR);
  r8(UART_IIR);
  r8(UART_MSR);
}

// autoconfig at boot: does IER hold what is written, does loopback work, what do the FIFO bits of
// IIR say; then the port is reset: FIFOs cleared, RBR read, interrupts off.
static void probe_8250(void) {
  uint8 ier = r8(UART_IER);
  w8(UART_IER, 0);
  uint8 none = r8(UART_IER) & 0x0f;
  w8(UART_IER, 0x0f);
  uint8 all = r8(UART_IER) & 0x0f;
  w8(UART_IER, ier);
  uint8 mcr = r8(UART_MCR), lcr = r8(UART_LCR);
  w8(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | 0x02);
  uint8 status = r8(UART_MSR) & 0xf0;
  w8(UART_MCR, mcr);
  w8(UART_LCR, 0xbf); // the EFR of enhanced UARTs sits where FCR is, behind this LCR value
  w8(UART_FCR, 0);
  w8(UART_LCR, 0);
  w8(UART_FCR, UART_FCR_ENABLE);
  uint8 iir = r8(UART_IIR);
  w8(UART_LCR, lcr);
  w8(UART_MCR, mcr);
  clear_fifos();
  r8(UART_RBR);
  w8(UART_IER, 0);
  if (none != 0 || all != 0x0f || status != 0x90 || (iir & 0xc0) != 0xc0) {
    printf("virt-uart-echo: probe: IER %x/%x, loopback MSR %x, IIR %x: not a 16550A\n", none, all, status, iir);
    exit(3);
  }
}

// Opening the tty: startup (FIFOs cleared and off, interrupt registers read, the THRE interrupt
// tested, OUT2 raised), then set_termios (receive interrupts on, divisor, FIFOs on with an
// 8-byte trigger, which turning them on clears once more).
static void open_8250(void) {
  clear_fifos();
  clear_interrupts();
  w8(UART_IER, UART_IER_THRI);
  r8(UART_IIR);
  w8(UART_IER, 0);
  w8(UART_LCR, 0x03);
  w8(UART_MCR, UART_MCR_OUT2 | UART_MCR_DTR_RTS);
  w8(UART_IER, UART_IER_THRI);
  r8(UART_LSR);
  r8(UART_IIR);
  w8(UART_IER, 0);
  clear_interrupts();
  w8(UART_IER, UART_IER_RLSI | UART_IER_RDI);
  w8(UART_LCR, 0x83);
  w8(UART_RBR, 1); // the divisor latch (DLL, DLM) while DLAB is set
  w8(UART_IER, 0);
  w8(UART_LCR, 0x03);
  w8(UART_FCR, UART_FCR_ENABLE);
  w8(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER_8);
}

// Sleeps in wfi for `ticks` of mtime, the timer interrupt enabled but not taken (mstatus.MIE off):
// every hart is asleep meanwhile, as while a booting kernel waits for a device.
static void sleep_ticks(uint64 hartid, uint64 ticks) {
  uint64 until = clint_mtime() + ticks;
  clint_set_mtimecmp(hartid, until);
  CSR_SET(mie, MIE_MTIE);
  while (clint_mtime() < until)
    wfi();
  CSR_CLEAR(mie, MIE_MTIE);
  clint_set_mtimecmp(hartid, ~0UL);
}

#define BOOT_SLEEP_TICKS 20000 // 2 ms of the 10 MHz mtime

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
  if (probe_mode) {
    sleep_ticks(hartid, BOOT_SLEEP_TICKS);
    probe_8250();
    printf("virt-uart-echo: probed the UART\n");
    sleep_ticks(hartid, BOOT_SLEEP_TICKS);
    if (!poll_mode)
      open_8250();
  }
  if (poll_mode)
    return polled();
  w_mtvec((uint64)virt_mtrap_entry);
  plic_priority(VIRT_UART_IRQ, 1);
  plic_threshold(PLIC_CTX_M(0), 0);
  plic_enable(PLIC_CTX_M(0), VIRT_UART_IRQ, 1);
  if (!probe_mode)
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
