// NS16550A driver: polled transmit, receive by polling or by interrupt (the caller enables IER).
#include "lib.h"
#include "virt.h"

uint64 uart_base = VIRT_UART;

void uart_init(uint64 base) {
  uart_base = base;
  mmio_w8(base + UART_IER, 0);
  mmio_w8(base + UART_LCR, 0x80); // DLAB: set the divisor (QEMU ignores the baud rate)
  mmio_w8(base + 0, 0x03);
  mmio_w8(base + 1, 0x00);
  mmio_w8(base + UART_LCR, 0x03); // 8 data bits, no parity, 1 stop bit
  mmio_w8(base + UART_FCR, 0x07); // FIFOs on and cleared, receive trigger at 1 byte
  mmio_w8(base + UART_MCR, UART_MCR_OUT2);
}

void uart_putc(int c) {
  while (!(mmio_r8(uart_base + UART_LSR) & UART_LSR_THRE))
    ;
  mmio_w8(uart_base + UART_THR, (uint8)c);
}

int uart_getc(void) {
  if (!(mmio_r8(uart_base + UART_LSR) & UART_LSR_DR))
    return -1;
  return mmio_r8(uart_base + UART_RBR);
}

#ifdef FLAVOUR_HTIF
static void uart_console_putc(int c) {
  if (c == '\n')
    uart_putc('\r');
  uart_putc(c);
}

void uart_console(void) {
  uart_init(VIRT_UART);
  console_putc_hook = uart_console_putc;
  exit_hook = finisher_exit;
}
#endif
