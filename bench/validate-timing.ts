// `npm run bench -- --validate-timing`: the quantum timing mode against the exact one
// (docs/quantum.md, "Accuracy and speed"). For each workload and node count the same machine
// runs the same workload once in the exact mode and once in the quantum mode per quantum, one
// run after another on fresh workers; the table gives, per quantum, each figure's relative error
// against the exact run and whether it is within the targets (simulated time 3%, each miss
// count 5%), the messages of both modes side by side, and the host seconds of each run; a
// verdict per quantum gives its largest time and miss-count errors over all rows.

import type { MachineConfig } from '../src/config/machine.js';
import type { ElfImage } from '../src/sim/elf.js';
import { UserError } from '../src/sim/errors.js';
import { runFlash, type FlashResult, type Timing } from '../src/sim/flash-machine.js';
import { MSG_NAMES } from '../src/directory/messages.js';
import { collectGarbage } from './flash.js';

/** The targets: simulated time within 3%, each miss count within 5% (docs/quantum.md). */
export const TIME_TARGET_PCT = 3;
export const MISS_TARGET_PCT = 5;

/** How IPC is computed here: the machine's, all instructions over all nodes' cycles to the end. */
export const IPC_DEFINITION = 'instructions / (endCycle * nodes)';

/** The message types every table shows, present or not. */
const SHOWN_MESSAGES = ['GETS', 'GETX', 'UPGRADE', 'INV', 'FWD_GETS', 'FWD_GETX', 'PUTX'];

export interface ValidateWorkload {
  name: string;
  image: ElfImage;
  /** Values written over the image's symbols (--size); empty for the default size. */
  patch: Record<string, number>;
}

export interface ValidateTimingOptions {
  workloads: ValidateWorkload[];
  nodes: number[];
  quanta: number[];
  /** The machine for a node count (--config applied). */
  config: (nodes: number) => MachineConfig;
  /** Worker threads for a node count. */
  threads: (nodes: number) => number;
  maxCycles: number;
  spinUs?: number;
  windowSlack?: number;
  noSpans?: boolean;
  progress?: (line: string) => void;
}

/** One figure compared: its name in the table, its value from a run, its target (null: none). */
interface Metric {
  key: string;
  label: string;
  value: (r: RunFigures) => number;
  target: number | null;
  /** A count of misses: part of the verdict's miss-count error. */
  miss?: boolean;
  /** A count of misses without the exact mode's NACKed tries: the verdict's second miss-count error. */
  lessRetries?: boolean;
  digits?: number;
}

export interface RunFigures {
  timing: Timing;
  quantumCycles: number | null;
  endCycle: number;
  instructions: number;
  ipc: number;
  l1Misses: number;
  l2Misses: number;
  localMisses: number;
  localMissMean: number;
  remoteMisses: number;
  remoteMissMean: number;
  threeHopMisses: number;
  nacks: number;
  homeInvalidations: number;
  homeForwards: number;
  messages: Record<string, number>;
  /** runFlash's wall time: the simulation on its workers, without building the machine. */
  hostSeconds: number;
  threads: number;
  exitCode: number;
  console: string;
  memoryHash: string;
  /** The quantum mode's host figures (quanta, blocked node-quanta, weave seconds, weave counts); null in the exact mode. */
  quantum: FlashResult['host']['quantum'];
  totals: Record<string, number>;
  perNode: { id: number; instret: number; cycles: number }[];
}

const METRICS: Metric[] = [
  { key: 'endCycle', label: 'time (cycles)', value: (r) => r.endCycle, target: TIME_TARGET_PCT },
  { key: 'instructions', label: 'instructions', value: (r) => r.instructions, target: null },
  { key: 'ipc', label: 'IPC (machine)', value: (r) => r.ipc, target: null, digits: 4 },
  { key: 'l1Misses', label: 'L1 misses (I+D)', value: (r) => r.l1Misses, target: MISS_TARGET_PCT, miss: true },
  { key: 'l2Misses', label: 'L2 misses', value: (r) => r.l2Misses, target: MISS_TARGET_PCT, miss: true },
  // A NACKed request is tried again, each try another L1 and L2 miss; the quantum mode NACKs
  // fewer (only at its weave). Without the retries (no target).
  { key: 'l1MissesLessRetries', label: '  L1 less NACK retries', value: (r) => r.l1Misses - r.nacks, target: null, lessRetries: true },
  { key: 'l2MissesLessRetries', label: '  L2 less NACK retries', value: (r) => r.l2Misses - r.nacks, target: null, lessRetries: true },
  // Local and remote misses are counted as they complete: a NACKed try is not one.
  { key: 'localMisses', label: 'local misses', value: (r) => r.localMisses, target: MISS_TARGET_PCT, miss: true, lessRetries: true },
  { key: 'localMissMean', label: '  mean latency', value: (r) => r.localMissMean, target: null, digits: 1 },
  { key: 'remoteMisses', label: 'remote misses', value: (r) => r.remoteMisses, target: MISS_TARGET_PCT, miss: true, lessRetries: true },
  { key: 'remoteMissMean', label: '  mean latency', value: (r) => r.remoteMissMean, target: null, digits: 1 },
  { key: 'nacks', label: 'NACKs received', value: (r) => r.nacks, target: null },
  { key: 'homeInvalidations', label: 'home invalidations', value: (r) => r.homeInvalidations, target: null },
  { key: 'homeForwards', label: 'home forwards', value: (r) => r.homeForwards, target: null },
];

export interface QuantumComparison {
  quantumCycles: number;
  run: RunFigures;
  /** Per metric key and per message type `msg.TYPE`: (quantum - exact) / exact in %, null where exact is 0 and quantum is not. */
  errorsPct: Record<string, number | null>;
  /** Per metric with a target: whether its error is within it. */
  withinTarget: Record<string, boolean>;
  /** Exit code and console as the exact run's. */
  sameOutcome: boolean;
}

export interface ValidateCell {
  workload: string;
  nodes: number;
  mesh: string;
  threads: number;
  patch: Record<string, number>;
  config: MachineConfig;
  exact: RunFigures;
  quantum: QuantumComparison[];
}

export interface QuantumVerdict {
  quantumCycles: number;
  maxTimeErrorPct: number | null;
  maxTimeAt: { workload: string; nodes: number } | null;
  maxMissErrorPct: number | null;
  maxMissAt: { workload: string; nodes: number; metric: string } | null;
  /** The same over the miss counts without the exact mode's NACK retries (L1 and L2 less NACKs, local, remote). */
  maxMissLessRetriesPct: number | null;
  maxMissLessRetriesAt: { workload: string; nodes: number; metric: string } | null;
  /** Time and every miss count with a target within it (the counts as they are, retries included). */
  withinTargets: boolean;
}

export interface ValidateTimingResult {
  benchmark: 'validate-timing';
  quanta: number[];
  nodes: number[];
  workloads: string[];
  ipc: string;
  targets: { timePct: number; missPct: number };
  cells: ValidateCell[];
  verdicts: QuantumVerdict[];
  /** Every quantum run ended as its exact run did (exit code and console). */
  ok: boolean;
}

/** (quantum - exact) / exact in %; 0 where both are 0; null where only exact is 0. */
export function relativeErrorPct(quantum: number, exact: number): number | null {
  if (exact === 0) return quantum === 0 ? 0 : null;
  return (100 * (quantum - exact)) / exact;
}

function figures(r: FlashResult, timing: Timing, quantumCycles: number | null): RunFigures {
  const s = r.sim, t = s.totals;
  const get = (k: string) => t[k] ?? 0;
  return {
    timing,
    quantumCycles,
    endCycle: s.endCycle,
    instructions: s.instructions,
    ipc: s.endCycle > 0 ? s.instructions / (s.endCycle * s.nodes) : 0,
    l1Misses: get('l1iMisses') + get('l1dMisses'),
    l2Misses: get('l2Misses'),
    localMisses: get('localMisses'),
    localMissMean: get('localMisses') > 0 ? get('localMissCycles') / get('localMisses') : 0,
    remoteMisses: get('remoteMisses'),
    remoteMissMean: get('remoteMisses') > 0 ? get('remoteMissCycles') / get('remoteMisses') : 0,
    threeHopMisses: get('threeHopMisses'),
    nacks: get('nacksReceived'),
    homeInvalidations: get('home.invalidations'),
    homeForwards: get('home.forwards'),
    messages: { ...s.messages },
    hostSeconds: r.host.wallSeconds,
    threads: r.host.threads,
    exitCode: s.exitCode,
    console: s.console,
    memoryHash: s.memoryHash,
    quantum: r.host.quantum,
    totals: { ...t },
    perNode: s.perNode.map((n) => ({ id: n.id, instret: n.instret, cycles: n.cycles })),
  };
}

/** The message types a cell shows: the required ones and any either mode sent, in protocol order. */
function messageTypes(cell: ValidateCell): string[] {
  const seen = new Set<string>(SHOWN_MESSAGES);
  for (const r of [cell.exact, ...cell.quantum.map((q) => q.run)]) for (const [k, v] of Object.entries(r.messages)) if (v > 0) seen.add(k);
  const order = MSG_NAMES as readonly string[];
  return [...seen].sort((a, b) => (order.indexOf(a) >>> 0) - (order.indexOf(b) >>> 0));
}

export async function runValidateTiming(o: ValidateTimingOptions): Promise<ValidateTimingResult> {
  const cells: ValidateCell[] = [];
  let first = true;
  const once = async (w: ValidateWorkload, config: MachineConfig, threads: number, timing: Timing, quantumCycles: number | null): Promise<FlashResult> => {
    if (!first) collectGarbage();
    first = false;
    const what = timing === 'exact' ? 'exact' : `quantum ${quantumCycles!.toLocaleString('en-US')}`;
    o.progress?.(`validate-timing: ${w.name}, ${config.nodes} nodes, ${threads} thread(s), ${what}`);
    const r = await runFlash({
      config,
      image: w.image,
      threads,
      maxCycles: o.maxCycles,
      spinUs: o.spinUs,
      windowSlack: o.windowSlack,
      noSpans: o.noSpans,
      echoConsole: false,
      patch: w.patch,
      timing,
      quantumCycles: quantumCycles ?? undefined,
      progress: o.progress === undefined || timing !== 'exact' ? undefined : (cycle) => o.progress!(`  ... simulated cycle ${cycle.toLocaleString('en-US')}`),
    });
    if (!r.sim.halted) {
      throw new UserError(`${w.name} on ${config.nodes} nodes (${what}) did not finish within --max-cycles ${o.maxCycles}; raise it or shrink the workload`);
    }
    o.progress?.(`  ${r.sim.endCycle.toLocaleString('en-US')} cycles, ${r.host.wallSeconds.toFixed(2)} s host`);
    return r;
  };
  for (const w of o.workloads) {
    for (const nodes of o.nodes) {
      const config = o.config(nodes);
      const threads = o.threads(nodes);
      const e = await once(w, config, threads, 'exact', null);
      const exact = figures(e, 'exact', null);
      const cell: ValidateCell = { workload: w.name, nodes, mesh: e.sim.mesh, threads, patch: w.patch, config, exact, quantum: [] };
      for (const q of o.quanta) {
        const run = figures(await once(w, config, threads, 'quantum', q), 'quantum', q);
        const errorsPct: Record<string, number | null> = {};
        const withinTarget: Record<string, boolean> = {};
        for (const m of METRICS) {
          const err = relativeErrorPct(m.value(run), m.value(exact));
          errorsPct[m.key] = err;
          if (m.target !== null) withinTarget[m.key] = err !== null && Math.abs(err) <= m.target;
        }
        for (const type of new Set([...SHOWN_MESSAGES, ...Object.keys(exact.messages), ...Object.keys(run.messages)])) {
          errorsPct[`msg.${type}`] = relativeErrorPct(run.messages[type] ?? 0, exact.messages[type] ?? 0);
        }
        errorsPct.hostSeconds = relativeErrorPct(run.hostSeconds, exact.hostSeconds);
        cell.quantum.push({ quantumCycles: q, run, errorsPct, withinTarget, sameOutcome: run.exitCode === exact.exitCode && run.console === exact.console });
      }
      cells.push(cell);
    }
  }
  const verdicts = o.quanta.map((q): QuantumVerdict => {
    let maxTime: number | null = null, maxTimeAt: QuantumVerdict['maxTimeAt'] = null;
    let maxMiss: number | null = null, maxMissAt: QuantumVerdict['maxMissAt'] = null;
    let maxLess: number | null = null, maxLessAt: QuantumVerdict['maxMissAt'] = null;
    let within = true;
    for (const c of cells) {
      const cmp = c.quantum.find((x) => x.quantumCycles === q)!;
      if (Object.values(cmp.withinTarget).some((ok) => !ok)) within = false;
      const t = cmp.errorsPct.endCycle;
      if (t === null) within = false;
      else if (maxTime === null || Math.abs(t) > Math.abs(maxTime)) { maxTime = t; maxTimeAt = { workload: c.workload, nodes: c.nodes }; }
      for (const m of METRICS.filter((x) => x.miss)) {
        const err = cmp.errorsPct[m.key];
        if (err === null) continue;
        if (maxMiss === null || Math.abs(err) > Math.abs(maxMiss)) { maxMiss = err; maxMissAt = { workload: c.workload, nodes: c.nodes, metric: m.label }; }
      }
      for (const m of METRICS.filter((x) => x.lessRetries)) {
        const err = cmp.errorsPct[m.key];
        if (err === null) continue;
        if (maxLess === null || Math.abs(err) > Math.abs(maxLess)) { maxLess = err; maxLessAt = { workload: c.workload, nodes: c.nodes, metric: m.label.trim() }; }
      }
    }
    return { quantumCycles: q, maxTimeErrorPct: maxTime, maxTimeAt, maxMissErrorPct: maxMiss, maxMissAt, maxMissLessRetriesPct: maxLess, maxMissLessRetriesAt: maxLessAt, withinTargets: within };
  });
  return {
    benchmark: 'validate-timing',
    quanta: o.quanta,
    nodes: o.nodes,
    workloads: o.workloads.map((w) => w.name),
    ipc: IPC_DEFINITION,
    targets: { timePct: TIME_TARGET_PCT, missPct: MISS_TARGET_PCT },
    cells,
    verdicts,
    ok: cells.every((c) => c.quantum.every((q) => q.sameOutcome)),
  };
}

const num = (v: number, digits = 0) => v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const signed = (err: number | null) => (err === null ? 'n/a' : `${err >= 0 ? '+' : ''}${err.toFixed(2)}%`);

/** The figure's error in the table: the signed %, and ok / OUT against its target. */
function errorCell(err: number | null, target: number | null): string {
  const mark = target === null ? '' : err !== null && Math.abs(err) <= target ? 'ok' : 'OUT';
  return ` ${signed(err).padStart(8)} ${mark.padEnd(3)}`;
}

export function formatValidateTiming(v: ValidateTimingResult): string {
  const LABEL = 24, VALUE = 13;
  const lines = [
    `timing validation: the quantum mode against the exact mode (docs/quantum.md); error = (quantum - exact) / exact`,
    `targets: time within ${TIME_TARGET_PCT}%, each miss count (L1, L2, local, remote) within ${MISS_TARGET_PCT}%: ok / OUT; rows without a target show the error alone`,
    `IPC = ${IPC_DEFINITION}; mean latency = miss cycles / misses; host = each run's wall seconds on fresh workers`,
    `both modes count each retry of a NACKed request as another L1 and L2 miss (and GETS/GETX); the quantum mode NACKs only at its weave, where a request reaches a line its home holds busy: "less NACK retries" takes the retries out`,
  ];
  for (const c of v.cells) {
    const size = Object.keys(c.patch).length === 0 ? 'default size' : Object.entries(c.patch).map(([k, x]) => `${k} ${x}`).join(', ');
    lines.push('', `${c.workload}, ${c.nodes} nodes (${c.mesh} mesh), ${c.threads} thread(s), ${size}: ${c.exact.console.trim().split('\n').pop() ?? ''}`);
    const head = ['', 'exact'.padStart(VALUE), ...c.quantum.map((q) => `Q=${num(q.quantumCycles)}`.padStart(VALUE) + ' '.repeat(13))];
    lines.push(`  ${head[0].padEnd(LABEL)}${head.slice(1).join(' ')}`.trimEnd());
    const row = (label: string, exact: string, cols: string[]) => lines.push(`  ${label.padEnd(LABEL)}${[exact.padStart(VALUE), ...cols].join(' ')}`.trimEnd());
    for (const m of METRICS) {
      row(m.label, num(m.value(c.exact), m.digits), c.quantum.map((q) => `${num(m.value(q.run), m.digits).padStart(VALUE)}${errorCell(q.errorsPct[m.key], m.target)}`));
    }
    lines.push(`  messages (counts)`);
    let uncounted = false;
    for (const type of messageTypes(c)) {
      const e = c.exact.messages[type] ?? 0;
      row(`  ${type}`, num(e), c.quantum.map((q) => {
        const x = q.run.messages[type] ?? 0;
        if (x === 0 && e > 0) { uncounted = true; return `${num(x).padStart(VALUE)}${'-'.padStart(9)}    `; }
        return `${num(x).padStart(VALUE)}${errorCell(q.errorsPct[`msg.${type}`], null)}`;
      }));
    }
    if (uncounted) {
      lines.push(`    (-: none in the quantum mode, whose weave settles invalidations, forwards, NACKs and their answers inside the homes without counting them as messages; compare the home rows above)`);
    }
    row('host seconds', c.exact.hostSeconds.toFixed(2), c.quantum.map((q) => `${q.run.hostSeconds.toFixed(2).padStart(VALUE)}${errorCell(q.errorsPct.hostSeconds, null)}`));
    row('quanta stepped', '', c.quantum.map((q) => `${num(q.run.quantum?.quanta ?? 0).padStart(VALUE)}${' '.repeat(12)}`));
    row('blocked node-quanta', '', c.quantum.map((q) => `${num(q.run.quantum?.blockedNodeQuanta ?? 0).padStart(VALUE)}${' '.repeat(12)}`));
    row('weave seconds', '', c.quantum.map((q) => `${(q.run.quantum?.weaveSeconds ?? 0).toFixed(2).padStart(VALUE)}${' '.repeat(12)}`));
    for (const q of c.quantum) {
      if (!q.sameOutcome) lines.push(`  Q=${num(q.quantumCycles)}: the run ended otherwise than the exact one: exit ${q.run.exitCode} (exact ${c.exact.exitCode}), console ${JSON.stringify(q.run.console.trim())}`);
    }
  }
  lines.push('', 'verdict (largest errors over all rows)');
  for (const d of v.verdicts) {
    const time = d.maxTimeAt === null ? 'n/a' : `${signed(d.maxTimeErrorPct)} (${d.maxTimeAt.workload}, ${d.maxTimeAt.nodes} nodes)`;
    const miss = d.maxMissAt === null ? 'n/a' : `${signed(d.maxMissErrorPct)} (${d.maxMissAt.workload}, ${d.maxMissAt.nodes} nodes, ${d.maxMissAt.metric})`;
    const less = d.maxMissLessRetriesAt === null ? 'n/a' : `${signed(d.maxMissLessRetriesPct)} (${d.maxMissLessRetriesAt.workload}, ${d.maxMissLessRetriesAt.nodes} nodes, ${d.maxMissLessRetriesAt.metric})`;
    lines.push(`  Q=${num(d.quantumCycles).padEnd(6)} time ${time}; miss count ${miss}: ${d.withinTargets ? 'within the targets' : 'OUTSIDE the targets'}`);
    lines.push(`  ${' '.repeat(8)} miss count less NACK retries ${less}`);
  }
  if (!v.ok) lines.push('  some quantum runs ended otherwise than their exact runs (above)');
  return lines.join('\n');
}

