// Interrupt wiring between the virt board's devices and its harts.
//
// Two kinds of wire, both level-sensitive:
//
//   device --IrqLine--> PLIC source          the UART and each virtio-mmio slot hold one IrqLine
//                                            (plic.line(src)); they call setLevel on every change
//                                            of their interrupt condition
//   CLINT, PLIC --HartIrqTarget--> hart      MSIP/MTIP from the CLINT, MEIP/SEIP from the PLIC;
//                                            a Hart is a HartIrqTarget (Hart.setIrq), tests use a
//                                            fake that records the levels
//
// On the FLASH machine the devices live on node 0 and a HartIrqTarget for a hart on another
// node is a proxy that sends a timestamped message; nothing in the devices depends on the
// target being local.

import type { Irq } from '../vcpu/trap.js';

/** The hart side of an interrupt wire: mip bits MSIP (3), MTIP (7), SEIP (9), MEIP (11). */
export interface HartIrqTarget {
  setIrq(irq: Irq, level: boolean): void;
}

/** The device side of an interrupt wire: the level of one interrupt source. */
export interface IrqLine {
  setLevel(level: boolean): void;
}

/** A line connected to nothing (a device built without a PLIC, in tests). */
export const NO_IRQ: IrqLine = { setLevel: () => {} };
