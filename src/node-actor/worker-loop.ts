// The parallel engine's worker: it owns every T-th node (workerOfNode) and steps them in
// windows. Windows are a K-th of the lookahead L (node.ts: the least time from an event to a
// message it causes arriving at another node; K from defaultWindowSlack unless the run says
// otherwise), so every message sent in a window is due at least K windows later (DESIGN.md
// invariant 2): a worker needs the others only to know that they have finished the window that
// could still send to it (window-clock.ts), and to learn whether the machine goes on.
//
//   each span of windows n .. m - 1 [start(n), start(m)) (window-clock.ts: K windows to an epoch
//   of L cycles; a span is one window, or more within an epoch where the others allow):
//     wait until every other worker has finished window n - K; stop if a device had halted the
//       machine by then, or, at an epoch start, if all harts had stopped with no message in
//       flight by the end of the epoch before last (unless the guest listens for console input
//       that may still come: then go on, and the I/O node waits for it)
//     node 0's worker, at an epoch start: let the I/O node hand console input over, waiting for
//       it where the guest does (io-node.ts)
//     drain the inbound rings into the node queues
//     advance every own node to the span's end (hart and MAGIC interleaved in time)
//     publish (harts still running, halt request, harts asleep, messages in flight) and the
//       finished windows
//   at the cut (maxCycles): stop, and find a halt before it that came too late to be seen
//   after a halt at cycle H: advance every own node to H + L or the cut, the same stop for any K
//
// Messages between nodes of the same worker go straight into the destination queue; others go
// through the ring to the destination's worker.

import type { MachineConfig } from '../config/machine.js';
import { F_DST, F_TYPE, F_SRC, F_ADDR, F_REQ, F_A, F_B, F_C, F_SEQ } from '../directory/messages.js';
import { Mailboxes } from '../interconnect/mailbox.js';
import { Mesh } from '../interconnect/mesh.js';
import { controlLayout, counterLayout, directoryLayout, mailboxLayout, memoryLayout } from '../shared-abi/machine.js';
import { WindowClock, windowAt, windowStart, type SpinPolicy } from './window-clock.js';
import { IoNode, ioDeviceRanges, type IoResult, type IoTask } from './io-node.js';
import { CostLog } from './cost-log.js';
import { DecodeCache } from '../vcpu/decode-cache.js';
import { FlashNode, NodeState, lookahead, type Router } from './node.js';
import type { RamView } from '../vcpu/port.js';
import type { GuestRam } from '../devices/virtio-blk.js';
import type { QuantumTask } from './quantum-loop.js';

/**
 * Windows per lookahead, by default, with several workers: windows are L / K cycles, and
 * workers may drift K - 1 windows apart (window-clock.ts). The simulated results do not depend
 * on K.
 */
export const WINDOW_SLACK = 2;
/** The most windows per lookahead: the report ring must hold more than twice as many. */
export const MAX_WINDOW_SLACK = 8;

/**
 * K unless the run says otherwise: a lone worker has nobody to drift from, and windows of the
 * whole lookahead halve its windows (radix on one thread: 16 nodes 9% faster, 64 nodes 3-12%).
 */
export function defaultWindowSlack(workers: number): number {
  return workers === 1 ? 1 : WINDOW_SLACK;
}

export const RAM_BASE = 0x8000_0000;

/** The mean length of a window in cycles, with `slack` windows per lookahead (window-clock.ts). */
export function windowCycles(cfg: MachineConfig, mesh: Mesh, slack: number): number {
  return lookahead(cfg, mesh) / slack;
}

export interface WorkerTask {
  worker: number;
  workers: number;
  config: MachineConfig;
  memory: SharedArrayBuffer;
  control: SharedArrayBuffer;
  mailboxes: SharedArrayBuffer;
  mailboxSlots: number;
  directory: SharedArrayBuffer;
  counters: SharedArrayBuffer;
  entry: number;
  /** Count exact spin-loop iterations instead of executing them (Hart.backEdge). */
  skipSpins: boolean;
  /** Jump over windows in which nothing can happen (window-clock.ts). */
  idleSkip: boolean;
  /** Leave alone, window after window, a node that would only repeat itself (FlashNode.quietUntil). */
  quietSkip: boolean;
  /** Simulate as many windows in one pass over the nodes as the other workers allow (window-clock.ts). */
  spans: boolean;
  /** Registers every hart starts with besides a0 = its id: [register number, value] pairs. */
  bootRegs: [number, number][];
  /** What node 0, the I/O node, holds (io-node.ts). */
  io: IoTask;
  maxCycles: number;
  watchdogMs: number;
  /** Echo console bytes to this thread's stdout as they appear. */
  echoConsole: boolean;
  /** Record busy/wait time in blocks of this many windows, for a Chrome trace (0: off). */
  traceBlock: number;
  /** How long a wait for another worker spins before sleeping (window-clock.ts). */
  spin: SpinPolicy;
  /** Windows per lookahead, K (defaultWindowSlack unless the run says otherwise). */
  windowSlack: number;
  /** Keep the host time of every node in every window (cost-log.ts; the benchmark's --balance). */
  costLog?: boolean;
  /** In-process runs only: called after every window with this worker's nodes (checkers). */
  onWindow?: (nodes: readonly FlashNode[], windowEnd: number) => void;
  /** The quantum timing mode (quantum-loop.ts); absent in the exact mode. */
  quantum?: QuantumTask;
  /**
   * The monitor's part of the task when the machine runs VMs (src/monitor/node-monitor.ts,
   * MonitorTask), for the WorkerExtension that attaches it; this layer only passes it on.
   */
  monitor?: unknown;
}

/** What a layer above the nodes adds to them in each worker (the monitor: src/monitor/flash-worker.ts). */
export interface WorkerExtension {
  /**
   * Called once the worker's nodes exist with their boot registers, before the I/O node:
   * `ram` is machine memory, `io` the node 0 of this worker, if it has it.
   */
  attach(nodes: readonly FlashNode[], ram: RamView, t: WorkerTask, io: FlashNode | null): WorkerAttachment;
}

export interface WorkerAttachment {
  /** Guest RAM as the I/O node's disks reach it by DMA, one per device set (default: machine memory). */
  ioRams?: GuestRam[];
  /** What goes into the worker's result as `monitor`. */
  report(): unknown;
}

export interface NodeResult {
  id: number;
  state: number;
  instret: number;
  cycles: number;
  hart: ReturnType<FlashNode['cpuStats']>;
  cache: FlashNode['cache']['stats'];
  home: FlashNode['home']['stats'];
  msgsSent: number[];
  bytesSent: number;
  magicBusyCycles: number;
  niDelayCycles: number;
  magicDelayCycles: number;
  uncachedServed: number;
  uncachedAccesses: number;
  cacheTransitions: number[];
  homeTransitions: number[];
}

export interface TraceBlock {
  firstWindow: number;
  windows: number;
  startNs: number;
  busyNs: number;
  waitNs: number;
}

export interface WorkerResult {
  worker: number;
  nodes: NodeResult[];
  console: number[];
  /** The I/O node's outcome and devices (the worker that has node 0). */
  io: IoResult | null;
  /** Why the run ended: a device halted it, nothing could ever run again, or maxCycles. */
  stopped: 'halt' | 'idle' | 'max-cycles';
  windows: number;
  /** Passes over the nodes, each simulating one or more windows (window-clock.ts, spans). */
  spans: number;
  endCycle: number;
  busyNs: number;
  waitNs: number;
  /** Sleeps in Atomics.wait while waiting, and those that ran to their timeout (window-clock.ts). */
  sleeps: number;
  sleepTimeouts: number;
  halted: boolean;
  exitCode: number;
  trace: TraceBlock[];
  spinSkipped: number;
  /** Windows jumped over because nothing could happen in them. */
  windowsSkipped: number;
  /** Node-windows in which a quiet node was left alone. */
  nodeWindowsLeft: number;
  /** With `costLog`: per window stepped, each node's host time and then the rest (cost-log.ts). */
  costs: { bytes: Uint8Array; clockNs: number } | null;
  /** The extension's report (the monitor instances of the worker's nodes), or null. */
  monitor: unknown;
}

/** What a node leaves in its worker's result; `home`: its home's statistics, wherever they were kept. */
export function nodeResult(n: FlashNode, home: FlashNode['home']['stats']): NodeResult {
  return {
    id: n.id,
    state: n.state,
    instret: n.hart.instret,
    cycles: n.hart.simTime(),
    hart: n.cpuStats(),
    cache: { ...n.cache.stats },
    home: { ...home },
    msgsSent: Array.from(n.stats.msgsSent),
    bytesSent: n.stats.bytesSent,
    magicBusyCycles: n.stats.magicBusyCycles,
    niDelayCycles: n.stats.niDelayCycles,
    magicDelayCycles: n.stats.magicDelayCycles,
    uncachedServed: n.stats.uncachedServed,
    uncachedAccesses: n.pi.uncachedAccesses,
    cacheTransitions: Array.from(n.cache.table.counts),
    homeTransitions: Array.from(n.home.table.counts),
  };
}

/**
 * The worker that steps a node: node k goes to worker k mod T. Nodes with neighbouring numbers
 * often work at the same times (node 0 and its neighbours hold the workloads' shared data), and
 * spreading them evens the workers' windows: replaying 1-thread costs gave radix on 256 nodes
 * 1.87x at 2 threads and 7.25x at 16 against 1.78x and 6.60x for contiguous blocks
 * (bench/balance.ts), and measured 2-thread runs were 2-7% faster.
 */
export function workerOfNode(node: number, workers: number): number {
  return node % workers;
}

/** A worker's nodes, in order; a node's index among them is floor(node / T). */
export function nodesOf(worker: number, workers: number, nodes: number): number[] {
  const ids: number[] = [];
  for (let id = worker; id < nodes; id += workers) ids.push(id);
  return ids;
}

export function runWorker(t: WorkerTask, ext?: WorkerExtension): WorkerResult {
  const cfg = t.config;
  const slice = cfg.memPerNodeMiB << 20;
  const mem = memoryLayout(cfg.nodes, slice).views(t.memory).bytes;
  const ram = { base: RAM_BASE, size: mem.length, u8: mem, dv: new DataView(mem.buffer, mem.byteOffset, mem.byteLength) };
  const control = controlLayout(cfg.nodes, t.workers).views(t.control);
  const boxes = new Mailboxes(mailboxLayout(t.workers, t.mailboxSlots, 9).views(t.mailboxes), t.workers, t.mailboxSlots);
  const linesPerNode = slice / cfg.lineBytes;
  const dir = directoryLayout(cfg.nodes, linesPerNode, cfg.dirPointers).views(t.directory);
  const ctr = counterLayout(cfg.nodes, slice >>> 12).views(t.counters);
  const homeViews = { ...dir, ...ctr };
  const mesh = new Mesh(cfg);
  const L = lookahead(cfg, mesh);
  const me = t.worker;
  const T = t.workers;

  // Under the monitor the real harts reach machine memory alone: a VM's device addresses are
  // guest physical, and its vCPUs' guest ports send them to the I/O node.
  const devices = t.monitor === undefined ? ioDeviceRanges(t.io) : [];

  const nodes: FlashNode[] = [];
  /** Stepping to the halt's stop cycle: everything sent now is due after it (see below). */
  let stopping = false;
  const ids = nodesOf(me, T, cfg.nodes);
  const count = ids.length;
  // A node that would only repeat itself until some cycle unless a message comes (its hart
  // waiting on a miss, or spinning on a flag: FlashNode.quietUntil) is not stepped in the
  // windows before then; a message queued for it, or the run's end, brings it up to date. On
  // large machines most harts wait at a barrier most of the time, and stepping each of them
  // every window was most of the work (1,024 nodes: two thirds). `quiet[k]` is that cycle for
  // node k, or -1 to step it; `found` holds what its last step left for the window's report,
  // and `all` the sums of `found` over the worker's nodes, kept up to date at each step (on
  // 1,024 nodes, summing every node at every epoch end cost more than stepping the few that run).
  const quiet = new Float64Array(count).fill(-1);
  const found = { running: new Uint8Array(count), asleep: new Uint8Array(count), inFlight: new Float64Array(count), sent: new Float64Array(count), next: new Float64Array(count) };
  /** `executing`: nodes whose `next` is -1 (a hart executes), so that the least `next` is -1. */
  const all = { running: 0, asleep: 0, inFlight: 0, sent: 0, executing: 0 };
  const router: Router = {
    deliver(time, type, src, dst, addr, req, a, b, c, seq) {
      const w = workerOfNode(dst, T);
      if (w === me) {
        const k = (dst / T) | 0;
        quiet[k] = -1;
        nodes[k].enqueue(time, type, src, dst, addr, req, a, b, c, seq);
        return;
      }
      // Due after the stop cycle, and its receiver may have left its loop: nobody reads it.
      if (stopping) return;
      while (!boxes.push(me, w, time, type, src, dst, addr, req, a, b, c, seq)) drainInbound();
    },
  };
  // One decoded-instruction cache for all the worker's harts: they mostly run the same code,
  // and one table (128 KiB of code) instead of one per hart leaves the host's caches to the rest.
  const decoded = new DecodeCache(16);
  for (const id of ids) {
    nodes.push(new FlashNode(id, cfg, ram, homeViews, devices, mesh, router, t.entry, t.skipSpins, decoded));
  }
  // a0 = hart id (as on any RISC-V board); the rest depends on how the machine boots (bootRegs).
  for (const n of nodes) {
    n.hart.setX(10, n.id);
    for (const [reg, value] of t.bootRegs) n.hart.setX(reg, value);
  }
  const attached = ext?.attach(nodes, ram, t, me === 0 ? nodes[0] : null) ?? null;
  const io = me === 0 ? new IoNode(nodes[0], cfg, attached?.ioRams ?? [ram], t.io, t.echoConsole, control, L) : null;

  const sinkRecord = (time: number, words: Int32Array, b: number): void => {
    const k = (words[b + F_DST] / T) | 0;
    quiet[k] = -1;
    nodes[k].enqueue(time, words[b + F_TYPE], words[b + F_SRC], words[b + F_DST], words[b + F_ADDR],
      words[b + F_REQ], words[b + F_A], words[b + F_B], words[b + F_C], words[b + F_SEQ]);
  };
  function drainInbound(): void {
    for (let src = 0; src < t.workers; src++) if (src !== me) boxes.drain(src, me, sinkRecord);
  }

  const slack = t.windowSlack;
  const costs = t.costLog === true ? new CostLog(nodes.length + 1) : null;
  // The cost log keeps one row per window: spans would merge them.
  const clock = new WindowClock(control, me, t.workers, slack, t.watchdogMs, drainInbound, t.spin, L, t.idleSkip, nodes.length, t.spans && costs === null);
  const LINE = 16, LINE64 = 8;
  let busyNs = 0, waitNs = 0, w = 0, spans = 0, halted = false, exitCode = 0, windowsSkipped = 0, nodeWindowsLeft = 0;
  let stopped: WorkerResult['stopped'] = 'max-cycles';
  const trace: TraceBlock[] = [];
  let block: TraceBlock | null = null;
  const t0 = performance.now();
  let a = t0;
  for (;;) {
    // The last window ends at maxCycles itself, so that a cut run is the same for any window;
    // a halt in the windows before the cut that before() has not yet reported is found below.
    if (windowStart(w, L, slack) >= t.maxCycles) break;
    const d = clock.before(w);
    if (d.stop) { halted = d.halt; exitCode = d.exitCode; stopped = d.halt ? 'halt' : 'idle'; break; }
    if (d.jumpTo > 0) {
      clock.skip(w, d.jumpTo);
      windowsSkipped += d.jumpTo - w;
      w = d.jumpTo;
      continue;
    }
    const after = d.end; // the window after the span
    const windowEnd = Math.min(windowStart(after, L, slack), t.maxCycles);
    Atomics.store(control.workerWindow, me * LINE, w);
    const b0 = performance.now();
    const waited = (b0 - a) * 1e6;
    waitNs += waited;
    if (block !== null) block.waitNs += waited;
    a = b0;
    if (d.epoch && io !== null && io.beforeEpoch(windowStart(w, L, slack), d.asleep === cfg.nodes, d.awaitInput)) quiet[0] = -1;
    drainInbound();
    const row = costs === null ? 0 : costs.row();
    let nodeMs = 0, tick = costs === null ? 0 : performance.now(), stepped = 0;
    for (let k = 0; k < nodes.length; k++) {
      if (quiet[k] >= windowEnd) continue;
      const n = nodes[k];
      n.advance(windowEnd);
      if (costs !== null) {
        // One clock read a node: this node's time runs from the last read to this one.
        const now = performance.now();
        costs.set(row + k, now - tick);
        nodeMs += now - tick;
        tick = now;
      }
      const running = n.state !== NodeState.Halted && n.state !== NodeState.Idle ? 1 : 0;
      const asleep = n.inWfi ? 1 : 0;
      const inFlight = n.sentCount - n.handledCount;
      const sent = n.sentCount;
      const next = n.nextActivity();
      all.running += running - found.running[k];
      all.asleep += asleep - found.asleep[k];
      all.inFlight += inFlight - found.inFlight[k];
      all.sent += sent - found.sent[k];
      all.executing += (next < 0 ? 1 : 0) - (found.next[k] < 0 ? 1 : 0);
      found.running[k] = running;
      found.asleep[k] = asleep;
      found.inFlight[k] = inFlight;
      found.sent[k] = sent;
      found.next[k] = next;
      quiet[k] = t.quietSkip ? n.quietUntil(next) : -1;
      stepped++;
    }
    nodeWindowsLeft += (after - w) * (nodes.length - stepped);
    // Of the reports, the decisions read only those of epoch ends, and worker 0's halt flag
    // (window-clock.ts): the rest is filled in for the span that ends an epoch.
    let running = 0, asleep = 0, inFlight = 0, sent = 0, next = Infinity, input = 0;
    if (after % slack === 0) {
      running = all.running;
      asleep = all.asleep;
      inFlight = all.inFlight;
      sent = all.sent;
      if (all.executing > 0) next = -1;
      else for (let k = 0; k < nodes.length; k++) if (found.next[k] < next) next = found.next[k];
      if (io !== null) {
        if (!io.quiet) asleep = 0; // the disk is busy: that is not waiting for input
        // Input still to come can wake the guest: no stopping (but waiting for it, where nothing
        // else can happen: Decision.awaitInput), and no jumping over time while a line may go in.
        if (io.inputLeft) {
          input = 1;
          if (!io.inputSpent) next = -1;
        }
      }
    }
    t.onWindow?.(nodes, windowEnd);
    const halt = me === 0 && nodes[0].haltRequested;
    if (halt) {
      exitCode = io?.outcome()?.code ?? 0;
      control.haltCycle[0] = nodes[0].haltCycle; // before finish() publishes the window
    }
    boxes.publish(me);
    clock.finish(w, after, running, halt, exitCode, asleep, inFlight, sent, next, input);
    const b = performance.now();
    busyNs += (b - a) * 1e6;
    costs?.set(row + nodes.length, b - a - nodeMs);
    if (t.traceBlock > 0) {
      if (block === null || block.windows >= t.traceBlock) {
        block = { firstWindow: w, windows: 0, startNs: (a - t0) * 1e6, busyNs: 0, waitNs: 0 };
        trace.push(block);
      }
      block.windows += after - w;
      block.busyNs += (b - a) * 1e6;
    }
    spans++;
    w = after;
    a = b;
  }
  if (stopped === 'max-cycles') {
    const f = clock.haltedBefore(windowAt(t.maxCycles - 1, L, slack) + 1);
    if (f.halt) { halted = true; exitCode = f.exitCode; stopped = 'halt'; }
  }
  let endCycle: number;
  if (stopped === 'halt') {
    // A halt at cycle H is seen K windows later, when every node has run to the end of the K-th
    // window after the one holding H at most. Every node now runs on to H + L, the same cycle
    // whatever the window, or to maxCycles if that comes first: what reaches a node before
    // H + L was sent before H, in a window every worker has finished; what it sends now is due
    // after H + L, so it is not sent at all.
    endCycle = Math.min(control.haltCycle[0] + L, t.maxCycles);
    drainInbound();
    stopping = true;
  } else {
    // The end of the last window; nodes left alone in the last windows catch up to it.
    endCycle = Math.min(windowStart(w, L, slack), t.maxCycles);
  }
  for (const n of nodes) n.advance(endCycle);
  const ioResult = io?.finish() ?? null;
  for (const n of nodes) control.clock[n.id * LINE64] = n.hart.simTime();
  control.workerBusyNs[me * LINE64] = busyNs;
  control.workerWaitNs[me * LINE64] = waitNs;

  return {
    worker: me,
    nodes: nodes.map((n) => nodeResult(n, n.home.stats)),
    console: io?.console ?? [],
    io: ioResult,
    stopped,
    windows: w,
    spans,
    endCycle,
    busyNs,
    waitNs,
    sleeps: clock.sleeps,
    sleepTimeouts: clock.sleepTimeouts,
    halted,
    exitCode,
    trace,
    spinSkipped: nodes.reduce((a, n) => a + n.hart.spinSkipped, 0),
    windowsSkipped,
    nodeWindowsLeft,
    costs: costs === null ? null : { bytes: costs.bytes(), clockNs: costs.clockMs * 1e6 },
    monitor: attached?.report() ?? null,
  };
}
