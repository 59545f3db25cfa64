// The quantum timing mode's weave (docs/quantum.md): what crosses nodes in a quantum, settled
// at its end in one fixed order. Every worker weaves the lines whose homes are its nodes: what
// happens to a line happens at its home alone, so each home's requests in their order give the
// machine the one order, whatever the threads.
//
//   1. commit every store buffer to memory, node by node in node order, each slot's marked bytes
//   2. replay the quantum's miss logs and blocked atomics in (cycle, node, sequence) order through
//      the homes' directory controllers (home-controller.ts, over the shared directory), whose
//      invalidations and forwards are answered at once: the directory, MAGIC's miss counters and
//      hot-page counts end as the exact machine's would for that order of requests
//   3. perform the atomics on memory in that order (an SC stores only if no other node stored to
//      its line in the quantum), and time them from the directory as the replay finds it
//   4. charge each request's wait for its home's MAGIC (busy one handler per request) to its node
//   5. leave for the workers: what each node's caches may keep of the lines others took
//      (directives), the lines written, each blocked atomic's answer and resume cycle, the
//      delays, each in this worker's part of the quantum region
//
// The bound phase answered every miss at once without contention (quantum-port.ts); here it
// learns which lines others took and what the queues at the homes cost.

import type { MachineConfig } from '../config/machine.js';
import { HomeController, DirState, type HomeViews } from '../directory/home-controller.js';
import { Msg, msgBytes } from '../directory/messages.js';
import { Sharers } from '../directory/sharers.js';
import type { Mesh } from '../interconnect/mesh.js';
import { BLOCK_WORDS, DIRECTIVE_WORDS, LOG_WORDS, REPLY_WORDS } from '../shared-abi/machine.js';
import { amoApply } from '../vcpu/insns-rv64a.js';
import type { AmoOp } from '../vcpu/port.js';
import { Block, LOG_DEFERRED, LOG_EXCLUSIVE, LOG_FETCH, ZeroLoad, type QuantumSizes, type QuantumViews } from './quantum-port.js';
import { nodesOf, workerOfNode } from './worker-loop.js';
import { Calendar } from './calendar.js';

/** A resource of another worker's home: never asked. */
const EMPTY = new Calendar();

/** Sequence number of a node's blocked request among its log entries: after all of them. */
const BLOCK_SEQ = 1 << 30;

export interface WeaveStats {
  /** Requests NACKed at a busy line (each retried). */
  nacks: number;
  committedLines: number;
  replayed: number;
  atomics: number;
  scFailed: number;
  directives: number;
  /** Cycles of MAGIC queueing charged to the nodes. */
  contentionCycles: number;
}

export class Weave {
  /** A cycle before which every busy line is free again: the last quantum's start. */
  oldest = 0;
  readonly stats: WeaveStats = { nacks: 0, committedLines: 0, replayed: 0, atomics: 0, scFailed: 0, directives: 0, contentionCycles: 0 };
  /** The controllers of this worker's homes, by node (undefined for the others'). */
  private readonly homes: (HomeController | undefined)[] = [];
  /**
   * The hot-page events this worker's homes raised in the last weave, in its order: home, page,
   * from, cycle. Each home's node is this worker's: the quantum loop hands them to them.
   */
  readonly hot: number[] = [];
  /** When the home handler being replayed ends. */
  private handlerEnd = 0;
  private readonly zero: ZeroLoad;
  private readonly sharers: Sharers;
  /** Per home of this worker: when its MAGIC, and its network interface's input and output ports, are free. */
  private readonly magic: Calendar[] = [];
  private readonly niIn: Calendar[] = [];
  private readonly niOut: Calendar[] = [];
  private readonly ownHomes: number[];
  private readonly mesh: Mesh;
  private readonly lineShift: number;
  private readonly lineWords: number;
  private readonly linesPerNode: number;
  /** The lines some node holds an LR reservation on (the weave breaks it when another writes). */
  private readonly reserved = new Set<number>();
  /** line -> the cycle its home is done with its last forwarded or invalidating request. */
  private readonly busy = new Map<number, number>();
  /** (line, node) -> index of the node's latest directive for the line. */
  private readonly latest = new Map<number, number>();
  private evTime = new Float64Array(1024);
  private evNode = new Int32Array(1024);
  private evSeq = new Int32Array(1024);
  private order: number[] = [];
  private directiveCount = 0;
  private committedCount = 0;
  private replyCount = 0;
  private readonly replyBase: number;
  private readonly replyEnd: number;
  /** The requester's delay, and its local and remote miss waits, before the request being replayed. */
  private delayBefore = 0;
  private readonly missBefore = new Float64Array(2);
  /** Where this worker's parts of the directive and committed lists begin (and end). */
  private readonly directiveBase: number;
  private readonly directiveEnd: number;
  private readonly committedBase: number;
  private readonly out = new Int32Array(2);
  /** Machine memory and the arena as words, for whole stretches of 32 bytes. */
  private readonly words: Int32Array;
  /** Answers the replayed home sends that the weave must act on: type, node. */
  private readonly synth: number[] = [];

  constructor(
    private readonly cfg: MachineConfig,
    mesh: Mesh,
    private readonly q: QuantumViews,
    private readonly mem: { u8: Uint8Array; dv: DataView; base: number },
    private readonly dir: HomeViews,
    private readonly sizes: QuantumSizes,
    private readonly me: number,
    private readonly workers: number,
  ) {
    for (let h = 0; h < cfg.nodes; h++) {
      const outbox = {
        send: (type: Msg, dst: number, line: number) => this.homeSent(type, dst, line),
        hotPage: (page: number, from: number) => { this.hot.push(h, page, from, this.handlerEnd); },
      };
      this.homes.push(workerOfNode(h, workers) === me ? new HomeController(h, cfg, dir, outbox) : undefined);
    }
    this.ownHomes = nodesOf(me, workers, cfg.nodes);
    this.directiveBase = me * (q.directives.length / workers);
    this.directiveEnd = (me + 1) * (q.directives.length / workers);
    this.committedBase = me * (q.committed.length / workers);
    this.replyBase = me * (q.replies.length / workers);
    this.replyEnd = (me + 1) * (q.replies.length / workers);
    this.zero = new ZeroLoad(cfg, mesh, dir);
    this.sharers = new Sharers(dir, cfg.nodes, cfg.dirPointers);
    for (let h = 0; h < cfg.nodes; h++) {
      const mine = workerOfNode(h, workers) === me;
      this.magic.push(mine ? new Calendar() : EMPTY);
      this.niIn.push(mine ? new Calendar() : EMPTY);
      this.niOut.push(mine ? new Calendar() : EMPTY);
    }
    this.mesh = mesh;
    this.words = new Int32Array(mem.u8.buffer, mem.u8.byteOffset, mem.u8.byteLength >>> 2);
    this.lineShift = Math.log2(cfg.lineBytes);
    this.lineWords = cfg.lineBytes / 32;
    this.linesPerNode = (cfg.memPerNodeMiB << 20) / cfg.lineBytes;
  }

  /** The statistics of home `node`, one of this worker's (requests, invalidations, forwards, hot-page events). */
  homeStats(node: number): HomeController['stats'] {
    return this.homes[node]!.stats;
  }

  /** Whether this worker weaves `line` (its home is one of the worker's nodes). */
  private mine(line: number): boolean {
    return workerOfNode(Math.floor(line / this.linesPerNode), this.workers) === this.me;
  }

  run(): void {
    const q = this.q, n = this.cfg.nodes;
    this.reserved.clear();
    for (let k = 0; k < n; k++) if (q.resLine[k] >= 0 && q.resOk[k] === 1 && this.mine(q.resLine[k])) this.reserved.add(q.resLine[k]);
    this.latest.clear();
    // Lines long free (a quantum and more before) need no entry, nor resources' old intervals.
    if (this.busy.size > 4096) for (const [line, until] of this.busy) if (until < this.oldest) this.busy.delete(line);
    for (const h of this.ownHomes) { this.magic[h].forget(this.oldest); this.niIn[h].forget(this.oldest); this.niOut[h].forget(this.oldest); }
    this.directiveCount = 0;
    this.committedCount = 0;
    this.replyCount = 0;
    q.delay.fill(0, this.me * n, (this.me + 1) * n);
    q.nacks.fill(0, this.me * n * 2, (this.me + 1) * n * 2);
    q.missDelay.fill(0, this.me * n * 2, (this.me + 1) * n * 2);
    this.commit();
    this.collect();
    for (const e of this.order) this.replay(e);
    q.directiveCount[this.me] = this.directiveCount;
    q.committedCount[this.me] = this.committedCount;
    q.replyCount[this.me] = this.replyCount;
  }

  // ---- 1. commit ----

  private commit(): void {
    const q = this.q, u8 = this.mem.u8, words = this.words, lb = this.cfg.lineBytes, slots = this.sizes.slots;
    for (let n = 0; n < this.cfg.nodes; n++) {
      const count = q.slotCount[n];
      for (let s = 0; s < count; s++) {
        const k = n * slots + s, line = q.slotLine[k];
        if (!this.mine(line)) continue;
        const to = line << this.lineShift, from = this.sizes.arenaBase + k * lb;
        const mb = k * this.lineWords;
        for (let w = 0; w < this.lineWords; w++) {
          const m = q.slotMask[mb + w];
          if (m === 0) continue;
          // Clear for the slot's next line: the node fills masks of slots it takes anew.
          q.slotMask[mb + w] = 0;
          const o = w * 32;
          if (m === 0xffffffff) { words.copyWithin((to + o) >>> 2, (from + o) >>> 2, (from + o + 32) >>> 2); continue; }
          // A word at a time where the node stored all of it, else its bytes.
          for (let g = 0; g < 32; g += 4) {
            const nib = (m >>> g) & 15;
            if (nib === 15) words[(to + o + g) >>> 2] = words[(from + o + g) >>> 2];
            else if (nib !== 0) for (let b = g; b < g + 4; b++) if (((m >>> b) & 1) !== 0) u8[to + o + b] = u8[from + o + b];
          }
        }
        this.q.committed[this.committedBase + this.committedCount++] = line;
        this.stats.committedLines++;
        if (this.reserved.size > 0 && this.reserved.has(line)) this.breakReservations(line, n);
      }
    }
  }

  /** Node `writer` stored to `line`: the other nodes' reservations on it are gone. */
  private breakReservations(line: number, writer: number): void {
    const q = this.q;
    for (let k = 0; k < this.cfg.nodes; k++) if (k !== writer && q.resLine[k] === line) q.resOk[k] = 0;
  }

  // ---- 2. the quantum's requests in order ----

  private collect(): void {
    const q = this.q, cap = this.sizes.logCap;
    let e = 0;
    for (let n = 0; n < this.cfg.nodes; n++) {
      const count = q.logCount[n];
      if (e + count + 1 > this.evTime.length) this.grow(e + count + 1);
      for (let i = 0; i < count; i++) {
        if (!this.mine(q.logWords[(n * cap + i) * LOG_WORDS + 1])) continue;
        this.evTime[e] = q.logTime[n * cap + i];
        this.evNode[e] = n;
        this.evSeq[e] = i;
        e++;
      }
      // Atomics at their line's home; a fence or a full buffer needs nothing of the weave.
      const kind = q.block[n * BLOCK_WORDS];
      if (!Number.isNaN(q.blockTime[n]) && (kind === Block.Amo || kind === Block.Sc) && this.mine((q.blockAddr[n] - this.mem.base) >>> this.lineShift)) {
        this.evTime[e] = q.blockTime[n];
        this.evNode[e] = n;
        this.evSeq[e] = BLOCK_SEQ;
        e++;
      }
    }

    const order = this.order;
    order.length = e;
    for (let i = 0; i < e; i++) order[i] = i;
    const t = this.evTime, nd = this.evNode, sq = this.evSeq;
    order.sort((a, b) => t[a] - t[b] || nd[a] - nd[b] || sq[a] - sq[b]);
  }

  private grow(need: number): void {
    let size = this.evTime.length;
    while (size < need) size *= 2;
    const t = new Float64Array(size), n = new Int32Array(size), s = new Int32Array(size);
    t.set(this.evTime); n.set(this.evNode); s.set(this.evSeq);
    this.evTime = t; this.evNode = n; this.evSeq = s;
  }

  private replay(e: number): void {
    const r = this.evNode[e], time = this.evTime[e], seq = this.evSeq[e];
    if (seq === BLOCK_SEQ) { this.blocked(r, time); return; }
    const q = this.q, w = (r * this.sizes.logCap + seq) * LOG_WORDS;
    const type = q.logWords[w], line = q.logWords[w + 1], flags = q.logWords[w + 2];
    this.stats.replayed++;
    const request = type === Msg.GETS || type === Msg.GETX || type === Msg.UPGRADE;
    const di = this.me * this.cfg.nodes + r;
    this.delayBefore = q.delay[di];
    this.missBefore[0] = q.missDelay[di * 2];
    this.missBefore[1] = q.missDelay[di * 2 + 1];
    let at = time;
    if (request) at = this.whenFree(r, line, time, type);
    const start = this.queue(r, line, at, request, type);
    if (request) {
      const to = this.holdBusy(type, r, line, (flags & LOG_FETCH) !== 0, start);
      this.sendAnswer(r, line);
      if ((flags & LOG_DEFERRED) !== 0) this.answerLater(r, line, to);
    }
    this.home(type, r, line, (flags & LOG_FETCH) !== 0, at);
    // The bound phase granted an exclusive copy from the directory it saw; another node's
    // request earlier in the quantum may have left only a shared copy, or none.
    if ((flags & LOG_EXCLUSIVE) !== 0 && !(this.dir.state[line] === DirState.EX && this.dir.owner[line] === r)) {
      this.directive(r, line, this.dir.state[line] === DirState.S && this.sharers.has(line, r));
    }
  }

  /**
   * A request that reaches its home while the line is busy with another's (forwarded, or
   * waiting for invalidation acks) is NACKed and retried after the back-off, as in the exact
   * machine: the cycle its retry gets in, the wait charged to its node, the NACK and the retry
   * counted (QuantumViews.nacks).
   */
  private whenFree(r: number, line: number, time: number, type: number): number {
    let at = time;
    const until = this.busy.get(line);
    if (until === undefined || until <= at) return at;
    // The NACK back, the back-off (its mean: the base and half again of jitter), the retry there.
    const c = this.cfg, h = Math.floor(line / this.linesPerNode);
    const round = (h === r ? 0 : 2 * this.zero.requestLatency(r, h)) + 2 * c.magicCycles + 1.5 * c.nackRetryCycles;
    while (at < until) {
      at += round;
      this.stats.nacks++;
      this.q.nacks[(this.me * this.cfg.nodes + r) * 2 + (type === Msg.GETS ? 0 : 1)]++;
      this.homes[Math.floor(line / this.linesPerNode)]!.stats.nacks++;
    }
    this.charge(r, Math.floor(line / this.linesPerNode), at - time);
    return at;
  }

  /** The line stays busy at its home until the request's forward or invalidations are answered. */
  private holdBusy(type: number, r: number, line: number, fetch: boolean, start: number): number {
    const to = this.zero.answer(type, r, line, fetch, start + this.cfg.magicCycles);
    if (this.zero.busyUntil > start + this.cfg.magicCycles) this.busy.set(line, this.zero.busyUntil);
    else this.busy.delete(line);
    return to;
  }

  /**
   * The bound phase left this request's answer to the weave (LOG_DEFERRED): ZeroLoad's last
   * answer, due at `to` and delayed by the waits charged meanwhile, goes to the node for the next
   * quantum. Its wait is in the answer's time, not in the node's delay.
   */
  private answerLater(r: number, line: number, to: number): void {
    const q = this.q, z = this.zero, i = this.me * this.cfg.nodes + r;
    const waited = q.delay[i] - this.delayBefore;
    q.delay[i] = this.delayBefore;
    // The answer's cycle holds the wait, which the cache's miss latency then counts.
    q.missDelay[i * 2] = this.missBefore[0];
    q.missDelay[i * 2 + 1] = this.missBefore[1];
    const at = this.replyBase + this.replyCount * REPLY_WORDS;
    if (at + REPLY_WORDS > this.replyEnd) throw new Error('quantum weave: too many answers in one quantum; use a smaller --quantum');
    q.replyTime[this.replyBase / REPLY_WORDS + this.replyCount] = to + waited;
    q.replies[at] = r;
    q.replies[at + 1] = z.reply;
    q.replies[at + 2] = z.src;
    q.replies[at + 3] = line;
    this.replyCount++;
  }

  /** The request waits for its home's MAGIC: charge the wait to its node. */
  private queue(r: number, line: number, time: number, charge: boolean, type: number): number {
    const h = Math.floor(line / this.linesPerNode);
    // The home's network interface takes one message at a time, then its MAGIC one handler.
    let arrived = time;
    if (h !== r) {
      // The message's last byte comes in at `time`: its bytes take the port before that.
      const ser = this.mesh.serialization(msgBytes(type, this.cfg.headerBytes, this.cfg.lineBytes));
      arrived = this.niIn[h].reserve(time - ser, ser) + ser;
    }
    const start = this.magic[h].reserve(arrived, this.cfg.magicCycles);
    if (charge && start > time) this.charge(r, h, start - time);
    return start;
  }

  /** The home's answer (ZeroLoad's last) leaves through its network interface, one at a time. */
  private sendAnswer(r: number, line: number): void {
    const z = this.zero, h = Math.floor(line / this.linesPerNode);
    if (z.reply < 0 || z.src !== h || h === r) return;
    const ready = z.sentAt;
    const depart = this.niOut[h].reserve(ready, this.mesh.serialization(msgBytes(z.reply, this.cfg.headerBytes, this.cfg.lineBytes)));
    if (depart > ready) this.charge(r, h, depart - ready);
  }

  /** Cycles node r waited on home h's queues: its delay, and its misses' latency (local or remote). */
  private charge(r: number, h: number, cycles: number): void {
    const i = this.me * this.cfg.nodes + r;
    this.q.delay[i] += cycles;
    this.q.missDelay[i * 2 + (h === r ? 0 : 1)] += cycles;
    this.stats.contentionCycles += cycles;
  }

  /** Request `type` of node r through the home's controller, its forwards and invalidations answered at once. */
  private home(type: number, r: number, line: number, fetch: boolean, time: number): void {
    const st = this.dir.state[line];
    const request = type === Msg.GETS || type === Msg.GETX || type === Msg.UPGRADE;
    // r's later request supersedes what earlier ones of others took from it.
    if (request) this.latest.delete(line * this.cfg.nodes + r);
    if (request && st === DirState.EX && this.dir.owner[line] === r) return; // its own already
    const h = Math.floor(line / this.linesPerNode);
    const home = this.homes[h]!;
    this.handlerEnd = time + this.cfg.magicCycles;
    home.handle(type, r, line, fetch ? 1 : 0, time);
    while (this.synth.length > 0) {
      const from = this.synth.pop()!, t = this.synth.pop()!;
      home.handle(t, from, line, t === Msg.SHARING_WB ? 1 : 0, time);
    }
  }

  /** What a replayed home sends: invalidations and forwards take the line from other nodes. */
  private homeSent(type: Msg, dst: number, line: number): void {
    switch (type) {
      case Msg.INV:
        this.directive(dst, line, false);
        this.synth.push(Msg.INV_ACK, dst);
        break;
      case Msg.FWD_GETS:
        this.directive(dst, line, true);
        this.synth.push(Msg.SHARING_WB, dst);
        break;
      case Msg.FWD_GETX:
        this.directive(dst, line, false);
        this.synth.push(Msg.XFER, dst);
        break;
      default:
    }
  }

  private directive(node: number, line: number, shared: boolean): void {
    const key = line * this.cfg.nodes + node;
    const d = this.q.directives, at = this.directiveBase + this.directiveCount * DIRECTIVE_WORDS;
    if (at + DIRECTIVE_WORDS > this.directiveEnd) throw new Error(`quantum weave: more than ${(this.directiveEnd - this.directiveBase) / DIRECTIVE_WORDS} directives from one worker in one quantum; use a smaller --quantum`);
    const prev = this.latest.get(key);
    // A later directive for the same line and node replaces the earlier one.
    if (prev !== undefined) d[prev] = -1;
    this.latest.set(key, at);
    d[at] = node;
    d[at + 1] = line;
    d[at + 2] = shared ? 1 : 0;
    this.directiveCount++;
    this.stats.directives++;
  }

  // ---- 3. atomics and fences ----

  private blocked(r: number, time: number): void {
    const q = this.q, b = r * BLOCK_WORDS, kind = q.block[b] as Block;
    this.stats.atomics++;
    const paddr = q.blockAddr[r], size = q.block[b + 1];
    const ro = paddr - this.mem.base, line = ro >>> this.lineShift;
    const dv = this.mem.dv;
    const ol = dv.getInt32(ro, true), oh = size === 8 ? dv.getInt32(ro + 4, true) : ol >> 31;
    let store = true;
    if (kind === Block.Amo) {
      amoApply(q.block[b + 2] as AmoOp, ol, oh, q.block[b + 3], q.block[b + 4], this.out);
      q.result[r * 2] = ol;
      q.result[r * 2 + 1] = oh;
    } else {
      store = q.resLine[r] === line && q.resOk[r] === 1;
      q.resLine[r] = -1;
      if (!store) this.stats.scFailed++;
      this.out[0] = q.block[b + 3];
      this.out[1] = q.block[b + 4];
      q.result[r * 2] = store ? 0 : 1;
    }
    if (store) {
      dv.setInt32(ro, this.out[0], true);
      if (size === 8) dv.setInt32(ro + 4, this.out[1], true);
      this.breakReservations(line, r);
      this.q.committed[this.committedBase + this.committedCount++] = line;
    }
    // Timed as the exclusive request the exact machine would make: to its home through MAGIC
    // and the network, its wait for the home's MAGIC, and the handler that takes the answer.
    const c = this.cfg, h = this.zero.homeOf(line);
    const leave = time + c.magicCycles;
    const arrive = h === r ? leave : leave + this.zero.requestLatency(r, h);
    const start = this.queue(r, line, arrive, false, Msg.GETX);
    const at = this.zero.answer(Msg.GETX, r, line, false, start + c.magicCycles);
    this.home(Msg.GETX, r, line, false, arrive);
    q.resume[r] = at + c.magicCycles;
  }
}
