// HTIF console and exit for bare-metal images, as Spike and the riscv-tests define them.
//
// The simulator finds `tohost` and `fromhost` by their ELF symbols. A guest request is one
// 64-bit store to tohost:
//   63..56 device | 55..48 command | 47..0 payload
//   device 0, payload (code << 1) | 1   exit with `code`
//   device 1, command 1, payload ch      print character ch
// The simulator clears tohost to 0 once it has taken a request, so the guest waits for 0
// before it writes the next one. fromhost is never used here but must exist for the protocol.
#include "lib.h"
#include "riscv.h"

volatile uint64 tohost __attribute__((section(".tohost"), aligned(8), used));
volatile uint64 fromhost __attribute__((section(".tohost"), aligned(8), used));

#define HTIF_CONSOLE_PUTCHAR (0x0101ULL << 48)

// An S-mode kernel in the same image must reach the console and exit through its M-mode
// stub (SBI), not by storing to tohost itself; it points these hooks at its SBI calls.
void (*console_putc_hook)(int c);
void (*exit_hook)(int code);

void htif_putchar(int c) {
  while (tohost != 0)
    ;
  tohost = HTIF_CONSOLE_PUTCHAR | (uint8)c;
}

void htif_exit(int code) {
  while (tohost != 0)
    ;
  tohost = ((uint64)(uint32)code << 1) | 1;
  for (;;)
    ;
}

void consputc(int c) {
  if (console_putc_hook)
    console_putc_hook(c);
  else
    htif_putchar(c);
}

void exit(int code) {
  if (exit_hook)
    exit_hook(code);
  htif_exit(code);
}

// Harts other than 0 end up here unless the program defines its own.
__attribute__((weak)) void secondary_main(uint64 hartid) {
  for (;;)
    wfi();
}

// crt0 points mtvec here so that a program which never installs its own handler reports a
// stray trap instead of jumping through mtvec = 0 forever.
void default_trap(uint64 mcause, uint64 mepc, uint64 mtval) {
  console_putc_hook = 0; // we are in M-mode: talk to HTIF directly
  exit_hook = 0;
  printf("unexpected trap: mcause 0x%lx mepc 0x%lx mtval 0x%lx\n", mcause, mepc, mtval);
  exit(PANIC_EXIT_CODE);
}
