// The monitor's overhead: each workload runs natively on the flat board and in one VM of the
// Disco-style monitor (`flashdisco run --monitor`) on the same CPUs, and the two are set side by
// side as in the Disco paper's Figure 5 (execution time under IRIX and under Disco, split into
// idle, user, kernel and monitor time; Disco's overhead was 3-16% on one CPU). Workloads:
//   bench-int, bench-fp  bare-metal benchmarks in (virtual) M-mode without traps: direct
//                        execution at full speed, nearly nothing for the monitor to do
//   kernel               the SBI firmware, the S-mode kernel, its disk and a shell session on two
//                        harts (kernel-session.ts): system calls, page faults, timer interrupts,
//                        a UART driver that polls its registers, virtio
//   priv-sv39            a privileged-instruction test: Sv39 from S, U and M (MPRV), A/D bits,
//                        SUM/MXR, sfence.vma; one instruction in 33 traps
//
// Every run is in a fresh worker thread (monitor-worker.ts); the sides alternate, `repeat` times
// each, the simulated results must be the same every time, and the best host time counts.
// Simulated results (time, breakdown, the monitor's statistics) are kept apart from the host's
// (seconds, MIPS), which go under `host` in the JSON.

import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { UserError } from '../src/sim/errors.js';
import type { MonitorCostConfig } from '../src/monitor/costs.js';
import { SHELL_INPUT, kernelDiskImage } from './kernel-session.js';
import type { Breakdown, MonitorReport, MonitorRunResult, MonitorRunTask } from './monitor-worker.js';

export interface MonitorWorkload {
  name: string;
  /** One line: what runs. */
  what: string;
  kernel: string;
  bios?: string;
  /** The kernel session's disk (made at run time). */
  kernelDisk?: boolean;
  harts?: number;
  append?: string;
  input?: readonly string[];
  /** A line both runs must print. */
  expect: string;
}

/** The workloads, relative to the repository root. */
export const MONITOR_WORKLOADS: readonly MonitorWorkload[] = [
  { name: 'bench-int', what: 'integer benchmark, bare metal (M-mode): direct execution', kernel: 'guest/build/bench-int.elf', expect: 'bench-int: PASS' },
  { name: 'bench-fp', what: 'floating-point benchmark, bare metal (M-mode): direct execution', kernel: 'guest/build/bench-fp.elf', expect: 'bench-fp: PASS' },
  {
    name: 'kernel',
    what: 'SBI firmware + S-mode kernel + disk + shell session, 2 harts: kernel-heavy',
    kernel: 'guest/build/virt-kernel.elf',
    bios: 'guest/build/virt-sbi.elf',
    kernelDisk: true,
    harts: 2,
    append: 'console=ttyS0 root=/dev/vda',
    input: SHELL_INPUT,
    expect: 'powering off (clean)',
  },
  { name: 'priv-sv39', what: 'Sv39 from S, U and M (MPRV), A/D, SUM/MXR, sfence.vma: a trap every 33 instructions', kernel: 'guest/build/priv-sv39.elf', expect: 'priv-sv39: PASS' },
];

export interface MonitorBenchOptions {
  root: string;
  workloads: readonly MonitorWorkload[];
  repeat: number;
  /** The monitor's costs (the machine configuration's monitor rows). */
  costs: MonitorCostConfig;
  progress?: (line: string) => void;
}

/** The simulated results of one side. */
export interface SideSim {
  exitCode: number;
  instructions: number;
  /** Simulated time in cycles of the flat board's 1 GHz harts (nanoseconds). */
  simTime: number;
  breakdown: Breakdown;
  /** Whether the run printed the workload's expected line and exited with status 0. */
  ok: boolean;
}

export interface WorkloadResult {
  name: string;
  what: string;
  native: SideSim;
  vm: SideSim;
  /** (VM simulated time - native) / native, in percent. */
  overheadPercent: number;
  /** Whether both printed the same console output (the kernel's time-dependent counts may differ). */
  consoleIdentical: boolean;
  /** The monitor's --stats record of the VM run. */
  monitor: MonitorReport;
}

export interface SideHost {
  wallSeconds: number[];
  bestSeconds: number;
  /** The process's CPU seconds in each run (monitor-worker.ts), and the least of them. */
  cpuSeconds: number[];
  bestCpuSeconds: number;
  /** Instructions / best wall seconds, in millions. */
  mips: number;
}

export interface WorkloadHost {
  native: SideHost;
  vm: SideHost;
  /** VM best seconds / native best seconds. */
  timeRatio: number;
  /** The same of CPU seconds. */
  cpuRatio: number;
  /** VM MIPS / native MIPS. */
  mipsRatio: number;
}

export interface MonitorBenchResult {
  benchmark: 'monitor-overhead';
  costs: MonitorCostConfig;
  workloads: Record<string, WorkloadResult>;
  /** Every run exited with status 0 and printed its expected line. */
  ok: boolean;
  host: { node: string; cpu: string; repeat: number; workloads: Record<string, WorkloadHost> };
}

function runInWorker(task: MonitorRunTask): Promise<MonitorRunResult> {
  const file = join(dirname(fileURLToPath(import.meta.url)), 'monitor-worker.js');
  return new Promise((resolve, reject) => {
    const w = new Worker(file, { workerData: task });
    let result: MonitorRunResult | null = null;
    w.once('message', (m: MonitorRunResult) => (result = m));
    w.once('error', reject);
    w.once('exit', (code) => (result !== null ? resolve(result) : reject(new Error(`the benchmark worker exited with status ${code} and no result`))));
  });
}

/** Every repetition must simulate the same thing; host time is all that may vary. */
function sameRun(a: MonitorRunResult, b: MonitorRunResult, what: string): void {
  if (a.simTime !== b.simTime || a.instructions !== b.instructions || a.console !== b.console) {
    throw new Error(`${what} is not deterministic: ${a.instructions} instructions in ${a.simTime} cycles, then ${b.instructions} in ${b.simTime}`);
  }
}

function sideSim(r: MonitorRunResult, w: MonitorWorkload): SideSim {
  return {
    exitCode: r.exitCode,
    instructions: r.instructions,
    simTime: r.simTime,
    breakdown: r.breakdown,
    ok: r.reason === 'exit' && r.exitCode === 0 && r.console.includes(w.expect),
  };
}

function sideHost(runs: MonitorRunResult[]): SideHost {
  const wall = runs.map((r) => r.runSeconds), cpu = runs.map((r) => r.cpuSeconds);
  const best = Math.min(...wall);
  return { wallSeconds: wall, bestSeconds: best, cpuSeconds: cpu, bestCpuSeconds: Math.min(...cpu), mips: runs[0]!.instructions / best / 1e6 };
}

export async function runMonitorBench(o: MonitorBenchOptions): Promise<MonitorBenchResult> {
  if (o.workloads.length === 0) throw new UserError('no monitor workloads to run');
  const path = (p: string) => join(o.root, p);
  for (const w of o.workloads) {
    for (const f of [w.kernel, w.bios]) {
      if (f !== undefined && !existsSync(path(f))) throw new UserError(`workload guest '${f}' does not exist; build the guests with npm run guests`);
    }
  }
  const dir = mkdtempSync(join(tmpdir(), 'flashdisco-monbench-'));
  try {
    let disk: string | undefined;
    if (o.workloads.some((w) => w.kernelDisk)) {
      disk = join(dir, 'root.img');
      writeFileSync(disk, await kernelDiskImage(o.root));
    }
    const workloads: Record<string, WorkloadResult> = {};
    const hosts: Record<string, WorkloadHost> = {};
    for (const w of o.workloads) {
      const board: MonitorRunTask['board'] = {
        kernel: path(w.kernel),
        bios: w.bios !== undefined ? path(w.bios) : undefined,
        disk: w.kernelDisk ? disk : undefined,
        harts: w.harts,
        append: w.append,
      };
      const input = [...(w.input ?? [])];
      const runs = { native: [] as MonitorRunResult[], vm: [] as MonitorRunResult[] };
      for (let i = 0; i < o.repeat; i++) {
        for (const side of ['native', 'vm'] as const) {
          const r = await runInWorker({ board, input, costs: side === 'vm' ? o.costs : null });
          if (i > 0) sameRun(runs[side][0]!, r, `${w.name} (${side})`);
          runs[side].push(r);
          o.progress?.(`${w.name}: ${side === 'vm' ? 'in a VM' : 'natively'}, run ${i + 1}/${o.repeat}: ${r.runSeconds.toFixed(3)} s, ${r.instructions} instructions, ${r.simTime} cycles`);
        }
      }
      const n = runs.native[0]!, v = runs.vm[0]!;
      workloads[w.name] = {
        name: w.name,
        what: w.what,
        native: sideSim(n, w),
        vm: sideSim(v, w),
        overheadPercent: ((v.simTime - n.simTime) / n.simTime) * 100,
        consoleIdentical: n.console === v.console,
        monitor: v.monitor!,
      };
      const nh = sideHost(runs.native), vh = sideHost(runs.vm);
      hosts[w.name] = { native: nh, vm: vh, timeRatio: vh.bestSeconds / nh.bestSeconds, cpuRatio: vh.bestCpuSeconds / nh.bestCpuSeconds, mipsRatio: vh.mips / nh.mips };
    }
    return {
      benchmark: 'monitor-overhead',
      costs: o.costs,
      workloads,
      ok: Object.values(workloads).every((r) => r.native.ok && r.vm.ok),
      host: { node: process.version, cpu: cpus()[0]?.model ?? 'unknown', repeat: o.repeat, workloads: hosts },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- Output ----

function table(rows: string[][], indent = ''): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => (indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).trimEnd());
}

const ms = (cycles: number) => `${(cycles / 1e6).toPrecision(4)} ms`;
const signed = (x: number, digits: number) => `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;

/** A share of the native run's CPU time, in percent (Figure 5 normalizes to the native run). */
function share(cycles: number, base: number): string {
  return base > 0 ? ((cycles / base) * 100).toFixed(2) : '-';
}

function formatOne(r: WorkloadResult, h: WorkloadHost, repeat: number): string[] {
  const base = r.native.breakdown.total;
  const nb = r.native.breakdown, vb = r.vm.breakdown;
  const rows: string[][] = [
    ['', 'native', 'in a VM', ''],
    ['simulated time', ms(r.native.simTime), ms(r.vm.simTime), `overhead ${signed(r.overheadPercent, 2)}%`],
    ['instructions', r.native.instructions.toLocaleString('en-US'), r.vm.instructions.toLocaleString('en-US'), ''],
    ['CPU time, % of native', '', '', ''],
    ['  idle', share(nb.idle, base), share(vb.idle, base), ''],
    ['  user (U)', share(nb.user, base), share(vb.user, base), ''],
    ['  kernel (S, M)', share(nb.kernel, base), share(vb.kernel, base), ''],
    ['  monitor', '-', share(vb.monitor, base), ''],
  ];
  for (const [k, c] of Object.entries(vb.monitorBy).sort((a, b) => b[1] - a[1])) rows.push([`    ${k}`, '-', share(c, base), '']);
  rows.push(['  total', share(nb.total, base), share(vb.total, base), '']);
  rows.push([`host time, best of ${repeat}`, `${h.native.bestSeconds.toFixed(3)} s`, `${h.vm.bestSeconds.toFixed(3)} s`, `${h.timeRatio.toFixed(2)}x`]);
  rows.push([`host CPU time, best of ${repeat}`, `${h.native.bestCpuSeconds.toFixed(3)} s`, `${h.vm.bestCpuSeconds.toFixed(3)} s`, `${h.cpuRatio.toFixed(2)}x`]);
  rows.push(['host MIPS', h.native.mips.toFixed(1), h.vm.mips.toFixed(1), `ratio ${h.mipsRatio.toFixed(2)}`]);
  const verdict = (s: SideSim) => (s.ok ? 'ok' : `FAILED (exit ${s.exitCode})`);
  rows.push(['outcome', verdict(r.native), verdict(r.vm), r.consoleIdentical ? 'console identical' : 'console differs (time-dependent output)']);
  return [`${r.name}: ${r.what}`, ...table(rows, '  ')];
}

/** The per-workload tables and the summary printed by `npm run bench -- --suite monitor`. */
export function formatMonitorBench(r: MonitorBenchResult): string {
  const h = r.host;
  const lines: string[] = [];
  for (const [name, w] of Object.entries(r.workloads)) lines.push(...formatOne(w, h.workloads[name]!, h.repeat), '');
  const summary: string[][] = [['', 'simulated: native', 'VM', 'overhead', 'host: native', 'VM', 'time ratio', 'CPU ratio', 'MIPS ratio']];
  for (const [name, w] of Object.entries(r.workloads)) {
    const x = h.workloads[name]!;
    summary.push([
      name, ms(w.native.simTime), ms(w.vm.simTime), `${signed(w.overheadPercent, 2)}%`,
      `${x.native.bestSeconds.toFixed(3)} s`, `${x.vm.bestSeconds.toFixed(3)} s`, `${x.timeRatio.toFixed(2)}x`, `${x.cpuRatio.toFixed(2)}x`, x.mipsRatio.toFixed(2),
    ]);
  }
  lines.push(...table(summary));
  lines.push('');
  lines.push('Disco (SOSP 1997), one CPU: 3-16% overhead (pmake 16%, engineering 6%, raytrace 3%, database 16%)');
  lines.push('CPU time: all harts together, as a share of the native run\'s; monitor categories are the cost table\'s');
  lines.push('(src/config/monitor-costs.ts) and "stepped", the guest instructions run on the virtual hart');
  lines.push('host time: wall seconds running the guest; CPU time: the process\'s CPU seconds over the run (less');
  lines.push('inflated by other work on the host); MIPS: instructions / best wall time');
  lines.push(`host: ${h.cpu}, node ${h.node}; each run in a fresh worker thread, the sides alternating`);
  if (!r.ok) lines.push('FAILED: a run did not exit with status 0 and its expected output');
  return lines.join('\n');
}
