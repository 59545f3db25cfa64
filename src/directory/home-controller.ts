// The home side of the protocol: the directory of one node's memory slice, run by its MAGIC.
//
// States of a home line:
//   U           uncached: memory holds the only copy
//   S           shared by the nodes in the sharer set
//   EX          one node (owner) holds it exclusive, clean or dirty
//   BUSY_INV    a GETX/UPGRADE waits for invalidation acks; owner = the requester
//   BUSY_FWD_S  a GETS was forwarded to the owner; owner = the requester (the old owner's
//               SHARING_WB names itself as the sender)
//   BUSY_FWD_X  a GETX was forwarded to the owner; likewise (owner -1 once the requester has
//               written the line back, which can come before the old owner's XFER)
// A request that finds the line busy is NACKed and retried by its requester (as FLASH did).
// Invalidation acks come back to the home, which then grants the requester.
//
// MAGIC also counts, per 4 KiB page of its slice, the misses from each node, and raises a
// hot-page event when one node's count reaches the threshold.

import type { MachineConfig } from '../config/machine.js';
import { Msg, MSG_NAMES } from './messages.js';
import { Sharers } from './sharers.js';
import { TransitionTable, type Row } from './transitions.js';
import { LineMap } from './line-map.js';
import { HOT_LOG } from '../shared-abi/machine.js';

export const enum DirState { U = 0, S = 1, EX = 2, BUSY_INV = 3, BUSY_FWD_S = 4, BUSY_FWD_X = 5 }
const DIR_STATE_NAMES = ['U', 'S', 'EX', 'BUSY_INV', 'BUSY_FWD_S', 'BUSY_FWD_X'];

/** How a home answers: send a message `delay` cycles into the current handler. */
export interface Outbox {
  send(type: Msg, dst: number, addr: number, req: number, a: number, b: number, c: number, delay: number): void;
  /** A hot-page event: `page` of this home's slice, `from` the node whose count reached the threshold. */
  hotPage?(page: number, from: number): void;
}

export interface HomeViews {
  state: Uint8Array;
  owner: Int32Array;
  sharerBits: Uint32Array;
  sharerPtrs: Uint16Array;
  sharerCount: Uint16Array;
  miss: Uint16Array;
  writes: Uint16Array;
  hotEvents: Uint32Array;
  hotLog: Uint32Array;
}

export type HomeParams = Pick<MachineConfig, 'nodes' | 'lineBytes' | 'memPerNodeMiB' | 'memoryCycles' | 'dirPointers' |
  'missThreshold' | 'missResetCycles'>;

export interface HomeStats {
  requests: number;
  nacks: number;
  invalidations: number;
  forwards: number;
  hotPageEvents: number;
}

type Ctx = HomeController;

const REQUESTS = [Msg.GETS, Msg.GETX, Msg.UPGRADE];
const BUSY = [DirState.BUSY_INV, DirState.BUSY_FWD_S, DirState.BUSY_FWD_X];

const ROWS: Row<Ctx>[] = [
  { from: [DirState.U], on: [Msg.GETS], doc: 'U GETS: memory grants exclusive-clean (E), or shared for an instruction fetch', do: (c) => { if (c.a === 1) c.shareFromMemory(); else c.grant(Msg.DATA_E, c.src, true); } },
  { from: [DirState.U], on: [Msg.GETX, Msg.UPGRADE], doc: 'U GETX: memory grants exclusive', do: (c) => { c.grant(Msg.DATA_X, c.src, true); } },
  { from: [DirState.S], on: [Msg.GETS], doc: 'S GETS: memory supplies a shared copy', do: (c) => c.shareFromMemory() },
  { from: [DirState.S], on: [Msg.GETX, Msg.UPGRADE], doc: 'S GETX/UPGRADE: invalidate the other sharers, or grant at once', do: (c) => c.invalidateSharers() },
  { from: [DirState.EX], on: [Msg.GETS], doc: 'EX GETS: forward to the owner (three hops)', do: (c) => c.forward(Msg.FWD_GETS, DirState.BUSY_FWD_S) },
  { from: [DirState.EX], on: [Msg.GETX, Msg.UPGRADE], doc: 'EX GETX: forward to the owner, who hands over', do: (c) => c.forward(Msg.FWD_GETX, DirState.BUSY_FWD_X) },
  { from: BUSY, on: REQUESTS, doc: 'busy line: NACK, the requester retries', do: (c) => c.nack() },
  { from: [DirState.U, DirState.EX, ...BUSY], on: [Msg.PUTS], doc: 'stale replacement hint: ignore', do: () => {} },
  { from: [DirState.S], on: [Msg.PUTS], doc: 'S PUTS: the sharer dropped its copy', do: (c) => c.dropSharer() },
  { from: [DirState.EX], on: [Msg.PUTE, Msg.PUTX], doc: 'EX PUTX/PUTE: the owner wrote back; U unless stale', do: (c) => c.writeback() },
  { from: [DirState.BUSY_FWD_X], on: [Msg.PUTE, Msg.PUTX], doc: 'BUSY_FWD_X PUTX: from the requester, which already had the line and wrote it back before the XFER came (U after it); else stale', do: (c) => c.writebackBeforeTransfer() },
  { from: [DirState.U, DirState.S, DirState.BUSY_INV, DirState.BUSY_FWD_S], on: [Msg.PUTE, Msg.PUTX], doc: 'PUTX racing a forward or stale: acknowledge', do: (c) => c.ackWriteback() },
  { from: [DirState.BUSY_INV], on: [Msg.INV_ACK], doc: 'BUSY_INV INV_ACK: count; grant after the last', do: (c) => c.invAck() },
  { from: [DirState.BUSY_FWD_S], on: [Msg.SHARING_WB], doc: 'BUSY_FWD_S SHARING_WB: the owner shared; S', do: (c) => c.sharingWriteback() },
  { from: [DirState.BUSY_FWD_X], on: [Msg.XFER], doc: 'BUSY_FWD_X XFER: ownership moved to the requester', do: (c) => c.transfer() },
];

export class HomeController {
  readonly table = new TransitionTable<Ctx>('home', DIR_STATE_NAMES, MSG_NAMES, ROWS,
    (c) => `home node ${c.node}, line ${c.line}, from node ${c.src}`);
  readonly stats: HomeStats = { requests: 0, nacks: 0, invalidations: 0, forwards: 0, hotPageEvents: 0 };
  private readonly sharers: Sharers;
  private readonly linesPerNode: number;
  private readonly pagesPerNode: number;
  private readonly linesPerPage: number;
  /** Outstanding invalidation acks of BUSY_INV lines; negative when the requester needs data. */
  private readonly pendingAcks = new LineMap();
  private nextReset: number;
  /**
   * Pages whose counters may be non-zero (counted since the last reset), so that a reset clears
   * their rows only: every row of a node's 16 MiB is pages x nodes counters (2 MiB on 256 nodes),
   * and clearing all of them every reset period cost more than the counting.
   */
  private readonly counted: Uint8Array;
  private readonly countedList: Int32Array;
  private countedPages = 0;

  // The message being handled.
  src = 0;
  line = 0;
  type = 0;
  a = 0;
  now = NaN;
  private invCount = 0;

  constructor(readonly node: number, private readonly p: HomeParams, private readonly v: HomeViews, private readonly out: Outbox) {
    this.sharers = new Sharers(v, p.nodes, p.dirPointers);
    this.linesPerNode = (p.memPerNodeMiB << 20) / p.lineBytes;
    this.pagesPerNode = (p.memPerNodeMiB << 20) >>> 12;
    this.linesPerPage = Math.max(1, 4096 / p.lineBytes);
    this.nextReset = p.missResetCycles > 0 ? p.missResetCycles : Infinity;
    this.counted = new Uint8Array(this.pagesPerNode);
    this.countedList = new Int32Array(this.pagesPerNode);
  }

  handle(type: number, src: number, line: number, a: number, now: number): void {
    this.type = type; this.src = src; this.line = line; this.a = a; this.now = now;
    if (type === Msg.GETS || type === Msg.GETX || type === Msg.UPGRADE) {
      this.stats.requests++;
      this.countMiss(line, src, now, type !== Msg.GETS);
    }
    this.table.fire(this.v.state[line], type, this);
  }

  stateOf(line: number): DirState {
    return this.v.state[line] as DirState;
  }

  // ---- actions ----

  grant(type: Msg, to: number, fromMemory: boolean): void {
    const l = this.line;
    this.v.state[l] = DirState.EX;
    this.v.owner[l] = to;
    this.sharers.clear(l);
    this.out.send(type, to, l, to, 0, 0, 0, fromMemory ? this.p.memoryCycles : 0);
  }

  shareFromMemory(): void {
    this.v.state[this.line] = DirState.S;
    this.sharers.add(this.line, this.src);
    this.out.send(Msg.DATA_S, this.src, this.line, this.src, 0, 0, 0, this.p.memoryCycles);
  }

  invalidateSharers(): void {
    const l = this.line, r = this.src;
    const requesterShares = this.sharers.has(l, r) && !this.sharers.overflowed(l);
    this.invCount = 0;
    this.sharers.forEach(l, r, this.sendInv);
    if (this.invCount === 0) {
      this.grant(requesterShares ? Msg.UPGRADE_ACK : Msg.DATA_X, r, !requesterShares);
      return;
    }
    this.stats.invalidations += this.invCount;
    this.sharers.clear(l);
    this.v.state[l] = DirState.BUSY_INV;
    this.v.owner[l] = r;
    this.pendingAcks.set(l, requesterShares ? this.invCount : -this.invCount);
  }

  private readonly sendInv = (k: number): void => {
    this.invCount++;
    this.out.send(Msg.INV, k, this.line, this.src, 0, 0, 0, 0);
  };

  invAck(): void {
    const l = this.line;
    const left = this.pendingAcks.get(l);
    const needData = left < 0;
    const n = Math.abs(left) - 1;
    if (n > 0) { this.pendingAcks.set(l, needData ? -n : n); return; }
    this.pendingAcks.delete(l);
    this.grant(needData ? Msg.DATA_X : Msg.UPGRADE_ACK, this.v.owner[l], needData);
  }

  forward(type: Msg, busy: DirState): void {
    const l = this.line, owner = this.v.owner[l];
    if (owner === this.src) throw new Error(`home ${this.node}: node ${owner} asks for line ${l}, which it owns`);
    this.stats.forwards++;
    this.v.state[l] = busy;
    this.v.owner[l] = this.src;
    this.out.send(type, owner, l, this.src, 0, 0, 0, 0);
  }

  nack(): void {
    this.stats.nacks++;
    this.out.send(Msg.NACK, this.src, this.line, this.src, this.type, 0, 0, 0);
  }

  dropSharer(): void {
    this.sharers.remove(this.line, this.src);
    if (this.sharers.count(this.line) === 0) this.v.state[this.line] = DirState.U;
  }

  writeback(): void {
    if (this.v.owner[this.line] === this.src) {
      this.v.state[this.line] = DirState.U;
      this.v.owner[this.line] = -1;
    }
    this.ackWriteback();
  }

  ackWriteback(): void {
    this.out.send(Msg.WB_ACK, this.src, this.line, this.src, 0, 0, 0, 0);
  }

  /**
   * The old owner sends the line to the requester and XFER to the home at once, and the
   * requester may use the line, evict it and write it back before the XFER arrives. Its
   * writeback ends its ownership here already (owner -1), so that the XFER leaves the line U.
   * A writeback from anyone else is stale: the requester cannot have written back an earlier
   * copy, since it asks again only once that writeback was acknowledged.
   */
  writebackBeforeTransfer(): void {
    if (this.v.owner[this.line] === this.src) this.v.owner[this.line] = -1;
    this.ackWriteback();
  }

  sharingWriteback(): void {
    const l = this.line, r = this.v.owner[l], kept = this.a === 1;
    this.v.state[l] = DirState.S;
    this.v.owner[l] = -1;
    this.sharers.clear(l);
    this.sharers.add(l, r);
    if (kept) this.sharers.add(l, this.src);
  }

  transfer(): void {
    const l = this.line;
    this.v.state[l] = this.v.owner[l] < 0 ? DirState.U : DirState.EX;
  }

  // ---- MAGIC's miss counters ----

  private countMiss(line: number, from: number, now: number, write: boolean): void {
    const nodes = this.p.nodes;
    if (now >= this.nextReset) {
      for (let k = 0; k < this.countedPages; k++) {
        const page = this.node * this.pagesPerNode + this.countedList[k];
        this.v.miss.fill(0, page * nodes, page * nodes + nodes);
        this.v.writes[page] = 0;
        this.counted[this.countedList[k]] = 0;
      }
      this.countedPages = 0;
      while (this.nextReset <= now) this.nextReset += this.p.missResetCycles;
    }
    const page = Math.floor((line - this.node * this.linesPerNode) / this.linesPerPage);
    if (this.counted[page] === 0) {
      this.counted[page] = 1;
      this.countedList[this.countedPages++] = page;
    }
    const p = this.node * this.pagesPerNode + page;
    if (write && this.v.writes[p] !== 0xffff) this.v.writes[p]++;
    const i = p * nodes + from;
    const c = this.v.miss[i];
    if (c === 0xffff) return;
    this.v.miss[i] = c + 1;
    if (c + 1 === this.p.missThreshold) {
      const k = this.v.hotEvents[this.node]++ % HOT_LOG;
      const slot = (this.node * HOT_LOG + k) * 2;
      this.v.hotLog[slot] = page;
      this.v.hotLog[slot + 1] = from;
      this.stats.hotPageEvents++;
      this.out.hotPage?.(page, from);
    }
  }
}
