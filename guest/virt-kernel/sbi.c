// The kernel's side of the SBI (v1.0): ecall into the firmware with a7 = extension, a6 =
// function, a0..a2 arguments; a0 = error, a1 = value.
#include "defs.h"

#define EXT_LEGACY_PUTCHAR 0x01
#define EXT_TIME 0x54494d45
#define EXT_IPI 0x735049
#define EXT_HSM 0x48534d
#define EXT_SRST 0x53525354

struct sbiret sbi_call(uint64 ext, uint64 fid, uint64 a0v, uint64 a1v, uint64 a2v) {
  register uint64 a0 asm("a0") = a0v;
  register uint64 a1 asm("a1") = a1v;
  register uint64 a2 asm("a2") = a2v;
  register uint64 a6 asm("a6") = fid;
  register uint64 a7 asm("a7") = ext;
  asm volatile("ecall" : "+r"(a0), "+r"(a1) : "r"(a2), "r"(a6), "r"(a7) : "memory");
  return (struct sbiret){(long)a0, (long)a1};
}

void sbi_putchar(int c) { sbi_call(EXT_LEGACY_PUTCHAR, 0, (uint8)c, 0, 0); }
void sbi_set_timer(uint64 when) { sbi_call(EXT_TIME, 0, when, 0, 0); }
void sbi_send_ipi(uint64 mask) { sbi_call(EXT_IPI, 0, mask, 0, 0); }
long sbi_hart_start(uint64 hart, uint64 addr, uint64 arg) { return sbi_call(EXT_HSM, 0, hart, addr, arg).error; }

// system_reset type 1: cold reboot.
void sbi_reboot(void) {
  sbi_call(EXT_SRST, 0, 1, 0, 0);
  for (;;)
    ;
}

// system_reset: shutdown, reason 0 (none) or 1 (system failure).
void sbi_shutdown(int failed) {
  sbi_call(EXT_SRST, 0, 0, failed ? 1 : 0, 0);
  for (;;)
    ;
}
