// The FLASH machine benchmark: build an N-node machine, run a parallel workload on every node,
// and report what was simulated (time, instructions, IPC, cache and protocol behaviour, network
// load) apart from what it cost the host (wall time, aggregate guest MIPS, per-worker busy and
// waiting time). --compare-threads runs the same machine at several thread counts, checks that
// every simulated result is identical (DESIGN.md invariant 1) and prints the speedup.
// --timing quantum [--quantum Q] runs the machine in the quantum timing mode (docs/quantum.md);
// the report and the JSON say which mode and quantum gave the figures.

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { MachineConfig } from '../src/config/machine.js';
import { DEFAULT_TIMING_QUANTUM, FlashWorkers, runFlash, type FlashResult, type Timing } from '../src/sim/flash-machine.js';
import type { ElfImage } from '../src/sim/elf.js';
import { UserError } from '../src/sim/errors.js';
import { WINDOW_SLACK } from '../src/node-actor/worker-loop.js';
import { balance, formatBalance, type BalanceReport } from './balance.js';

export interface FlashBenchOptions {
  config: MachineConfig;
  image: ElfImage;
  workload: string;
  threads: number[];
  /** Runs of each thread count: the fastest is reported, and all must agree. */
  repeat: number;
  maxCycles: number;
  patch: Record<string, number>;
  traceEvents?: string;
  /** Fixed spin before a waiting worker sleeps, in microseconds (default: adaptive). */
  spinUs?: number;
  /** Windows per lookahead (default: 1 for one thread, WINDOW_SLACK for more); the simulated results are the same for any. */
  windowSlack?: number;
  /** Step one window a pass over the nodes (FlashRunOptions.noSpans). */
  noSpans?: boolean;
  echoConsole: boolean;
  /** Keep every node's host time per window (one thread only) and replay it for these thread counts (balance.ts). */
  balance?: number[];
  /** How time is kept (default exact), and the quantum mode's quantum (default DEFAULT_TIMING_QUANTUM). */
  timing?: Timing;
  quantumCycles?: number;
  progress?: (line: string) => void;
}

export interface FlashBenchResult {
  benchmark: 'flash';
  workload: string;
  /** The timing mode of every run, and its quantum in cycles (null in the exact mode). */
  timing: Timing;
  quantumCycles: number | null;
  config: MachineConfig;
  sim: Omit<FlashResult['sim'], 'perNode'> & { perNode: FlashResult['sim']['perNode'] };
  identicalAcrossThreads: boolean | null;
  /** Per thread count, the fastest run, and every run's wall time (the first on fresh workers). */
  host: { cores: number; runs: (FlashResult['host'] & { allWallSeconds: number[] })[]; balance: BalanceReport | null };
}

/** The simulated part of a result, as the string that must not change with --threads. */
export function simulatedFingerprint(r: FlashResult): string {
  return JSON.stringify(r.sim);
}

/**
 * A full garbage collection, so that a run does not pay for the memory of the runs before it: a
 * machine's shared regions (GiBs for many nodes) are freed only when the heap is collected, and
 * V8 does not count them as pressure soon enough (a later 2-thread run measured 15% slower).
 */
let gc: (() => void) | null = null;
export function collectGarbage(): void {
  if (gc === null) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc') as () => void;
  }
  gc();
}

export async function runFlashBench(o: FlashBenchOptions): Promise<FlashBenchResult> {
  const timing = o.timing ?? 'exact';
  const quantumCycles = timing === 'quantum' ? o.quantumCycles ?? DEFAULT_TIMING_QUANTUM : null;
  if (timing === 'quantum' && o.balance !== undefined) throw new UserError('--balance replays the exact mode\'s windows; leave out --timing quantum');
  if (timing === 'quantum' && o.traceEvents !== undefined) throw new UserError('--trace-events traces the exact mode\'s windows; leave out --timing quantum');
  const once = async (threads: number, first: boolean, workers: FlashWorkers): Promise<FlashResult> => {
    if (!first) collectGarbage();
    const r = await runFlash({
      config: o.config,
      image: o.image,
      threads,
      workers,
      maxCycles: o.maxCycles,
      spinUs: o.spinUs,
      noSpans: o.noSpans,
      // --balance replays a 1-thread run for several workers: in their windows, not its own.
      windowSlack: o.windowSlack ?? (o.balance !== undefined ? WINDOW_SLACK : undefined),
      echoConsole: o.echoConsole && first,
      patch: o.patch,
      timing,
      quantumCycles: quantumCycles ?? undefined,
      traceBlock: o.traceEvents !== undefined ? 64 : 0,
      costLog: o.balance !== undefined,
      // The quantum mode's workers do not report their progress (the cycle would read 0).
      progress: o.progress === undefined || timing !== 'exact' ? undefined : (cycle, windows) =>
        o.progress!(`  ... simulated cycle ${cycle.toLocaleString('en-US')} (${windows.toLocaleString('en-US')} windows)`),
    });
    if (!r.sim.halted) {
      throw new UserError(`the workload did not finish within --max-cycles ${o.maxCycles}; raise it or shrink the workload`);
    }
    return r;
  };
  // Every run of every thread count must give the same simulated results; the fastest run of
  // each thread count is the one reported.
  const runs: FlashResult[] = [];
  const hosts: FlashBenchResult['host']['runs'] = [];
  let fingerprint: string | null = null;
  let identical = true;
  for (const threads of o.threads) {
    let best: FlashResult | null = null;
    const all: number[] = [];
    const workers = new FlashWorkers(threads);
    try {
      for (let k = 0; k < o.repeat; k++) {
        o.progress?.(`flash: ${o.config.nodes} nodes, ${threads} thread(s), workload ${o.workload}, ${timingName(timing, quantumCycles)}${o.repeat > 1 ? `, run ${k + 1} of ${o.repeat}` : ''}`);
        const r = await once(threads, fingerprint === null, workers);
        all.push(r.host.wallSeconds);
        const fp = simulatedFingerprint(r);
        if (fingerprint === null) fingerprint = fp; else if (fp !== fingerprint) identical = false;
        if (best === null || r.host.wallSeconds < best.host.wallSeconds) best = r;
      }
    } finally {
      await workers.close();
    }
    runs.push(best!);
    hosts.push({ ...best!.host, allWallSeconds: all });
  }
  if (o.traceEvents !== undefined) writeFileSync(o.traceEvents, JSON.stringify(chromeTrace(runs[runs.length - 1])));
  const { costs } = runs[0];
  return {
    benchmark: 'flash',
    workload: o.workload,
    timing,
    quantumCycles,
    config: o.config,
    sim: runs[0].sim,
    identicalAcrossThreads: runs.length > 1 || o.repeat > 1 ? identical : null,
    host: { cores: availableParallelism(), runs: hosts, balance: costs === null ? null : balance(costs, o.balance!, runs[0].host.windowSlack) },
  };
}

/** Chrome trace events (Perfetto opens them): each worker's blocks of windows, busy and waiting. */
function chromeTrace(r: FlashResult): unknown {
  const events: unknown[] = [];
  r.host.trace.forEach((blocks, worker) => {
    events.push({ name: 'thread_name', ph: 'M', pid: 1, tid: worker, args: { name: `worker ${worker}` } });
    for (const b of blocks) {
      const ts = b.startNs / 1000;
      events.push({ name: 'busy', cat: 'window', ph: 'X', pid: 1, tid: worker, ts, dur: b.busyNs / 1000, args: { firstWindow: b.firstWindow, windows: b.windows } });
      events.push({ name: 'wait', cat: 'window', ph: 'X', pid: 1, tid: worker, ts: ts + b.busyNs / 1000, dur: b.waitNs / 1000, args: { firstWindow: b.firstWindow, windows: b.windows } });
    }
  });
  return { traceEvents: events, displayTimeUnit: 'ms' };
}

/** 'exact timing' or 'quantum timing, quantum 1,000 cycles'. */
export function timingName(timing: Timing, quantumCycles: number | null): string {
  return timing === 'exact' ? 'exact timing' : `quantum timing, quantum ${(quantumCycles ?? DEFAULT_TIMING_QUANTUM).toLocaleString('en-US')} cycles`;
}

const pct = (a: number, b: number) => (b > 0 ? `${((100 * a) / b).toFixed(2)}%` : '-');
const num = (v: number) => v.toLocaleString('en-US');
const mean = (sum: number, n: number) => (n > 0 ? (sum / n).toFixed(1) : '-');

export function formatFlashBench(b: FlashBenchResult): string {
  const s = b.sim, t = s.totals, c = b.config;
  const ipc = s.perNode.map((n) => (n.cycles > 0 ? n.instret / n.cycles : 0));
  const lines = [
    `FLASH machine: ${s.nodes} nodes (${s.mesh} mesh), ${c.cpuMHz} MHz, ${c.lineBytes} B lines, L1 ${c.l1iKiB}+${c.l1dKiB} KiB, L2 ${c.l2KiB} KiB, lookahead ${s.lookaheadCycles} cycles`,
    `timing: ${timingName(b.timing, b.quantumCycles)}${b.timing === 'quantum' ? ' (docs/quantum.md)' : ''}`,
    `workload: ${b.workload}; exit ${s.exitCode}; console: ${JSON.stringify(s.console.trim())}`,
    '',
    'simulated',
    `  time                 ${num(s.endCycle)} cycles = ${(s.simulatedSeconds * 1e3).toFixed(3)} ms`,
    `  instructions         ${num(s.instructions)}`,
    `  IPC per node         min ${Math.min(...ipc).toFixed(3)}  mean ${(ipc.reduce((a, x) => a + x, 0) / ipc.length).toFixed(3)}  max ${Math.max(...ipc).toFixed(3)}`,
    `  L1I misses           ${num(t.l1iMisses)}  (${pct(t.l1iMisses, s.instructions)} of instructions)`,
    `  L1D misses           ${num(t.l1dMisses)}`,
    `  L2 hits / misses     ${num(t.l2Hits)} / ${num(t.l2Misses)}  (L2 miss rate ${pct(t.l2Misses, t.l2Hits + t.l2Misses)})`,
    `  local misses         ${num(t.localMisses)}, mean ${mean(t.localMissCycles, t.localMisses)} cycles`,
    `  remote misses        ${num(t.remoteMisses)}, mean ${mean(t.remoteMissCycles, t.remoteMisses)} cycles (three-hop ${num(t.threeHopMisses)})`,
    `  NACKs                ${num(t['home.nacks'])}`,
    `  hot-page events      ${num(t['home.hotPageEvents'])}`,
    `  network              ${num(t.bytesSent)} bytes; NI queueing ${num(t.niDelayCycles)} cycles; MAGIC queueing ${num(t.magicDelayCycles)} cycles`,
    `  messages             ${Object.entries(s.messages).map(([k, v]) => `${k} ${num(v)}`).join(', ')}`,
    `  memory hash          ${s.memoryHash}`,
    '',
    'host',
  ];
  const base = b.host.runs[0];
  // One line per window length: one thread runs in windows of the whole lookahead, more in halves.
  const lengths = b.host.runs.filter((h, i, all) => all.findIndex((x) => x.windowSlack === h.windowSlack) === i);
  if (b.timing === 'quantum') {
    const q = base.quantum!;
    lines.push(`  quanta               ${num(q.quanta)} of ${num(q.cycles)} cycles stepped, ${num(q.quantaSkipped)} more jumped over`);
  } else for (const h of lengths) {
    const which = lengths.length > 1 ? ` (${b.host.runs.filter((x) => x.windowSlack === h.windowSlack).map((x) => x.threads).join(', ')} thread(s))` : '';
    lines.push(`  windows              ${num(h.windows)} of ${+h.windowCycles.toFixed(2)} cycles (${h.windowSlack} per lookahead), ${num(h.windowsSkipped)} of them jumped over${which}`);
  }
  lines.push(`  spin loops           ${num(base.spinSkipped)} instructions counted without executing them (${(100 * base.spinSkipped / s.instructions).toFixed(1)}%)`);
  for (const h of b.host.runs) {
    const speedup = base.wallSeconds / h.wallSeconds;
    const all = h.allWallSeconds.length > 1 ? ` (fastest of ${h.allWallSeconds.map((x) => x.toFixed(2)).join(', ')})` : '';
    lines.push(`  ${String(h.threads).padStart(3)} thread(s)  wall ${h.wallSeconds.toFixed(2)} s  ${h.mips.toFixed(2)} MIPS  speedup ${speedup.toFixed(2)}x${all}`);
    if (h.quantum !== null) {
      const q = h.quantum;
      lines.push(`      ${num(q.blockedNodeQuanta)} of ${num(q.quanta * s.nodes)} node-quanta blocked on the weave; weave ${q.weaveSeconds.toFixed(2)} s (its slowest worker)`);
    } else {
      lines.push(`      ${num(h.nodeWindowsLeft)} of ${num((h.windows - h.windowsSkipped) * s.nodes)} node-windows left alone (a hart waiting on a miss, asleep or spinning, nothing due)`);
    }
    for (const w of h.workers) {
      lines.push(`      worker ${w.worker}: ${w.nodes} node(s) in ${num(w.spans)} passes, busy ${w.busySeconds.toFixed(2)} s, waiting ${w.waitSeconds.toFixed(2)} s, slept ${num(w.sleeps)} times (${num(w.sleepTimeouts)} to the timeout)`);
    }
  }
  if (b.identicalAcrossThreads !== null) {
    lines.push(`  simulated results identical across thread counts: ${b.identicalAcrossThreads ? 'yes' : 'NO'}`);
  }
  if (b.host.balance !== null) lines.push(formatBalance(b.host.balance));
  if (b.host.runs.some((h) => h.threads > b.host.cores)) {
    lines.push(`  note: more threads than the ${b.host.cores} cores of this host; workers share cores and wait for each other`);
  }
  return lines.join('\n');
}
