// Host time per node per window, kept for the benchmark's balance analysis (bench/balance.ts):
// it replays these costs at other thread counts to tell how much of the parallel speedup is lost
// to work that is uneven between workers, apart from what waiting for one another costs.
//
// One row per window a worker stepped (jumped-over windows have none, and every worker jumps the
// same ones), one column per node of the worker and a last one for the rest of the window's work
// (draining the mailboxes, the stop decision, the reports). Times are 16-bit counts of COST_UNIT_NS;
// a longer stretch (a garbage collection, the host descheduling the thread) saturates.

export const COST_UNIT_NS = 10;
const MAX_COUNT = 0xffff;

export class CostLog {
  private data: Uint16Array;
  rows = 0;
  /**
   * What one performance.now() costs, taken off every time kept: the log reads the clock once a
   * node, and the 40-50 ns of a read are as much as a stalled node's whole window.
   */
  readonly clockMs: number;

  constructor(readonly columns: number) {
    this.data = new Uint16Array(columns * 4096);
    // The fastest of several rounds: the first ones run before V8 has compiled the loop.
    let best = Infinity;
    for (let round = 0; round < 8; round++) {
      const reads = 20_000, start = performance.now();
      let x = 0;
      for (let i = 0; i < reads; i++) x += performance.now();
      if (x > 0) best = Math.min(best, (performance.now() - start) / reads);
    }
    this.clockMs = best;
  }

  /** Start the next window's row; returns its first index. */
  row(): number {
    const at = this.rows * this.columns;
    if (at + this.columns > this.data.length) {
      const bigger = new Uint16Array(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.rows++;
    return at;
  }

  /** Record `ms` milliseconds between two clock reads at index `i` of the current row. */
  set(i: number, ms: number): void {
    const units = Math.round(((ms - this.clockMs) * 1e6) / COST_UNIT_NS);
    this.data[i] = units < 0 ? 0 : units < MAX_COUNT ? units : MAX_COUNT;
  }

  /** The rows written, as bytes (a worker's result carries them out). */
  bytes(): Uint8Array {
    return new Uint8Array(this.data.buffer, 0, this.rows * this.columns * 2);
  }
}

/** Every worker's log together: each node's cost and the workers' rest, per window stepped. */
export interface CostProfile {
  nodes: number;
  windows: number;
  /** node[w * nodes + id]: node `id`'s host time in window row w, in COST_UNIT_NS. */
  node: Uint16Array;
  /** The workers' rest of window row w together, in COST_UNIT_NS. */
  rest: Float64Array;
  /** The cost of a clock read, taken off every time kept (the largest of the workers'). */
  clockNs: number;
}

/** Merge the logs of workers, each with the ids of the nodes it stepped in its columns' order. */
export function mergeCostLogs(nodes: number, logs: { ids: number[]; bytes: Uint8Array; clockNs: number }[]): CostProfile {
  const rowsOf = (l: { ids: number[]; bytes: Uint8Array }) => l.bytes.length / 2 / (l.ids.length + 1);
  const windows = rowsOf(logs[0]);
  if (logs.some((l) => rowsOf(l) !== windows)) throw new Error('cost logs of different lengths: the workers stepped different windows');
  const node = new Uint16Array(windows * nodes);
  const rest = new Float64Array(windows);
  for (const l of logs) {
    const c = l.ids.length + 1;
    const costs = new Uint16Array(l.bytes.length / 2);
    new Uint8Array(costs.buffer).set(l.bytes);
    for (let w = 0; w < windows; w++) {
      for (let k = 0; k < l.ids.length; k++) node[w * nodes + l.ids[k]] = costs[w * c + k];
      rest[w] += costs[w * c + l.ids.length];
    }
  }
  return { nodes, windows, node, rest, clockNs: Math.max(...logs.map((l) => l.clockNs)) };
}
