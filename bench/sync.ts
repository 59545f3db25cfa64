// The synchronization benchmark: what the parallel engine's own coordination costs, apart from
// the simulation. Each worker runs the FLASH window loop (bench/sync-worker.ts) with a fixed
// amount of arithmetic in place of its nodes, the same for every worker and window, and sends a
// few messages a window to the next worker. Every worker does the same work at every thread
// count (weak scaling), so the 1-thread wall time divided by the T-thread one is the parallel
// efficiency the window clock and mailboxes allow at that work per window: the ceiling for the
// FLASH benchmark's speedup on the same host, whose windows carry the work of a worker's nodes.

import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Piscina } from 'piscina';
import { WINDOW_SLACK } from '../src/node-actor/worker-loop.js';
import { spinPolicy, type SpinPolicy } from '../src/node-actor/window-clock.js';
import { controlLayout, mailboxLayout } from '../src/shared-abi/machine.js';
import type { SyncTask, SyncWorkerResult } from './sync-worker.js';

export interface SyncBenchOptions {
  threads: number[];
  /** Work per window, in microseconds of this host's arithmetic. */
  workUs: number[];
  windows: number;
  messages: number;
  /** Runs of each configuration; the fastest counts. */
  repeat: number;
  /** Fixed spin before sleeping, in microseconds (default: the engine's adaptive policy). */
  spinUs?: number;
  /** Windows a worker may run ahead of the slowest, plus one (default: the engine's WINDOW_SLACK). */
  slack?: number;
  /** Spread of each window's work around its mean, 0 to 1 (default 0: every window the same). */
  jitter?: number;
  progress?: (line: string) => void;
}

export interface SyncRow {
  workUs: number;
  threads: number;
  wallSeconds: number;
  allWallSeconds: number[];
  /** 1-thread wall time over this one's, for the same work per worker. */
  efficiency: number;
  workers: { busySeconds: number; waitSeconds: number; sleeps: number; sleepTimeouts: number }[];
}

export interface SyncBenchResult {
  benchmark: 'sync';
  windows: number;
  messages: number;
  slack: number;
  jitter: number;
  cores: number;
  iterationsPerUs: number;
  /** The waiting workers' spin before sleeping: a fixed number of microseconds, or 'adaptive'. */
  spin: number | 'adaptive';
  /** Every message arrived, once and in order, at every thread count. */
  messagesOk: boolean;
  rows: SyncRow[];
}

const MAILBOX_SLOTS = 1024;
const WORDS = 9;

/** The benchmarks run compiled (dist/bench), the worker beside them. */
function workerFile(): string {
  return join(dirname(fileURLToPath(import.meta.url)), 'sync-worker.js');
}

/** One run on `t` workers: each worker's result, and the wall time from the first start to the last end. */
interface RunShape {
  windows: number;
  slack: number;
  iterations: number;
  jitter: number;
  messages: number;
  spin: SpinPolicy;
}

async function runOnce(pool: Piscina, t: number, r: RunShape) {
  const base = {
    ...r,
    workers: t,
    control: controlLayout(t, t).allocate(),
    mailboxes: mailboxLayout(t, MAILBOX_SLOTS, WORDS).allocate(),
    mailboxSlots: MAILBOX_SLOTS,
    ready: new SharedArrayBuffer(8),
  };
  const results: SyncWorkerResult[] = await Promise.all(Array.from({ length: t }, (_, w) => pool.run({ ...base, worker: w } satisfies SyncTask)));
  const wall = (Math.max(...results.map((x) => x.endMs)) - Math.min(...results.map((x) => x.startMs))) / 1000;
  return { results, wall };
}

/** Windows each worker runs: up to the one at which worker 0's halt is seen, slack - 1 past the last. */
function windowsRun(windows: number, slack: number): number {
  return windows + slack - 1;
}

export async function runSyncBench(o: SyncBenchOptions): Promise<SyncBenchResult> {
  const cores = availableParallelism();
  let iterationsPerUs = 0;
  const slack = o.slack ?? WINDOW_SLACK;
  // The 1-thread runs come first: they are the others' reference.
  const threads = [...new Set([1, ...o.threads])].sort((a, b) => a - b);
  const rows: SyncRow[] = [];
  let messagesOk = true;
  for (const t of threads) {
    const pool = new Piscina({ filename: workerFile(), minThreads: t, maxThreads: t, idleTimeout: 1000 });
    try {
      const spin = spinPolicy(t, cores, o.spinUs);
      // Every pool's workers first run the same probe, a few times: V8 compiles the loop with
      // the work inlined only after the first runs, and a worker that compiled it otherwise
      // would do the same work a third slower. On one worker, the probe also measures the
      // work's speed in the window loop itself.
      const probe = 10_000;
      let best = Infinity;
      for (let r = 0; r < 8; r++) best = Math.min(best, (await runOnce(pool, t, { windows: 2000, slack, iterations: probe, jitter: 0, messages: 0, spin })).wall);
      if (t === 1) iterationsPerUs = probe * windowsRun(2000, slack) / (best * 1e6);
      for (const workUs of o.workUs) {
        let best: { wall: number; results: SyncWorkerResult[] } | null = null;
        const walls: number[] = [];
        for (let r = 0; r < o.repeat; r++) {
          const { results, wall } = await runOnce(pool, t, { windows: o.windows, slack, iterations: Math.round(workUs * iterationsPerUs), jitter: o.jitter ?? 0, messages: o.messages, spin });
          walls.push(wall);
          const expected = t > 1 ? windowsRun(o.windows, slack) * o.messages : 0;
          if (results.some((x) => x.received !== expected || x.outOfOrder !== 0)) messagesOk = false;
          if (best === null || wall < best.wall) best = { wall, results };
        }
        const one = rows.find((x) => x.threads === 1 && x.workUs === workUs);
        rows.push({
          workUs,
          threads: t,
          wallSeconds: best!.wall,
          allWallSeconds: walls,
          efficiency: one === undefined ? 1 : one.wallSeconds / best!.wall,
          workers: best!.results.map((x) => ({ busySeconds: x.busyNs / 1e9, waitSeconds: x.waitNs / 1e9, sleeps: x.sleeps, sleepTimeouts: x.sleepTimeouts })),
        });
        o.progress?.(`  ... ${t} thread(s), ${workUs} us per window: ${best!.wall.toFixed(3)} s`);
      }
    } finally {
      await pool.destroy();
    }
  }
  rows.sort((a, b) => a.workUs - b.workUs || a.threads - b.threads);
  return { benchmark: 'sync', windows: o.windows, messages: o.messages, slack, jitter: o.jitter ?? 0, cores, iterationsPerUs, spin: o.spinUs ?? 'adaptive', messagesOk, rows };
}

export function formatSyncBench(r: SyncBenchResult): string {
  const lines = [
    'sync: the window clock and mailboxes around a fixed amount of work per window, no simulation',
    `  ${r.windows.toLocaleString('en-US')} windows, ${r.messages} message(s) per window to the next worker, ${r.cores} cores, ` +
      `window slack ${r.slack}, work jitter ${r.jitter}, spin before sleeping: ${r.spin === 'adaptive' ? 'adaptive' : `${r.spin} us`}, ${r.iterationsPerUs.toFixed(0)} iterations per us`,
    '  work/window  threads  wall       us/window  efficiency  speedup  waiting  sleeps (timed out)',
  ];
  for (const x of r.rows) {
    const wait = x.workers.reduce((a, w) => a + w.waitSeconds, 0) / x.workers.length;
    const sleeps = x.workers.reduce((a, w) => a + w.sleeps, 0);
    const timeouts = x.workers.reduce((a, w) => a + w.sleepTimeouts, 0);
    const perWindow = 1e6 * x.wallSeconds / windowsRun(r.windows, r.slack);
    lines.push(`  ${`${x.workUs} us`.padStart(11)}  ${String(x.threads).padStart(7)}  ${`${x.wallSeconds.toFixed(3)} s`.padEnd(9)}  ${perWindow.toFixed(2).padStart(9)}  ${`${(100 * x.efficiency).toFixed(1)}%`.padStart(10)}  ${`${(x.threads * x.efficiency).toFixed(2)}x`.padStart(7)}  ${`${(100 * wait / x.wallSeconds).toFixed(1)}%`.padStart(7)}  ${sleeps} (${timeouts})`);
  }
  lines.push(`  messages arrived once each and in order: ${r.messagesOk ? 'yes' : 'NO'}`);
  if (r.rows.some((x) => x.threads > r.cores)) {
    lines.push(`  warning: more threads than the ${r.cores} cores; workers that share a core wait for each other`);
  }
  return lines.join('\n');
}
