// Trap causes, interrupt numbers and their names (mcause/scause encodings of the privileged
// specification 1.12, tables 3.6 and 4.2).

export const enum Cause {
  MisalignedFetch = 0,
  FetchAccess = 1,
  IllegalInstruction = 2,
  Breakpoint = 3,
  MisalignedLoad = 4,
  LoadAccess = 5,
  MisalignedStore = 6,
  StoreAccess = 7,
  EcallU = 8,
  EcallS = 9,
  EcallM = 11,
  FetchPageFault = 12,
  LoadPageFault = 13,
  StorePageFault = 15,
}

export const enum Irq {
  SSI = 1,
  MSI = 3,
  STI = 5,
  MTI = 7,
  SEI = 9,
  MEI = 11,
}

export const enum Priv {
  U = 0,
  S = 1,
  M = 3,
}

const EXCEPTION_NAMES: Record<number, string> = {
  0: 'misaligned-fetch', 1: 'fetch-access-fault', 2: 'illegal-instruction', 3: 'breakpoint',
  4: 'misaligned-load', 5: 'load-access-fault', 6: 'misaligned-store', 7: 'store-access-fault',
  8: 'ecall-u', 9: 'ecall-s', 11: 'ecall-m', 12: 'fetch-page-fault', 13: 'load-page-fault',
  15: 'store-page-fault',
};

const INTERRUPT_NAMES: Record<number, string> = {
  1: 'supervisor-software', 3: 'machine-software', 5: 'supervisor-timer', 7: 'machine-timer',
  9: 'supervisor-external', 11: 'machine-external',
};

/** What stops a guest whose trap traps to itself (Hart.trapsToItself); `pc` a physical or virtual address below 2^53. */
export function trapLoopMessage(hart: number, pc: number): string {
  const at = `0x${pc.toString(16)}`;
  return `hart ${hart} cannot fetch its trap handler: a fetch fault at ${at} traps to mtvec = ${at}, the same address; does the guest set mtvec?`;
}

export function causeName(cause: number): string {
  return EXCEPTION_NAMES[cause] ?? `exception-${cause}`;
}

export function interruptName(irq: number): string {
  return INTERRUPT_NAMES[irq] ?? `interrupt-${irq}`;
}

export function privName(p: number): string {
  return p === Priv.M ? 'M' : p === Priv.S ? 'S' : 'U';
}

/** Interrupts this hart implements, and the order in which simultaneous ones are taken. */
export const IRQ_MASK = (1 << Irq.SSI) | (1 << Irq.MSI) | (1 << Irq.STI) | (1 << Irq.MTI) | (1 << Irq.SEI) | (1 << Irq.MEI);
export const S_IRQ_MASK = (1 << Irq.SSI) | (1 << Irq.STI) | (1 << Irq.SEI);
export const IRQ_PRIORITY: readonly number[] = [Irq.MEI, Irq.MSI, Irq.MTI, Irq.SEI, Irq.SSI, Irq.STI];
