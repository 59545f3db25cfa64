// The quantum timing mode's worker (docs/quantum.md): the same nodes as the exact engine's
// (worker-loop.ts), stepped a quantum of Q cycles at a time instead of half a lookahead.
//
//   each quantum [start, end): end is Q after the clock of the node furthest behind (decide)
//     take the last weave's answers: what each own node's caches keep (directives), decoded
//       instructions of lines written, blocked nodes' answers and resume cycles, delays
//     hand over the messages sent in the last quantum (every message between nodes waits for
//       the quantum's end, so what a node receives never depends on the threads' timing)
//     node 0's worker: let the I/O node hand console input over
//     bound phase: advance every own node to the quantum's end against frozen memory and
//       directory, stores into its store buffer (quantum-port.ts)
//     report (harts running, asleep, messages in flight, next activity) and arrive at the barrier
//     worker 0: wait for all, weave (weave.ts), decide: go on, jump over idle quanta, or stop
//     the others: wait for the weave
//
// Each node's bound phase reads only what the last weave left and writes only its own state,
// and the weave runs in one order, so the machine is the same, quantum by quantum, for any
// number of threads.

import { F_DST, F_TYPE, F_SRC, F_ADDR, F_REQ, F_A, F_B, F_C, F_SEQ, Msg } from '../directory/messages.js';
import { Mailboxes } from '../interconnect/mailbox.js';
import { Mesh } from '../interconnect/mesh.js';
import { BLOCK_WORDS, DIRECTIVE_WORDS, QREPORT_WORDS, REPLY_WORDS, controlLayout, counterLayout, directoryLayout, mailboxLayout, quantumLayout, quantumArena } from '../shared-abi/machine.js';
import { IoNode, ioDeviceRanges } from './io-node.js';
import { DecodeCache } from '../vcpu/decode-cache.js';
import { FlashNode, NodeState, lookahead, type Router } from './node.js';
import { Block, type QuantumSizes } from './quantum-port.js';
import { Weave, type WeaveStats } from './weave.js';
import { AbortedError } from './window-clock.js';
import { RAM_BASE, nodeResult, nodesOf, workerOfNode, type WorkerExtension, type WorkerResult, type WorkerTask } from './worker-loop.js';

/** What the quantum mode adds to a worker's task. */
export interface QuantumTask {
  buffer: SharedArrayBuffer;
  /** Q, the quantum in cycles. */
  cycles: number;
  slots: number;
  logCap: number;
  directiveCap: number;
}

/** The quantum mode's own results (worker 0 has the weave's). */
export interface QuantumResult {
  quanta: number;
  quantaSkipped: number;
  /** Node-quanta whose node ended blocked on the weave. */
  blockedNodeQuanta: number;
  weaveNs: number;
  weave: WeaveStats;
}

const enum Stop { Go = 0, Halt = 1, Idle = 2, MaxCycles = 3 }

export function quantumSizes(t: WorkerTask): QuantumSizes {
  const c = t.config;
  return { slots: t.quantum!.slots, logCap: t.quantum!.logCap, arenaBase: c.nodes * (c.memPerNodeMiB << 20) };
}

export function runQuantumWorker(t: WorkerTask, ext?: WorkerExtension): WorkerResult & { quantum: QuantumResult } {
  const cfg = t.config, qt = t.quantum!;
  const Q = qt.cycles;
  const sizes = quantumSizes(t);
  const all = new Uint8Array(t.memory);
  const ram = { base: RAM_BASE, size: sizes.arenaBase, u8: all, dv: new DataView(t.memory) };
  const control = controlLayout(cfg.nodes, t.workers).views(t.control);
  const boxes = new Mailboxes(mailboxLayout(t.workers, t.mailboxSlots, 9).views(t.mailboxes), t.workers, t.mailboxSlots);
  const slice = cfg.memPerNodeMiB << 20;
  const dir = directoryLayout(cfg.nodes, slice / cfg.lineBytes, cfg.dirPointers).views(t.directory);
  const ctr = counterLayout(cfg.nodes, slice >>> 12).views(t.counters);
  const homeViews = { ...dir, ...ctr };
  const q = quantumLayout(cfg.nodes, t.workers, qt.slots, cfg.lineBytes, qt.logCap, qt.directiveCap).views(qt.buffer);
  if (t.memory.byteLength < sizes.arenaBase + quantumArena(cfg.nodes, qt.slots, cfg.lineBytes)) throw new Error('quantum mode: machine memory has no store-buffer arena');
  const mesh = new Mesh(cfg);
  const me = t.worker, T = t.workers;
  const ids = nodesOf(me, T, cfg.nodes);
  const nodes: FlashNode[] = [];

  // Messages between nodes wait for the quantum's end: to nodes of this worker here, to the
  // others' in their rings, published at the barrier.
  const held: number[] = [];
  const router: Router = {
    deliver(time, type, src, dst, addr, req, a, b, c, seq) {
      const w = workerOfNode(dst, T);
      if (w === me) { held.push(time, type, src, dst, addr, req, a, b, c, seq); return; }
      if (!boxes.push(me, w, time, type, src, dst, addr, req, a, b, c, seq)) {
        throw new Error(`quantum mode: more than ${t.mailboxSlots} messages from worker ${me} to worker ${w} in one quantum; use a smaller --quantum`);
      }
    },
  };
  const decoded = new DecodeCache(16);
  // Under the monitor the real harts reach machine memory alone (as in worker-loop.ts).
  const devices = t.monitor === undefined ? ioDeviceRanges(t.io) : [];
  for (const id of ids) {
    nodes.push(new FlashNode(id, cfg, ram, homeViews, devices, mesh, router, t.entry, t.skipSpins, decoded, { views: q, sizes }));
  }
  for (const n of nodes) {
    n.hart.setX(10, n.id);
    for (const [reg, value] of t.bootRegs) n.hart.setX(reg, value);
  }
  const attached = ext?.attach(nodes, ram, t, me === 0 ? nodes[0] : null) ?? null;
  const io = me === 0 ? new IoNode(nodes[0], cfg, attached?.ioRams ?? [ram], t.io, t.echoConsole, control, Q) : null;
  const weave = new Weave(cfg, mesh, q, ram, homeViews, sizes, me, T);
  const sink = (time: number, words: Int32Array, b: number): void => {
    nodes[(words[b + F_DST] / T) | 0].enqueue(time, words[b + F_TYPE], words[b + F_SRC], words[b + F_DST], words[b + F_ADDR],
      words[b + F_REQ], words[b + F_A], words[b + F_B], words[b + F_C], words[b + F_SEQ]);
  };
  const LINE = 16;
  // Spin (up to the policy's budget, as the exact engine's window-clock.ts) before sleeping:
  // a quantum's phases are short, and waking from Atomics.wait costs tens of microseconds.
  const waitAtLeast = (view: Int32Array, index: number, value: number): void => {
    let spins = 0;
    const started = performance.now();
    for (;;) {
      const now = Atomics.load(view, index);
      if (now >= value) return;
      if (Atomics.load(control.abort, 0) !== 0) throw new AbortedError('another worker failed');
      if ((++spins & 63) !== 0 || (performance.now() - started) * 1000 < t.spin.limitUs) continue;
      Atomics.wait(view, index, now, 50);
      if (Atomics.load(control.inputWait, 0) === 0 && performance.now() - started > t.watchdogMs) {
        Atomics.store(control.abort, 0, 1);
        throw new Error(`watchdog: worker ${me} waited ${t.watchdogMs} ms at the quantum barrier`);
      }
    }
  };

  let start = 0, end = Math.min(Q, t.maxCycles), oldest = 0, k = 0, busyNs = 0, waitNs = 0, weaveNs = 0, blockedNodeQuanta = 0, quantaSkipped = 0;
  let stopped: WorkerResult['stopped'] = 'max-cycles', halted = false, exitCode = 0, endCycle = 0;
  let asleepAll = false, awaitInput = false;
  const t0 = performance.now();
  let a = t0;
  for (;;) {
    // The last weave's answers.
    if (k > 0) {
      // Each worker's weave settled the lines of its homes: directives for different lines
      // commute, so taking the workers' lists one after another is the one order.
      const d = q.directives, dPart = d.length / T;
      for (let w = 0; w < T; w++) {
        const from = w * dPart, to = from + q.directiveCount[w] * DIRECTIVE_WORDS;
        for (let i = from; i < to; i += DIRECTIVE_WORDS) {
          const node = d[i];
          if (node < 0 || workerOfNode(node, T) !== me) continue;
          nodes[(node / T) | 0].cache.correct(d[i + 1], d[i + 2] === 1);
        }
      }
      // The homes' answers the bound phase left to them, due in this quantum or later.
      const rep = q.replies, rPart = rep.length / T;
      for (let w = 0; w < T; w++) {
        for (let j = 0, count = q.replyCount[w]; j < count; j++) {
          const at = w * rPart + j * REPLY_WORDS, node = rep[at];
          if (workerOfNode(node, T) === me) nodes[(node / T) | 0].answerLater(q.replyTime[w * rPart / REPLY_WORDS + j], rep[at + 1], rep[at + 2], rep[at + 3]);
        }
      }
      // Hot-page events of this worker's homes, for their nodes' monitor instances.
      const hot = weave.hot;
      for (let i = 0; i < hot.length; i += 4) nodes[(hot[i] / T) | 0].hotPageLater(hot[i + 3], hot[i + 1], hot[i + 2]);
      hot.length = 0;
      const shift = Math.log2(cfg.lineBytes), cPart = q.committed.length / T;
      for (let w = 0; w < T; w++) for (let i = w * cPart, to = i + q.committedCount[w]; i < to; i++) {
        const ro = q.committed[i] << shift;
        // What a hart decoded there, and its grants (by its own fetches alone, so that what the
        // caches see does not depend on which harts share the worker); its LR reservation is
        // the weave's to break, not dropGrant's.
        for (const n of nodes) for (const h of n.qport!.harts) {
          if (!h.fetchedFrom(ro)) continue;
          h.invalidateRam(ro, cfg.lineBytes);
          h.dropGrant(ro, false);
        }
      }
      for (const n of nodes) {
        if (n.blocked) {
          // An atomic's line's home answered it; a fence or a full buffer goes on where it stopped.
          const kind = q.block[n.id * BLOCK_WORDS] as Block;
          const atomic = kind === Block.Amo || kind === Block.Sc;
          if (atomic) n.qport!.answer(kind);
          n.resumeBlocked(atomic ? q.resume[n.id] : q.blockTime[n.id]);
        }
        let delay = 0, reads = 0, writes = 0;
        for (let w = 0; w < T; w++) {
          const i = w * cfg.nodes + n.id;
          delay += q.delay[i];
          reads += q.nacks[i * 2];
          writes += q.nacks[i * 2 + 1];
          n.cache.stats.localMissCycles += q.missDelay[i * 2];
          n.cache.stats.remoteMissCycles += q.missDelay[i * 2 + 1];
        }
        if (reads + writes > 0) n.nacked(reads, writes);
        if (delay > 0 && n.state !== NodeState.Halted && n.state !== NodeState.Idle) n.hart.extraCycles += delay;
      }
    }
    for (const n of nodes) n.qport!.beginQuantum();
    // What was sent in the last quantum (or, at the first, while the devices were set up: those
    // come at the second, whichever worker sent them). Of the others' rings only what was sent
    // before the last barrier: a worker that went on may be publishing more.
    if (k > 0) {
      for (let i = 0; i < held.length; i += 10) {
        nodes[(held[i + 3] / T) | 0].enqueue(held[i], held[i + 1], held[i + 2], held[i + 3], held[i + 4], held[i + 5], held[i + 6], held[i + 7], held[i + 8], held[i + 9]);
      }
      held.length = 0;
      const sent = (k & 1) * T * T;
      for (let src = 0; src < T; src++) if (src !== me) boxes.drain(src, me, sink, q.pushed[sent + src * T + me]);
    }
    if (io !== null) io.beforeEpoch(start, asleepAll, awaitInput);

    // The bound phase.
    let running = 0, asleep = 0, inFlight = 0, next = Infinity, behind = Infinity;
    for (const n of nodes) {
      n.advance(end);
      if (n.state !== NodeState.Halted && n.state !== NodeState.Idle) {
        running++;
        // A stalled CPU whose answer is queued is where that answer will wake it.
        const wake = n.state === NodeState.Stalled ? n.queue.peekTime() : Infinity;
        const clock = wake !== Infinity && wake > n.cpuTime() ? wake : n.cpuTime();
        if (clock < behind) behind = clock;
      }
      if (n.inWfi) asleep++;
      if (n.blocked) blockedNodeQuanta++;
      inFlight += n.sentCount - n.handledCount;
      const act = n.nextActivity();
      if (act < next) next = act;
    }
    let input = 0;
    if (io !== null) {
      if (!io.quiet) asleep = 0;
      if (io.inputLeft) { input = 1; if (!io.inputSpent) next = -1; }
    }
    const r = q.report, o = me * QREPORT_WORDS;
    r[o] = running; r[o + 1] = asleep; r[o + 2] = inFlight; r[o + 3] = next; r[o + 4] = input; r[o + 8] = behind;
    if (me === 0 && nodes[0].haltRequested) {
      r[o + 5] = 1;
      r[o + 6] = io!.outcome()?.code ?? 0;
      r[o + 7] = nodes[0].haltCycle;
    } else r[o + 5] = 0;
    boxes.publish(me);
    for (let dst = 0; dst < T; dst++) q.pushed[((k + 1) & 1) * T * T + me * T + dst] = boxes.pushed(me, dst);
    const b = performance.now();
    busyNs += (b - a) * 1e6;
    // Barrier: every bound phase done. Then each worker weaves its homes' lines, and every
    // worker decides alike from the reports, before the second barrier (after which a worker
    // may write its next reports).
    arrive(2 * k + 1);
    const w0 = performance.now();
    const d = decide(end);
    // Lagging nodes (each miss another node's line answered at the weave costs its node a quantum
    // on the host) still ask of these cycles.
    weave.oldest = oldest;
    weave.run();
    const w1 = performance.now();
    weaveNs += (w1 - w0) * 1e6;
    arrive(2 * k + 2);
    a = performance.now();
    waitNs += (w0 - b + a - w1) * 1e6;
    k++;
    if (d.stop !== Stop.Go) {
      stopped = d.stop === Stop.Halt ? 'halt' : d.stop === Stop.Idle ? 'idle' : 'max-cycles';
      halted = d.stop === Stop.Halt;
      exitCode = d.exitCode;
      endCycle = d.stop === Stop.Halt ? Math.min(d.haltCycle + lookahead(cfg, mesh), t.maxCycles) : Math.min(end, t.maxCycles);
      break;
    }
    if (d.next > end + Q) quantaSkipped += Math.floor((d.next - end) / Q) - 1;
    oldest = d.oldest;
    start = end;
    end = Math.min(d.next, t.maxCycles);
  }

  /** Finish phase `p` and wait until every worker has. */
  function arrive(p: number): void {
    Atomics.store(q.phase, me * LINE, p);
    Atomics.notify(q.phase, me * LINE);
    for (let w = 0; w < T; w++) if (w !== me) waitAtLeast(q.phase, w * LINE, p);
  }

  /**
   * After every bound phase: the next quantum's end, or why the machine stops (every worker
   * alike). A quantum ends Q after the clock of the node furthest behind, or where this one
   * ended, whichever is later: a node that waited for the weave (an atomic, a line another node
   * owned) is behind, and the others, spinning at a barrier it has not reached, do not run on
   * ahead of it; its wait costs the host a quantum, not the others simulated time.
   */
  function decide(end: number): { stop: Stop; next: number; oldest: number; exitCode: number; haltCycle: number } {
    let running = 0, asleep = 0, inFlight = 0, next = Infinity, input = 0, behind = Infinity;
    for (let w = 0; w < T; w++) {
      const o = w * QREPORT_WORDS;
      running += q.report[o];
      asleep += q.report[o + 1];
      inFlight += q.report[o + 2];
      if (q.report[o + 3] < next) next = q.report[o + 3];
      input += q.report[o + 4];
      if (q.report[o + 8] < behind) behind = q.report[o + 8];
    }
    // The weave's resources keep their intervals from a quantum before the node furthest behind.
    const oldest = Math.min(behind, end) - Q;
    // For the I/O node's console input at the next quantum's start (IoNode.beforeEpoch).
    asleepAll = asleep === cfg.nodes;
    awaitInput = running === 0 && inFlight === 0 && input > 0;
    if (q.report[5] === 1) return { stop: Stop.Halt, next: end, oldest, exitCode: q.report[6], haltCycle: q.report[7] };
    if (running === 0 && inFlight === 0 && input === 0) return { stop: Stop.Idle, next: end, oldest, exitCode: 0, haltCycle: NaN };
    if (end >= t.maxCycles) return { stop: Stop.MaxCycles, next: end, oldest, exitCode: 0, haltCycle: NaN };
    // Nothing executes and nothing is in flight: on to the first timer.
    if (next > end && inFlight === 0 && next !== Infinity) return { stop: Stop.Go, next: next + Q, oldest, exitCode: 0, haltCycle: NaN };
    let to = Math.max(end, (behind === Infinity ? end : behind) + Q);
    // The node behind waits for something queued at or after this end: on to it. Or it waits for
    // a message another node has yet to send (a pmap entry from the VM's home), while a hart
    // that ran past this end executes: a quantum on, or nothing would ever move.
    if (to === end) to = next >= end ? Math.min(next + 1, end + Q) : end + Q;
    return { stop: Stop.Go, next: to, oldest, exitCode: 0, haltCycle: NaN };
  }

  for (const n of nodes) n.advance(endCycle);
  // The homes' NACKs are the messages the exact machine's would have sent.
  for (const n of nodes) n.stats.msgsSent[Msg.NACK] += weave.homeStats(n.id).nacks;
  const ioResult = io?.finish() ?? null;
  for (const n of nodes) control.clock[n.id * 8] = n.hart.simTime();
  return {
    worker: me,
    // The homes run in this worker's weave, not in the nodes' handlers.
    nodes: nodes.map((n) => nodeResult(n, weave.homeStats(n.id))),
    console: io?.console ?? [],
    io: ioResult,
    stopped,
    windows: k,
    spans: k,
    endCycle,
    busyNs,
    waitNs,
    sleeps: 0,
    sleepTimeouts: 0,
    halted,
    exitCode,
    trace: [],
    spinSkipped: nodes.reduce((s, n) => s + n.hart.spinSkipped, 0),
    windowsSkipped: quantaSkipped,
    nodeWindowsLeft: 0,
    costs: null,
    monitor: attached?.report() ?? null,
    quantum: { quanta: k, quantaSkipped, blockedNodeQuanta, weaveNs, weave: weave.stats },
  };
}
