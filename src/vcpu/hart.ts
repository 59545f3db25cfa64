// One RV64IMAFDC hart: registers, privilege, traps, the software TLB, the decoded-instruction
// cache and the run loop. Instruction semantics live in insns-*.ts, CSRs in csr.ts, the Sv39
// walk in mmu.ts; the hart reaches memory only through its MemoryPort (port.ts).
//
// Representation: every 64-bit integer register is an (lo, hi) pair of int32 in xl/xh; slot 0
// is x0 and stays zero, slot 32 absorbs writes to x0. The pc is a JS number holding the signed
// 64-bit value, exact because every address the hart can fetch from has |pc| < 2^53; a jump to
// anything else faults at once with the exact 64-bit target.
//
// Run loop: instructions are decoded once into a direct-mapped cache keyed by RAM offset and then
// dispatched through one table of handlers with a single signature (the most frequent ones through
// call sites of their own, which the JIT inlines: HOT below). A handler returns a Status;
// anything but Ok leaves the fast path (a trap was taken, an interrupt may now be pending, the
// memory port stalled, a device halted the machine, or wfi). Interrupts are checked between
// slices and after any non-Ok status, as TinyEMU and Spike do.

import { Access, Grant, MmioStatus, type MemoryPort } from './port.js';
import { decode16, decode32, OP_BY_NAME, OP_ILLEGAL, X_DISCARD, type Decoded } from './decode.js';
import { Cause, Irq, IRQ_MASK, IRQ_PRIORITY, Priv, causeName, interruptName } from './trap.js';
import { translate, TranslateFault, untranslated } from './mmu.js';
import { HANDLERS } from './handlers.js';
import { MEM_MMIO, MEM_STALL, MEM_TRAPPED, Status, Stop, TLB_BITS, TLB_MASK, TLB_SIZE, TRIGGER_AFTER } from './status.js';
import { fromNumber, out, toBig, toNumber } from './int64.js';
import { MSTATUS, type CsrFile, newCsrFile } from './csr.js';
import { DecodeCache } from './decode-cache.js';
import { MATCH_NONE, TIMING_BEFORE, TRIG_FETCH, Triggers } from './triggers.js';

export { Priv } from './trap.js';

export interface CostModel {
  /** Cycles of a multiply beyond the one every instruction takes. */
  mulExtra: number;
  /** Cycles of a divide or remainder beyond the one every instruction takes. */
  divExtra: number;
  /** Cycles per tick of the time CSR when no platform timer drives it (1 GHz / 10 MHz). */
  cyclesPerTick: number;
}

export const DEFAULT_COSTS: CostModel = { mulExtra: 2, divExtra: 32, cyclesPerTick: 100 };

export type MachineTrapHook = (h: Hart, cause: number, tval: bigint, pc: number) => boolean;

/**
 * Serves a semihosting call (devices/semihosting.ts) from the hart that made it, after the ebreak
 * of the sequence with pc past it; returns the ebreak's Status (Event, or Halt when the call ends
 * the run).
 */
export type SemihostHook = (h: Hart) => Status;

// The semihosting trap sequence around an ebreak (RISC-V semihosting, as QEMU checks it).
const SEMIHOST_PRE = 0x01f01013; // slli x0, x0, 0x1f
const SEMIHOST_POST = 0x40705013; // srai x0, x0, 7

export interface HartOptions {
  port: MemoryPort;
  hartId?: number;
  resetPc: number;
  costs?: Partial<CostModel>;
  /** log2 of the decoded-instruction cache's entries (default 16: 128 KiB of code). */
  decodeCacheBits?: number;
  /** A decoded-instruction cache shared with other harts of this thread (decode-cache.ts); else one of its own. */
  decodeCache?: DecodeCache;
  /** Count the iterations of exact spin loops instead of executing them (default true). */
  skipSpins?: boolean;
}

const PAGE = 4096;
/** Decode-cache entries (log2) unless the options say otherwise: 128 KiB of code. */
const DC_BITS = 16;
const TWO32 = 4294967296;
/** Longest stretch of instructions between two checks of the timer. */
const MAX_SLICE = 1 << 14;

// The most frequent instructions (radix and bench-int) get call sites of their own in the run
// loop, each always calling the same handler, so that the JIT can inline it; every other one goes
// through the table, where one call site reaches them all and inlines none. The semantics stay in
// insns-*.ts either way. HOT[op] is the handler's case in the loop's switch, 0 for the table.
const HOT = new Uint8Array(HANDLERS.length);
const [ADDI, SRLI, ADD, XOR, LW, MUL, SLLI, BNE, SW, LD, AND, SRLW, ADDIW, SD, BEQ, SRLIW] =
  ['addi', 'srli', 'add', 'xor', 'lw', 'mul', 'slli', 'bne', 'sw', 'ld', 'and', 'srlw', 'addiw', 'sd', 'beq', 'srliw']
    .map((name, k) => { HOT[OP_BY_NAME[name]] = k + 1; return HANDLERS[OP_BY_NAME[name]]; });

const SPIN_NONE = 0, SPIN_SNAPSHOT = 1, SPIN_FIXED = 2;
/** Taken back edges between two looks for a spin loop. */
const SPIN_SAMPLE = 64;

export class Hart {
  readonly port: MemoryPort;
  readonly hartId: number;
  readonly costs: CostModel;

  // Architectural state.
  readonly xl = new Int32Array(33);
  readonly xh = new Int32Array(33);
  /** f0..f31 as (lo, hi) int32 pairs; a single is NaN-boxed (hi = -1). See insns-rv64fd.ts. */
  readonly fl = new Int32Array(32);
  readonly fh = new Int32Array(32);
  /** fcsr: frm (3 bits, may hold a reserved value) and fflags (NX UF OF DZ NV, bits 0..4). */
  frm = 0;
  fflags = 0;
  pc: number;
  /** Address of the instruction being executed (the pc its exceptions report). */
  insnPc: number;
  priv: Priv = Priv.M;
  readonly csr: CsrFile;
  /** The Sdtrig trigger module (triggers.ts). */
  readonly triggers: Triggers;
  /** LR reservation: RAM offset of the reserved word, or -1; and its virtual address. */
  reservation = -1;
  reservationLo = 0;
  reservationHi = 0;

  // Counters. instret + runRetired is exact inside every handler: the loop publishes its count
  // before each call, so counters, devices and memory requests see the true time.
  instret = 0;
  /** Cycles beyond one per retired instruction (multi-cycle ops, memory, wfi). */
  extraCycles = 0;
  /** mcycle - (instret + extraCycles); changes when software writes mcycle. */
  cycleOffset = 0;
  instretOffset = 0;

  // Memory fast path: RAM, and one direct-mapped access filter per access kind, at the port's
  // grant granularity (a page for flat memory, an L1 line for a cache port: the filter is then
  // the subset of L1 lines the hart may touch without asking, as in zsim's filter cache). A tag
  // is the virtual base of the span (NaN when empty); the data is the span's RAM byte offset.
  readonly grantShift: number;
  readonly grantMask: number;
  readonly dv: DataView;
  readonly u8: Uint8Array;
  readonly tlbTag: [Float64Array, Float64Array, Float64Array];
  readonly tlbRam: [Int32Array, Int32Array, Int32Array];
  readonly tlbLoadTag: Float64Array;
  readonly tlbLoadRam: Int32Array;
  readonly tlbStoreTag: Float64Array;
  readonly tlbStoreRam: Int32Array;
  private readonly tlbFetchTag: Float64Array;
  private readonly tlbFetchRam: Int32Array;
  // Translation cache per access kind: virtual page base -> physical page base, for pages whose
  // walk succeeded with that kind's permission. Flushed with the filter.
  private readonly xlTag: [Float64Array, Float64Array, Float64Array];
  private readonly xlPa: [Float64Array, Float64Array, Float64Array];
  /** Pages this hart fetched from (fetchingFrom): its stores to them take the slow path and drop decodes. */
  private readonly codePage: Uint32Array;

  // Decoded-instruction cache (decode-cache.ts), maybe shared with other harts; its arrays are
  // kept here too, for the run loop.
  private readonly dc: DecodeCache;
  private readonly dcMask: number;
  private readonly dcSpan: number;
  private readonly dcTag: Int32Array;
  private readonly dcOp: Uint16Array;
  private readonly dcRd: Uint8Array;
  private readonly dcRs1: Uint8Array;
  private readonly dcRs2: Uint8Array;
  private readonly dcImm: Int32Array;
  private readonly dcLen: Uint8Array;
  private readonly scratch: Decoded = { op: 0, rd: 0, rs1: 0, rs2: 0, imm: 0, len: 0 };

  // The fetch page: virtual base of the page the loop is executing and its RAM offset (NaN while
  // there is none: a double from the start, as RAM offsets of large machines are; see mmioPaddr).
  private fvBase = NaN;
  private frBase = NaN;

  /**
   * The instruction whose memory access stalled, decoded, and its pc: the next run() executes it
   * again without fetching it again, as a pipeline holds an instruction that waits on its data.
   * Fetching it again could evict its data, and the data its code, where both map to one set of
   * a direct-mapped cache that holds the L1s (inclusion): neither would ever complete.
   */
  private readonly retry: Decoded = { op: 0, rd: 0, rs1: 0, rs2: 0, imm: 0, len: 0 };
  private retryPc = NaN;

  /** Instructions retired in the current run() call before the handler now executing. */
  runRetired = 0;
  private wfiPending = false;
  /** Set when the hart should leave run() after the current instruction (platform request). */
  private stopRequested = false;

  machineTrapHook: MachineTrapHook | null = null;
  /** Set by a platform that serves semihosting; null: every ebreak is a breakpoint. */
  semihostHook: SemihostHook | null = null;
  /**
   * Stopped in a semihosting call that waits for the host (console input): run() returns
   * Stop.Wfi, taking no interrupt, until resumeFromHost(); the call then runs again.
   */
  private hostWait = false;
  /**
   * The last successful Sv39 walk (mmu.ts): the leaf PTE's low word, with the A and D bits it
   * set, and the leaf's level (0: a 4 KiB page, 1: 2 MiB, 2: 1 GiB). A monitor's shadow fill
   * reads them after it has a virtual hart translate.
   */
  leafPte = 0;
  leafLevel = 0;
  /**
   * Where a walk that stalled goes on (mmu.ts): at level walkLevel, in the table at walkTable, for
   * the addresses under root walkRoot whose bits above that level are walkPrefix; -1: nowhere.
   */
  walkLevel = -1;
  walkRoot = 0;
  walkPrefix = 0;
  walkTable = 0;
  /** Platform-provided mtime; null: time runs at cycles / costs.cyclesPerTick, plus timeOffset. */
  timeSource: (() => number) | null = null;
  /**
   * Ticks added to the time CSR without a timeSource: a platform whose mtime software moved tells
   * the hart by how much (the FLASH machine's TIME message).
   */
  private timeOffset = 0;

  readonly trapCounts = new Float64Array(16);
  readonly irqCounts = new Float64Array(16);
  /** Cycles spent at each privilege (indexed by Priv) up to privSince; see privCycles(). */
  private readonly privTime = new Float64Array(4);
  private privSince = 0;

  constructor(opts: HartOptions) {
    this.port = opts.port;
    this.hartId = opts.hartId ?? 0;
    this.costs = { ...DEFAULT_COSTS, ...opts.costs };
    this.pc = opts.resetPc;
    this.insnPc = opts.resetPc;
    this.csr = newCsrFile(this.hartId);
    this.triggers = new Triggers(this.csr);
    const ram = this.port.ram;
    this.dv = ram.dv;
    this.u8 = ram.u8;
    // Over all the port reaches at RAM offsets (a quantum-mode store buffer too).
    this.codePage = new Uint32Array(Math.ceil(ram.u8.length / PAGE / 32));
    this.skipSpins = opts.skipSpins ?? true;
    const dc = opts.decodeCache ?? new DecodeCache(opts.decodeCacheBits ?? DC_BITS);
    this.dc = dc;
    this.dcMask = dc.mask;
    this.dcSpan = dc.span;
    this.dcTag = dc.tag;
    this.dcOp = dc.op;
    this.dcRd = dc.rd;
    this.dcRs1 = dc.rs1;
    this.dcRs2 = dc.rs2;
    this.dcImm = dc.imm;
    this.dcLen = dc.len;
    this.grantShift = this.port.grantShift;
    this.grantMask = (1 << this.grantShift) - 1;
    this.xlTag = [new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE)];
    this.xlPa = [new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE)];
    this.tlbTag = [new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE), new Float64Array(TLB_SIZE)];
    this.tlbRam = [new Int32Array(TLB_SIZE), new Int32Array(TLB_SIZE), new Int32Array(TLB_SIZE)];
    this.tlbLoadTag = this.tlbTag[Access.Load];
    this.tlbLoadRam = this.tlbRam[Access.Load];
    this.tlbStoreTag = this.tlbTag[Access.Store];
    this.tlbStoreRam = this.tlbRam[Access.Store];
    this.tlbFetchTag = this.tlbTag[Access.Fetch];
    this.tlbFetchRam = this.tlbRam[Access.Fetch];
    this.flushTlb();
  }

  // ---- Public register access (setup and tests; not for the hot path) ----

  getX(i: number): bigint {
    return BigInt.asUintN(64, toBig(this.xl[i], this.xh[i]));
  }

  setX(i: number, v: bigint | number): void {
    if (i === 0) return;
    this.spinState = SPIN_NONE;
    const b = BigInt.asUintN(64, BigInt(v));
    this.xl[i] = Number(BigInt.asIntN(32, b));
    this.xh[i] = Number(BigInt.asIntN(32, b >> 32n));
  }

  /** Simulated time of this hart in cycles: what guest writes to mcycle do not change. */
  simTime(): number {
    return this.instret + this.runRetired + this.extraCycles;
  }

  get cycle(): number {
    return this.instret + this.extraCycles + this.cycleOffset;
  }

  /** Current value of the time CSR. */
  time(): number {
    return this.timeSource !== null ? this.timeSource() : Math.floor((this.instret + this.runRetired + this.extraCycles) / this.costs.cyclesPerTick) + this.timeOffset;
  }

  setTimeOffset(ticks: number): void {
    this.timeOffset = ticks;
    // A loop may poll time: what it reads has changed.
    this.spinState = SPIN_NONE;
  }

  // ---- Platform interface ----

  /** Set or clear a platform interrupt line (MEIP, SEIP, MTIP, MSIP) in mip. */
  setIrq(irq: Irq, level: boolean): void {
    const bit = 1 << irq;
    this.spinState = SPIN_NONE;
    if (level) this.csr.mipHw |= bit; else this.csr.mipHw &= ~bit;
    if (level) this.wfiPending = false;
  }

  /**
   * Whether the ebreak now executing (at insnPc, pc past it) is the middle of the semihosting
   * sequence: all three instructions uncompressed and in one page, fetched as the hart fetches,
   * in M or S mode (QEMU takes the sequence from U mode only when configured to; here never).
   */
  atSemihostCall(): boolean {
    const at = this.insnPc;
    if (this.pc - at !== 4 || this.priv === Priv.U) return false;
    if (Math.floor((at - 4) / PAGE) !== Math.floor((at + 7) / PAGE)) return false;
    return this.instructionBits(at - 4) === SEMIHOST_PRE && this.instructionBits(at + 4) === SEMIHOST_POST;
  }

  /** The semihosting call now executing must wait for the host: it runs again once resumed. */
  waitForHost(): void {
    this.hostWait = true;
    this.pc = this.insnPc;
  }

  get waitingForHost(): boolean {
    return this.hostWait;
  }

  resumeFromHost(): void {
    this.hostWait = false;
  }

  /**
   * RAM offset of the byte at virtual address `va` for the host acting for this hart
   * (semihosting): translated as this hart's loads (`kind` Load) or stores (Store) are, MPRV
   * included, or -1 where such an access would fault, reach a device or stall.
   */
  hostRam(va: number, kind: Access): number {
    if (!(va > -TWO32 * 2097152 && va < TWO32 * 2097152)) return -1;
    const pa = translate(this, va, kind, this.dataPriv());
    if (pa < 0) return -1;
    const g = this.port.access(pa, 1, kind);
    return g >= 0 ? g : -1;
  }

  /**
   * Set by a port whose device access was performed while the instruction waited for its answer
   * (a FLASH node's uncached access): the instruction must retire before any interrupt, or the
   * handler's own access to that device would be taken for it, and it would be performed twice.
   * The port clears it when the instruction picks its answer up.
   */
  interruptsHeld = false;

  /** Leave run() at the next instruction boundary. */
  requestStop(): void {
    this.stopRequested = true;
  }

  /** The cycle at which the Sstc timer fires, or Infinity. */
  nextTimerCycle(): number {
    const c = this.csr;
    if (!c.stce || c.stimecmp === Infinity || this.timeSource !== null) return Infinity;
    return (c.stimecmp - this.timeOffset) * this.costs.cyclesPerTick;
  }

  /** Let simulated time (simTime) pass without instructions: wfi, or a stall on memory. */
  idleUntilCycle(time: number): void {
    const now = this.simTime();
    if (time > now) this.extraCycles += time - now;
  }

  /** Another agent wrote RAM (DMA, another hart, the protocol): drop what was decoded there. */
  invalidateRam(ramOffset: number, length: number): void {
    this.dc.invalidate(ramOffset, length);
  }

  /**
   * Whether a trap of `cause` at `pc` would trap to itself forever without retiring anything: a
   * fetch fault at the very address mtvec points to (a guest that never set mtvec, or mapped its
   * handler away). Boards and the monitor stop such a guest.
   */
  trapsToItself(cause: number, pc: number): boolean {
    if (cause !== Cause.FetchAccess && cause !== Cause.FetchPageFault && cause !== Cause.MisalignedFetch) return false;
    return this.csr.mtvecHi * 0x1_0000_0000 + ((this.csr.mtvecLo & ~3) >>> 0) === pc;
  }

  flushTlb(): void {
    this.spinState = SPIN_NONE;
    this.walkLevel = -1;
    for (let k = 0; k < 3; k++) {
      this.tlbTag[k].fill(NaN);
      this.xlTag[k].fill(NaN);
    }
    this.fvBase = NaN;
  }

  /**
   * The port takes back its grant of the span at RAM offset `spanRo` (an L1 eviction or a
   * coherence action): forget every filter entry for it. When `dataMayChange` (the line left this
   * node's caches, so another node may write it), also drop what was decoded from it and any LR
   * reservation on it.
   */
  /**
   * Drop the grants on the span at RAM offset `spanRo` that the hart took for virtual addresses
   * whose low bits are those of RAM offset `lowRo` (a store buffer's copy of the line at lowRo,
   * quantum-port.ts): dropGrant's search, for a span elsewhere than its address says.
   */
  dropGrantAt(lowRo: number, spanRo: number): void {
    // A filter slot is indexed by virtual address bits from grantShift up; those below bit 12
    // equal the physical ones, so only every `step`-th slot from `first` can hold this span.
    const known = Math.min(12 - this.grantShift, TLB_BITS);
    const step = 1 << known;
    const first = (lowRo >>> this.grantShift) & (step - 1);
    for (let k = 0; k < 3; k++) {
      const tag = this.tlbTag[k], ram = this.tlbRam[k];
      for (let t = first; t < TLB_SIZE; t += step) if (ram[t] === spanRo) tag[t] = NaN;
    }
    if (this.frBase === spanRo) this.fvBase = NaN;
    this.spinState = SPIN_NONE;
  }

  dropGrant(spanRo: number, dataMayChange: boolean): void {
    this.dropGrantAt(spanRo, spanRo);
    if (dataMayChange) {
      // Only pages this hart fetched from hold decoded instructions of its making (an
      // instruction may start in the page before and run into this span).
      if (this.fetchedFrom(spanRo)) this.invalidateRam(spanRo, this.grantMask + 1);
      if (this.reservation >= spanRo && this.reservation <= spanRo + this.grantMask) this.reservation = -1;
    }
  }

  /**
   * Physical address for virtual `va` and `kind` at privilege `p`, using the translation cache.
   * Untranslated accesses are answered here: an address passed to translate() and the one it
   * returns, doubles above 2^31, would each be boxed on the heap.
   */
  private translateCached(va: number, lo: number, kind: Access, p: Priv): number {
    if (untranslated(this, p)) return va < 0 ? TranslateFault.Access : va;
    const t = (lo >>> 12) & TLB_MASK;
    const vpage = va - (lo & (PAGE - 1));
    if (this.xlTag[kind][t] === vpage) return this.xlPa[kind][t] + (lo & (PAGE - 1));
    const pa = translate(this, va, kind, p);
    if (pa >= 0) {
      this.xlTag[kind][t] = vpage;
      this.xlPa[kind][t] = pa - (lo & (PAGE - 1));
    }
    return pa;
  }

  flushDecodeCache(): void {
    this.dc.flush();
    this.codePage.fill(0);
    // Fetch grants mark code pages (fetchingFrom): take them again.
    this.flushTlb();
  }

  // ---- Spin loops ----
  //
  // A hart spinning on memory that nobody changes (a barrier's flag, a lock another node holds)
  // repeats one iteration exactly: the same registers at the loop head, no stores, every access
  // served by the access filter, one cycle per instruction. Such an iteration changes nothing but
  // time, so the run loop may count whole iterations instead of executing them, up to the point
  // where it would stop anyway (a message due, the timer, the window's end); the results are the
  // same to the bit. The iteration is checked by sampling: every SPIN_SAMPLE-th taken back edge
  // takes a snapshot, and the next back edge to the same target compares. Anything that could
  // change what the loop reads or does ends the spin: a grant taken back (another node may now
  // write the line), a trap, an interrupt line, a CSR write, a TLB flush. A port whose grants
  // other harts may write through between runs (the flat board) ends it at every run() too.

  /** Stores, AMOs and SCs executed: a spinning iteration has none. */
  stores = 0;
  /** Fetches and data accesses that left the fast paths. */
  private slowPaths = 0;
  /** Instructions counted by skipping spin iterations instead of executing them. */
  spinSkipped = 0;
  private spinState = SPIN_NONE;
  private spinCount = 0;
  private spinPc = NaN;
  private spinLen = 0;
  private spinAt = 0;
  private spinExtra = NaN;
  private spinStores = 0;
  private spinSlow = 0;
  private spinFflags = 0;
  private readonly spinRegs = new Int32Array(128);
  private readonly skipSpins: boolean;

  /**
   * In a loop whose iterations repeat exactly: until a grant is taken back, an interrupt line
   * moves, or its timer fires, the hart does nothing but iterate (FLASH workers leave such a
   * node alone; node-actor/node.ts, quietUntil).
   */
  get spinning(): boolean {
    return this.spinState === SPIN_FIXED;
  }

  /** A taken branch or jump backward has set pc: Status.Spin when it closes an exact repeat. */
  backEdge(): number {
    if (!this.skipSpins) return Status.Ok;
    const target = this.pc;
    if (this.spinState === SPIN_FIXED) {
      if (target === this.spinPc) return Status.Spin;
      this.spinState = SPIN_NONE;
    } else if (this.spinState === SPIN_SNAPSHOT) {
      this.spinState = SPIN_NONE;
      if (target === this.spinPc && this.extraCycles === this.spinExtra && this.stores === this.spinStores &&
          this.slowPaths === this.spinSlow && this.sameRegisters()) {
        this.spinLen = this.instret + this.runRetired - this.spinAt;
        this.spinState = SPIN_FIXED;
        return Status.Spin;
      }
    }
    if ((++this.spinCount & (SPIN_SAMPLE - 1)) === 0) this.snapshotSpin(target);
    return Status.Ok;
  }

  /** Remember the state at loop head `target`: the next arrival there with the same state repeats it. */
  private snapshotSpin(target: number): void {
    this.spinState = SPIN_SNAPSHOT;
    this.spinPc = target;
    this.spinAt = this.instret + this.runRetired;
    this.spinExtra = this.extraCycles;
    this.spinStores = this.stores;
    this.spinSlow = this.slowPaths;
    this.spinFflags = this.fflags;
    const r = this.spinRegs, xl = this.xl, xh = this.xh, fl = this.fl, fh = this.fh;
    for (let i = 0; i < 32; i++) { r[i] = xl[i]; r[32 + i] = xh[i]; r[64 + i] = fl[i]; r[96 + i] = fh[i]; }
  }

  private sameRegisters(): boolean {
    const r = this.spinRegs, xl = this.xl, xh = this.xh, fl = this.fl, fh = this.fh;
    for (let i = 1; i < 32; i++) if (r[i] !== xl[i] || r[32 + i] !== xh[i]) return false;
    for (let i = 0; i < 32; i++) if (r[64 + i] !== fl[i] || r[96 + i] !== fh[i]) return false;
    return this.fflags === this.spinFflags;
  }

  // ---- The run loop ----

  /**
   * Run up to `budget` instructions, and not past cycle `cycleLimit` (give or take the cost of
   * the last instruction). Returns why it stopped.
   */
  run(budget: number, cycleLimit = Infinity): Stop {
    const H = HANDLERS;
    const tag = this.dcTag, opA = this.dcOp, rdA = this.dcRd, rs1A = this.dcRs1, rs2A = this.dcRs2;
    const immA = this.dcImm, lenA = this.dcLen;
    const dcMask = this.dcMask;
    let n = 0;
    let stop = Stop.Budget;
    this.stopRequested = false;
    if (!this.port.exclusiveGrants) {
      // Another hart may have written a granted page since the last run: look again. A loop
      // that was repeating itself is checked by one iteration, not found anew after many.
      this.fvBase = NaN;
      if (this.spinState === SPIN_FIXED && this.pc === this.spinPc) this.snapshotSpin(this.pc);
      else this.spinState = SPIN_NONE;
    }
    outer: while (n < budget) {
      this.runRetired = n;
      if (this.hostWait) { stop = Stop.Wfi; break; }
      this.updateTimerIrq();
      if (!this.interruptsHeld && this.takePendingInterrupt()) this.fvBase = NaN;
      // While an execute trigger is armed every instruction is fetched through fetchSlow, which
      // checks it; arming one is a CSR write, which ends the slice.
      const fetchSpan = (this.triggers.armed & TRIG_FETCH) !== 0 ? 0 : this.grantMask - 1;
      if (this.wfiPending) { stop = Stop.Wfi; break; }
      let sliceEnd = budget - n > MAX_SLICE ? n + MAX_SLICE : budget;
      const untilTimer = this.cyclesUntilTimer();
      if (n + untilTimer < sliceEnd) sliceEnd = n + (untilTimer > 1 ? untilTimer : 1);
      const untilLimit = cycleLimit - (this.instret + n + this.extraCycles);
      if (untilLimit <= 0) break;
      if (n + untilLimit < sliceEnd) sliceEnd = n + untilLimit;
      let pc = this.pc;
      let extraSeen = this.extraCycles;
      while (n < sliceEnd) {
        // Before the fetch: a fetch that misses in the caches reads the time from it.
        this.runRetired = n;
        const off = pc - this.fvBase;
        let i: number;
        if (off >= 0 && off < fetchSpan) {
          const ro = this.frBase + off;
          i = (ro >>> 1) & dcMask;
          if (tag[i] !== ro) i = this.decodeAt(ro, i);
        } else {
          const extra = this.extraCycles;
          i = this.fetchSlow();
          if (i < 0) {
            if (i === -2) { this.pc = pc; stop = Stop.Stall; break outer; }
            this.extraCycles++;
            budget--;
            // A machineTrapHook may have asked for a stop (a monitor that stepped the instruction).
            if (this.stopRequested) break outer;
            continue outer;
          }
          if (this.extraCycles !== extra) { this.pc = pc; continue outer; }
        }
        const op = opA[i];
        this.insnPc = pc;
        this.pc = pc + lenA[i];
        const rd = rdA[i], rs1 = rs1A[i], rs2 = rs2A[i], imm = immA[i];
        let st: number;
        switch (HOT[op]) {
          case 1: st = ADDI(this, rd, rs1, rs2, imm); break;
          case 2: st = SRLI(this, rd, rs1, rs2, imm); break;
          case 3: st = ADD(this, rd, rs1, rs2, imm); break;
          case 4: st = XOR(this, rd, rs1, rs2, imm); break;
          case 5: st = LW(this, rd, rs1, rs2, imm); break;
          case 6: st = MUL(this, rd, rs1, rs2, imm); break;
          case 7: st = SLLI(this, rd, rs1, rs2, imm); break;
          case 8: st = BNE(this, rd, rs1, rs2, imm); break;
          case 9: st = SW(this, rd, rs1, rs2, imm); break;
          case 10: st = LD(this, rd, rs1, rs2, imm); break;
          case 11: st = AND(this, rd, rs1, rs2, imm); break;
          case 12: st = SRLW(this, rd, rs1, rs2, imm); break;
          case 13: st = ADDIW(this, rd, rs1, rs2, imm); break;
          case 14: st = SD(this, rd, rs1, rs2, imm); break;
          case 15: st = BEQ(this, rd, rs1, rs2, imm); break;
          case 16: st = SRLIW(this, rd, rs1, rs2, imm); break;
          default: st = H[op](this, rd, rs1, rs2, imm);
        }
        if (st === Status.Ok) { n++; pc = this.pc; continue; }
        if (st === Status.Timed) {
          // The slice was counted in one-cycle instructions: take this one's extra cycles off.
          n++;
          pc = this.pc;
          sliceEnd -= this.extraCycles - extraSeen;
          extraSeen = this.extraCycles;
          continue;
        }
        if (st === Status.Spin) {
          // At the head of a loop whose iterations repeat exactly (one cycle per instruction):
          // whole iterations up to the slice's end change nothing but the count.
          n++;
          pc = this.pc;
          const k = Math.floor((sliceEnd - n) / this.spinLen);
          if (k > 0) { n += k * this.spinLen; this.spinSkipped += k * this.spinLen; }
          continue;
        }
        this.spinState = SPIN_NONE;
        this.fvBase = NaN;
        if (st === Status.Trap) {
          // Taking a trap costs a cycle and a unit of budget, so a guest stuck in a trap loop
          // (say, mtvec pointing at unmapped memory) still runs out of time and budget.
          this.extraCycles++;
          budget--;
          if (this.stopRequested) break outer;
          continue outer;
        }
        if (st === Status.Stall) {
          const r = this.retry;
          r.op = op; r.rd = rd; r.rs1 = rs1; r.rs2 = rs2; r.imm = imm; r.len = lenA[i];
          this.retryPc = pc;
          this.pc = pc;
          stop = Stop.Stall;
          break outer;
        }
        n++;
        if (this.triggerAfter) this.takeTriggerAfter();
        if (st === Status.Halt) { stop = Stop.Halt; break outer; }
        if (st === Status.Wfi) this.wfiPending = true;
        if (this.stopRequested) break outer;
        continue outer;
      }
      this.pc = pc;
      if (this.stopRequested) break;
    }
    this.instret += n;
    this.runRetired = 0;
    return stop;
  }

  /** Decode the instruction at RAM offset `ro` (inside the fetch page) into cache slot i. */
  private decodeAt(ro: number, i: number): number {
    const lo = this.u8[ro] | (this.u8[ro + 1] << 8);
    const d = (lo & 3) === 3 ? decode32(lo | (this.u8[ro + 2] << 16) | (this.u8[ro + 3] << 24), this.scratch) : decode16(lo, this.scratch);
    this.fillSlot(i, d);
    this.dcTag[i] = ro;
    return i;
  }

  /**
   * The hart was granted a span of page `page` to fetch from, and may decode there: from now on
   * its stores to that page take the slow path (storedRam), and a line of the page that its
   * node lets go drops decoded instructions (dropGrant). Marked at the grant rather than at a
   * decode, since with a shared cache whether this hart decodes depends on what the others did,
   * and the store filter's flush moves the caches' LRU order (a filter hit asks them nothing).
   */
  private fetchingFrom(page: number): void {
    if (this.isCodePage(page)) return;
    this.codePage[page >>> 5] |= 1 << (page & 31);
    this.tlbTag[Access.Store].fill(NaN);
  }

  private fillSlot(i: number, d: Decoded): void {
    this.dcOp[i] = d.op; this.dcRd[i] = d.rd; this.dcRs1[i] = d.rs1; this.dcRs2[i] = d.rs2;
    this.dcImm[i] = d.imm; this.dcLen[i] = d.len;
  }

  /**
   * Fetch at this.pc outside the current fetch page: translate, set the fetch page and decode.
   * Returns the decode slot, -1 when a trap was taken (this.pc is the handler) or -2 on a stall.
   * The pc is read from the field: as an argument, a double above 2^31 would be boxed on the heap
   * at every line crossing.
   */
  private fetchSlow(): number {
    const pc = this.pc;
    // After a stall the loop always comes here first (the stall drops the fetch page).
    if (this.retryPc === pc) {
      this.retryPc = NaN;
      this.fillSlot(this.dcSpan, this.retry);
      return this.dcSpan;
    }
    this.retryPc = NaN;
    return (this.triggers.armed & TRIG_FETCH) !== 0 ? this.fetchWatched() : this.fetchAt();
  }

  /**
   * Fetch under an armed execute trigger, checked as Spike checks it: by address before the
   * fetch (an instruction address breakpoint comes before fetch faults), then with the
   * instruction's bits when a trigger compares those.
   */
  private fetchWatched(): number {
    const pc = this.pc;
    this.splitPc(pc);
    const lo = out[0], hi = out[1];
    if (this.triggers.matchAccess(Access.Fetch, this.priv, lo, hi, false, 0, 0) !== MATCH_NONE) return this.trapReturn(Cause.Breakpoint, lo, hi, pc);
    const i = this.fetchAt();
    if (i < 0 || (this.triggers.armedData & TRIG_FETCH) === 0) return i;
    const bits = this.instructionBits(pc) | 0;
    this.splitPc(pc);
    if (this.triggers.matchAccess(Access.Fetch, this.priv, out[0], out[1], true, bits, 0) !== MATCH_NONE) return this.trapReturn(Cause.Breakpoint, out[0], out[1], pc);
    return i;
  }

  /** fetchSlow for an instruction that is neither a retry nor watched by a trigger. */
  private fetchAt(): number {
    const pc = this.pc;
    // The fetch filter first: a span the port granted for fetch and has not taken back (as for
    // data, a filter hit asks the port nothing).
    const pcLo = pc | 0; // ToInt32: the low 32 bits of any integer-valued double, without fmod
    const t = (pcLo >>> this.grantShift) & TLB_MASK;
    const spanOff = pcLo & this.grantMask;
    if (this.tlbFetchTag[t] === pc - spanOff) {
      const ro = this.tlbFetchRam[t] + spanOff;
      // In the span's last halfword, a compressed instruction lies wholly in the span; a 32-bit
      // one runs into the next span, which must be granted for fetch too, and whose RAM follows
      // on when it is in the same page (invalidateRam drops decodes that start two bytes before
      // a span). The loop comes here for those every time, but no longer asks the port.
      const inSpan = spanOff < this.grantMask - 1;
      if (inSpan || (this.u8[ro] & 3) !== 3 ||
          ((pcLo & (PAGE - 1)) !== PAGE - 2 && this.tlbFetchTag[(t + 1) & TLB_MASK] === pc + 2)) {
        if (inSpan) {
          this.fvBase = pc - spanOff;
          this.frBase = this.tlbFetchRam[t];
        }
        const i = (ro >>> 1) & this.dcMask;
        return this.dcTag[i] === ro ? i : this.decodeAt(ro, i);
      }
    }
    this.slowPaths++;
    const ro = this.fetchRam(pc);
    if (ro < 0) return ro;
    const off = ro & this.grantMask;
    if (off < this.grantMask - 1 && this.port.pageGrant(ro - off, Access.Fetch)) {
      this.fetchingFrom(ro >>> 12);
      this.fvBase = pc - off;
      this.frBase = ro - off;
      this.tlbFetchTag[t] = pc - off;
      this.tlbFetchRam[t] = ro - off;
      const i = (ro >>> 1) & this.dcMask;
      return this.dcTag[i] === ro ? i : this.decodeAt(ro, i);
    }
    // The last halfword of a span (or a span the port grants only once): a compressed
    // instruction, or the first half of a 32-bit one.
    const lo = this.u8[ro] | (this.u8[ro + 1] << 8);
    if ((lo & 3) !== 3) {
      this.fillSlot(this.dcSpan, decode16(lo, this.scratch));
      return this.dcSpan;
    }
    if (off < this.grantMask - 1) {
      this.fillSlot(this.dcSpan, decode32(lo | ((this.u8[ro + 2] | (this.u8[ro + 3] << 8)) << 16), this.scratch));
      return this.dcSpan;
    }
    const ro2 = this.fetchRam(pc + 2, pc);
    if (ro2 < 0) return ro2;
    const hi = this.u8[ro2] | (this.u8[ro2 + 1] << 8);
    this.fillSlot(this.dcSpan, decode32(lo | (hi << 16), this.scratch));
    return this.dcSpan;
  }

  /**
   * RAM offset of the halfword at virtual pc, or -1 after taking a fetch fault, -2 on a stall.
   * `insnPc` is the start of the instruction (it differs for the second half of one that
   * straddles a page): the trap's epc, while tval is the address that faulted.
   */
  private fetchRam(pc: number, insnPc = pc): number {
    if (!(pc > -TWO32 * 2097152 && pc < TWO32 * 2097152)) {
      // Not a representable address: no memory or page can be there.
      this.splitPc(pc);
      return this.trapReturn(this.translationOn(Priv.M) ? Cause.FetchPageFault : Cause.FetchAccess, out[0], out[1], insnPc);
    }
    const pa = this.translateCached(pc, pc | 0, Access.Fetch, this.priv);
    if (pa < 0) {
      if (pa === TranslateFault.Stall) return -2;
      fromNumber(pc);
      return this.trapReturn(pa === TranslateFault.Page ? Cause.FetchPageFault : Cause.FetchAccess, out[0], out[1], insnPc);
    }
    const g = this.port.access(pa, 2, Access.Fetch);
    if (g >= 0) return g;
    if (g === Grant.Stall) return -2;
    fromNumber(pc);
    return this.trapReturn(Cause.FetchAccess, out[0], out[1], insnPc);
  }

  private trapReturn(cause: number, tlo: number, thi: number, pc: number): number {
    this.raise(cause, tlo, thi, pc);
    return -1;
  }

  /** Raw bits of the instruction at pc, for the tval of an illegal-instruction trap. */
  instructionBits(pc: number): number {
    const ro = this.fetchRamQuiet(pc);
    if (ro < 0) return 0;
    const lo = this.u8[ro] | (this.u8[ro + 1] << 8);
    if ((lo & 3) !== 3) return lo;
    const ro2 = (ro & this.grantMask) === this.grantMask - 1 ? this.fetchRamQuiet(pc + 2) : ro + 2;
    return ro2 < 0 ? 0 : (lo | ((this.u8[ro2] | (this.u8[ro2 + 1] << 8)) << 16)) >>> 0;
  }

  private fetchRamQuiet(pc: number): number {
    const pa = translate(this, pc, Access.Fetch, this.priv);
    return pa < 0 ? -1 : this.port.access(pa, 2, Access.Fetch);
  }

  // ---- Privilege and translation context ----

  /** Whether data accesses are translated (MPRV applies), given the privilege `p` they use. */
  translationOn(p: Priv): boolean {
    return this.csr.satpMode === 8 && p !== Priv.M;
  }

  /** Privilege used by loads and stores (MPRV). */
  dataPriv(): Priv {
    const c = this.csr;
    return this.priv === Priv.M && (c.mstatus & MSTATUS.MPRV) !== 0 ? ((c.mstatus >>> 11) & 3) as Priv : this.priv;
  }

  setPriv(p: Priv): void {
    if (p !== this.priv) {
      this.enterPriv(p);
      this.flushTlb();
    }
  }

  /**
   * Every change of privilege goes through here (traps, xRET: never the hot loop), so that the
   * time spent at each is known (privCycles).
   */
  enterPriv(p: Priv): void {
    const now = this.simTime();
    this.privTime[this.priv] += now - this.privSince;
    this.privSince = now;
    this.priv = p;
  }

  /** Cycles this hart has spent at each privilege so far, its sleeps (wfi) included. */
  privCycles(): { user: number; supervisor: number; machine: number } {
    const t = this.privTime, now = this.simTime() - this.privSince;
    const at = (p: Priv) => t[p]! + (this.priv === p ? now : 0);
    return { user: at(Priv.U), supervisor: at(Priv.S), machine: at(Priv.M) };
  }

  // ---- Traps ----

  /** Take synchronous exception `cause` at `pc` with tval (lo, hi). Always returns Status.Trap. */
  raise(cause: number, tvalLo: number, tvalHi: number, pc: number): Status {
    this.trapCounts[cause]++;
    const c = this.csr;
    if (this.priv !== Priv.M && ((c.medeleg >>> cause) & 1) !== 0) {
      this.enterS(cause, false, tvalLo, tvalHi, pc);
      return Status.Trap;
    }
    if (this.machineTrapHook !== null && this.machineTrapHook(this, cause, toBig(tvalLo, tvalHi), pc)) {
      this.fvBase = NaN;
      return Status.Trap;
    }
    this.enterM(cause, false, tvalLo, tvalHi, pc);
    return Status.Trap;
  }

  /** Exception whose tval is the faulting pc (ebreak). */
  raisePc(cause: number): Status {
    this.splitPc(this.insnPc);
    return this.raise(cause, out[0], out[1], this.insnPc);
  }

  /** Illegal instruction at pc, with the instruction's bits in tval. */
  illegal(): Status {
    return this.raise(Cause.IllegalInstruction, this.instructionBits(this.insnPc) | 0, 0, this.insnPc);
  }

  private enterM(cause: number, interrupt: boolean, tlo: number, thi: number, pc: number): void {
    this.spinState = SPIN_NONE;
    const c = this.csr;
    this.splitPc(pc);
    c.mepcLo = out[0]; c.mepcHi = out[1];
    c.mcauseLo = cause; c.mcauseHi = interrupt ? 0x80000000 | 0 : 0;
    c.mtvalLo = tlo; c.mtvalHi = thi;
    let s = c.mstatus;
    s = (s & ~(MSTATUS.MPIE | MSTATUS.MPP)) | ((s & MSTATUS.MIE) !== 0 ? MSTATUS.MPIE : 0) | (this.priv << 11);
    c.mstatus = s & ~MSTATUS.MIE;
    this.triggers.trapToM();
    this.enterPriv(Priv.M);
    this.flushTlb();
    this.jumpVector(c.mtvecLo, c.mtvecHi, cause, interrupt);
  }

  private enterS(cause: number, interrupt: boolean, tlo: number, thi: number, pc: number): void {
    this.spinState = SPIN_NONE;
    const c = this.csr;
    this.splitPc(pc);
    c.sepcLo = out[0]; c.sepcHi = out[1];
    c.scauseLo = cause; c.scauseHi = interrupt ? 0x80000000 | 0 : 0;
    c.stvalLo = tlo; c.stvalHi = thi;
    let s = c.mstatus;
    s = (s & ~(MSTATUS.SPIE | MSTATUS.SPP)) | ((s & MSTATUS.SIE) !== 0 ? MSTATUS.SPIE : 0) | (this.priv === Priv.S ? MSTATUS.SPP : 0);
    c.mstatus = s & ~MSTATUS.SIE;
    this.enterPriv(Priv.S);
    this.flushTlb();
    this.jumpVector(c.stvecLo, c.stvecHi, cause, interrupt);
  }

  private jumpVector(lo: number, hi: number, cause: number, interrupt: boolean): void {
    const base = toNumber(lo & ~3, hi);
    this.pc = interrupt && (lo & 3) === 1 ? base + 4 * cause : base;
    this.fvBase = NaN;
  }

  /**
   * Set the pc from a 64-bit value (xRET, jalr). A value beyond 2^53 cannot be an address we
   * fetch from; its exact bits are kept for the fault that the fetch will raise.
   */
  jumpTo64(lo: number, hi: number): void {
    this.pc = toNumber(lo, hi);
    if (!(hi > -2097152 && hi < 2097152)) { this.wildLo = lo; this.wildHi = hi; }
  }

  private wildLo = 0;
  private wildHi = 0;

  /** The 64-bit bits of a pc value into out[0..1]. */
  private splitPc(pc: number): void {
    if (pc > -TWO32 * 2097152 && pc < TWO32 * 2097152) fromNumber(pc);
    else { out[0] = this.wildLo; out[1] = this.wildHi; }
  }

  /** mip as software sees it: platform lines, software-written bits, and the Sstc timer. */
  mip(): number {
    return this.csr.mipHw | this.csr.mipSw;
  }

  private updateTimerIrq(): void {
    const c = this.csr;
    if (!c.stce) return;
    const on = this.time() >= c.stimecmp;
    // A loop may poll mip: a line that changes ends a spin, as setIrq does.
    if (on !== ((c.mipHw & (1 << Irq.STI)) !== 0)) this.spinState = SPIN_NONE;
    if (on) { c.mipHw |= 1 << Irq.STI; this.wfiPending = false; } else c.mipHw &= ~(1 << Irq.STI);
  }

  private cyclesUntilTimer(): number {
    const c = this.csr;
    // Once STIP is up nothing more happens until stimecmp is written (which ends the slice).
    if (!c.stce || c.stimecmp === Infinity || this.timeSource !== null || (c.mipHw & (1 << Irq.STI)) !== 0) return Infinity;
    return (c.stimecmp - this.timeOffset) * this.costs.cyclesPerTick - (this.instret + this.runRetired + this.extraCycles);
  }

  /**
   * Outside run(): raise the Sstc timer line if it is due and take the highest-priority pending
   * and enabled interrupt, if any (a monitor's virtual hart, which is only stepped). True when
   * one was taken: pc and privilege are the handler's.
   */
  takeInterrupt(): boolean {
    this.updateTimerIrq();
    if (this.interruptsHeld || !this.takePendingInterrupt()) return false;
    this.fvBase = NaN;
    return true;
  }

  /** In wfi, and nothing has woken it since (an interrupt line, or a pending enabled interrupt). */
  get waiting(): boolean {
    return this.wfiPending;
  }

  /** Take the highest-priority pending and enabled interrupt, if any. */
  private takePendingInterrupt(): boolean {
    const c = this.csr;
    const pending = this.mip() & c.mie & IRQ_MASK;
    if (pending === 0) return false;
    this.wfiPending = false;
    const mEnabled = this.priv < Priv.M || (c.mstatus & MSTATUS.MIE) !== 0;
    const sEnabled = this.priv < Priv.S || (this.priv === Priv.S && (c.mstatus & MSTATUS.SIE) !== 0);
    const m = mEnabled ? pending & ~c.mideleg : 0;
    const s = sEnabled ? pending & c.mideleg : 0;
    const take = m !== 0 ? m : s;
    if (take === 0) return false;
    for (const irq of IRQ_PRIORITY) {
      if ((take >>> irq) & 1) {
        this.irqCounts[irq]++;
        if (m !== 0) this.enterM(irq, true, 0, 0, this.pc); else this.enterS(irq, true, 0, 0, this.pc);
        return true;
      }
    }
    return false;
  }

  // ---- Statistics ----

  stats(): { instret: number; cycle: number; traps: Record<string, number>; interrupts: Record<string, number> } {
    const traps: Record<string, number> = {};
    this.trapCounts.forEach((n, i) => { if (n > 0) traps[causeName(i)] = n; });
    const interrupts: Record<string, number> = {};
    this.irqCounts.forEach((n, i) => { if (n > 0) interrupts[interruptName(i)] = n; });
    return { instret: this.instret, cycle: this.cycle, traps, interrupts };
  }

  // ---- Memory slow paths (the fast paths are inlined in insns-rv64i.ts) ----

  /**
   * Resolve a data access of `size` bytes at virtual address (lo, hi) for `kind` with exception
   * cause `faultCause` base. Returns a RAM offset, MEM_MMIO (paddr in this.mmioPaddr), or a
   * negative Status-coded failure: MEM_TRAPPED after raising, MEM_STALL.
   */
  resolve(lo: number, hi: number, size: number, kind: Access): number {
    this.slowPaths++;
    const pa = this.translateData(lo, hi, kind);
    if (pa < 0) return pa;
    const va = toNumber(lo, hi);
    const g = this.port.access(pa, size, kind);
    if (g >= 0) {
      const m = this.grantMask;
      if ((kind !== Access.Store || !this.isCodePage(g >>> 12)) && ((this.triggers.armed >>> kind) & 1) === 0 &&
          this.port.pageGrant(g - (g & m), kind)) {
        const t = (lo >>> this.grantShift) & TLB_MASK;
        this.tlbTag[kind][t] = va - (lo & m);
        this.tlbRam[kind][t] = g - (g & m);
      }
      return g;
    }
    if (g === Grant.Stall) return MEM_STALL;
    if (g === Grant.Mmio) { this.mmioPaddr = pa; return MEM_MMIO; }
    this.raise(kind === Access.Load ? Cause.LoadAccess : Cause.StoreAccess, lo, hi, this.insnPc);
    return MEM_TRAPPED;
  }

  /**
   * The physical address of a data access of `kind` at virtual (lo, hi), as resolve() finds it,
   * without asking the port (atomics on a port that performs them): the address, or MEM_STALL
   * or MEM_TRAPPED after raising the fault.
   */
  translateData(lo: number, hi: number, kind: Access): number {
    const pageFault = kind === Access.Load ? Cause.LoadPageFault : Cause.StorePageFault;
    const accessFault = kind === Access.Load ? Cause.LoadAccess : Cause.StoreAccess;
    const p = this.dataPriv();
    if (!(hi > -2097152 && hi < 2097152)) {
      this.raise(this.translationOn(p) ? pageFault : accessFault, lo, hi, this.insnPc);
      return MEM_TRAPPED;
    }
    const pa = this.translateCached(toNumber(lo, hi), lo, kind, p);
    if (pa >= 0) return pa;
    if (pa === TranslateFault.Stall) return MEM_STALL;
    this.raise(pa === TranslateFault.Page ? pageFault : accessFault, lo, hi, this.insnPc);
    return MEM_TRAPPED;
  }

  /** Whether this hart may hold decoded instructions of the span at RAM offset `spanRo` (see dropGrant). */
  fetchedFrom(spanRo: number): boolean {
    return this.isCodePage(spanRo >>> 12) || (spanRo > 0 && this.isCodePage((spanRo - 2) >>> 12));
  }

  /**
   * Physical address of the MMIO access that resolve() reported. NaN until then: physical
   * addresses are above 2^31, so V8 must hold the field as a double from the start (a field that
   * starts as a small integer and later takes a double changes the hart's shape, and every method
   * compiled for the old shape is thrown away).
   */
  mmioPaddr = NaN;

  private isCodePage(page: number): boolean {
    return ((this.codePage[page >>> 5] >>> (page & 31)) & 1) !== 0;
  }

  /**
   * RAM offsets from here up are a store buffer's lines (the quantum mode, quantum-port.ts),
   * whose port must know every byte stored to them: a store through the fast path marks its
   * bytes in `storeMask`, a bit each, word (ro - storeMaskFrom) >>> 5. Infinity: no such lines.
   */
  storeMaskFrom = Infinity;
  storeMask: Uint32Array | null = null;

  /** A fast-path store of `size` bytes at RAM offset ro, at or above storeMaskFrom. */
  markStored(ro: number, size: number): void {
    const a = ro - this.storeMaskFrom, m = this.storeMask!;
    const b = a & 31;
    if (b + size <= 32) {
      m[a >>> 5] |= (size === 4 ? 0xf : size === 8 ? 0xff : size === 2 ? 3 : 1) << b;
      return;
    }
    for (let k = 0; k < size; k++) m[(a + k) >>> 5] |= 1 << ((a + k) & 31);
  }

  /** After a store to RAM offset ro: keep decoded instructions exact (self-modifying code). */
  storedRam(ro: number, size: number): void {
    if (this.isCodePage(ro >>> 12)) this.invalidateRam(ro, size);
  }

  // ---- Triggers on data accesses (triggers.ts) ----
  //
  // memory-access.ts and the atomics ask watchData before an access of a kind that a trigger
  // watches (by address; stores with their data) and, for loads watched by data, again after it.
  // A trigger that fires before raises the breakpoint at once; one that fires after lets the
  // access complete and then, through fireAfter, has the breakpoint taken before the next
  // instruction (with that instruction's address in epc), as Spike does. Once one has fired
  // after, the instruction asks no more (Spike looks at no other trigger then either).

  private triggerAfter = false;
  private triggerTvalLo = 0;
  private triggerTvalHi = 0;

  /**
   * Triggers on an access of `kind` to (lo, hi), with its data when `hasData`: Status.Trap after
   * raising a breakpoint, TRIGGER_AFTER when one fires once the access is done, else Status.Ok.
   */
  watchData(kind: Access, lo: number, hi: number, hasData: boolean, dlo: number, dhi: number): number {
    const m = this.triggers.matchAccess(kind, this.priv, lo, hi, hasData, dlo, dhi);
    if (m === MATCH_NONE) return Status.Ok;
    if (m === TIMING_BEFORE) return this.raise(Cause.Breakpoint, lo, hi, this.insnPc);
    return TRIGGER_AFTER;
  }

  /**
   * The access at (lo, hi) that a trigger fires after is done: Status.Event, on which the run
   * loop, having retired the instruction, takes the breakpoint.
   */
  fireAfter(lo: number, hi: number): number {
    this.triggerAfter = true;
    this.triggerTvalLo = lo;
    this.triggerTvalHi = hi;
    return Status.Event;
  }

  private takeTriggerAfter(): void {
    this.triggerAfter = false;
    this.raise(Cause.Breakpoint, this.triggerTvalLo, this.triggerTvalHi, this.pc);
    this.extraCycles++;
  }

  /** Outcome of a device access in Status terms. */
  mmioOutcome(s: MmioStatus, lo: number, hi: number, store: boolean): Status {
    if (s === MmioStatus.Ok) return Status.Event;
    if (s === MmioStatus.Halt) return Status.Halt;
    if (s === MmioStatus.Stall) return Status.Stall;
    return this.raise(store ? Cause.StoreAccess : Cause.LoadAccess, lo, hi, this.insnPc);
  }

}

export { OP_ILLEGAL, X_DISCARD, Status, Stop };
