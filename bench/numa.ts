// The NUMA experiment (`npm run bench -- --experiment numa`): Disco's Table 5 and Figure 8 on
// this machine. Each workload runs in VMs of the project's kernel, which knows nothing of NUMA
// (guest/virt-kernel), under every NUMA policy of the monitor and once on a UMA machine (the
// `uma` setting: a network that costs nothing), each run a fresh `flashdisco run --vms` as a
// user runs it. The table sets each policy's execution time against `none` = 100, with the share
// of misses served locally, the mean miss latency, the moves per second of simulated time with
// their mean cost, the monitor's share of the time and the memory its replicas took; the SVG is
// the bar chart of Disco's Figure 8 (time split into kernel, user, monitor and idle, with the
// local-miss share on each bar). docs/numa.md argues the settings below.

import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../src/sim/errors.js';
import { numaDiskFiles } from './numa-disk.js';

export interface NumaWorkload {
  name: string;
  what: string;
  /** The nodes of the default run (Disco's setting), and of each VM when there are more. */
  nodes: number;
  /** The guest command line, for a VM of `vcpus` vCPUs. */
  command(vcpus: number): string;
  /** Guest memory of a VM of `vcpus` vCPUs, in MiB. */
  memMiB(vcpus: number): number;
}

/** pmake compiles this many sources a vCPU. */
const PMAKE_FILES_PER_VCPU = 8;

export const NUMA_WORKLOADS: readonly NumaWorkload[] = [
  {
    name: 'engineering',
    what: 'logic and cache simulators, two processes a vCPU, moved between vCPUs by the kernel',
    nodes: 8,
    command: (v) => `engineering -p ${2 * v}`,
    memMiB: (v) => 16 + 2 * v,
  },
  {
    name: 'raytrace',
    what: 'a worker a vCPU rendering disjoint rows of a scene they share read-only',
    nodes: 16,
    command: (v) => `raytrace -p ${v} -s 4`,
    memMiB: (v) => 16 + v,
  },
  {
    name: 'pmake',
    what: 'short compile processes, a job a vCPU, sharing program text, reading their sources',
    nodes: 8,
    command: (v) => `pmake -j ${v} -n ${PMAKE_FILES_PER_VCPU * v}`,
    memMiB: (v) => 16 + 2 * v,
  },
];

/**
 * The policies compared, and `uma`: policy none on a machine whose network is free. Under `none`
 * (and `uma`) pages are placed round-robin over the VM's nodes: the interleaving a machine gives
 * an OS that knows nothing of NUMA, Disco's "IRIX on NUMA" baseline, where a page is local to one
 * node in N. The monitor's own policies place a page where it is first touched, as a monitor (or
 * Linux) that knows the machine would, and `first-touch` is that placement alone.
 */
export const NUMA_RUNS = ['none', 'first-touch', 'round-robin', 'migrate', 'replicate', 'disco', 'auto-numa', 'uma'] as const;
export type NumaRun = (typeof NUMA_RUNS)[number];

/**
 * The machine of every run (docs/numa.md, "The experiment"). Our workloads are smaller than
 * Disco's by far, so the L2 is too (Disco's Raytrace run already cut it to 256 KB): 64 KiB keeps
 * the working sets out of it. The counters clear every 2 M cycles (5 ms) and a page is hot at 16
 * misses from one node, so that pages move within runs of about 100 M cycles; each node may ask
 * for 256 moves a period, and a page that moved stays 4 M cycles.
 */
export const NUMA_MACHINE = { l2KiB: 64, missThreshold: 16, missResetCycles: 2_000_000, numaMovesPerReset: 256, numaFreezeCycles: 4_000_000 } as const;

export interface NumaRow {
  workload: string;
  run: NumaRun;
  nodes: number;
  vms: number;
  ok: boolean;
  /** Simulated cycles to the end of the last VM, and against `none` (= 100). */
  cycles: number;
  normalized: number;
  localShare: number;
  meanMissCycles: number;
  migrations: number;
  migrationsPerSec: number;
  migrationUs: number;
  replications: number;
  replicationsPerSec: number;
  replicationUs: number;
  collapses: number;
  dropped: number;
  hintFaults: number;
  replicaKiB: number;
  /** vCPU time by what ran, summed over the vCPUs, as shares of their sum. */
  breakdown: { kernel: number; user: number; monitor: number; idle: number };
  instructions: number;
  hostSeconds: number;
  failure?: string;
}

export interface NumaResult {
  machine: Record<string, number>;
  rows: NumaRow[];
  ok: boolean;
}

export interface NumaOptions {
  root: string;
  /** Every workload on this many nodes (VMs of its own size each), or each on its own default. */
  nodes?: number;
  workloads: readonly NumaWorkload[];
  runs: readonly NumaRun[];
  threads: number;
  /** Machine parameters over NUMA_MACHINE (--config). */
  machine?: Record<string, unknown>;
  /** Runs at once (default: the cores over the threads). */
  jobs?: number;
  /** The quantum timing mode's quantum (--timing quantum); absent, the exact mode. */
  quantum?: number;
  progress?: (line: string) => void;
}

interface Stats {
  config: { cpuMHz: number };
  sim: {
    endCycle: number;
    simulatedSeconds: number;
    instructions: number;
    totals: Record<string, number>;
    vms: { console: string; outcome: { kind: string; code: number } | null }[];
    monitor: {
      nodes: {
        numa: Record<string, number>;
        vcpus: { time: { guestUser: number; guestKernel: number; monitor: number; idle: number; waiting: number } }[];
      }[];
    };
  };
  host: { wallSeconds: number };
}

/** The VMs of a workload on `nodes` nodes: one per `w.nodes` nodes, or one on them all when fewer. */
function vmNodes(w: NumaWorkload, nodes: number): number[][] {
  const per = Math.min(w.nodes, nodes);
  if (nodes % per !== 0) throw new UserError(`--nodes ${nodes}: ${w.name} runs a VM on every ${w.nodes} nodes; give a multiple of ${w.nodes}, or fewer than ${w.nodes}`);
  return Array.from({ length: nodes / per }, (_, i) => Array.from({ length: per }, (_, k) => i * per + k));
}

export async function runNumaExperiment(o: NumaOptions): Promise<NumaResult> {
  for (const w of o.workloads) vmNodes(w, o.nodes ?? w.nodes); // bad --nodes: refused before anything runs
  const dir = mkdtempSync(join(tmpdir(), 'flashdisco-numa-'));
  try {
    const tool = (await import(pathToFileURL(join(o.root, 'guest', 'virt-kernel', 'mkfdfs.mjs')).href)) as { fdfsImage(files: [string, Uint8Array][]): Uint8Array };
    const disk = join(dir, 'root.img');
    // The same disk whichever workloads run, so that a workload's figures do not depend on the others.
    const pmake = NUMA_WORKLOADS.find((w) => w.name === 'pmake')!;
    const pmakeFiles = PMAKE_FILES_PER_VCPU * Math.min(pmake.nodes, o.nodes ?? pmake.nodes);
    writeFileSync(disk, tool.fdfsImage(numaDiskFiles(join(o.root, 'guest', 'build'), pmakeFiles)));
    const tasks = o.workloads.flatMap((w) => o.runs.map((run) => ({ w, run })));
    const rows: NumaRow[] = new Array(tasks.length);
    const jobs = Math.max(1, o.jobs ?? Math.floor(availableParallelism() / o.threads));
    let next = 0;
    const started = Date.now();
    const worker = async () => {
      while (next < tasks.length) {
        const i = next++;
        const { w, run } = tasks[i]!;
        rows[i] = await runOne(o, dir, disk, w, run, i);
        const r = rows[i]!;
        o.progress?.(`numa: ${w.name} ${run}: ${r.ok ? `${(r.cycles / 1e6).toFixed(2)} M cycles, ${(100 * r.localShare).toFixed(0)}% local` : `FAILED (${r.failure})`}, ${r.hostSeconds.toFixed(1)} s (${((Date.now() - started) / 1000).toFixed(0)} s in all, ${i + 1}/${tasks.length} started)`);
      }
    };
    await Promise.all(Array.from({ length: Math.min(jobs, tasks.length) }, worker));
    for (const r of rows) {
      const base = rows.find((b) => b.workload === r.workload && b.run === 'none' && b.ok);
      r.normalized = base !== undefined && r.ok ? (100 * r.cycles) / base.cycles : NaN;
    }
    return { machine: { ...NUMA_MACHINE, ...o.machine } as Record<string, number>, rows, ok: rows.every((r) => r.ok) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runOne(o: NumaOptions, dir: string, disk: string, w: NumaWorkload, run: NumaRun, i: number): Promise<NumaRow> {
  const nodes = o.nodes ?? w.nodes;
  const groups = vmNodes(w, nodes);
  const name = `${i}-${w.name}-${run}`;
  const vmsFile = join(dir, `${name}.json`), config = join(dir, `${name}.config.json`), stats = join(dir, `${name}.stats.json`);
  const policy = run === 'uma' ? 'none' : run;
  const machine = { ...NUMA_MACHINE, ...o.machine };
  writeFileSync(config, JSON.stringify(run === 'uma' ? { ...machine, uma: 1 } : machine));
  writeFileSync(vmsFile, JSON.stringify({
    vms: groups.map((g, k) => ({
      name: `${w.name}${k}`, bios: join(o.root, 'guest/build/virt-sbi.elf'), kernel: join(o.root, 'guest/build/virt-kernel.elf'),
      disk, append: `console=ttyS0 -- ${w.command(g.length)}`, mem: w.memMiB(g.length), vcpus: g.length, nodes: g, numa: policy,
      ...(policy === 'none' ? { placement: 'round-robin' } : {}),
      console: join(dir, `${name}.vm${k}.out`),
    })),
  }));
  const args = [join(o.root, 'dist/src/sim/cli.js'), 'run', '--nodes', String(nodes), '--vms', vmsFile, '--config', config, '--stats', stats, '--threads', String(o.threads),
    ...(o.quantum === undefined ? [] : ['--timing', 'quantum', '--quantum', String(o.quantum)])];
  const { status, stderr } = await new Promise<{ status: number | null; stderr: string }>((done) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d: Buffer) => { err += d.toString(); });
    child.on('close', (code) => done({ status: code, stderr: err }));
  });
  const row: NumaRow = {
    workload: w.name, run, nodes, vms: groups.length, ok: false, cycles: NaN, normalized: NaN, localShare: NaN, meanMissCycles: NaN,
    migrations: 0, migrationsPerSec: 0, migrationUs: NaN, replications: 0, replicationsPerSec: 0, replicationUs: NaN, collapses: 0,
    dropped: 0, hintFaults: 0, replicaKiB: 0, breakdown: { kernel: 0, user: 0, monitor: 0, idle: 0 }, instructions: 0, hostSeconds: NaN,
  };
  let s: Stats;
  try {
    s = JSON.parse(readFileSync(stats, 'utf8')) as Stats;
  } catch {
    row.failure = `no statistics: status ${status}: ${stderr.trim().split('\n').slice(-2).join(' ')}`;
    return row;
  }
  const passed = s.sim.vms.every((v) => v.outcome?.kind === 'exit' && v.outcome.code === 0 && v.console.includes(`${w.name}: PASS`));
  row.ok = status === 0 && passed;
  if (!row.ok) row.failure = `status ${status}: ${stderr.trim().split('\n').slice(-2).join(' ')}`;
  fillRow(row, s, s.config.cpuMHz);
  return row;
}

function fillRow(row: NumaRow, s: Stats, cyclesPerUs: number): void {
  const t = s.sim.totals, sum = (k: string) => s.sim.monitor.nodes.reduce((a, n) => a + (n.numa[k] ?? 0), 0);
  const misses = t.localMisses! + t.remoteMisses!;
  row.cycles = s.sim.endCycle;
  row.instructions = s.sim.instructions;
  row.hostSeconds = s.host.wallSeconds;
  row.localShare = misses > 0 ? t.localMisses! / misses : NaN;
  row.meanMissCycles = misses > 0 ? (t.localMissCycles! + t.remoteMissCycles!) / misses : NaN;
  const sec = s.sim.simulatedSeconds;
  row.migrations = sum('migrated');
  row.replications = sum('replicated');
  row.migrationsPerSec = row.migrations / sec;
  row.replicationsPerSec = row.replications / sec;
  row.migrationUs = row.migrations > 0 ? sum('migrateCycles') / row.migrations / cyclesPerUs : NaN;
  row.replicationUs = row.replications > 0 ? sum('replicateCycles') / row.replications / cyclesPerUs : NaN;
  row.collapses = sum('collapsed');
  row.dropped = sum('dropped');
  row.hintFaults = sum('hintFaults');
  row.replicaKiB = sum('replicaPagesPeak') * 4;
  const b = { kernel: 0, user: 0, monitor: 0, idle: 0 };
  for (const n of s.sim.monitor.nodes) {
    for (const v of n.vcpus) {
      b.kernel += v.time.guestKernel;
      b.user += v.time.guestUser;
      b.monitor += v.time.monitor;
      b.idle += v.time.idle + v.time.waiting;
    }
  }
  const all = b.kernel + b.user + b.monitor + b.idle || 1;
  row.breakdown = { kernel: b.kernel / all, user: b.user / all, monitor: b.monitor / all, idle: b.idle / all };
}

const pct = (x: number) => (Number.isFinite(x) ? `${(100 * x).toFixed(0)}%` : '-');
const num = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : '-');

export function formatNumaTable(r: NumaResult): string {
  const head = ['workload', 'run', 'nodes', 'time', 'local', 'miss cyc', 'migr/s', 'migr us', 'repl/s', 'repl us', 'monitor', 'replicas KiB', 'kernel/user/idle', 'M cycles', 'host s'];
  const lines = r.rows.map((x) => [
    x.workload, x.run + (x.ok ? '' : ' FAILED'), String(x.nodes), num(x.normalized), pct(x.localShare), num(x.meanMissCycles),
    num(x.migrationsPerSec), num(x.migrationUs, 1), num(x.replicationsPerSec), num(x.replicationUs, 1), pct(x.breakdown.monitor),
    num(x.replicaKiB), `${pct(x.breakdown.kernel)}/${pct(x.breakdown.user)}/${pct(x.breakdown.idle)}`, num(x.cycles / 1e6, 2), num(x.hostSeconds, 1),
  ]);
  const widths = head.map((h, c) => Math.max(h.length, ...lines.map((l) => l[c]!.length)));
  const fmt = (l: string[]) => l.map((v, c) => (c < 2 ? v.padEnd(widths[c]!) : v.padStart(widths[c]!))).join('  ');
  const failures = r.rows.filter((x) => !x.ok).map((x) => `${x.workload} ${x.run}: ${x.failure}`);
  return [
    'NUMA experiment: execution time with none = 100; local: share of misses served by the requester\'s own memory;',
    'miss cyc: mean miss latency; migrations and replications per simulated second with their mean cost (request to remap);',
    `monitor: its share of vCPU time; replicas: peak memory of replicas. Machine: ${JSON.stringify(r.machine)}`,
    '',
    fmt(head),
    ...lines.map(fmt),
    ...(failures.length > 0 ? ['', ...failures] : []),
  ].join('\n');
}

/** Disco's Figure 8: a bar per run, its height the normalized time split by what the vCPUs did. */
export function numaSvg(r: NumaResult): string {
  const parts = [['kernel', '#4e79a7'], ['user', '#f28e2b'], ['monitor', '#e15759'], ['idle', '#bab0ac']] as const;
  const bar = 22, gap = 6, groupGap = 40, top = 40, height = 260, left = 50;
  const max = Math.max(100, ...r.rows.filter((x) => x.ok).map((x) => x.normalized));
  const scale = height / max;
  const out: string[] = [];
  let x = left;
  const workloads = [...new Set(r.rows.map((w) => w.workload))];
  for (const w of workloads) {
    const rows = r.rows.filter((y) => y.workload === w);
    out.push(`<text x="${x + (rows.length * (bar + gap)) / 2}" y="${top + height + 84}" text-anchor="middle" font-weight="bold">${w}</text>`);
    for (const row of rows) {
      let y = top + height;
      if (row.ok) {
        for (const [k, color] of parts) {
          const h = row.normalized * row.breakdown[k] * scale;
          y -= h;
          out.push(`<rect x="${x}" y="${y.toFixed(1)}" width="${bar}" height="${h.toFixed(1)}" fill="${color}"><title>${w} ${row.run} ${k}: ${pct(row.breakdown[k])}</title></rect>`);
        }
        out.push(`<text x="${x + bar / 2}" y="${(y - 4).toFixed(1)}" text-anchor="middle" font-size="9">${pct(row.localShare)}</text>`);
      }
      out.push(`<text transform="translate(${x + bar / 2 + 4},${top + height + 6}) rotate(60)" font-size="10">${row.run}</text>`);
      x += bar + gap;
    }
    x += groupGap;
  }
  const width = x + 120;
  const axis = [0, 25, 50, 75, 100].filter((v) => v <= max).map((v) => `<text x="${left - 6}" y="${(top + height - v * scale + 4).toFixed(1)}" text-anchor="end" font-size="10">${v}</text><line x1="${left - 3}" x2="${x}" y1="${(top + height - v * scale).toFixed(1)}" y2="${(top + height - v * scale).toFixed(1)}" stroke="#ddd"/>`);
  const legend = parts.map(([k, c], i) => `<rect x="${x}" y="${top + 16 * i}" width="12" height="12" fill="${c}"/><text x="${x + 16}" y="${top + 16 * i + 10}" font-size="11">${k}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${top + height + 96}" font-family="sans-serif" font-size="12">`,
    `<text x="${left}" y="20">Execution time (none = 100), local-miss share on each bar</text>`,
    ...axis, ...out, ...legend, '</svg>',
  ].join('\n');
}

/** The runs `text` names (comma-separated), checked. */
export function parseNumaRuns(text: string): NumaRun[] {
  const runs = text.split(',').map((s) => s.trim());
  for (const r of runs) if (!(NUMA_RUNS as readonly string[]).includes(r)) throw new UserError(`--runs: '${r}' is none of ${NUMA_RUNS.join(', ')}`);
  return runs as NumaRun[];
}
