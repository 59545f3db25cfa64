// Hart speed: how fast our interpreter runs a compute-bound guest, next to QEMU user mode.
//
// Runs guest/build/bench-int.elf (bare metal, HTIF console) on one hart over flat memory, and
// guest/build/bench-int.linux.elf (the same kernel of work as a static Linux program) under
// qemu-riscv64 when it is installed. Both print `checksum ...` lines; they must agree, which makes
// the comparison a cheap differential test too. Each side runs `repeat` times in this process
// (ours) or as fresh processes (QEMU), and the best wall time counts, so JIT warm-up on our side
// and page-cache effects on QEMU's do not decide the result.
//
// Guest instructions and the checksum are simulated results; wall times and MIPS are host
// measurements and are kept apart (under `host`) in the JSON.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { CaptureConsole } from '../src/devices/htif.js';
import { UserError } from '../src/sim/errors.js';
import { runFlat, type FlatRunResult } from '../src/sim/run-flat.js';

export interface HartSpeedOptions {
  kernel: string;
  linuxKernel: string;
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

export interface HartSpeedResult {
  benchmark: 'hart-speed';
  kernel: string;
  linuxKernel: string;
  guest: { instructions: number; cycles: number; exitCode: number; checksum: string[] };
  qemu: { ran: boolean; skipped: string | null; exitCode: number | null; checksum: string[] };
  /** Whether both sides printed the same checksum lines (null when QEMU did not run). */
  checksumsMatch: boolean | null;
  /** What was compared: the checksum lines, or the whole console output when neither has one. */
  compared: 'checksum lines' | 'whole output' | null;
  host: {
    node: string;
    cpu: string;
    repeat: number;
    flashdisco: SideResult & { mips: number };
    qemu: (SideResult & { mipsEstimate: number }) | null;
    /** flashdisco best wall / qemu best wall (how many times slower we are). */
    ratio: number | null;
  };
}

/** The lines that carry a checksum; both builds of bench-int print the same ones. */
export function checksumLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /checksum/i.test(l));
}

function best(xs: number[]): number {
  return Math.min(...xs);
}

function runOurs(opts: HartSpeedOptions): { runs: number[]; last: FlatRunResult; text: string } {
  const runs: number[] = [];
  let last: FlatRunResult | null = null;
  let text = '';
  for (let i = 0; i < opts.repeat; i++) {
    const sink = new CaptureConsole();
    const r = runFlat({ kernel: opts.kernel, maxInsns: opts.maxInsns, console: sink });
    if (r.reason !== 'exit') throw new Error(`bench-int did not finish on the hart: ${r.message}`);
    const out = sink.text();
    if (last !== null && (r.instret !== last.instret || out !== text)) {
      throw new Error(`bench-int is not deterministic: run ${i + 1} retired ${r.instret} instructions, run 1 ${last.instret}`);
    }
    runs.push(r.runSeconds);
    opts.progress?.(`flashdisco run ${i + 1}/${opts.repeat}: ${r.runSeconds.toFixed(3)} s, ${r.instret} instructions`);
    last = r;
    text = out;
  }
  return { runs, last: last!, text };
}

function qemuAvailable(qemu: string): boolean {
  const r = spawnSync(qemu, ['--version'], { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

function runQemu(opts: HartSpeedOptions): { runs: number[]; exitCode: number; text: string } {
  const runs: number[] = [];
  let exitCode = 0;
  let text = '';
  for (let i = 0; i < opts.repeat; i++) {
    const t0 = performance.now();
    const r = spawnSync(opts.qemu, [opts.linuxKernel], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const s = (performance.now() - t0) / 1000;
    if (r.error) throw r.error;
    exitCode = r.status ?? 128;
    text = r.stdout;
    runs.push(s);
    opts.progress?.(`qemu run ${i + 1}/${opts.repeat}: ${s.toFixed(3)} s (exit ${exitCode})`);
  }
  return { runs, exitCode, text };
}

export function runHartSpeed(opts: HartSpeedOptions): HartSpeedResult {
  if (!existsSync(opts.kernel)) {
    throw new UserError(`benchmark guest '${opts.kernel}' does not exist; build the guests with npm run guests`);
  }
  const ours = runOurs(opts);
  const instructions = ours.last.instret;
  const ourBest = best(ours.runs);
  const guestChecksum = checksumLines(ours.text);

  let skipped: string | null = null;
  if (!existsSync(opts.linuxKernel)) skipped = `'${opts.linuxKernel}' does not exist (npm run guests builds it)`;
  else if (!qemuAvailable(opts.qemu)) skipped = `${opts.qemu} is not on PATH (apt-get install qemu-user)`;
  const q = skipped === null ? runQemu(opts) : null;
  const qemuChecksum = q ? checksumLines(q.text) : [];
  const qBest = q ? best(q.runs) : null;
  const compared = guestChecksum.length === 0 && qemuChecksum.length === 0 ? 'whole output' : 'checksum lines';

  return {
    benchmark: 'hart-speed',
    kernel: opts.kernel,
    linuxKernel: opts.linuxKernel,
    guest: { instructions, cycles: ours.last.cycle, exitCode: ours.last.exitCode, checksum: guestChecksum },
    qemu: { ran: q !== null, skipped, exitCode: q ? q.exitCode : null, checksum: qemuChecksum },
    checksumsMatch: q ? (compared === 'whole output' ? ours.text === q.text : guestChecksum.join('\n') === qemuChecksum.join('\n')) : null,
    compared: q ? compared : null,
    host: {
      node: process.version,
      cpu: cpus()[0]?.model ?? 'unknown',
      repeat: opts.repeat,
      flashdisco: { wallSeconds: ours.runs, bestSeconds: ourBest, mips: instructions / ourBest / 1e6 },
      qemu: q && qBest !== null ? { wallSeconds: q.runs, bestSeconds: qBest, mipsEstimate: instructions / qBest / 1e6 } : null,
      ratio: qBest !== null ? ourBest / qBest : null,
    },
  };
}

function fmtInt(n: number): string {
  return n.toLocaleString('en-US');
}

/** The side-by-side table printed by `npm run bench`. */
export function formatHartSpeed(r: HartSpeedResult): string {
  const h = r.host;
  const rows: [string, string, string][] = [
    ['', 'flashdisco hart (flat)', 'qemu-riscv64 (user mode)'],
    ['image', r.kernel, r.qemu.ran ? r.linuxKernel : `skipped: ${r.qemu.skipped}`],
    [`wall, best of ${h.repeat}`, `${h.flashdisco.bestSeconds.toFixed(3)} s`, h.qemu ? `${h.qemu.bestSeconds.toFixed(3)} s` : '-'],
    ['guest instructions', fmtInt(r.guest.instructions), '-'],
    ['MIPS', h.flashdisco.mips.toFixed(1), h.qemu ? `~${h.qemu.mipsEstimate.toFixed(0)} (same count assumed)` : '-'],
    ['exit status', String(r.guest.exitCode), r.qemu.exitCode === null ? '-' : String(r.qemu.exitCode)],
  ];
  const n = Math.max(r.guest.checksum.length, r.qemu.checksum.length, 1);
  for (let i = 0; i < n; i++) {
    rows.push([i === 0 ? 'checksum' : '', r.guest.checksum[i] ?? '(none)', r.qemu.ran ? (r.qemu.checksum[i] ?? '(none)') : '-']);
  }
  const w0 = Math.max(...rows.map((x) => x[0].length));
  const w1 = Math.max(...rows.map((x) => x[1].length));
  const lines = rows.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padEnd(w1)}  ${c}`.trimEnd());
  lines.push('');
  if (r.checksumsMatch === null) lines.push('checksums: not compared (qemu skipped)');
  else lines.push(`${r.compared === 'whole output' ? 'console output' : 'checksums'}: ${r.checksumsMatch ? 'match' : 'DIFFER'}`);
  if (h.ratio !== null) lines.push(`ratio: flashdisco takes ${h.ratio.toFixed(1)}x the wall time of qemu-riscv64`);
  lines.push(`host: ${h.cpu}, node ${h.node}; qemu wall includes its process start`);
  return lines.join('\n');
}
