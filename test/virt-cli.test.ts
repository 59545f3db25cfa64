// `flashdisco run` on the virt board as a user meets it (the CLI compiled into
// tmp/virt-cli-dist and spawned): boot options and image placement, the device tree file,
// console input from a pipe (written ahead, or by a driver that types after each prompt), a
// file and a terminal, exit statuses from the test finisher, the statistics file, and bad input
// refused with one line.

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeElf64 } from '../src/sim/elf.js';
import { ROOT, driveCli, finisherFail, finisherPass, finisherReset, image, kernelDisk, testDisk, words } from './virt-helpers.js';

const OUT = join(ROOT, 'tmp', 'virt-cli-dist');
const CLI = join(OUT, 'src', 'sim', 'cli.js');
const RAM = 0x8000_0000;
let dir = '';

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT, '--outDir', OUT], { stdio: 'pipe' });
  dir = mkdtempSync(join(tmpdir(), 'fd-virt-cli-'));
});

function file(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function cli(args: string[], input?: string, stdio?: 'file') {
  let opts: Parameters<typeof spawnSync>[2] = { encoding: 'utf8', timeout: 120_000 };
  if (stdio === 'file') {
    const path = file('stdin.txt', input ?? '');
    const r = spawnSync('/bin/sh', ['-c', `exec "$0" "$@" < "${path}"`, process.execPath, CLI, ...args], opts);
    return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
  }
  opts = { ...opts, input: input ?? '' };
  const r = spawnSync(process.execPath, [CLI, ...args], opts);
  return { status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

function expectRefusal(r: ReturnType<typeof cli>, pattern: RegExp): void {
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^flashdisco: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.status).toBe(2);
  expect(r.stdout).toBe('');
}

describe('flashdisco run on the virt board', () => {
  it('boots firmware + kernel from a disk with piped shell input, and writes per-hart and per-device statistics', () => {
    const disk = file('root.img', kernelDisk());
    const stats = join(dir, 'k.json');
    const r = cli(
      ['run', '--bios', image('virt-sbi.elf'), '--kernel', image('virt-kernel.elf'), '--disk', disk, '--harts', '2', '--append', 'console=ttyS0', '--stats', stats],
      'ls\ncat motd.txt\nexit\n',
    );
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = r.stdout.replace(/\r/g, '');
    expect(out).toContain('bootargs "console=ttyS0"');
    // each line goes in when the machine next waits: after the background jobs, then at each prompt
    expect(out).toMatch(/\ncollatz: [^\n]*\nls\nvirt-user\nmotd\.txt\nnumbers\.txt\n\$ cat motd\.txt\nWelcome to virt-kernel[^]*\n\$ exit\n/);
    expect(out).toContain('init: all jobs done, powering off');
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.exit).toEqual({ reason: 'exit', code: 0, message: null });
    expect(s.config).toMatchObject({ harts: 2, memMiB: 128, append: 'console=ttyS0' });
    expect(s.harts).toHaveLength(2);
    expect(s.instructions).toBe(s.harts[0].instret + s.harts[1].instret);
    for (const h of s.harts) expect(Object.keys(h)).toEqual(expect.arrayContaining(['instret', 'cycle', 'traps', 'interrupts', 'sleepCycles']));
    expect(Object.keys(s.devices)).toEqual(expect.arrayContaining(['clint', 'plic', 'uart', 'finisher', 'virtio0', 'htif']));
    expect(s.devices.uart.txBytes).toBe(r.stdout.length); // everything printed went through the UART
    expect(s.htif.consoleBytes).toBe(0);
    expect(s.devices.finisher.outcome).toMatchObject({ kind: 'pass', exitCode: 0 });
    expect(s.devices.plic.loads[0]).toBeGreaterThan(0); // hart 0 claims the UART and disk interrupts
    expect(s.devices.clint.stores[1]).toBeGreaterThan(0); // the firmware on hart 1 sets its timer
    expect(typeof s.host.mips).toBe('number');
  });

  it('feeds a file on stdin through the UART and exits with the guest status', () => {
    const r = cli(['run', '--kernel', image('virt-uart-echo.elf')], 'one\ntwo\nquit\n', 'file');
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toContain('ONE\nTWO\nQUIT\nvirt-uart-echo: 13 bytes, 3 lines');
  });

  it('hands input to a guest that polls the UART with receive interrupts off', () => {
    const r = cli(['run', '--kernel', image('virt-uart-echo.elf'), '--append', 'poll'], 'one\ntwo\nquit\n', 'file');
    expect(r.status).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toContain('ONE\nTWO\nQUIT\nvirt-uart-echo: 13 bytes, 3 lines, polled');
  });

  it('holds input until the guest listens: an 8250-style probe at boot and a late open lose none of it', () => {
    const long = 'hello, this line is longer than the sixteen-byte FIFO\n';
    const r = cli(['run', '--kernel', image('virt-uart-echo.elf'), '--append', 'probe'], `${long}quit\n`, 'file');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toContain(`${long.toUpperCase()}QUIT\nvirt-uart-echo: 59 bytes, 2 lines, 2 interrupts`);
  });

  it('holds a polling guest until the driver\'s next line: the same run however late it types', async () => {
    const run = async (delayMs: number) => {
      const stats = join(dir, `poll-${delayMs}.json`);
      const r = await driveCli([CLI, 'run', '--kernel', image('virt-uart-echo.elf'), '--append', 'poll', '--stats', stats], [
        { wait: /"quit" ends\n/, send: 'hello\n', delayMs },
        { wait: /HELLO\n/, send: 'quit\n', delayMs },
      ], 60_000);
      expect(r.unmet, r.stdout + r.stderr).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('HELLO\nQUIT\nvirt-uart-echo: 11 bytes, 2 lines, polled');
      const s = JSON.parse(readFileSync(stats, 'utf8'));
      return { instructions: s.instructions, cycles: s.cycles, harts: s.harts, uart: s.devices.uart };
    };
    expect(await run(600)).toEqual(await run(20));
  }, 120_000);

  it('runs the shell for a driver that types each command after the prompt: the same run however late it types', async () => {
    const disk = file('shell.img', kernelDisk());
    const run = async (delayMs: number) => {
      const stats = join(dir, `shell-${delayMs}.json`);
      const r = await driveCli([CLI, 'run', '--bios', image('virt-sbi.elf'), '--kernel', image('virt-kernel.elf'), '--disk', disk, '--harts', '2',
        '--append', 'console=ttyS0 root=/dev/vda', '--stats', stats], [
        { wait: /\n\$ /, send: 'echo typed after the prompt\n', delayMs },
        { wait: /\ntyped after the prompt\n\$ /, send: 'exit\n', delayMs },
      ], 120_000);
      expect(r.unmet, r.stdout + r.stderr).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('init: all jobs done, powering off');
      const s = JSON.parse(readFileSync(stats, 'utf8'));
      return { stdout: r.stdout, instructions: s.instructions, cycles: s.cycles, harts: s.harts };
    };
    expect(await run(500)).toEqual(await run(20));
  }, 240_000);

  it('ends a guest that waits for input once stdin is exhausted (status 4)', () => {
    const r = cli(['run', '--kernel', image('virt-uart-echo.elf')], 'no quit here\n');
    expect(r.status).toBe(4);
    expect(r.stderr.trim()).toMatch(/^flashdisco: hart 0 waits for an interrupt \(wfi at pc 0x[0-9a-f]+\) and nothing can raise one/);
  });

  it('takes the exit status from the test finisher, for a raw binary at 0x80000000', () => {
    const r = cli(['run', '--kernel', file('fail42.bin', finisherFail(42))]);
    expect([r.status, r.stdout, r.stderr]).toEqual([42, '', '']);
  });

  it('reboots on a finisher reset, and gives up after 16 reboots', () => {
    const reset = finisherReset();
    const stats = join(dir, 'reset.json');
    const r = cli(['run', '--kernel', file('reset.bin', reset), '--stats', stats]);
    expect(r.status).toBe(4);
    expect(r.stderr.trim()).toBe('flashdisco: the guest rebooted 17 times; stopping');
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.reboots).toBe(16);
    expect(s.instructions).toBe(17 * 4);
  });

  it('stops at --max-insns counted over all harts', () => {
    const stats = join(dir, 'max.json');
    const r = cli(['run', '--kernel', image('virt-smp.elf'), '--harts', '4', '--max-insns', '100000', '--stats', stats]);
    expect(r.status).toBe(3);
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.instructions).toBe(100000);
    expect(s.harts.every((h: { instret: number }) => h.instret > 0)).toBe(true);
  });

  it('writes the device tree with --dtb-out, as dtc reads it', () => {
    const dtb = join(dir, 'board.dtb');
    const initrd = file('initrd.img', new Uint8Array(3000).fill(7));
    const r = cli(['run', '--kernel', file('ok.bin', finisherPass()), '--harts', '3', '--mem', '256', '--initrd', initrd, '--append', 'root=/dev/ram0 quiet', '--dtb-out', dtb]);
    expect(r.status).toBe(0);
    const dts = execFileSync('dtc', ['-I', 'dtb', '-O', 'dts', dtb], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(dts).toContain('bootargs = "root=/dev/ram0 quiet";');
    expect(dts.match(/cpu@\d+ \{/g)).toHaveLength(3);
    expect(dts).toContain('reg = <0x00 0x80000000 0x00 0x10000000>;');
    // the initrd sits at the kernel's entry + min(RAM / 2, 128 MiB)
    expect(dts).toContain('linux,initrd-start = <0x00 0x88000000>;');
    expect(dts).toContain(`linux,initrd-end = <0x00 ${'0x' + (0x8800_0000 + 3000).toString(16)}>;`);
    expect(dts).toMatch(/riscv,isa = "rv64imafdc_zicsr_zifencei_sstc";/);
  });
});

describe('flashdisco run: bad input on the virt board', () => {
  const kernel = () => file('k.bin', finisherPass());

  it('a missing disk image', () => {
    expectRefusal(cli(['run', '--kernel', kernel(), '--disk', join(dir, 'none.img')]), /disk image '.*none\.img' does not exist/);
  });

  it('a disk image that is a directory, empty, or shorter than a sector', () => {
    const d = join(dir, 'adir');
    mkdirSync(d, { recursive: true });
    expectRefusal(cli(['run', '--kernel', kernel(), '--disk', d]), /disk image '.*adir' is a directory/);
    expectRefusal(cli(['run', '--kernel', kernel(), '--disk', file('empty.img', '')]), /disk image '.*empty\.img' is empty/);
    expectRefusal(cli(['run', '--kernel', kernel(), '--disk', file('tiny.img', 'abc')]), /is 3 bytes, smaller than one 512-byte sector/);
  });

  it.skipIf(process.getuid?.() === 0)('an unreadable disk image', () => {
    const p = file('secret.img', testDisk(4));
    chmodSync(p, 0o000);
    expectRefusal(cli(['run', '--kernel', kernel(), '--disk', p]), /disk image '.*secret\.img' cannot be read \(permission denied\)/);
  });

  it('--disk-write on a read-only file, or without --disk', () => {
    expectRefusal(cli(['run', '--kernel', kernel(), '--disk-write']), /--disk-write needs --disk FILE/);
    if (process.getuid?.() !== 0) {
      const p = file('ro.img', testDisk(4));
      chmodSync(p, 0o444);
      expectRefusal(cli(['run', '--kernel', kernel(), '--disk', p, '--disk-write']), /cannot be opened for writing/);
    }
  });

  it('a kernel larger than memory', () => {
    const big = file('big.bin', new Uint8Array(3 << 20));
    expectRefusal(
      cli(['run', '--kernel', big, '--mem', '2']),
      /kernel '.*big\.bin' \(3145728 bytes at \[0x80000000, 0x80300000\)\) does not fit in RAM \[0x80000000, 0x80200000\) of 2 MiB; give more RAM with --mem MiB/,
    );
    expectRefusal(cli(['run', '--bios', image('virt-sbi.elf'), '--kernel', big, '--mem', '4']), /kernel '.*big\.bin' \(3145728 bytes at \[0x80200000, 0x80500000\)\) does not fit in RAM/);
  });

  it('overlapping images', () => {
    // two ELFs linked at 0x80000000
    expectRefusal(
      cli(['run', '--bios', image('virt-sbi.elf'), '--kernel', image('virt-uart-echo.elf')]),
      /firmware '.*virt-sbi\.elf' segment \d+ at \[0x80000000, 0x[0-9a-f]+\) overlaps kernel '.*virt-uart-echo\.elf' segment \d+ at \[0x80000000, /,
    );
    // an initrd that runs into the device tree at the top of RAM
    const initrd = file('huge-initrd.img', new Uint8Array(8 << 20));
    expectRefusal(cli(['run', '--kernel', kernel(), '--mem', '16', '--initrd', initrd]), /initrd '.*huge-initrd\.img' at \[0x80800000, 0x81000000\) overlaps the device tree at \[0x80e00000, /);
  });

  it('an ELF whose segments overlap the firmware, and bad --harts', () => {
    const elf = writeElf64({ entry: RAM + 0x1000, segments: [{ vaddr: RAM + 0x1000, data: words([0x6f]) }] });
    expectRefusal(cli(['run', '--bios', image('virt-sbi.elf'), '--kernel', file('low.elf', elf)]), /overlaps kernel '.*low\.elf' segment 0/);
    expectRefusal(cli(['run', '--kernel', kernel(), '--harts', '0']), /--harts 0: the number of harts must be a whole number from 1 to 64/);
    expectRefusal(cli(['run', '--kernel', kernel(), '--harts', '65']), /--harts 65/);
  });

  it('a file that is neither an ELF nor a raw image', () => {
    expectRefusal(cli(['run', '--kernel', file('notes.txt', 'text\n')]), /'.*notes\.txt' is not an ELF file .* or a raw binary named \*\.bin \(loaded at 0x80000000\)/);
    expectRefusal(cli(['run', '--bios', image('virt-sbi.elf'), '--kernel', file('notes2.txt', 'text\n')]), /\(loaded at 0x80200000\)/);
  });
});

describe('flashdisco run on a terminal', () => {
  const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!haveScript)('puts the terminal in raw mode and quits on Ctrl-A x', () => {
    // script(1) gives the CLI a pseudo-terminal; the keys arrive after the guest is waiting
    const cmd = `${process.execPath} ${CLI} run --kernel ${image('virt-uart-echo.elf')}`;
    const r = spawnSync('/bin/sh', ['-c', `(sleep 2.5; printf 'hi\\r'; sleep 1; printf '\\001x') | script -qec "${cmd}" /dev/null`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout).toContain('HI');
    expect(r.stdout).toContain('flashdisco: terminated by the user (Ctrl-A x)');
    expect(r.status).toBe(0);
  });

  it.skipIf(!haveScript)('gives a polling guest the keys as typed', () => {
    const cmd = `${process.execPath} ${CLI} run --kernel ${image('virt-uart-echo.elf')} --append poll`;
    const r = spawnSync('/bin/sh', ['-c', `(sleep 2.5; printf 'hi\r'; sleep 1; printf 'quit\r') | script -qec "${cmd}" /dev/null`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.replace(/\r/g, '')).toContain('HIQUITvirt-uart-echo: 8 bytes, 2 lines, polled');
    expect(r.status).toBe(0);
  });
});
