// How evenly a run's work divides between workers (`npm run bench -- --balance 2,4,8,16`).
//
// A 1-thread run keeps the host time of every node in every window (node-actor/cost-log.ts).
// Replaying those costs through the engine's rule for T workers gives the wall time the run
// would take if the work stayed the same and coordination cost nothing: worker v starts window
// n once it has finished n - 1 and every worker has finished n - K (window-clock.ts), and then
// spends its nodes' costs of window n plus its share of the window's rest (mailboxes, reports).
// The 1-thread time over that is the speedup that the division of work allows: what a measured
// speedup loses beyond it, synchronization and the host lose; what it loses below T, imbalance.
// Each way of placing nodes on workers is replayed from the same costs. The log also holds the
// host's interruptions of the 1-thread run (the OS descheduling the thread, a garbage collection)
// as work of the node that was running, which no worker could share; so the engine's placement
// is replayed once more with every node's window cut to INTERRUPTION_NS, far more than the 46
// instructions and few messages of a window take. Two last replays let every worker step any
// node (work stealing, which would need every node's state in shared memory): how far an engine
// that shared single windows' work could go, once at no cost and once paying for each node it
// claims and each node that changes worker (StealCost).

import { COST_UNIT_NS, type CostProfile } from '../src/node-actor/cost-log.js';
import { workerOfNode } from '../src/node-actor/worker-loop.js';

/** Where a node goes among `workers` workers: the engine's every T-th node, or contiguous blocks. */
export const PLACEMENTS: Record<string, (node: number, workers: number, nodes: number) => number> = {
  interleaved: workerOfNode,
  contiguous: (node, workers, nodes) => Math.floor((node * workers) / nodes),
};

/** A node's window longer than this was interrupted by the host (see the header). */
export const INTERRUPTION_NS = 20_000;

/** The profile with every node's window cut to `ns`. */
export function uninterrupted(p: CostProfile, ns = INTERRUPTION_NS): CostProfile {
  const cap = ns / COST_UNIT_NS;
  return { ...p, node: p.node.map((c) => (c < cap ? c : cap)) };
}

/**
 * Wall time, in COST_UNIT_NS, of replaying `p` on `workers` workers placed by `placement`,
 * K = `slack` windows per lookahead, without any cost of coordination.
 */
export function replay(p: CostProfile, workers: number, slack: number, placement: (node: number, workers: number, nodes: number) => number): number {
  const owner = new Int32Array(p.nodes);
  const share = new Float64Array(workers);
  for (let i = 0; i < p.nodes; i++) {
    owner[i] = placement(i, workers, p.nodes);
    share[owner[i]] += 1 / p.nodes;
  }
  // finish[(n % (slack + 1)) * workers + v]: when worker v finished window n.
  const finish = new Float64Array((slack + 1) * workers);
  const work = new Float64Array(workers);
  let end = 0;
  for (let n = 0; n < p.windows; n++) {
    work.fill(0);
    for (let i = 0; i < p.nodes; i++) work[owner[i]] += p.node[n * p.nodes + i];
    let gate = 0;
    if (n >= slack) {
      const o = ((n - slack) % (slack + 1)) * workers;
      for (let v = 0; v < workers; v++) if (finish[o + v] > gate) gate = finish[o + v];
    }
    const prev = ((n + slack) % (slack + 1)) * workers;
    const cur = (n % (slack + 1)) * workers;
    for (let v = 0; v < workers; v++) {
      const start = finish[prev + v] > gate ? finish[prev + v] : gate;
      finish[cur + v] = start + work[v] + p.rest[n] * share[v];
      if (finish[cur + v] > end) end = finish[cur + v];
    }
  }
  return end;
}

/**
 * What work stealing would cost an engine beyond the work itself, in COST_UNIT_NS. A worker
 * claims each node it steps from a list that others may take from too: an atomic on a line
 * that moves between cores when they do (CLAIM_NS). A node stepped by another worker than the
 * one before brings its state along: its registers, the cache tags and queue entries it
 * touches, a few KiB of lines crossing cores (MOVE_NS). On this host, two workers handing a
 * block of shared memory back and forth and touching each of its lines took 0.3 us more a
 * handoff for 4 KiB and 0.75 us for 16 KiB than handing it over untouched.
 */
export interface StealCost { claim: number; move: number }
export const FREE: StealCost = { claim: 0, move: 0 };
export const CLAIM_NS = 50;
export const MOVE_NS = 500;
export const MEASURED: StealCost = { claim: CLAIM_NS / COST_UNIT_NS, move: MOVE_NS / COST_UNIT_NS };

/**
 * Wall time, in COST_UNIT_NS, of replaying `p` on `workers` workers that share all nodes. Each
 * worker steps its own nodes (the engine's placement) in order; one that has none left takes
 * the last one left of the worker with the most left, as a work-stealing scheduler does. A
 * node's window starts once that node has finished window n - 1 and every node window n - K;
 * the window's rest is split evenly first. A node with nothing to do in a window occupies no
 * worker. Each node stepped costs `cost.claim`, and `cost.move` more when its last window ran
 * on another worker.
 */
export function replayStealing(p: CostProfile, workers: number, slack: number, cost: StealCost = FREE): number {
  const free = new Float64Array(workers);
  const finish = new Float64Array(p.nodes);
  const lastOn = new Int32Array(p.nodes);
  for (let i = 0; i < p.nodes; i++) lastOn[i] = workerOfNode(i, workers);
  // Per worker, this window's nodes with work, in order: list[v * p.nodes + k].
  const list = new Int32Array(workers * p.nodes);
  const head = new Int32Array(workers);
  const tail = new Int32Array(workers);
  // windowEnd[n % (slack + 1)]: when the last node finished window n.
  const windowEnd = new Float64Array(slack + 1);
  let end = 0;
  for (let n = 0; n < p.windows; n++) {
    const gate = n >= slack ? windowEnd[(n - slack) % (slack + 1)] : 0;
    let last = gate, left = 0;
    for (let v = 0; v < workers; v++) {
      free[v] = (free[v] > gate ? free[v] : gate) + p.rest[n] / workers;
      head[v] = v * p.nodes;
      tail[v] = v * p.nodes;
    }
    for (let i = 0; i < p.nodes; i++) {
      if (p.node[n * p.nodes + i] === 0) {
        if (finish[i] < gate) finish[i] = gate;
        if (finish[i] > last) last = finish[i];
        continue;
      }
      const v = workerOfNode(i, workers);
      list[tail[v]++] = i;
      left++;
    }
    for (; left > 0; left--) {
      // The worker free first takes a node: its own next, else the last of the longest list.
      let v = 0;
      for (let u = 1; u < workers; u++) if (free[u] < free[v]) v = u;
      let i: number;
      if (head[v] < tail[v]) i = list[head[v]++];
      else {
        let from = 0;
        for (let u = 1; u < workers; u++) if (tail[u] - head[u] > tail[from] - head[from]) from = u;
        i = list[--tail[from]];
      }
      let start = free[v] > finish[i] ? free[v] : finish[i];
      start += cost.claim + (lastOn[i] !== v ? cost.move : 0);
      lastOn[i] = v;
      free[v] = finish[i] = start + p.node[n * p.nodes + i];
      if (finish[i] > last) last = finish[i];
    }
    windowEnd[n % (slack + 1)] = last;
    for (let v = 0; v < workers; v++) if (free[v] > last) last = free[v];
    if (last > end) end = last;
  }
  return end;
}

export interface BalanceRow {
  threads: number;
  /** Per placement: the speedup over one worker that the division of work allows. */
  speedup: Record<string, number>;
  /** The same for the engine's placement, without the host's interruptions. */
  uninterrupted: number;
  /** With every worker stepping any node (replayStealing): free, and at the MEASURED costs. */
  stealing: number;
  stealingCosted: number;
}

export interface BalanceReport {
  windowSlack: number;
  /** What a clock read cost; taken off every node's time (cost-log.ts). */
  clockNs: number;
  windows: number;
  /** Host seconds in the log: the nodes' own, and the rest of the windows'. */
  nodeSeconds: number;
  restSeconds: number;
  /** Node windows' time beyond INTERRUPTION_NS each: the host's interruptions. */
  interruptedSeconds: number;
  rows: BalanceRow[];
}

export function balance(p: CostProfile, threads: number[], slack: number): BalanceReport {
  const total = (q: CostProfile) => {
    let units = 0;
    for (let k = 0; k < q.node.length; k++) units += q.node[k];
    for (let n = 0; n < q.windows; n++) units += q.rest[n];
    return units;
  };
  let restUnits = 0;
  for (let n = 0; n < p.windows; n++) restUnits += p.rest[n];
  const one = total(p);
  const cut = uninterrupted(p);
  const cutOne = total(cut);
  return {
    windowSlack: slack,
    clockNs: p.clockNs,
    windows: p.windows,
    nodeSeconds: ((one - restUnits) * COST_UNIT_NS) / 1e9,
    restSeconds: (restUnits * COST_UNIT_NS) / 1e9,
    interruptedSeconds: ((one - cutOne) * COST_UNIT_NS) / 1e9,
    rows: threads.map((t) => ({
      threads: t,
      speedup: Object.fromEntries(Object.entries(PLACEMENTS).map(([name, f]) => [name, one / replay(p, t, slack, f)])),
      uninterrupted: cutOne / replay(cut, t, slack, workerOfNode),
      stealing: one / replayStealing(p, t, slack),
      stealingCosted: one / replayStealing(p, t, slack, MEASURED),
    })),
  };
}

export function formatBalance(b: BalanceReport): string {
  const names = Object.keys(PLACEMENTS);
  const lines = [
    `balance (this run's per-node, per-window host times replayed for T workers, K = ${b.windowSlack}, coordination free)`,
    `  ${b.windows.toLocaleString('en-US')} windows: nodes ${b.nodeSeconds.toFixed(2)} s, the rest of the windows ${b.restSeconds.toFixed(2)} s (less ${b.clockNs.toFixed(0)} ns a clock read);` +
      ` ${b.interruptedSeconds.toFixed(2)} s of node windows beyond ${INTERRUPTION_NS / 1000} us`,
    `  stealing: any worker steps any node, free, or at ${CLAIM_NS} ns a node claimed and ${MOVE_NS / 1000} us a node moved between workers`,
    `  threads  ${names.map((n) => n.padStart(12)).join('')}  ${'uninterrupted'.padStart(14)}  ${'stealing'.padStart(9)}  ${'stealing at cost'.padStart(17)}`,
  ];
  const x = (v: number, width: number) => `${v.toFixed(2)}x`.padStart(width);
  for (const r of b.rows) {
    lines.push(`  ${String(r.threads).padStart(7)}  ${names.map((n) => x(r.speedup[n], 12)).join('')}  ${x(r.uninterrupted, 14)}  ${x(r.stealing, 9)}  ${x(r.stealingCosted, 17)}`);
  }
  return lines.join('\n');
}
