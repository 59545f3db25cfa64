// `flashdisco run --semihosting` as a user meets it (the CLI compiled into tmp/semihost-cli-dist
// and spawned in a working directory of the test's making), with guest/build/semihost.elf: a
// picolibc program whose console, command line, clock, files and exit are all semihosting calls.
// It prints, gets its argv from --kernel and --append, times itself, reads a file of the working
// directory, is refused paths that lead outside it, reads piped console input, and exits with
// the status it is told; it prints the same under qemu-system-riscv64 -semihosting (when
// installed). Without --semihosting its first call is an ordinary breakpoint.

import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT, image } from './virt-helpers.js';

const OUT = join(ROOT, 'tmp', 'semihost-cli-dist');
const CLI = join(OUT, 'src', 'sim', 'cli.js');
const KERNEL = image('semihost.elf');
let work = '';

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT, '--outDir', OUT], { stdio: 'pipe' });
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'fd-semihost-cli-')));
  work = join(top, 'work');
  mkdirSync(work);
  writeFileSync(join(top, 'outside.txt'), 'not for the guest\n');
  writeFileSync(join(work, 'data.txt'), 'first line of the file\nsecond line\n');
  symlinkSync('../outside.txt', join(work, 'link'));
});

function cli(args: string[], input = '') {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', input, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const run = (append: string, input = '', ...more: string[]) =>
  cli(['run', '--semihosting', '--kernel', KERNEL, '--append', append, ...more], input);

function expectRefusal(r: ReturnType<typeof cli>, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^flashdisco: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
}

describe('flashdisco run --semihosting with a picolibc guest', () => {
  it('prints, gets its argv, reads a file, is refused paths outside, and exits with its status; without --semihosting, a breakpoint', () => {
    const stats = join(work, 'stats.json');
    const r = run('read=data.txt outside=../outside.txt outside=/etc/passwd outside=link exit=7', '', '--stats', stats);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(7);
    const out = r.stdout;
    expect(out).toContain('semihost: hello from picolibc, argc = 7\n');
    // picolibc's crt0 puts its own argv[0] before the command line, which is QEMU's: the kernel
    // path as given, then the words of --append
    expect(out).toContain(`argv[1] = ${KERNEL}\nargv[2] = read=data.txt\nargv[3] = outside=../outside.txt\n`);
    expect(out).toContain('argv[6] = exit=7\n');
    expect(out).toContain('clock() advances over the work: ok\n');
    expect(out).toContain('file data.txt: 35 bytes\n| first line of the file\n| second line\nread as many bytes as its length: ok\n');
    for (const p of ['../outside.txt', '/etc/passwd', 'link']) expect(out).toContain(`open ${p}: -1, errno 13 (Permission denied)\n`);
    expect(out).not.toContain('FAILED');
    expect(out.endsWith('semihost: PASS\n')).toBe(true);
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.exit).toEqual({ reason: 'exit', code: 7, message: null });
    expect(s.config.semihosting).toBe(true);
    const calls = s.devices.semihosting.calls;
    expect(calls.SYS_GET_CMDLINE).toBe(1);
    expect(calls.SYS_EXIT_EXTENDED).toBe(1);
    expect(calls.SYS_WRITEC).toBe(Buffer.byteLength(out));
    expect(calls.SYS_OPEN).toBeGreaterThanOrEqual(5);
    expect(s.hart.traps).toEqual({});

    // The same image without --semihosting: its first call is an ordinary breakpoint
    const plain = join(work, 'plain.json');
    const p = cli(['run', '--kernel', KERNEL, '--max-insns', '200000', '--stats', plain]);
    expect(p.status).toBe(3);
    expect(p.stdout).toBe('');
    expect(JSON.parse(readFileSync(plain, 'utf8')).hart.traps.breakpoint).toBeGreaterThan(0);
  });

  it('reads piped console input, and makes the calls stdio leaves alone', () => {
    const r = run('stdin calls', 'a typed line\nxyz\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('stdin: a typed line\n');
    expect(r.stdout).toContain('WRITE0: a string in one call\nWRITEC\nopen :tt for writing: ok\nISTTY says :tt is the console: ok\nWRITE to :tt\n');
    expect(r.stdout).toContain('READC: 120\n');
    expect(r.stdout).not.toContain('FAILED');
    expect(existsSync(join(work, 'semihost-scratch.txt'))).toBe(false);
  });

  it('times itself in simulated time: the same readings every run, TIME from --epoch', () => {
    const a = run('timing', '', '--epoch', '1700000000');
    const b = run('timing', '', '--epoch', '1700000000');
    expect(a.status).toBe(0);
    const line = a.stdout.match(/^timing: .*$/m)![0];
    expect(line).toMatch(/^timing: work [0-9a-f]+ took [1-9]\d* ticks at 1000000000 ticks\/s; SYS_CLOCK \d+ -> \d+ cs; time 1700000000 -> 1700000000$/);
    expect(b.stdout).toBe(a.stdout);
  });

  it.skipIf(spawnSync('qemu-system-riscv64', ['--version']).status !== 0)('prints the same under qemu-system-riscv64 -semihosting', () => {
    // Without the readings that differ: clock values, and paths outside that QEMU would open.
    // QEMU with no semihosting chardev writes the semihosting console to its stderr.
    const append = 'read=data.txt  exit=5';
    const q = spawnSync('qemu-system-riscv64', ['-M', 'virt', '-bios', 'none', '-semihosting', '-nographic', '-kernel', KERNEL, '-append', append], {
      cwd: work, encoding: 'utf8', input: '', timeout: 60_000,
    });
    const f = run(append);
    expect([f.status, f.stdout]).toEqual([5, q.stderr]);
    expect(q.status).toBe(5);
    expect(f.stdout).toContain('| second line\n');
  });

  it('refuses --semihosting with --nodes, and --epoch without --semihosting or below 0', () => {
    expectRefusal(cli(['run', '--nodes', '2', '--semihosting', '--kernel', KERNEL]), /--semihosting runs on the flat board only.*drop --nodes/);
    expectRefusal(cli(['run', '--kernel', KERNEL, '--epoch', '5']), /--epoch .*add --semihosting/);
    expectRefusal(cli(['run', '--semihosting', '--kernel', KERNEL, '--epoch', '-1']), /--epoch -1/);
  });
});
