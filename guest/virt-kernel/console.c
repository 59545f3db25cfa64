// The console: the NS16550A UART with receive interrupts, a line discipline (xv6
// kernel/console.c) and whole-line output.
//
// Input: the UART interrupt (the boot hart's S context) reads every received byte, echoes it,
// handles backspace and Ctrl-D, and hands complete lines to readers (consoleread sleeps until
// one is there). Output: '\n' goes out as "\r\n" (a terminal in raw mode needs the carriage
// return); kernel printf lines are gathered per hart and written whole, so lines from several
// harts never mix.
#include "defs.h"

#define INPUT_BUF 128
#define CTRL(x) ((x) - '@')
#define BACKSPACE 0x100

static struct {
  struct spinlock lock;
  char buf[INPUT_BUF];
  uint64 r, w, e; // read, written (complete lines), edited
} cons;

static struct spinlock tx_lock;
static int console_up;
static char line[NCPU][128];
static int linelen[NCPU];

static void tx(int c) {
  if (c == '\n')
    uart_putc('\r');
  uart_putc(c);
}

static void echo(int c) {
  acquire(&tx_lock);
  if (c == BACKSPACE) {
    uart_putc('\b');
    uart_putc(' ');
    uart_putc('\b');
  } else {
    tx(c);
  }
  release(&tx_lock);
}

void consolewrite(const char *src, long n) {
  acquire(&tx_lock);
  for (long i = 0; i < n; i++)
    tx(src[i]);
  release(&tx_lock);
}

// printf's output (lib.h): a line at a time per hart once the UART is ours, through the SBI
// console before that.
void consputc(int c) {
  if (!console_up) {
    if (c == '\n')
      sbi_putchar('\r');
    sbi_putchar(c);
    return;
  }
  int h = cpuid();
  line[h][linelen[h]++] = (char)c;
  if (c == '\n' || linelen[h] == (int)sizeof(line[h])) {
    consolewrite(line[h], linelen[h]);
    linelen[h] = 0;
  }
}

void consoleinit(void) {
  initlock(&cons.lock, "cons");
  initlock(&tx_lock, "tx");
  uart_init(IO(machine.uart));
  mmio_w8(uart_base + UART_IER, UART_IER_RDI);
  plic_priority(machine.uart_irq, 1);
  plic_enable(PLIC_CTX_S(cpuid()), machine.uart_irq, 1);
  console_up = 1;
}

void consoleintr(void) {
  acquire(&cons.lock);
  for (int c; (c = uart_getc()) >= 0;) {
    if (c == '\r')
      c = '\n';
    if (c == 0x7f || c == CTRL('H')) {
      if (cons.e != cons.w) {
        cons.e--;
        echo(BACKSPACE);
      }
      continue;
    }
    if (cons.e - cons.r >= INPUT_BUF)
      continue; // full: drop
    if (c != CTRL('D'))
      echo(c);
    cons.buf[cons.e++ % INPUT_BUF] = (char)c;
    if (c == '\n' || c == CTRL('D') || cons.e - cons.r == INPUT_BUF) {
      cons.w = cons.e;
      wakeup(&cons.r);
    }
  }
  release(&cons.lock);
}

// Up to n bytes of the next line (a line ends with '\n'); 0 at Ctrl-D on an empty line.
long consoleread(char *dst, long n) {
  long got = 0;
  acquire(&cons.lock);
  while (got < n) {
    while (cons.r == cons.w)
      sleep(&cons.r, &cons.lock);
    int c = cons.buf[cons.r++ % INPUT_BUF];
    if (c == CTRL('D')) {
      if (got > 0)
        cons.r--; // keep it: the next read returns 0
      break;
    }
    dst[got++] = (char)c;
    if (c == '\n')
      break;
  }
  release(&cons.lock);
  return got;
}
