// Physical memory map of the guest-visible platform (QEMU virt compatible, DESIGN.md).
//
//   0x0000_0000 .. 0x000f_ffff   nothing: accesses raise access faults (tests rely on this)
//   0x0010_0000                  test finisher (poweroff/reboot)
//   0x0200_0000                  CLINT: msip[hart] at +0, mtimecmp[hart] at +0x4000, mtime at +0xbff8
//   0x0c00_0000                  PLIC
//   0x1000_0000                  NS16550A UART, irq 10
//   0x1000_1000 + 0x1000*k       virtio-mmio slot k, irq 1+k
//   0x8000_0000                  RAM; images are linked here, harts start here with a0 = hart id
#pragma once

#define UNMAPPED_ADDR 0x10UL // below every device; used to provoke access faults

#define FINISHER 0x100000UL
#define FINISHER_PASS 0x5555
#define FINISHER_FAIL 0x3333

#define CLINT 0x2000000UL
#define CLINT_MSIP(hart) (CLINT + 4 * (hart))
#define CLINT_MTIMECMP(hart) (CLINT + 0x4000 + 8 * (hart))
#define CLINT_MTIME (CLINT + 0xbff8)

#define UART0 0x10000000UL

#define RAMBASE 0x80000000UL
