// Hart speed: how fast our interpreter runs compute-bound guests, next to QEMU user mode.
//
// Each benchmark is a pair of images built from one source: NAME.elf (bare metal, HTIF console)
// runs on one hart over flat memory, and NAME.linux.elf (the same work as a static Linux
// program) under qemu-riscv64 when it is installed. The default pair of benchmarks:
//   bench-int  integer: sorting, hashing, CRC-32, pointer chasing (rv64imac)
//   bench-fp   floating point: a ray tracer and an FFT in double precision (rv64gc, lp64d)
// Both sides print `checksum ...` lines; they must agree, which makes the comparison a cheap
// differential test too (for bench-fp, of F/D to the bit). Each side runs `repeat` times in this
// process (ours) or as fresh processes (QEMU), and the best wall time counts, so JIT warm-up on
// our side and page-cache effects on QEMU's do not decide the result.
//
// Guest instructions and the checksums are simulated results; wall times and MIPS are host
// measurements and are kept apart (under `host`, by benchmark name) in the JSON.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { CaptureConsole } from '../src/devices/htif.js';
import { UserError } from '../src/sim/errors.js';
import { runFlat, type FlatRunResult } from '../src/sim/run-flat.js';

/** One benchmark: a bare-metal image for our hart and the same program for qemu-riscv64. */
export interface HartBenchmark {
  name: string;
  /** One line: what the guest computes. */
  what: string;
  kernel: string;
  linuxKernel: string;
}

/** The default benchmarks, relative to the repository root. */
export const DEFAULT_HART_BENCHMARKS: readonly HartBenchmark[] = [
  {
    name: 'bench-int',
    what: 'integer: sorting, hashing, CRC-32, pointer chasing (rv64imac)',
    kernel: 'guest/build/bench-int.elf',
    linuxKernel: 'guest/build/bench-int.linux.elf',
  },
  {
    name: 'bench-fp',
    what: 'floating point: ray tracer and FFT in double precision (rv64gc, lp64d)',
    kernel: 'guest/build/bench-fp.elf',
    linuxKernel: 'guest/build/bench-fp.linux.elf',
  },
];

export interface HartSpeedOptions {
  benchmarks: readonly HartBenchmark[];
  repeat: number;
  qemu: string;
  maxInsns?: number;
  /** Progress lines (stderr in the CLI). */
  progress?: (line: string) => void;
}

export interface SideResult {
  wallSeconds: number[];
  bestSeconds: number;
}

/** The simulated results of one benchmark. */
export interface HartBenchResult {
  name: string;
  what: string;
  kernel: string;
  linuxKernel: string;
  guest: { instructions: number; cycles: number; exitCode: number; checksum: string[] };
  qemu: { ran: boolean; skipped: string | null; exitCode: number | null; checksum: string[] };
  /** Whether both sides printed the same checksum lines (null when QEMU did not run). */
  checksumsMatch: boolean | null;
  /** What was compared: the checksum lines, or the whole console output when neither has one. */
  compared: 'checksum lines' | 'whole output' | null;
}

/** The host measurements of one benchmark. */
export interface HartBenchHost {
  flashdisco: SideResult & { mips: number };
  qemu: (SideResult & { mipsEstimate: number }) | null;
  /** flashdisco best wall / qemu best wall (how many times slower we are). */
  ratio: number | null;
}

export interface HartSpeedResult {
  benchmark: 'hart-speed';
  /** By benchmark name, in the order they ran. */
  benchmarks: Record<string, HartBenchResult>;
  /** Every benchmark's checksums matched QEMU's (false if any differ; null if none was compared). */
  checksumsMatch: boolean | null;
  host: {
    node: string;
    cpu: string;
    repeat: number;
    /** By benchmark name, as `benchmarks`. */
    benchmarks: Record<string, HartBenchHost>;
  };
}

/** The lines that carry a checksum; both builds of each benchmark print the same ones. */
export function checksumLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /checksum/i.test(l));
}

function best(xs: number[]): number {
  return Math.min(...xs);
}

function runOurs(b: HartBenchmark, opts: HartSpeedOptions): { runs: number[]; last: FlatRunResult; text: string } {
  const runs: number[] = [];
  let last: FlatRunResult | null = null;
  let text = '';
  for (let i = 0; i < opts.repeat; i++) {
    const sink = new CaptureConsole();
    const r = runFlat({ kernel: b.kernel, maxInsns: opts.maxInsns, console: sink });
    if (r.reason !== 'exit') throw new Error(`${b.name} did not finish on the hart: ${r.message}`);
    const out = sink.text();
    if (last !== null && (r.instret !== last.instret || out !== text)) {
      throw new Error(`${b.name} is not deterministic: run ${i + 1} retired ${r.instret} instructions, run 1 ${last.instret}`);
    }
    runs.push(r.runSeconds);
    opts.progress?.(`${b.name}: flashdisco run ${i + 1}/${opts.repeat}: ${r.runSeconds.toFixed(3)} s, ${r.instret} instructions`);
    last = r;
    text = out;
  }
  return { runs, last: last!, text };
}

function qemuAvailable(qemu: string): boolean {
  const r = spawnSync(qemu, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function runQemu(b: HartBenchmark, opts: HartSpeedOptions): { runs: number[]; exitCode: number; text: string } {
  const runs: number[] = [];
  let exitCode = 0;
  let text = '';
  for (let i = 0; i < opts.repeat; i++) {
    const t0 = performance.now();
    const r = spawnSync(opts.qemu, [b.linuxKernel], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const s = (performance.now() - t0) / 1000;
    if (r.error) throw r.error;
    exitCode = r.status ?? 128;
    text = r.stdout;
    runs.push(s);
    opts.progress?.(`${b.name}: qemu run ${i + 1}/${opts.repeat}: ${s.toFixed(3)} s (exit ${exitCode})`);
  }
  return { runs, exitCode, text };
}

function runOne(b: HartBenchmark, opts: HartSpeedOptions, haveQemu: boolean): { sim: HartBenchResult; host: HartBenchHost } {
  const ours = runOurs(b, opts);
  const instructions = ours.last.instret;
  const ourBest = best(ours.runs);
  const guestChecksum = checksumLines(ours.text);

  let skipped: string | null = null;
  if (!existsSync(b.linuxKernel)) skipped = `'${b.linuxKernel}' does not exist (npm run guests builds it)`;
  else if (!haveQemu) skipped = `${opts.qemu} is not on PATH (apt-get install qemu-user)`;
  const q = skipped === null ? runQemu(b, opts) : null;
  const qemuChecksum = q ? checksumLines(q.text) : [];
  const qBest = q ? best(q.runs) : null;
  const compared = guestChecksum.length === 0 && qemuChecksum.length === 0 ? 'whole output' : 'checksum lines';
  const sim: HartBenchResult = {
    name: b.name,
    what: b.what,
    kernel: b.kernel,
    linuxKernel: b.linuxKernel,
    guest: { instructions, cycles: ours.last.cycle, exitCode: ours.last.exitCode, checksum: guestChecksum },
    qemu: { ran: q !== null, skipped, exitCode: q ? q.exitCode : null, checksum: qemuChecksum },
    checksumsMatch: q ? (compared === 'whole output' ? ours.text === q.text : guestChecksum.join('\n') === qemuChecksum.join('\n')) : null,
    compared: q ? compared : null,
  };
  const host: HartBenchHost = {
    flashdisco: { wallSeconds: ours.runs, bestSeconds: ourBest, mips: instructions / ourBest / 1e6 },
    qemu: q && qBest !== null ? { wallSeconds: q.runs, bestSeconds: qBest, mipsEstimate: instructions / qBest / 1e6 } : null,
    ratio: qBest !== null ? ourBest / qBest : null,
  };
  return { sim, host };
}

export function runHartSpeed(opts: HartSpeedOptions): HartSpeedResult {
  if (opts.benchmarks.length === 0) throw new UserError('no hart benchmarks to run');
  const names = new Set<string>();
  for (const b of opts.benchmarks) {
    if (!existsSync(b.kernel)) {
      throw new UserError(`benchmark guest '${b.kernel}' does not exist; build the guests with npm run guests`);
    }
    if (names.has(b.name)) throw new UserError(`benchmark '${b.name}' is given twice`);
    names.add(b.name);
  }
  const haveQemu = qemuAvailable(opts.qemu);
  const benchmarks: Record<string, HartBenchResult> = {};
  const hosts: Record<string, HartBenchHost> = {};
  for (const b of opts.benchmarks) {
    const { sim, host } = runOne(b, opts, haveQemu);
    benchmarks[b.name] = sim;
    hosts[b.name] = host;
  }
  const verdicts = Object.values(benchmarks).map((r) => r.checksumsMatch).filter((m) => m !== null);
  return {
    benchmark: 'hart-speed',
    benchmarks,
    checksumsMatch: verdicts.length === 0 ? null : verdicts.every((m) => m),
    host: {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      repeat: opts.repeat,
      benchmarks: hosts,
    },
  };
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

function table(rows: string[][], indent = ''): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows.map((r) => (indent + r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')).trimEnd());
}

function checksumVerdict(r: HartBenchResult): string {
  if (r.checksumsMatch === null) return 'not compared (qemu skipped)';
  return `${r.compared === 'whole output' ? 'console output' : 'checksums'} ${r.checksumsMatch ? 'match' : 'DIFFER'}`;
}

/** One benchmark, side by side with QEMU. */
function formatOne(r: HartBenchResult, h: HartBenchHost, repeat: number): string[] {
  const rows: string[][] = [
    ['', 'flashdisco hart (flat)', 'qemu-riscv64 (user mode)'],
    ['image', r.kernel, r.qemu.ran ? r.linuxKernel : `skipped: ${r.qemu.skipped}`],
    [`wall, best of ${repeat}`, `${h.flashdisco.bestSeconds.toFixed(3)} s`, h.qemu ? `${h.qemu.bestSeconds.toFixed(3)} s` : '-'],
    ['guest instructions', fmtInt(r.guest.instructions), '-'],
    ['MIPS', h.flashdisco.mips.toFixed(1), h.qemu ? `~${h.qemu.mipsEstimate.toFixed(0)} (same count assumed)` : '-'],
    ['exit status', String(r.guest.exitCode), r.qemu.exitCode === null ? '-' : String(r.qemu.exitCode)],
  ];
  const n = Math.max(r.guest.checksum.length, r.qemu.checksum.length, 1);
  for (let i = 0; i < n; i++) {
    rows.push([i === 0 ? 'checksum' : '', r.guest.checksum[i] ?? '(none)', r.qemu.ran ? (r.qemu.checksum[i] ?? '(none)') : '-']);
  }
  return [`${r.name}: ${r.what}`, ...table(rows, '  '), `  ${checksumVerdict(r)}`];
}

/** The per-benchmark tables and the summary printed by `npm run bench -- --suite hart`. */
export function formatHartSpeed(r: HartSpeedResult): string {
  const h = r.host;
  const lines: string[] = [];
  for (const [name, b] of Object.entries(r.benchmarks)) {
    lines.push(...formatOne(b, h.benchmarks[name]!, h.repeat), '');
  }
  const summary: string[][] = [['', 'guest instructions', 'flashdisco MIPS', 'qemu MIPS', 'wall ratio', 'checksums vs qemu']];
  for (const [name, b] of Object.entries(r.benchmarks)) {
    const x = h.benchmarks[name]!;
    summary.push([
      name,
      fmtInt(b.guest.instructions),
      x.flashdisco.mips.toFixed(1),
      x.qemu ? `~${x.qemu.mipsEstimate.toFixed(0)}` : '-',
      x.ratio !== null ? `${x.ratio.toFixed(1)}x` : '-',
      b.checksumsMatch === null ? 'not compared' : b.checksumsMatch ? 'match' : 'DIFFER',
    ]);
  }
  lines.push(...table(summary));
  lines.push('');
  lines.push('wall ratio: flashdisco best wall / qemu-riscv64 best wall; qemu wall includes its process start');
  lines.push('and qemu MIPS assume our instruction count (the Linux build differs only in its runtime)');
  lines.push(`host: ${h.cpu}, node ${h.node}`);
  return lines.join('\n');
}
