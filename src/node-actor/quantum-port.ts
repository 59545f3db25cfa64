// The quantum timing mode's bound phase, memory side (docs/quantum.md): the hart's port on a
// FLASH node while machine memory and the directory are frozen for the quantum.
//
// Loads and fetches read memory as the last weave left it, or the node's own store buffer where
// it has stored to the line; stores go to the store buffer, a slot of the arena (a line copied
// from memory, with a bit per byte the node stored), which the weave commits. The node's caches
// run their protocol as in the exact mode, but a request never reaches a home: it is answered
// here at once, with the latency it would have without contention, from the directory's state
// at the quantum's start, and goes into the node's miss log for the weave. Atomics, and fences
// while the buffer holds stores, block: the weave performs them and the node goes on after it.
//
// Everything the weave reads (the slots' lines and masks, the log, the blocked request) lives
// in the quantum region of src/shared-abi.

import type { MachineConfig } from '../config/machine.js';
import { Access, Grant, MmioStatus, type AmoOp, type AtomicPort, type RamView } from '../vcpu/port.js';
import { DMA_NEXT_QUANTUM, ProcessorInterface, type DeviceRange, type PiHost } from './processor-interface.js';
import type { CacheController } from '../directory/cache-controller.js';
import { DirState, type HomeViews } from '../directory/home-controller.js';
import { Msg, msgBytes } from '../directory/messages.js';
import { Sharers } from '../directory/sharers.js';
import type { Mesh } from '../interconnect/mesh.js';
import type { Hart } from '../vcpu/hart.js';
import { BLOCK_WORDS, LOG_WORDS, type quantumLayout } from '../shared-abi/machine.js';

export type QuantumViews = ReturnType<ReturnType<typeof quantumLayout>['views']>;

/** Why a node blocked until the weave (QuantumViews.block word 0). */
export const enum Block { None = 0, Fence = 1, Amo = 2, Sc = 3, Full = 4 }

/** The hart waits for the weave (FlashNode.waiting). */
export const WAIT_QUANTUM = -5;

/** Miss-log flags: the request was an instruction fetch; it was answered with an exclusive copy. */
export const LOG_FETCH = 1;
export const LOG_EXCLUSIVE = 2;
/** The line was another node's, which may be writing it in place: the weave answers. */
export const LOG_DEFERRED = 4;

/** What the port needs from its node besides the processor interface's. */
export interface QuantumHost extends PiHost {
  /** A reply for this node's caches, due at `time` (`local`: it does not pass the network). */
  reply(time: number, type: Msg, src: number, line: number, local: boolean): void;
  /** A request left to the weave: its answer is in flight from now (FlashNode.answerLater takes it). */
  deferred(): void;
}

export interface QuantumSizes {
  /** Store-buffer lines per node. */
  slots: number;
  /** Miss-log entries per node and quantum. */
  logCap: number;
  /** RAM offset of the arena (the size of machine memory). */
  arenaBase: number;
}

export class QuantumPort extends ProcessorInterface implements AtomicPort {
  override readonly exclusiveGrants = false;
  override readonly atomics: AtomicPort = this;
  private readonly lineMask: number;
  private readonly lineWords: number;
  private readonly slotBase: number;
  /** Open-addressed map line -> slot for this quantum: keys, values, and the quantum they were set in. */
  private readonly mapLine: Int32Array;
  private readonly mapSlot: Int32Array;
  private readonly mapGen: Int32Array;
  private readonly mapMask: number;
  private gen = 1;
  private used = 0;
  private logged = 0;
  /** The LR reservation's physical address; whether another node broke it is the weave's to know. */
  private resAddr = NaN;
  /** The weave's answer to a blocked AMO or SC, for the retry. */
  private answered = Block.None;
  private answerLo = 0;
  private answerHi = 0;
  private readonly zero: ZeroLoad;
  /** Machine memory and the arena as words (lines are word-aligned). */
  private readonly words: Int32Array;

  constructor(
    ram: RamView,
    cache: CacheController,
    devices: readonly DeviceRange[],
    private readonly cfg: MachineConfig,
    protected override readonly host: QuantumHost,
    private readonly node: number,
    private readonly q: QuantumViews,
    private readonly dir: HomeViews,
    private readonly mesh: Mesh,
    private readonly sizes: QuantumSizes,
  ) {
    super(ram, cache, devices, cfg.lineBytes, host);
    this.lineMask = cfg.lineBytes - 1;
    this.lineWords = cfg.lineBytes / 32;
    this.slotBase = sizes.arenaBase + node * sizes.slots * cfg.lineBytes;
    let m = 16;
    while (m < sizes.slots * 2) m *= 2;
    this.mapLine = new Int32Array(m);
    this.mapSlot = new Int32Array(m);
    this.mapGen = new Int32Array(m);
    this.mapMask = m - 1;
    this.zero = new ZeroLoad(cfg, mesh, dir);
    this.words = new Int32Array(ram.u8.buffer, ram.u8.byteOffset, ram.u8.byteLength >>> 2);
  }

  /**
   * Every hart that reaches memory through this port: the node's, and under the monitor each
   * vCPU's real hart and stepping hart, loaded or not (a hart not loaded keeps its grants).
   */
  readonly harts: Hart[] = [];

  /** A new quantum: the weave has committed the buffer and read the log. */
  beginQuantum(): void {
    // The slots hold other lines next: the harts' grants on them, and what they decoded there, go.
    const lb = this.cfg.lineBytes, first = this.node * this.sizes.slots;
    for (let s = 0; s < this.used; s++) {
      const at = this.slotBase + s * lb, lineRo = this.q.slotLine[first + s] << this.lineShift;
      for (const h of this.harts) {
        h.dropGrantAt(lineRo, at);
        if (h.fetchedFrom(at)) h.invalidateRam(at, lb);
      }
    }
    this.gen++;
    this.used = 0;
    this.logged = 0;
    this.q.slotCount[this.node] = 0;
    this.q.logCount[this.node] = 0;
    this.q.blockTime[this.node] = NaN;
  }

  /**
   * The monitor switches vCPUs: an atomic's answer that the loaded one did not take (it was
   * stopped) is nobody's.
   */
  override cancelUncached(): void {
    super.cancelUncached();
    if (this.answered === Block.None) return;
    this.answered = Block.None;
    this.hart!.interruptsHeld = false;
  }

  /** The node blocked (its request is in QuantumViews.block) and the weave answered it. */
  answer(kind: Block): void {
    this.answered = kind;
    this.answerLo = this.q.result[this.node * 2];
    this.answerHi = this.q.result[this.node * 2 + 1];
  }

  override access(paddr: number, size: number, kind: Access): number {
    const ro = this.locate(paddr, size);
    if (ro < 0) return ro;
    // A miss and the eviction it causes take two log entries.
    if (this.logged > this.sizes.logCap - 2) return this.block(Block.Full, 0, 0, 0, 0, 0);
    if (this.lookUp(ro, kind) < 0) return Grant.Stall;
    const line = ro >>> this.lineShift;
    let s = this.slotOf(line);
    // A hart runs what it just stored, as in the exact machine (invariant 5).
    if (kind !== Access.Store) return s < 0 ? ro : this.slotBase + s * this.cfg.lineBytes + (ro & this.lineMask);
    // A line the node owned when the quantum began nobody else reads in it (their requests wait
    // for the weave): it writes it in place.
    if (s < 0 && this.owned(line)) return ro;
    if (s < 0) {
      if (this.used === this.sizes.slots) return this.block(Block.Full, 0, 0, 0, 0, 0);
      s = this.newSlot(line, ro - (ro & this.lineMask));
    }
    return this.mark(s, ro & this.lineMask, size);
  }

  /**
   * A DMA engine's access on this node (the I/O node's devices, the monitor's page copies): as
   * the hart's, through the caches and into the store buffer, but charged to no hart. A full
   * buffer or log makes it wait for the next quantum (the engine asks again then).
   */
  override dmaLine(ro: number, len: number, write: boolean): number {
    const line = ro >>> this.lineShift, off = ro & this.lineMask;
    let s = this.slotOf(line);
    if (this.logged > this.sizes.logCap - 2 || (write && s < 0 && this.used === this.sizes.slots && !this.owned(line))) return DMA_NEXT_QUANTUM;
    const r = this.cache.access(line, write ? Access.Store : Access.Load);
    if (r < 0) return r;
    if (!write) return s < 0 ? ro : this.slotBase + s * this.cfg.lineBytes + off;
    if (s < 0 && this.owned(line)) return ro;
    if (s < 0) s = this.newSlot(line, ro - off);
    return this.mark(s, off, len);
  }

  /** Bytes [off, off + size) of slot s are stored to: the weave commits them. Their RAM offset. */
  private mark(s: number, off: number, size: number): number {
    const m = this.q.slotMask, base = (this.node * this.sizes.slots + s) * this.lineWords;
    for (let b = off; b < off + size; b++) m[base + (b >>> 5)] |= 1 << (b & 31);
    return this.slotBase + s * this.cfg.lineBytes + off;
  }

  override pageGrant(spanRo: number, kind: Access): boolean {
    // The buffer's lines are the node's alone until the weave (the hart marks the bytes it
    // stores there: Hart.storeMask); a line in memory takes its first store here, for a slot.
    // The hart's filters hold int32 offsets: past 2 GiB (machines of 2 GiB: 256 nodes and more
    // by default) the arena's lines come here every time.
    if (spanRo >= this.sizes.arenaBase) return spanRo < 0x8000_0000;
    return (kind !== Access.Store || this.owned(spanRo >>> this.lineShift)) && super.pageGrant(spanRo, kind);
  }

  /** The directory gave the node the line exclusive before the quantum began (and nobody since). */
  private owned(line: number): boolean {
    return this.dir.state[line] === DirState.EX && this.dir.owner[line] === this.node;
  }

  /** A hart that reaches memory through this port: it marks its fast-path stores in the buffer's masks. */
  attachHart(h: Hart): void {
    this.harts.push(h);
    h.storeMaskFrom = this.sizes.arenaBase;
    h.storeMask = this.q.slotMask;
  }

  private slotOf(line: number): number {
    let i = (Math.imul(line, 0x9e3779b1) >>> 0) & this.mapMask;
    for (;;) {
      if (this.mapGen[i] !== this.gen) return -1;
      if (this.mapLine[i] === line) return this.mapSlot[i];
      i = (i + 1) & this.mapMask;
    }
  }

  private newSlot(line: number, lineRo: number): number {
    const s = this.used++;
    let i = (Math.imul(line, 0x9e3779b1) >>> 0) & this.mapMask;
    while (this.mapGen[i] === this.gen) i = (i + 1) & this.mapMask;
    this.mapGen[i] = this.gen;
    this.mapLine[i] = line;
    this.mapSlot[i] = s;
    const k = this.node * this.sizes.slots + s;
    this.q.slotLine[k] = line;
    this.q.slotCount[this.node] = this.used;
    // As words: a third of the time of a byte copy on a shared buffer.
    const at = this.slotBase + s * this.cfg.lineBytes;
    this.words.copyWithin(at >>> 2, lineRo >>> 2, (lineRo + this.cfg.lineBytes) >>> 2);
    // Loads granted on the line in memory must now come here, to see the buffer.
    for (const h of this.harts) h.dropGrant(lineRo, false);
    return s;
  }

  private block(kind: Block, paddr: number, size: number, op: number, lo: number, hi: number): number {
    const n = this.node, b = n * BLOCK_WORDS;
    this.q.blockTime[n] = this.hart!.simTime();
    this.q.blockAddr[n] = paddr;
    this.q.block[b] = kind;
    this.q.block[b + 1] = size;
    this.q.block[b + 2] = op;
    this.q.block[b + 3] = lo;
    this.q.block[b + 4] = hi;
    // The retry must be the blocked instruction itself: an interrupt handler's atomic would take
    // its answer.
    if (kind === Block.Amo || kind === Block.Sc) this.hart!.interruptsHeld = true;
    this.host.stallOn(WAIT_QUANTUM);
    return Grant.Stall;
  }

  // ---- AtomicPort ----

  amo(paddr: number, size: number, op: AmoOp, lo: number, hi: number, out: Int32Array): MmioStatus {
    if (this.answered === Block.Amo) {
      this.answered = Block.None;
      this.hart!.interruptsHeld = false;
      out[0] = this.answerLo; out[1] = this.answerHi;
      return MmioStatus.Ok;
    }
    if (this.locate(paddr, size) < 0) return MmioStatus.Fault;
    this.block(Block.Amo, paddr, size, op, lo, hi);
    return MmioStatus.Stall;
  }

  reserve(paddr: number): void {
    this.resAddr = paddr;
    this.q.resLine[this.node] = (paddr - this.ram.base) >>> this.lineShift;
    this.q.resOk[this.node] = 1;
  }

  sc(paddr: number, size: number, lo: number, hi: number, held: boolean, out: Int32Array): MmioStatus {
    if (this.answered === Block.Sc) {
      this.answered = Block.None;
      this.hart!.interruptsHeld = false;
      out[0] = this.answerLo;
      return MmioStatus.Ok;
    }
    if (this.locate(paddr, size) < 0) return MmioStatus.Fault;
    if (!held || paddr !== this.resAddr) { out[0] = 1; return MmioStatus.Ok; }
    this.resAddr = NaN;
    this.block(Block.Sc, paddr, size, 0, lo, hi);
    return MmioStatus.Stall;
  }

  fence(): boolean {
    if (this.used === 0) return true;
    this.block(Block.Fence, 0, 0, 0, 0, 0);
    return false;
  }

  // ---- the homes' answers ----

  /**
   * A protocol request of this node's caches leaves it at `t` (`local`: its home is this node,
   * and `t` is the end of the home's handler on this node's MAGIC). Logs it, and queues the reply
   * the home would send without contention, from the directory as the last weave left it.
   */
  request(type: Msg, line: number, a: number, t: number, local: boolean): void {
    const c = this.cfg, z = this.zero;
    const h = z.homeOf(line);
    const arrive = local ? t - c.magicCycles : t + this.mesh.latency(this.node, h, msgBytes(type, c.headerBytes, c.lineBytes));
    // Another node's line may be changing in place: the weave answers (its answer comes in the
    // next quantum), as the owner would once it has handed the line over.
    const st = this.dir.state[line];
    if (type <= Msg.UPGRADE && st === DirState.EX && this.dir.owner[line] !== this.node) {
      this.log(arrive, type, line, (a & LOG_FETCH) | LOG_DEFERRED);
      this.host.deferred();
      return;
    }
    const to = z.answer(type, this.node, line, (a & LOG_FETCH) !== 0, local ? t : arrive + c.magicCycles);
    this.log(arrive, type, line, (a & LOG_FETCH) | (z.exclusive ? LOG_EXCLUSIVE : 0));
    if (z.reply >= 0) this.host.reply(to, z.reply, z.src, line, z.src === this.node);
  }

  private log(time: number, type: Msg, line: number, flags: number): void {
    // Callers leave room (access, dmaLine); past the end would be the next node's rows.
    if (this.logged === this.sizes.logCap) throw new Error(`quantum mode: node ${this.node}'s miss log overflowed`);
    const n = this.node, i = n * this.sizes.logCap + this.logged++;
    this.q.logTime[i] = time;
    const w = i * LOG_WORDS;
    this.q.logWords[w] = type;
    this.q.logWords[w + 1] = line;
    this.q.logWords[w + 2] = flags;
    this.q.logCount[n] = this.logged;
  }
}

/**
 * What a home (with an owner or the sharers) answers a request, and when the answer reaches the
 * requester, if nothing else were going on: the exact machine's messages at their zero-load
 * latencies, from the directory as it stands. The bound phase answers its misses so; the weave
 * times the atomics it performs so.
 */
export class ZeroLoad {
  /** The last answer: its type (-1: none, for PUTS), its sender, whether it grants exclusive. */
  reply: number = Msg.WB_ACK;
  src = 0;
  exclusive = false;
  /** Until when the home holds the line busy for the last answer (forwarded, or invalidating); else its handler's end. */
  busyUntil = 0;
  /** When the last answer left its sender, before the network. */
  sentAt = 0;
  private readonly sharers: Sharers;
  private readonly linesPerNode: number;
  private invAt = 0;
  private invFrom = 0;
  private invLast = 0;
  private invCount = 0;

  constructor(private readonly cfg: MachineConfig, private readonly mesh: Mesh, private readonly dir: HomeViews) {
    this.sharers = new Sharers(dir, cfg.nodes, cfg.dirPointers);
    this.linesPerNode = (cfg.memPerNodeMiB << 20) / cfg.lineBytes;
  }

  homeOf(line: number): number {
    return Math.floor(line / this.linesPerNode);
  }

  /** Cycles a request without data takes from node r to node h over the network. */
  requestLatency(r: number, h: number): number {
    return this.mesh.latency(r, h, this.cfg.headerBytes);
  }

  /**
   * Request `type` of node `r` for `line`, its home's handler ending at `e`: the cycle its answer
   * reaches r (before r's MAGIC handles it). Sets reply, src and exclusive.
   */
  answer(type: Msg, r: number, line: number, fetch: boolean, e: number): number {
    const c = this.cfg, h = this.homeOf(line), hdr = c.headerBytes;
    let at = e;
    this.src = h;
    this.exclusive = false;
    this.reply = Msg.WB_ACK;
    this.busyUntil = e;
    if (type === Msg.PUTS) { this.reply = -1; this.sentAt = e; return e; }
    if (type === Msg.GETS || type === Msg.GETX || type === Msg.UPGRADE) {
      const st = this.dir.state[line], owner = this.dir.owner[line];
      const write = type !== Msg.GETS;
      if (st === DirState.EX && owner !== r) {
        // Three hops: the owner supplies the line.
        this.src = owner;
        at = e + (owner === h ? 0 : this.mesh.latency(h, owner, hdr)) + c.magicCycles + c.cacheToCacheCycles;
        this.reply = write ? Msg.DATA_X : Msg.DATA_S;
        this.exclusive = write;
        // The owner's SHARING_WB or XFER frees the line at the home.
        this.busyUntil = at + (owner === h ? 0 : this.mesh.latency(owner, h, msgBytes(write ? Msg.XFER : Msg.SHARING_WB, hdr, c.lineBytes))) + c.magicCycles;
      } else if (!write) {
        this.exclusive = (st === DirState.U && !fetch) || st === DirState.EX;
        this.reply = this.exclusive ? Msg.DATA_E : Msg.DATA_S;
        at = e + c.memoryCycles;
      } else {
        this.exclusive = true;
        const shares = st === DirState.S && this.sharers.has(line, r) && !this.sharers.overflowed(line);
        if (st === DirState.S) {
          this.invAt = e; this.invFrom = h; this.invLast = e; this.invCount = 0;
          this.sharers.forEach(line, r, this.invalidation);
          if (this.invCount > 0) at = this.busyUntil = Math.max(this.invLast, e + this.invCount * c.magicCycles) + c.magicCycles;
        }
        this.reply = type === Msg.UPGRADE && shares ? Msg.UPGRADE_ACK : Msg.DATA_X;
        if (this.reply === Msg.DATA_X) at += c.memoryCycles;
      }
    }
    this.sentAt = at;
    return this.src === r ? at : at + this.mesh.latency(this.src, r, msgBytes(this.reply, hdr, c.lineBytes));
  }

  /** An invalidation from the home at invAt and its ack back, the home's NI sending one at a time. */
  private readonly invalidation = (k: number): void => {
    const c = this.cfg, h = this.invFrom;
    const leave = this.invAt + this.invCount * this.mesh.serialization(c.headerBytes);
    this.invCount++;
    const back = k === h ? leave + c.magicCycles
      : leave + this.mesh.latency(h, k, c.headerBytes) + c.magicCycles + this.mesh.latency(k, h, c.headerBytes);
    if (back > this.invLast) this.invLast = back;
  };
}
