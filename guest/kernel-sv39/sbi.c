// The kernel's side of the SBI: an ecall into the M-mode stub (mstart.c).
#include "defs.h"

static long sbi_call(uint64 ext, uint64 fid, uint64 arg0, uint64 arg1) {
  register uint64 a0 asm("a0") = arg0;
  register uint64 a1 asm("a1") = arg1;
  register uint64 a6 asm("a6") = fid;
  register uint64 a7 asm("a7") = ext;
  asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a6), "r"(a7) : "memory");
  return (long)a0;
}

void sbi_console_putchar(int c) { sbi_call(0x01, 0, (uint8)c, 0); }

// SRST system_reset, type 0 (shutdown). Reason 0 is "no reason"; a failing exit code travels
// in the implementation-specific reason range 0xF0000000 + code.
void sbi_shutdown(int code) {
  sbi_call(0x53525354, 0, 0, code == 0 ? 0 : 0xF0000000UL | (uint8)code);
  for (;;)
    ;
}
