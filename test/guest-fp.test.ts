// The floating-point guest (guest/bench-fp: a ray tracer and an FFT in double precision, built
// for rv64gc/lp64d) runs on our hart and under qemu-riscv64, and both must print the same
// checksum lines: the hash of the 8-bit picture, of the raw bits of the linear radiance and of
// every FFT spectrum, and the accrued fflags. QEMU is the reference, so this is an end-to-end
// differential test of F/D on compiled code. A missing qemu-riscv64 fails the test: CI installs
// it.
//
// The pinned checksum is the one both printed when the image was built; a rebuilt image with a
// different compiler may change it (and the image check in CI would say so first).

import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checksumLines } from '../bench/hart-speed.js';
import { CaptureConsole } from '../src/devices/htif.js';
import { runFlat } from '../src/sim/run-flat.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD = join(ROOT, 'guest', 'build');
const QEMU = process.env.QEMU_RISCV64 ?? 'qemu-riscv64';
const FP_CHECKSUM = 'checksum: 0x938b503c1bb79a95';
/** About 126 million instructions; the limit only guards against a runaway guest. */
const MAX_INSNS = 4e8;

function qemuProblem(): string | null {
  const r = spawnSync(QEMU, ['--version'], { encoding: 'utf8' });
  if (r.error === undefined && r.status === 0) return null;
  return `'${QEMU}' does not run (${r.error?.message ?? `exit status ${r.status}`}): the floating-point ` +
    'guest is checked against QEMU user mode; install it (Debian/Ubuntu: apt-get install qemu-user) ' +
    'or set QEMU_RISCV64 to a qemu-riscv64 binary';
}

describe('bench-fp: floating point on the hart against qemu-riscv64', () => {
  let hartText: string | null = null;

  it('runs on the hart, passes its self-checks and prints the reference checksum', () => {
    const sink = new CaptureConsole();
    const r = runFlat({ kernel: join(BUILD, 'bench-fp.elf'), console: sink, maxInsns: MAX_INSNS });
    const text = sink.text();
    expect(r.reason, text).toBe('exit');
    expect(r.exitCode, text).toBe(0);
    expect(text).toMatch(/bench-fp: PASS/);
    expect(text).toContain(FP_CHECKSUM);
    hartText = text;
  });

  it('prints the same checksum lines under qemu-riscv64', () => {
    const problem = qemuProblem();
    if (problem !== null) throw new Error(problem);
    const q = spawnSync(QEMU, [join(BUILD, 'bench-fp.linux.elf')], { encoding: 'utf8', timeout: 60_000 });
    expect(q.error, q.stderr).toBeUndefined();
    expect(q.status, q.stdout + q.stderr).toBe(0);
    const qemuLines = checksumLines(q.stdout);
    expect(qemuLines.length, q.stdout).toBe(5);
    expect(hartText, 'the hart run (previous test) did not finish').not.toBeNull();
    expect(checksumLines(hartText!)).toEqual(qemuLines);
  });
});
