// The committed guest images (guest/build/, built by scripts/build-guests.mjs) run on the flat
// single-hart machine: each self-checking program must exit 0 and say PASS. The Linux-flavoured
// builds of the same sources run under qemu-riscv64 when it is installed, which checks the
// programs' own expectations against QEMU.
//
// KNOWN_FAILURES lists the test sections that still fail on the simulator and why; the test
// demands exactly those sections fail, so a fix (or a new failure) shows up here and the list
// must be updated.

import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CaptureConsole } from '../src/devices/htif.js';
import { runFlat } from '../src/sim/run-flat.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUILD = join(ROOT, 'guest', 'build');
const BENCH_CHECKSUM = 'checksum: 0xe4075c201e5af400';

interface Image {
  name: string;
  maxInsns: number;
  /** What the console must show on success. */
  expect: RegExp;
}

const SELF_CHECKING: Image[] = [
  { name: 'hello', maxInsns: 1e6, expect: /^hello from flashdisco guest: -42 42 beef/ },
  { name: 'isa-rv64i', maxInsns: 2e7, expect: /isa-rv64i: PASS/ },
  { name: 'isa-rv64m', maxInsns: 2e7, expect: /isa-rv64m: PASS/ },
  { name: 'isa-rv64a', maxInsns: 2e7, expect: /isa-rv64a: PASS/ },
  { name: 'isa-rv64c', maxInsns: 2e7, expect: /isa-rv64c: PASS/ },
  { name: 'priv-traps', maxInsns: 5e7, expect: /priv-traps: PASS/ },
  { name: 'priv-sv39', maxInsns: 5e7, expect: /priv-sv39: PASS/ },
  { name: 'priv-trigger', maxInsns: 2e7, expect: /priv-trigger: PASS/ },
  { name: 'kernel-sv39', maxInsns: 1e8, expect: /kernel-sv39: PASS/ },
];

/** Sections that fail today, by image: [section name, reason]. */
const KNOWN_FAILURES: Record<string, [string, string][]> = {};

function run(name: string, maxInsns: number) {
  const sink = new CaptureConsole();
  const r = runFlat({ kernel: join(BUILD, `${name}.elf`), console: sink, maxInsns });
  return { ...r, text: sink.text() };
}

function failedSections(text: string): string[] {
  return [...text.matchAll(/^ {2}(.+?)\s+FAILED \d+ of \d+ checks$/gm)].map((m) => m[1]!);
}

describe('guest images on the flat machine', () => {
  for (const img of SELF_CHECKING) {
    const known = KNOWN_FAILURES[img.name] ?? [];
    it(`${img.name} ${known.length ? 'fails only its known sections' : 'passes'}`, () => {
      const r = run(img.name, img.maxInsns);
      expect(r.reason, r.text).toBe('exit');
      if (known.length === 0) {
        expect(r.exitCode, r.text).toBe(0);
        expect(r.text).toMatch(img.expect);
      } else {
        expect(r.exitCode, r.text).toBe(1);
        expect(failedSections(r.text), r.text).toEqual(known.map(([section]) => section));
      }
    });
  }

  it('bench-int prints the reference checksum', () => {
    const r = run('bench-int', 5e8);
    expect(r.exitCode, r.text).toBe(0);
    expect(r.text).toContain(BENCH_CHECKSUM);
    expect(r.text).toContain('bench-int: PASS');
  });
});

const QEMU = '/usr/bin/qemu-riscv64';

describe.skipIf(!existsSync(QEMU))('Linux builds under qemu-riscv64', () => {
  const cases: [string, string[], RegExp][] = [
    ['hello', [], /hello from flashdisco guest/],
    ['isa-rv64i', [], /isa-rv64i: PASS/],
    ['isa-rv64m', [], /isa-rv64m: PASS/],
    ['isa-rv64a', [], /isa-rv64a: PASS/],
    ['isa-rv64c', [], /isa-rv64c: PASS/],
    ['kernel-sv39-user', ['sieve'], /17984 primes below 200000/],
    ['kernel-sv39-user', ['collatz'], /starts at 77031 \(350 steps\)/],
    ['bench-int', [], new RegExp(BENCH_CHECKSUM.replace(/[()]/g, '\\$&'))],
  ];
  for (const [name, args, pattern] of cases) {
    it(`${name} ${args.join(' ')}`.trim(), () => {
      const r = spawnSync(QEMU, [join(BUILD, `${name}.linux.elf`), ...args], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(pattern);
    });
  }
});
