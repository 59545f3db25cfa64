// Differential test of the F and D extensions against qemu-riscv64 (QEMU user mode is the
// reference): seeded random FP sequences (test/difftest/fp-generate.ts) built into static Linux
// ELFs that dump f0..f31, x1..x31, fcsr and a scratch buffer after every sequence; QEMU's stdout
// and our hart's (src/sim/user-shim.ts) must be equal byte for byte, fflags included.
//
// CI runs 100 programs x 50 sequences x 40 items. Knobs (environment):
//   FPU_DIFFTEST_SEEDS=N        programs (default 100)
//   FPU_DIFFTEST_FIRST_SEED=S   first seed (default 1)
//   FPU_DIFFTEST_SEQS=K         sequences per program (default 50)
//   FPU_DIFFTEST_INSNS=L        items per sequence (default 40)
//   FPU_DIFFTEST_KEEP=DIR       keep the ELF of every failing program
//   DIFFTEST_QEMU=PATH          the reference (default qemu-riscv64)
// A long campaign: FPU_DIFFTEST_SEEDS=2000 npx vitest run test/fpu-difftest.test.ts

import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runUserElf, UserShimError } from '../src/sim/user-shim.js';
import { envInt } from './difftest/harness.js';
import { FP_MNEMONICS, describeFpDifference, fpSequenceAt, generateFpProgram } from './difftest/fp-generate.js';


const SEEDS = envInt('FPU_DIFFTEST_SEEDS', 100);
const FIRST = envInt('FPU_DIFFTEST_FIRST_SEED', 1);
const SEQS = envInt('FPU_DIFFTEST_SEQS', 50);
const INSNS = envInt('FPU_DIFFTEST_INSNS', 40);
const KEEP = process.env.FPU_DIFFTEST_KEEP || null;
const QEMU = process.env.DIFFTEST_QEMU || 'qemu-riscv64';
const MAX_REPORTS = 3;

interface QemuRun { status: number | null; stdout: Uint8Array; stderr: string; error?: Error }

/** Start the reference on one ELF; it runs while the hart works on the previous program. */
function runQemu(elfPath: string): Promise<QemuRun> {
  return new Promise((resolve) => {
    const child = spawn(QEMU, [elfPath], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [], err: Buffer[] = [];
    let error: Error | undefined;
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', (e) => { error = e; });
    child.on('close', (status) => resolve({ status, stdout: new Uint8Array(Buffer.concat(out)), stderr: Buffer.concat(err).toString(), error }));
  });
}

function qemuMissing(): string | null {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error === undefined && r.status === 0) return null;
  return `the reference '${QEMU}' does not run (${r.error?.message ?? `exit status ${r.status}`}); ` +
    'install QEMU user mode (Debian: apt-get install qemu-user) or set DIFFTEST_QEMU';
}

const tmp = mkdtempSync(join(tmpdir(), 'fpu-difftest-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('F and D against qemu-riscv64', () => {
  it(`agrees on ${SEEDS} random FP programs (seeds ${FIRST}..${FIRST + SEEDS - 1})`, async () => {
    const problem = qemuMissing();
    if (problem !== null) throw new Error(problem);
    const failures: string[] = [];
    const covered = new Set<string>();
    let sequences = 0, instret = 0, hartMs = 0;
    const t0 = performance.now();
    const start = (seed: number) => {
      const prog = generateFpProgram(seed, { seqs: SEQS, insnsPerSeq: INSNS });
      const elfPath = join(tmp, `fp-seed-${seed}.elf`);
      writeFileSync(elfPath, prog.elf);
      chmodSync(elfPath, 0o755); // qemu-user refuses a file without execute permission
      return { prog, qemu: runQemu(elfPath) };
    };
    let next = start(FIRST);
    for (let seed = FIRST; seed < FIRST + SEEDS; seed++) {
      const { prog, qemu } = next;
      if (seed + 1 < FIRST + SEEDS) next = start(seed + 1);
      sequences += prog.sequences.length;
      for (const m of prog.mnemonics.keys()) covered.add(m);
      const keep = () => {
        if (KEEP === null) return;
        mkdirSync(KEEP, { recursive: true });
        writeFileSync(join(KEEP, `fp-seed-${seed}.elf`), prog.elf);
      };
      const t1 = performance.now();
      let actual: Uint8Array;
      let trap: string | null = null;
      try {
        const r = runUserElf(prog.elf, { maxInsns: 50_000_000 });
        actual = r.stdout;
        instret += r.instret;
        if (r.exitCode !== 0) trap = `hart: exit status ${r.exitCode}`;
      } catch (e) {
        if (!(e instanceof UserShimError)) throw e;
        actual = e.stdout;
        trap = `hart stopped: ${e.message}`;
        const seq = fpSequenceAt(prog, e.pc);
        if (seq !== undefined) {
          trap += `\n  in sequence ${seq.index}:\n` + seq.listing.map((l) => (parseInt(l, 16) === e.pc ? '=> ' : '   ') + l).join('\n');
        }
      }
      hartMs += performance.now() - t1;
      const q = await qemu;
      if (q.error !== undefined || q.status !== 0 || q.stdout.length !== prog.expectedStdoutBytes) {
        failures.push(`seed ${seed}: qemu did not run the program as expected (status ${q.status}, ` +
          `${q.stdout.length} of ${prog.expectedStdoutBytes} bytes): a generator bug, not a hart bug\n${q.stderr}`);
        keep();
        continue;
      }
      const diff = describeFpDifference(prog, q.stdout, actual);
      if (diff !== null || trap !== null) {
        failures.push([diff, trap].filter((x) => x !== null).join('\n'));
        keep();
      }
    }
    const summary = `fpu difftest: ${SEEDS} programs, ${sequences} sequences, ${instret} hart instructions; ` +
      `${((performance.now() - t0) / 1000).toFixed(1)} s in all, hart ${(hartMs / 1000).toFixed(1)} s; ${failures.length} failing programs`;
    console.log(summary);
    if (failures.length > 0) {
      const more = failures.length > MAX_REPORTS ? `\n\n... and ${failures.length - MAX_REPORTS} more failing programs` : '';
      expect.fail(`${summary}\n\n${failures.slice(0, MAX_REPORTS).join('\n\n')}${more}`);
    }
    if (sequences >= 1000) expect(FP_MNEMONICS.filter((m) => !covered.has(m))).toEqual([]);
  }, Math.max(120_000, SEEDS * 500));
});
