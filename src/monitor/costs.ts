// The monitor's cost table: the cycles each monitor action charges to the real hart's clock
// (DESIGN.md invariant 7: all time is simulated time, never host time). The hart runs at 1 GHz,
// so a cycle is a nanosecond. The defaults are chosen against the Disco paper's measurements
// (/work/shared/reference/disco-paper.md), each row saying which; the paper's machine ran
// "at twice the R10000's clock", so its times are taken as they stand.
//
// With every cost 0 a guest runs cycle for cycle as it does natively: the trap into the monitor
// costs what a trap costs the hart (its run loop charges that first cycle, and `trap` includes
// it), an emulated instruction the cycle it takes on the virtual hart, and nothing else is
// charged. The tests use that to check the monitor against the native board to the cycle.

export interface MonitorCosts {
  /** Entering the monitor from direct execution and going back, the hardware trap included. */
  trap: number;
  /** Emulating one privileged instruction on the virtual hart (a CSR, xRET, sfence.vma, wfi). */
  emulate: number;
  /** Delivering an exception to the guest's own trap vector (ecall, a guest page fault, ...). */
  reflect: number;
  /** A shadow fill: finding the tree and the machine page and writing the leaf, beside the walk. */
  shadowFill: number;
  /** One level of the guest's page table read during a shadow fill. */
  walkLevel: number;
  /** Posting a virtual interrupt: entering the guest's vector with its cause and status. */
  interrupt: number;
  /** Emulating a load or store to a virtual device register. */
  mmio: number;
  /** Dropping one shadow tree, or one shadow leaf, for a guest's sfence.vma. */
  shootdown: number;
}

export const DEFAULT_MONITOR_COSTS: Readonly<MonitorCosts> = {
  // A UTLB miss takes 0.035 us on IRIX and 1.35x that under Disco, whose monitor takes the miss,
  // finds the entry in its second-level TLB and returns: about 0.047 us for the round trip
  // through the monitor, of which we give the entry and exit 30 and the fill below the rest.
  trap: 30,
  // Pmake's "quick fault" (a page fault served without I/O) takes 5 us on IRIX and 3.17x that
  // under Disco: 10.9 us more, mostly the emulation of the privileged instructions of kernel
  // entry and exit and of TLB writes, on the order of a hundred of them: ~100 ns each.
  emulate: 100,
  // A system call under Disco: Pmake's write takes 12 us on IRIX and 2.14x that under Disco, and
  // its read 23 us and 1.53x; reflecting the trap into the guest kernel is a few hundred ns of it.
  reflect: 200,
  // The rest of the 0.047 us UTLB round trip above (second-level TLB lookup and refill).
  shadowFill: 15,
  // A guest page-table read that hits in the cache; a miss costs 300 ns locally on the paper's
  // machine, which the FLASH machine's caches charge by themselves.
  walkLevel: 10,
  // Disco posts interrupts to virtual CPUs like a reflected trap, after finding the source.
  interrupt: 300,
  // Pmake's read and write gain 12-14 us under Disco, mostly in the path from the guest driver
  // through the monitor's virtual device: ~0.5 us for each device register it touches.
  mmio: 500,
  // Disco's TLB shoot-down flushes a hardware TLB entry and its second-level TLB copy.
  shootdown: 50,
};

export const ZERO_MONITOR_COSTS: Readonly<MonitorCosts> = {
  trap: 0, emulate: 0, reflect: 0, shadowFill: 0, walkLevel: 0, interrupt: 0, mmio: 0, shootdown: 0,
};

/** The defaults with `over` applied; every value must be a whole number of cycles. */
export function monitorCosts(over: Partial<MonitorCosts> = {}): MonitorCosts {
  const c = { ...DEFAULT_MONITOR_COSTS, ...over };
  for (const [k, v] of Object.entries(c)) {
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`monitor cost ${k} = ${v} must be a whole number of cycles, 0 or more`);
  }
  return c;
}
