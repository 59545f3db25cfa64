// Firmware and a boot loader that nobody here wrote, as Debian builds them for QEMU's `virt`
// board: OpenSBI 1.1 (package opensbi, the generic platform) and U-Boot 2023.01 in S-mode
// (package u-boot-qemu, qemu-riscv64_smode). They run here through the CLI as a user runs
// them under qemu-system-riscv64: the firmware finds the harts, the CLINT and the UART in the
// device tree, U-Boot drives the console, probes the virtio disk and reads a sector by DMA,
// and `poweroff` ends the run through the test finisher with status 0.
//
// CI installs both packages (.ci/run); where they are missing these tests are skipped.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from './virt-helpers.js';

const OPENSBI = '/usr/lib/riscv64-linux-gnu/opensbi/generic';
const UBOOT = '/usr/lib/u-boot/qemu-riscv64_smode';
const CLI = join(ROOT, 'dist', 'src', 'sim', 'cli.js');
const installed = existsSync(join(OPENSBI, 'fw_jump.elf')) && existsSync(join(UBOOT, 'u-boot.bin'));

let disk = '';
beforeAll(() => {
  // Sector 0 starts with a marker U-Boot shows back after reading it.
  const img = new Uint8Array(1 << 20);
  img.set(new TextEncoder().encode('THIRD-PARTY-DISK'), 0);
  disk = join(mkdtempSync(join(tmpdir(), 'fd-third-')), 'disk.img');
  writeFileSync(disk, img);
});

/** The first line stops U-Boot's autoboot; the rest are its commands. */
const SESSION = ['', 'virtio info', 'virtio read 0x84000000 0 1', 'md.b 0x84000000 0x10', 'poweroff'].map((l) => l + '\n').join('');

function run(args: string[]) {
  const r = spawnSync(process.execPath, [CLI, 'run', ...args, '--disk', disk], { input: SESSION, encoding: 'utf8', timeout: 120_000 });
  return { status: r.status, out: r.stdout, err: r.stderr };
}

function expectSession(r: ReturnType<typeof run>, harts: number): void {
  expect(r.err).toBe('');
  expect(r.out).toMatch(/OpenSBI v1\.1/);
  expect(r.out).toMatch(new RegExp(`Platform HART Count\\s+: ${harts}\\r?\\n`));
  expect(r.out).toMatch(/U-Boot 2023\.01/);
  expect(r.out).toContain('Model: riscv-virtio,qemu');
  expect(r.out).toContain('Device 0: QEMU VirtIO Block Device');
  expect(r.out).toContain('Capacity: 1.0 MB = 0.0 GB (2048 x 512)');
  expect(r.out).toContain('1 blocks read: OK');
  expect(r.out).toMatch(/84000000: 54 48 49 52 44 2d 50 41 52 54 59 2d 44 49 53 4b +THIRD-PARTY-DISK/);
  expect(r.out).toContain('poweroff ...');
  expect(r.status).toBe(0);
}

describe.skipIf(!installed)('OpenSBI and U-Boot from Debian', () => {
  it('fw_jump (ELF) and U-Boot (raw) on the flat board', () => {
    expectSession(run(['--bios', join(OPENSBI, 'fw_jump.elf'), '--kernel', join(UBOOT, 'u-boot.bin')]), 1);
  });

  it('fw_dynamic (raw) and U-Boot on two harts', () => {
    expectSession(run(['--bios', join(OPENSBI, 'fw_dynamic.bin'), '--kernel', join(UBOOT, 'u-boot.bin'), '--harts', '2']), 2);
  });

  it('fw_jump and U-Boot in a VM of the monitor, as natively', () => {
    expectSession(run(['--monitor', '--bios', join(OPENSBI, 'fw_jump.elf'), '--kernel', join(UBOOT, 'u-boot.bin')]), 1);
  });
});
