// End to end on the virt board: our SBI firmware (guest/virt-sbi) starts in M-mode at
// 0x80000000, delegates traps and interrupts and enters our S-mode kernel (guest/virt-kernel)
// at 0x80200000 with a0 = hart id and a1 = the device tree. The kernel reads the device tree,
// turns on Sv39 paging, starts the second hart through SBI HSM, and loads every program from a
// virtio disk that this test makes (FDFS: a header, a directory and the files): init runs two
// CPU-bound jobs in the background on both harts, preempted by the SBI timer, prints motd.txt
// from the disk and starts the shell, which this test drives through the UART. When the shell
// exits, init waits for the jobs and powers off through SBI SRST and the test finisher.
//
// The test also measures boot to prompt (printed, not asserted: it depends on the host).

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { beforeAll, describe, expect, it } from 'vitest';
import { RunSession } from '../src/sim/run-flat.js';
import { MOTD, NUMBERS, SHELL_INPUT, fdfsImage, image, kernelDisk, rawBinary, runBoard } from './virt-helpers.js';

let dir = '';
let diskPath = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-virt-kernel-'));
  diskPath = join(dir, 'root.img');
  writeFileSync(diskPath, kernelDisk());
});


function boot(input = SHELL_INPUT, kernel = image('virt-kernel.elf')) {
  return runBoard(
    { bios: image('virt-sbi.elf'), kernel, disk: diskPath, harts: 2, append: 'console=ttyS0 root=/dev/vda' },
    input,
  );
}

describe('firmware + S-mode kernel + disk + shell', () => {
  it('boots, runs U-mode processes on two harts with preemption, reads files from the disk, and powers off', () => {
    const { result, text } = boot();
    expect(result.reason, text).toBe('exit');
    expect(result.by).toBe('finisher');
    expect(result.exitCode, text).toBe(0);

    // firmware and kernel boot, from the device tree
    expect(text).toMatch(/^virt-sbi: SBI v1\.0 firmware, 2 harts, next stage at 0x80200000 \(S-mode\), device tree at 0x87e00000$/m);
    expect(text).toContain('virt-kernel: booting on hart 0, device tree at 0x87e00000');
    expect(text).toContain('[kernel] 128 MiB RAM at 0x80000000, 2 harts, timebase 10000000 Hz, bootargs "console=ttyS0 root=/dev/vda"');
    expect(text).toMatch(/\[kernel\] Sv39 paging on; console on the UART at 0x10000000 \(irq 10\)/);
    expect(text).toMatch(/\[kernel\] virtio-blk at 0x10001000 \(irq 1\): \d+ sectors/);
    expect(text).toContain('[kernel] FDFS: 3 files');
    expect(text).toContain('[kernel] hart 1 online');

    // init, the file from the disk, the background jobs, the shell
    expect(text).toContain(MOTD);
    expect(text).toContain('sieve: 78498 primes below 1000000');
    expect(text).toContain('collatz: longest chain below 200000 starts at 156159 (382 steps)');
    // the first prompt comes while the jobs still run; input waits until the machine idles
    expect(text).toMatch(/\n\$ init: started sieve \(pid 4\) and collatz \(pid 5\) in the background\n[^]*\nls\nvirt-user\nmotd\.txt\nnumbers\.txt\n\$ /);
    expect(text).toContain(`$ cat motd.txt numbers.txt\n${MOTD}${NUMBERS}$ `);
    expect(text).toContain('$ echo two  words\ntwo words\n');
    expect(text).toContain('sh: nonsense: unknown command (try help)');
    expect(text).toMatch(/\$ run collatz\ncollatz: longest chain .*\ncollatz: exit status 0\n/);
    expect(text).toMatch(/init: pid 4 exited with status 0\ninit: pid 5 exited with status 0\ninit: all jobs done, powering off/);

    // the kernel's own account: preemption by the timer, demand paging, nothing leaked
    const jobs = [...text.matchAll(/\[kernel\] {3}pid \d+ (sieve|collatz)\s+status 0, (\d+) preemptions, \d+ migrations, (\d+) page faults/g)];
    expect(jobs.length).toBe(3);
    for (const [, , preemptions, faults] of jobs) {
      expect(Number(preemptions)).toBeGreaterThan(0);
      expect(Number(faults)).toBeGreaterThan(0);
    }
    expect(text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);

    // both harts ran user code and took timer interrupts through the firmware
    const harts = result.board.harts;
    expect(harts).toHaveLength(2);
    for (const h of harts) {
      expect(h.instret).toBeGreaterThan(5_000_000);
      expect(h.traps['ecall-u']).toBeGreaterThan(0);
      expect(h.traps['ecall-s']).toBeGreaterThan(0);
      expect(h.interrupts['machine-timer']).toBeGreaterThan(0);
      expect(h.interrupts['supervisor-timer']).toBeGreaterThan(0);
    }
    expect(harts[0]!.interrupts['supervisor-external']).toBeGreaterThan(0); // UART and disk
    expect(harts[1]!.interrupts['supervisor-software']).toBeGreaterThan(0); // woken by IPIs
    const dev = result.board.devices;
    expect(dev['virtio0']).toMatchObject({ device: 'block', writes: 0, ioErrors: 0 });
    expect((dev['virtio0'] as { reads: number }).reads).toBeGreaterThan(10);
    expect(dev['uart']).toMatchObject({ rxBytes: SHELL_INPUT.join('').length, inputPending: 0 });
  });

  it('gives identical results run after run', () => {
    const a = boot();
    const b = boot();
    expect(b.text).toBe(a.text);
    expect(b.result.board).toEqual(a.result.board);
  });

  it('boots the same kernel from a raw binary at 0x80200000', () => {
    const raw = rawBinary(image('virt-kernel.elf'));
    expect(raw.base).toBe(0x8020_0000);
    const path = join(dir, 'Image.bin');
    writeFileSync(path, raw.bytes);
    const { result, text } = boot(['exit\n'], path);
    expect(result.exitCode, text).toBe(0);
    expect(text).toContain(MOTD);
    expect(text).toContain('init: all jobs done, powering off');
  });

  it('reboots through SBI SRST and the finisher, on the same disk, and goes on with the input', () => {
    const { result, text } = boot(['echo first boot\n', 'reboot\n', 'echo second boot\n', 'exit\n']);
    expect(result.exitCode, text).toBe(0);
    expect(result.reboots).toBe(1);
    expect(text).toMatch(/\necho first boot\nfirst boot\n\$ reboot\n\[kernel\] restarting\nvirt-sbi: SBI v1\.0 firmware[^]*\necho second boot\nsecond boot\n\$ exit\n/);
    expect(text.match(/virt-kernel: booting on hart 0/g)).toHaveLength(2);
    expect(result.instret).toBeGreaterThan(result.board.instructions); // both boots count
  });

  it('powers off with a failure status when the disk has no init', () => {
    const path = join(dir, 'empty-fs.img');
    writeFileSync(path, fdfsImage([['motd.txt', new TextEncoder().encode('hi\n')]]));
    const { result, text } = runBoard({ bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: path, harts: 2 });
    expect(result.reason).toBe('exit');
    expect(result.exitCode, text).toBe(1);
    expect(text).toContain('panic: cannot start init (virt-user on the disk)');
  });

  it('measures boot to prompt', () => {
    // The moment the shell's "$ " reaches the UART: instructions retired by then (exact: the
    // hart publishes its count before every instruction) and host time since the start.
    let prompt: { insns: number; cycles: number; seconds: number } | null = null;
    let last = 0;
    const t0 = performance.now();
    const sink = {
      writeByte(b: number): void {
        if (prompt === null && last === 0x24 && b === 0x20) {
          const harts = session.board.harts;
          prompt = {
            insns: harts.reduce((n, h) => n + h.instret + h.runRetired, 0),
            cycles: Math.max(...harts.map((h) => h.simTime())),
            seconds: (performance.now() - t0) / 1000,
          };
        }
        last = b;
      },
    };
    const session = new RunSession({ bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: diskPath, harts: 2, console: sink });
    while (prompt === null) expect(session.run(5)).toBe('running');
    const p = prompt as { insns: number; cycles: number; seconds: number };
    console.log(
      `boot to prompt: ${p.insns} guest instructions, ${(p.cycles / 1e6).toFixed(3)} ms simulated, ` +
        `${p.seconds.toFixed(3)} s host (${(p.insns / p.seconds / 1e6).toFixed(1)} MIPS, this process's JIT warm-up included)`,
    );
    expect(p.insns).toBeGreaterThan(100_000);
  });
});
