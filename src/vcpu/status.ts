// Status codes shared by the hart's run loop, its handlers and its memory paths.

export const enum Status {
  Ok = 0,
  /** A trap was taken: pc and maybe privilege changed. */
  Trap = 1,
  /** The instruction retired and changed state that can enable an interrupt or the fetch context. */
  Event = 2,
  /** The memory port answered "not yet": the instruction did not execute and will be retried. */
  Stall = 3,
  /** A device stopped the machine. */
  Halt = 4,
  /** wfi with nothing pending. */
  Wfi = 5,
  /** A taken back edge closed an iteration that repeats exactly (Hart.backEdge). */
  Spin = 6,
  /** The instruction retired and took extra cycles (hart.extraCycles): the slice ends sooner. */
  Timed = 7,
}

export const enum Stop {
  Budget = 0,
  Halt = 1,
  Stall = 2,
  Wfi = 3,
}

/** Results of Hart.resolve besides a RAM offset. */
export const MEM_TRAPPED = -1;
export const MEM_STALL = -2;
export const MEM_MMIO = -3;

/** Hart.watchData: a trigger fires once the access is done (a value no Status takes). */
export const TRIGGER_AFTER = -4;

/** Software TLB geometry: direct-mapped, one per access kind. */
export const TLB_BITS = 8;
export const TLB_SIZE = 1 << TLB_BITS;
export const TLB_MASK = TLB_SIZE - 1;
