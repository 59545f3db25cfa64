// The cache side of the protocol: one node's L1 I, L1 D and unified L2 (tags and states only),
// and the requests its processor makes to the homes.
//
// L2 line states (the protocol state; the L1s are subsets of the L2 and hold a permission only):
//   I  S  E  M     stable MESI
//   IS             GETS sent, waiting for data
//   IM             GETX sent (from I), waiting for data and ownership
//   SM             UPGRADE sent from S, waiting for the ack
//   IS_I           IS, and an invalidation overtook the data: use nothing, retry
// An evicted E or M line is written back with PUTE/PUTX and stays in the writeback buffer until
// WB_ACK; while there, the processor may not ask for it again, and a forwarded request that
// crossed the writeback is answered from memory. A forward that reaches a line still waiting for
// its own grant (the grant travels from the old owner, the forward from the home) is deferred
// until the grant arrives.
//
// The processor side (access) answers at once on an L1 or L2 hit, charging the L2 latency, and
// otherwise sends the request and reports a stall; the node wakes the hart when the line settles.

import { Access } from '../vcpu/port.js';
import type { MachineConfig } from '../config/machine.js';
import { CacheArray } from './cache-array.js';
import { Msg, MSG_NAMES } from './messages.js';
import { type Outbox } from './home-controller.js';
import { TransitionTable, type Row } from './transitions.js';

export const enum CState { I = 0, S = 1, E = 2, M = 3, IS = 4, IM = 5, SM = 6, IS_I = 7 }
const CSTATE_NAMES = ['I', 'S', 'E', 'M', 'IS', 'IM', 'SM', 'IS_I'];

/** L1 permissions. */
const L1_READ = 1, L1_WRITE = 2;

/** Results of access() besides a latency: stalled on this line, or on any line settling. */
export const ACCESS_STALL = -1;
export const ACCESS_STALL_ANY = -2;

export type CacheParams = Pick<MachineConfig, 'nodes' | 'lineBytes' | 'l1iKiB' | 'l1dKiB' | 'l1Ways' | 'l2KiB' | 'l2Ways' |
  'l2HitCycles' | 'cacheToCacheCycles' | 'memPerNodeMiB' | 'nackRetryCycles'>;

/** What the cache needs from its node. */
export interface CacheHost extends Outbox {
  /** The hart loses its grants on a line (L1 eviction, downgrade, invalidation). */
  dropLine(line: number, dataMayChange: boolean): void;
  /** The hart, stalled on `line`, may retry at `time`; whether it will (it waited for it). */
  wake(line: number, time: number): boolean;
  /** Current handler time. */
  now(): number;
}

export interface CacheStats {
  l1iMisses: number;
  l1dMisses: number;
  l2Hits: number;
  l2Misses: number;
  upgrades: number;
  localMisses: number;
  remoteMisses: number;
  threeHopMisses: number;
  localMissCycles: number;
  remoteMissCycles: number;
  nacksReceived: number;
  writebacks: number;
  replacementHints: number;
}

type Ctx = CacheController;

const ROWS: Row<Ctx>[] = [
  { from: [CState.IS], on: [Msg.DATA_S], doc: 'IS DATA_S: shared', do: (c) => c.complete(CState.S) },
  { from: [CState.IS], on: [Msg.DATA_E], doc: 'IS DATA_E: exclusive clean', do: (c) => c.complete(CState.E) },
  { from: [CState.IS_I], on: [Msg.DATA_S], doc: 'IS_I DATA_S: invalidated meanwhile; drop and retry', do: (c) => c.completeInvalid() },
  // The home records an exclusive grant as the owner, and an owner gets forwards, never an INV:
  // the INV was for a shared copy dropped before this request (it crossed the replacement hint).
  { from: [CState.IS_I], on: [Msg.DATA_E], doc: 'IS_I DATA_E: the INV was for an older copy; exclusive clean', do: (c) => c.complete(CState.E) },
  { from: [CState.IM, CState.SM], on: [Msg.DATA_X, Msg.UPGRADE_ACK], doc: 'IM/SM grant: modified', do: (c) => c.complete(CState.M) },
  { from: [CState.IS, CState.IM, CState.IS_I], on: [Msg.NACK], doc: 'IS/IM NACK: back to I, retry later', do: (c) => c.nacked(CState.I) },
  { from: [CState.SM], on: [Msg.NACK], doc: 'SM NACK: back to S, retry later', do: (c) => c.nacked(CState.S) },
  { from: [CState.S], on: [Msg.INV], doc: 'S INV: invalidate, ack', do: (c) => c.invalidate(CState.I) },
  { from: [CState.I, CState.IM, CState.IS_I], on: [Msg.INV], doc: 'INV of a line not held (crossed a replacement hint): ack', do: (c) => c.ackInv() },
  { from: [CState.IS], on: [Msg.INV], doc: 'IS INV: the invalidation overtook the data; ack, IS_I', do: (c) => c.invalidate(CState.IS_I) },
  { from: [CState.SM], on: [Msg.INV], doc: 'SM INV: lost the shared copy; the upgrade becomes a GETX', do: (c) => c.invalidate(CState.IM) },
  { from: [CState.E, CState.M], on: [Msg.FWD_GETS], doc: 'E/M FWD_GETS: supply the requester, keep S', do: (c) => c.supplyShared(true) },
  { from: [CState.I], on: [Msg.FWD_GETS], doc: 'I FWD_GETS: forward crossed our writeback; supply from memory', do: (c) => c.supplyShared(false) },
  { from: [CState.E, CState.M], on: [Msg.FWD_GETX], doc: 'E/M FWD_GETX: hand the line over', do: (c) => c.supplyExclusive(true) },
  { from: [CState.I], on: [Msg.FWD_GETX], doc: 'I FWD_GETX: forward crossed our writeback; hand over', do: (c) => c.supplyExclusive(false) },
  { from: [CState.IS, CState.IM, CState.SM, CState.IS_I], on: [Msg.FWD_GETS, Msg.FWD_GETX], doc: 'forward before our own grant: defer', do: (c) => c.defer() },
  { from: [CState.I, CState.S, CState.E, CState.M, CState.IS, CState.IM, CState.SM, CState.IS_I], on: [Msg.WB_ACK], doc: 'WB_ACK: the writeback buffer entry is free', do: (c) => c.writebackDone() },
];

export class CacheController {
  readonly table = new TransitionTable<Ctx>('cache', CSTATE_NAMES, MSG_NAMES, ROWS,
    (c) => `node ${c.node}, line ${c.line}, from node ${c.src}`);
  readonly stats: CacheStats = {
    l1iMisses: 0, l1dMisses: 0, l2Hits: 0, l2Misses: 0, upgrades: 0, localMisses: 0, remoteMisses: 0,
    threeHopMisses: 0, localMissCycles: 0, remoteMissCycles: 0, nacksReceived: 0, writebacks: 0, replacementHints: 0,
  };
  readonly l1i: CacheArray;
  readonly l1d: CacheArray;
  readonly l2: CacheArray;
  private readonly lineShift: number;
  private readonly linesPerNode: number;
  /**
   * Lines written back and not yet acknowledged. A short list, not a Set: entries come and go
   * with every writeback, and a shrinking Set reallocates its table in the hot path.
   */
  private wbLines = new Int32Array(8);
  private wbCount = 0;
  /** Per L2 way in a transient state: when its request was issued, and the access that missed. */
  private readonly pendingSince: Float64Array;
  private readonly pendingKind: Uint8Array;
  /** Forwards deferred until the line's own grant arrives: line -> [type, requester] pairs. */
  private readonly deferred = new Map<number, number[]>();
  /** Extra cycles the last access() cost (L2 hit); read by the port. */
  lastLatency = 0;

  // The message being handled.
  line = 0;
  src = 0;
  private req = 0;
  private type = 0;
  private way = -1;

  constructor(readonly node: number, private readonly p: CacheParams, private readonly host: CacheHost) {
    this.l1i = new CacheArray(p.l1iKiB << 10, p.lineBytes, p.l1Ways);
    this.l1d = new CacheArray(p.l1dKiB << 10, p.lineBytes, p.l1Ways);
    this.l2 = new CacheArray(p.l2KiB << 10, p.lineBytes, p.l2Ways);
    this.lineShift = Math.log2(p.lineBytes);
    this.linesPerNode = (p.memPerNodeMiB << 20) >>> this.lineShift;
    this.pendingSince = new Float64Array(this.l2.tag.length);
    this.pendingKind = new Uint8Array(this.l2.tag.length);
  }

  /** Is `line` in the writeback buffer? */
  inWriteback(line: number): boolean {
    for (let i = 0; i < this.wbCount; i++) if (this.wbLines[i] === line) return true;
    return false;
  }

  private addWriteback(line: number): void {
    if (this.wbCount === this.wbLines.length) {
      const grown = new Int32Array(this.wbLines.length * 2);
      grown.set(this.wbLines);
      this.wbLines = grown;
    }
    this.wbLines[this.wbCount++] = line;
  }

  private removeWriteback(line: number): boolean {
    for (let i = 0; i < this.wbCount; i++) {
      if (this.wbLines[i] === line) { this.wbLines[i] = this.wbLines[--this.wbCount]; return true; }
    }
    return false;
  }

  homeOf(line: number): number {
    return Math.floor(line / this.linesPerNode);
  }

  stateOf(line: number): CState {
    const w = this.l2.find(line);
    return w < 0 ? CState.I : this.l2.state[w] as CState;
  }

  // ---- processor side ----

  /**
   * The hart wants `kind` access to `line`. Returns the extra cycles (>= 0) when the caches can
   * serve it now, or ACCESS_STALL after sending a request (or when one is outstanding).
   */
  access(line: number, kind: Access): number {
    const l1 = kind === Access.Fetch ? this.l1i : this.l1d;
    const need = kind === Access.Store ? L1_WRITE : L1_READ;
    const w1 = l1.find(line);
    if (w1 >= 0 && (l1.state[w1] & need) !== 0) { l1.touch(w1); return 0; }
    if (kind === Access.Fetch) this.stats.l1iMisses++; else this.stats.l1dMisses++;
    const w2 = this.l2.find(line);
    const st = w2 < 0 ? CState.I : this.l2.state[w2];
    if (st === CState.M || st === CState.E || (st === CState.S && kind !== Access.Store)) {
      if (st === CState.E && kind === Access.Store) this.l2.state[w2] = CState.M;
      this.l2.touch(w2);
      this.stats.l2Hits++;
      this.fillL1(l1, line, kind === Access.Store || st === CState.M ? L1_READ | L1_WRITE : L1_READ);
      return this.p.l2HitCycles;
    }
    if (st !== CState.I && st !== CState.S) return ACCESS_STALL; // a request is outstanding
    if (this.inWriteback(line)) return ACCESS_STALL;
    this.stats.l2Misses++;
    if (st === CState.S) {
      this.stats.upgrades++;
      this.l2.state[w2] = CState.SM;
      this.issue(Msg.UPGRADE, line, w2, kind);
      return ACCESS_STALL;
    }
    const way = this.l2.victim(line, this.evictable);
    if (way < 0) return ACCESS_STALL_ANY; // every way of the set is in transition
    if (this.l2.tag[way] >= 0) this.evict(way);
    this.l2.fill(way, line, kind === Access.Store ? CState.IM : CState.IS);
    this.issue(kind === Access.Store ? Msg.GETX : Msg.GETS, line, way, kind);
    return ACCESS_STALL;
  }

  private readonly evictable = (way: number): boolean => this.l2.state[way] <= CState.M;

  private issue(type: Msg, line: number, way: number, kind: Access): void {
    this.pendingSince[way] = this.host.now();
    this.pendingKind[way] = kind;
    // A = 1: an instruction fetch, which wants a shared copy even of an uncached line, so that
    // many nodes running the same code do not pass it around exclusively.
    this.host.send(type, this.homeOf(line), line, this.node, kind === Access.Fetch ? 1 : 0, 0, 0, 0);
  }

  private fillL1(l1: CacheArray, line: number, perm: number): void {
    let w = l1.find(line);
    if (w < 0) {
      w = l1.victim(line, always);
      if (l1.tag[w] >= 0) this.host.dropLine(l1.tag[w], false);
      l1.fill(w, line, perm);
    } else {
      l1.state[w] |= perm;
      l1.touch(w);
    }
  }

  /** Remove `line` from both L1s, telling the hart. */
  private dropFromL1(line: number, dataMayChange: boolean): void {
    const a = this.l1i.find(line), b = this.l1d.find(line);
    if (a >= 0) this.l1i.clear(a);
    if (b >= 0) this.l1d.clear(b);
    this.host.dropLine(line, dataMayChange);
  }

  private evict(way: number): void {
    const line = this.l2.tag[way], st = this.l2.state[way];
    this.dropFromL1(line, true);
    this.l2.clear(way);
    const home = this.homeOf(line);
    if (st === CState.S) {
      this.stats.replacementHints++;
      this.host.send(Msg.PUTS, home, line, this.node, 0, 0, 0, 0);
    } else {
      this.stats.writebacks++;
      this.addWriteback(line);
      this.host.send(st === CState.M ? Msg.PUTX : Msg.PUTE, home, line, this.node, 0, 0, 0, 0);
    }
  }

  // ---- protocol side ----

  handle(type: number, src: number, line: number, req: number): void {
    this.type = type; this.src = src; this.line = line; this.req = req;
    this.way = this.l2.find(line);
    const st = this.way < 0 ? CState.I : this.l2.state[this.way];
    this.table.fire(st, type, this);
  }

  complete(to: CState): void {
    const line = this.line;
    this.l2.state[this.way] = to;
    this.l2.touch(this.way);
    const started = this.pendingSince[this.way];
    const kind = this.pendingKind[this.way];
    const now = this.host.now();
    const latency = now - started;
    if (this.homeOf(line) === this.node) { this.stats.localMisses++; this.stats.localMissCycles += latency; } else {
      this.stats.remoteMisses++; this.stats.remoteMissCycles += latency;
    }
    if (this.src !== this.homeOf(line)) this.stats.threeHopMisses++;
    // The line goes straight into the L1s, so the retried access hits there: the miss costs
    // exactly the protocol's latency.
    const perm = to === CState.M ? L1_READ | L1_WRITE : L1_READ;
    this.fillL1(kind === Access.Fetch ? this.l1i : this.l1d, line, perm);
    // Forwards that came before the grant wait until the hart has retried the access it missed
    // on (runPostponed), as a processor uses a filled line once before it lets it go. Served at
    // once, they took the line back every time: with many nodes asking for a line that one
    // writes, the writer never wrote.
    if (this.host.wake(line, now) && this.deferred.has(line)) {
      this.postponed = line;
      this.postponedAt = now;
    } else {
      this.runDeferred(line);
    }
    if (this.corrections.size > 0) {
      const shared = this.corrections.get(line);
      if (shared !== undefined) {
        this.corrections.delete(line);
        this.correct(line, shared);
      }
    }
  }

  /** A line whose deferred forwards wait for the hart's retry, or -1; and its grant's time. */
  postponed = -1;
  postponedAt = NaN;

  /** Serve the forwards that waited for the hart's retry (the node calls it right after). */
  runPostponed(): void {
    const line = this.postponed;
    this.postponed = -1;
    this.runDeferred(line);
  }

  completeInvalid(): void {
    this.corrections.delete(this.line);
    this.l2.clear(this.way);
    this.host.wake(this.line, this.host.now());
    this.runDeferred(this.line);
  }

  nacked(to: CState): void {
    this.corrections.delete(this.line);
    this.stats.nacksReceived++;
    if (to === CState.I) this.l2.clear(this.way); else this.l2.state[this.way] = to;
    this.host.wake(this.line, this.host.now() + this.backoff());
    this.runDeferred(this.line);
  }

  private jitter = 0;

  /**
   * Back-off before retrying a NACKed request: the base plus a deterministic per-node jitter of
   * up to the base again, so that retries of contending nodes do not stay in lock-step with the
   * home's busy periods (which starves some of them forever).
   */
  private backoff(): number {
    this.jitter = (Math.imul(this.jitter, 1103515245) + 12345 + this.node) | 0;
    const base = this.p.nackRetryCycles;
    return base + ((this.jitter >>> 16) % (base + 1));
  }

  invalidate(to: CState): void {
    if (to === CState.I) {
      this.l2.clear(this.way);
    } else {
      this.l2.state[this.way] = to;
    }
    this.dropFromL1(this.line, true);
    this.ackInv();
  }

  ackInv(): void {
    this.host.send(Msg.INV_ACK, this.homeOf(this.line), this.line, this.req, 0, 0, 0, 0);
  }

  supplyShared(held: boolean): void {
    const line = this.line;
    if (held) {
      this.l2.state[this.way] = CState.S;
      // Other nodes may now read it, but nobody writes it until we are invalidated.
      const b = this.l1d.find(line);
      if (b >= 0) this.l1d.state[b] = L1_READ;
      this.host.dropLine(line, false);
    }
    this.host.send(Msg.DATA_S, this.req, line, this.req, 0, 0, 0, this.p.cacheToCacheCycles);
    this.host.send(Msg.SHARING_WB, this.homeOf(line), line, this.req, held ? 1 : 0, 0, 0, this.p.cacheToCacheCycles);
  }

  supplyExclusive(held: boolean): void {
    const line = this.line;
    if (held) {
      this.l2.clear(this.way);
      this.dropFromL1(line, true);
    }
    this.host.send(Msg.DATA_X, this.req, line, this.req, 0, 0, 0, this.p.cacheToCacheCycles);
    this.host.send(Msg.XFER, this.homeOf(line), line, this.req, 0, 0, 0, this.p.cacheToCacheCycles);
  }

  defer(): void {
    let q = this.deferred.get(this.line);
    if (q === undefined) { q = []; this.deferred.set(this.line, q); }
    q.push(this.type, this.src, this.req);
  }

  private runDeferred(line: number): void {
    const q = this.deferred.get(line);
    if (q === undefined) return;
    this.deferred.delete(line);
    for (let i = 0; i < q.length; i += 3) this.handle(q[i], q[i + 1], line, q[i + 2]);
  }

  writebackDone(): void {
    if (this.removeWriteback(this.line)) this.host.wake(this.line, this.host.now());
  }

  /**
   * The quantum mode's weave found that this node may keep at most a shared copy of `line`
   * (`shared`), or none: take it down without messages, since the weave has settled the
   * directory and memory already. A line in transition is taken down when it settles.
   */
  correct(line: number, shared: boolean): void {
    const w = this.l2.find(line);
    if (w < 0) return;
    const st = this.l2.state[w];
    if (st > CState.M) {
      // On its way: taken down as soon as it comes, before the hart uses it (it asks again).
      // Not IS_I: an exclusive answer would bring that back to E (the protocol's "INV for an
      // older copy"), where here the answer itself is what was taken.
      this.corrections.set(line, (this.corrections.get(line) ?? true) && shared);
      return;
    }
    if (shared && st === CState.S) return;
    if (shared) {
      this.l2.state[w] = CState.S;
      const b = this.l1d.find(line);
      if (b >= 0) this.l1d.state[b] = L1_READ;
      this.host.dropLine(line, false);
      return;
    }
    this.l2.clear(w);
    this.dropFromL1(line, true);
  }

  /** Quantum mode: lines in transition that correct() takes down when they settle (true: to S). */
  private readonly corrections = new Map<number, boolean>();

  /** Can the hart be granted `kind` on `line` for the filter (the L1 holds it so)? */
  l1Holds(line: number, kind: Access): boolean {
    const l1 = kind === Access.Fetch ? this.l1i : this.l1d;
    const w = l1.find(line);
    return w >= 0 && (l1.state[w] & (kind === Access.Store ? L1_WRITE : L1_READ)) !== 0;
  }

  /** Coverage: declared transitions nothing has taken. */
  unreached(): string[] {
    return this.table.unreached();
  }
}

const always = (): boolean => true;
