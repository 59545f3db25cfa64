// Runs one generated program under qemu-riscv64 and under our hart and compares stdout.
//
// Used by test/difftest.test.ts; knobs come from the environment so the same test can run a
// long campaign by hand:
//
//   DIFFTEST_SEEDS=N        programs to run (default 200: 20,000 sequences of 40 items)
//   DIFFTEST_FIRST_SEED=S   first seed (default 1); seeds are S .. S+N-1
//   DIFFTEST_SEQS=K         sequences per program (default 100)
//   DIFFTEST_INSNS=L        random items per sequence (default 40)
//   DIFFTEST_MISALIGNED=0   do not generate misaligned loads/stores
//   DIFFTEST_SMC=0          do not generate self-modifying-code items
//   DIFFTEST_PRIV=M|U|mixed the hart's privilege (default mixed: even seeds M-mode, odd U-mode)
//   DIFFTEST_QEMU=PATH      the reference emulator (default: qemu-riscv64 on PATH)
//   DIFFTEST_KEEP=DIR       write the ELF of every failing program to DIR/seed-S.elf
//   DIFFTEST_MAX_REPORTS=M  full reports printed (default 5; every failure is counted)
//
// Reproduce a failure: DIFFTEST_FIRST_SEED=S DIFFTEST_SEEDS=1 npx vitest run test/difftest.test.ts

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runUserElf, UserShimError } from '../../src/sim/user-shim.js';
import {
  DUMP_BYTES, describeDifference, diffLines, firstDifference, generateProgram, sequenceAt, truncatedProgram,
  type GenOptions, type Program,
} from './generate.js';

export interface DifftestConfig {
  seeds: number;
  firstSeed: number;
  gen: GenOptions;
  qemu: string;
  keepDir: string | null;
  maxReports: number;
  priv: 'M' | 'U' | 'mixed';
}

/** The privilege our hart runs seed `seed` at (QEMU runs everything in user mode). */
export function privFor(cfg: DifftestConfig, seed: number): 'M' | 'U' {
  return cfg.priv === 'mixed' ? (seed % 2 === 0 ? 'M' : 'U') : cfg.priv;
}

export function envInt(name: string, dflt: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${name}=${v}: expected a non-negative integer`);
  return n;
}

export function configFromEnv(): DifftestConfig {
  return {
    seeds: envInt('DIFFTEST_SEEDS', 200),
    firstSeed: envInt('DIFFTEST_FIRST_SEED', 1),
    gen: {
      seqs: envInt('DIFFTEST_SEQS', 100),
      insnsPerSeq: envInt('DIFFTEST_INSNS', 40),
      misaligned: process.env.DIFFTEST_MISALIGNED !== '0',
      smc: process.env.DIFFTEST_SMC !== '0',
    },
    qemu: process.env.DIFFTEST_QEMU || 'qemu-riscv64',
    keepDir: process.env.DIFFTEST_KEEP || null,
    maxReports: envInt('DIFFTEST_MAX_REPORTS', 5),
    priv: privFromEnv(),
  };
}

function privFromEnv(): 'M' | 'U' | 'mixed' {
  const v = process.env.DIFFTEST_PRIV || 'mixed';
  if (v !== 'M' && v !== 'U' && v !== 'mixed') throw new Error(`DIFFTEST_PRIV=${v}: expected M, U or mixed`);
  return v;
}

/** null when the reference emulator runs, else a message that says how to get it. */
export function checkQemu(qemu: string): string | null {
  const r = spawnSync(qemu, ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    return `the difftest reference '${qemu}' does not run (${r.error?.message ?? `exit status ${r.status}`}); ` +
      `install QEMU user mode (Debian/Ubuntu: apt-get install qemu-user) or point DIFFTEST_QEMU at qemu-riscv64`;
  }
  return null;
}

export interface CaseResult {
  seed: number;
  /** Human report when the hart disagrees with QEMU (or QEMU itself misbehaves). */
  failure: string | null;
  program: Program;
  hartInstret: number;
  hartMs: number;
}

export interface QemuResult {
  status: number | null;
  signal: string | null;
  stdout: Uint8Array;
  stderr: string;
  error?: Error;
}

/**
 * Runs the reference on an ELF file; resolves when the process has exited and closed its pipes.
 * It runs in `cwd` so that a core file, should a crash leave one, lands in the temporary folder.
 */
export function runQemu(qemu: string, elfPath: string, cwd: string): Promise<QemuResult> {
  return new Promise((resolve) => {
    const child = spawn(qemu, [elfPath], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    let error: Error | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => { error = e; });
    child.on('close', (status, signal) => {
      resolve({ status, signal, stdout: new Uint8Array(Buffer.concat(out)), stderr: Buffer.concat(err).toString(), error });
    });
  });
}

/** A generated program whose QEMU run is under way. */
interface Prepared {
  program: Program;
  qemu: Promise<QemuResult>;
}

function prepare(seed: number, cfg: DifftestConfig, tmpDir: string): Prepared {
  const program = generateProgram(seed, cfg.gen);
  const elfPath = join(tmpDir, `seed-${seed}.elf`);
  writeFileSync(elfPath, program.elf);
  chmodSync(elfPath, 0o755); // qemu-user refuses a file without execute permission (exit 1, no message)
  return { program, qemu: runQemu(cfg.qemu, elfPath, tmpDir).finally(() => rmSync(elfPath, { force: true })) };
}

/** Runs the hart on a prepared program and compares its stdout with QEMU's. */
async function finish(p: Prepared, cfg: DifftestConfig, narrowIt: boolean): Promise<CaseResult> {
  const { program } = p;
  const seed = program.seed;
  const result: CaseResult = { seed, failure: null, program, hartInstret: 0, hartMs: 0 };

  const t0 = performance.now();
  let actual: Uint8Array;
  let trap: string | null = null;
  try {
    // Straight-line code: a body item is at most a dozen instructions, so this bound is generous
    // and a hart that loops by mistake stops quickly.
    const maxInsns = program.sequences.length * (program.specs[0]!.items.length * 12 + 100) + 1000;
    const h = runUserElf(program.elf, { maxInsns, priv: privFor(cfg, seed) });
    actual = h.stdout;
    result.hartInstret = h.instret;
    if (h.exitCode !== 0) trap = `hart: exit status ${h.exitCode}, qemu 0`;
  } catch (e) {
    if (!(e instanceof UserShimError)) throw e;
    actual = e.stdout;
    trap = `hart stopped: ${e.message}`;
    const seq = sequenceAt(program, e.pc);
    if (seq !== undefined) {
      trap += `\n  in sequence ${seq.index}; body:\n` +
        seq.listing.map((l) => (parseInt(l, 16) === e.pc ? '=> ' : '   ') + l).join('\n');
    }
  }
  result.hartMs = performance.now() - t0;

  const q = await p.qemu;
  if (q.error !== undefined || q.status !== 0 || q.stdout.length !== program.expectedStdoutBytes) {
    result.failure = `seed ${seed}: qemu did not run the program as expected (status ${q.status}, signal ${q.signal}, ` +
      `${q.stdout.length} of ${program.expectedStdoutBytes} bytes${q.error ? `, ${q.error.message}` : ''}): ` +
      `a generator bug, not a hart bug\n${q.stderr}`;
    keep(cfg, program);
    return result;
  }

  const d = firstDifference(program, q.stdout, actual);
  if (d !== null || trap !== null) {
    const parts: string[] = [];
    parts.push(`hart in ${privFor(cfg, seed)}-mode`);
    if (d !== null) parts.push(describeDifference(program, d, q.stdout, actual));
    if (trap !== null) parts.push(trap);
    if (d !== null && narrowIt) parts.push(narrow(program, d.seq, q.stdout, cfg));
    result.failure = parts.join('\n');
    keep(cfg, program);
  }
  return result;
}

/** Runs a program on both sides: null when they agree, else what differs. */
function compareOnce(program: Program, cfg: DifftestConfig): string[] | null {
  const dir = mkdtempSync(join(tmpdir(), 'difftest-narrow-'));
  try {
    const path = join(dir, 'p.elf');
    writeFileSync(path, program.elf);
    chmodSync(path, 0o755);
    const q = spawnSync(cfg.qemu, [path], { cwd: dir, maxBuffer: 64 << 20 });
    const expected = new Uint8Array(q.stdout ?? []);
    if (q.status !== 0) return [`qemu: status ${q.status} signal ${q.signal}`];
    let actual: Uint8Array;
    let trap: string | null = null;
    try {
      actual = runUserElf(program.elf, { maxInsns: 1_000_000, priv: privFor(cfg, program.seed) }).stdout;
    } catch (e) {
      if (!(e instanceof UserShimError)) throw e;
      actual = e.stdout;
      trap = `hart stopped: ${e.message}`;
    }
    const d = firstDifference(program, expected, actual);
    if (d === null && trap === null) return null;
    return [...(d === null ? [] : diffLines(program, d, expected, actual)), ...(trap === null ? [] : [trap])];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Finds the first body item after which the hart and QEMU disagree: sequence `seq` alone, cut
 * after 0, 1, 2, ... items, starting from the memory QEMU had when the sequence began (the
 * previous dump record, or the program's initial window).
 */
function narrow(program: Program, seq: number, qemuOut: Uint8Array, cfg: DifftestConfig): string {
  const window = seq === 0 ? program.window : qemuOut.slice((seq - 1) * DUMP_BYTES, seq * DUMP_BYTES);
  const info = program.sequences[seq]!;
  const n = program.specs[seq]!.items.length;
  for (let k = 0; k <= n; k++) {
    const diff = compareOnce(truncatedProgram(program, seq, k, window), cfg);
    if (diff === null) continue;
    if (k === 0) return `narrowed: the sequence differs with an empty body (prologue/epilogue/syscall):\n${diff.join('\n')}`;
    const from = info.itemStarts[k - 1]!, to = info.itemStarts[k] ?? info.listing.length;
    return `narrowed: sequence ${seq} alone first differs after body item ${k - 1} of ${n}:\n` +
      info.listing.slice(from, to).map((l) => '  >> ' + l).join('\n') +
      `\nwhen the body is cut right after it (${k} items):\n` + diff.map((l) => '  ' + l).join('\n');
  }
  return 'narrowed: sequence alone does not reproduce the difference (it depends on earlier sequences)';
}

/**
 * Runs seeds first..first+count-1 in order. QEMU runs as child processes up to `depth` programs
 * ahead while the hart (synchronous, on this thread) works through the current one.
 */
export async function runSeeds(first: number, count: number, cfg: DifftestConfig, tmpDir: string): Promise<CaseResult[]> {
  const depth = Math.max(2, availableParallelism());
  const ahead: Prepared[] = [];
  let next = first;
  const end = first + count;
  const results: CaseResult[] = [];
  let failures = 0;
  while (results.length < count) {
    while (next < end && ahead.length < depth) ahead.push(prepare(next++, cfg, tmpDir));
    // Narrowing costs up to two runs per body item: only for the failures that get reported.
    const r = await finish(ahead.shift()!, cfg, failures < cfg.maxReports);
    if (r.failure !== null) failures++;
    results.push(r);
  }
  return results;
}

function keep(cfg: DifftestConfig, program: Program): void {
  if (cfg.keepDir === null) return;
  mkdirSync(cfg.keepDir, { recursive: true });
  const p = join(cfg.keepDir, `seed-${program.seed}.elf`);
  writeFileSync(p, program.elf);
  chmodSync(p, 0o755);
}

