// The hart's only path to memory.
//
// A hart never owns memory: it asks its port for permission to touch a physical address with a
// given kind of access, and the port answers with one of the grants below. The flat port (one
// hart, no caches) grants whole pages forever; a FLASH node's cache hierarchy grants a line only
// while the cache holds it with the right permission, and answers STALL while the line is in
// flight. A STALL makes the hart abandon the instruction without side effects and re-execute it
// later (DESIGN.md invariant 4), so every instruction checks all of its accesses before it
// changes any state.
//
// Granted RAM is read and written directly through `ram`, at the byte offset the grant returns.

export const enum Access {
  Fetch = 0,
  Load = 1,
  Store = 2,
}

/** Results of MemoryPort.access; non-negative values are RAM byte offsets. */
export const enum Grant {
  /** Line not present with the needed permission yet: stall and retry. */
  Stall = -1,
  /** No memory and no device at this address: access fault. */
  Fault = -2,
  /** A device register: use mmioLoad/mmioStore. */
  Mmio = -3,
}

export const enum MmioStatus {
  Ok = 0,
  /** No device answers at this address (access fault). */
  Fault = 1,
  /** The device stopped the machine (HTIF exit, test finisher). */
  Halt = 2,
  /** The device wants the access retried later (its node has not answered yet). */
  Stall = 3,
}

export interface RamView {
  /** Guest physical address of ram byte 0. */
  readonly base: number;
  readonly size: number;
  readonly u8: Uint8Array;
  readonly dv: DataView;
}

export interface MemoryPort {
  readonly ram: RamView;
  /**
   * log2 of the span a grant covers once pageGrant says it may be cached: 12 (a page) for the
   * flat port, the line size for a cache port. The hart tags its access filter at this size.
   */
  readonly grantShift: number;
  /**
   * Ask to access `size` bytes at physical address `paddr` (within one grant span). Returns the
   * RAM byte offset (>= 0) or a Grant code. A port that models time adds the access's latency to
   * the hart's extraCycles.
   */
  access(paddr: number, size: number, kind: Access): number;
  /**
   * True when a grant for `kind` covers the whole aligned span (1 << grantShift bytes) at RAM
   * offset `spanRo` until the port revokes it (Hart.dropGrant), so the hart may cache it in its
   * access filter. The flat port says yes for RAM pages without devices; a cache port says yes for
   * a line its L1 holds with the permission. (A RAM offset rather than a physical address: an
   * address above 2^31 passed to a call would be boxed on the heap on every slow access.)
   */
  pageGrant(spanRo: number, kind: Access): boolean;
  /**
   * True when nothing but this hart changes granted memory until the port revokes the grant, even
   * between run() calls (a coherent cache port). The flat ports share pages between harts that
   * run in turn without revoking anything, so what a hart read in one run may differ in the next.
   */
  readonly exclusiveGrants: boolean;
  /** Device load; the value goes to `out[0]` (low 32 bits) and `out[1]` (high 32 bits). */
  mmioLoad(paddr: number, size: number, out: Int32Array): MmioStatus;
  /** Device store of `size` bytes of the value lo/hi. */
  mmioStore(paddr: number, size: number, lo: number, hi: number): MmioStatus;
  /**
   * Present on ports that perform atomics and order memory themselves (the quantum timing
   * mode's store buffers, docs/quantum.md); absent, the hart performs atomics on the RAM the
   * port grants and fences need nothing.
   */
  readonly atomics?: AtomicPort;
}

/** The AMOs, in the order insns-rv64a.ts numbers them. */
export const enum AmoOp { Swap, Add, Xor, And, Or, Min, Max, Minu, Maxu }

/**
 * Atomics and fences on a port that buffers stores. Each call may answer Stall, after which the
 * hart abandons the instruction and executes it again later; the port then answers the retry.
 */
export interface AtomicPort {
  /** AMO `op` of `size` bytes at `paddr` with operand lo/hi; the old value goes to out[0..1]. */
  amo(paddr: number, size: number, op: AmoOp, lo: number, hi: number, out: Int32Array): MmioStatus;
  /** An LR of the word at `paddr` is performed (its value read through access()). */
  reserve(paddr: number): void;
  /**
   * SC of lo/hi at `paddr` (`held`: the hart still holds the reservation of an LR of it): out[0]
   * = 0 when it stored, 1 when it failed.
   */
  sc(paddr: number, size: number, lo: number, hi: number, held: boolean, out: Int32Array): MmioStatus;
  /** A fence (or fence.i): true to go on, false to stall until the port's stores are visible. */
  fence(): boolean;
}
