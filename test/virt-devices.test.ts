// The virt board's devices, driven by guest programs (guest/virt-*) on the board in process:
// UART echo with receive interrupts (input held until the guest listens), PLIC priorities and
// routing, virtio-blk on a disk image the test makes, timer interrupts at their compare values,
// and IPIs, LR/SC and code coherence between harts. Each guest checks itself and exits through the test finisher; the
// tests check its verdict, what it printed and the board's statistics.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { blkWritten, image, runBoard, testDisk } from './virt-helpers.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-virt-'));
});

function disk(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

const TICK = 100; // cycles per 10 MHz timebase tick at 1 GHz

describe('UART echo with interrupts (virt-uart-echo)', () => {
  it('echoes each line as it arrives, one receive interrupt per line', () => {
    const { result, text, session } = runBoard({ kernel: image('virt-uart-echo.elf') }, ['hello\n', 'Mixed Case 123\n', 'quit\n']);
    expect(result.reason, text).toBe('exit');
    expect(result.exitCode, text).toBe(0);
    expect(result.by).toBe('finisher');
    expect(text).toContain('HELLO\nMIXED CASE 123\nQUIT\n');
    expect(text).toContain('virt-uart-echo: 26 bytes, 3 lines, 3 interrupts');
    expect(text).toMatch(/virt-uart-echo: PASS/);
    const st = result.board;
    expect(st.harts[0]!.interrupts).toEqual({ 'machine-external': 3 });
    expect(st.devices['uart']).toMatchObject({ rxBytes: 26, inputPending: 0 });
    // the hart slept while it waited for each line
    expect(st.harts[0]!.sleepCycles).toBeGreaterThan(0);
    expect(session.board.plic.isPending(10)).toBe(false);
  });

  it('takes all input at once through the FIFO and flow control', () => {
    const { result, text } = runBoard({ kernel: image('virt-uart-echo.elf') }, ['a\nbb\nccc\nquit\n']);
    expect(result.exitCode, text).toBe(0);
    expect(text).toContain('A\nBB\nCCC\nQUIT\n');
    expect(text).toContain('virt-uart-echo: 14 bytes, 4 lines');
  });

  it('holds input until the guest listens: none is lost to an 8250-style probe at boot and a late open', () => {
    // The guest sleeps, probes the UART (loopback test, FIFOs cleared, RBR read), sleeps, then
    // opens it (cleared again, receive interrupts on) or polls it: a line handed over while it
    // slept before either would be thrown away.
    const long = 'hello, this line is longer than the sixteen-byte FIFO\n';
    for (const [append, how] of [['probe', '2 interrupts'], ['probe poll', 'polled']]) {
      const { result, text } = runBoard({ kernel: image('virt-uart-echo.elf'), append }, [long, 'quit\n']);
      expect(result.exitCode, text).toBe(0);
      expect(text).toContain(`virt-uart-echo: probed the UART\n${long.toUpperCase()}QUIT\n`);
      expect(text).toContain(`virt-uart-echo: 59 bytes, 2 lines, ${how}`);
      expect(result.board.devices['uart']).toMatchObject({ rxBytes: 59, inputPending: 0 });
    }
  });

  it('ends with status 4 when the input runs out before "quit"', () => {
    const { result } = runBoard({ kernel: image('virt-uart-echo.elf') }, ['only this\n']);
    expect(result.reason).toBe('fault');
    expect(result.exitCode).toBe(4);
    expect(result.message).toMatch(/^hart 0 waits for an interrupt \(wfi at pc 0x[0-9a-f]+\) and nothing can raise one/);
  });
});

describe('PLIC (virt-plic)', () => {
  it('priorities, thresholds, claim/complete and routing to S and to hart 1', () => {
    const { result, text } = runBoard({ kernel: image('virt-plic.elf'), harts: 2, disk: disk('plic.img', new Uint8Array(4096)) });
    expect(result.exitCode, text).toBe(0);
    for (const section of ['gateway', 'priorities', 'threshold', 'routing to S and to hart 1']) {
      expect(text).toMatch(new RegExp(`^  ${section}\\s+ok`, 'm'));
    }
    expect(result.board.harts[1]!.interrupts).toEqual({ 'machine-external': 1 });
    expect(result.board.harts[0]!.interrupts).toEqual({});
  });

  it('refuses to run without its second source', () => {
    const { result, text } = runBoard({ kernel: image('virt-plic.elf'), harts: 2 });
    expect(result.exitCode).toBe(1);
    expect(text).toContain('no block device in virtio slot 0');
  });
});

describe('virtio-blk (virt-blk)', () => {
  it('reads a disk image the test made and writes only in memory without --disk-write', () => {
    const bytes = testDisk(64);
    const path = disk('blk.img', bytes);
    const { result, text, session } = runBoard({ kernel: image('virt-blk.elf'), disk: path });
    expect(result.exitCode, text).toBe(0);
    expect(text).toMatch(/virt-blk: 64 sectors, checksum 0x[0-9a-f]+, \d+ completion interrupts/);
    expect(text).toMatch(/virt-blk: PASS/);
    expect(readFileSync(path)).toEqual(Buffer.from(bytes)); // the file is untouched
    const img = session.board.disk!.image; // the guest's writes are in the device's copy
    expect(img[10 * 512 + 5]).toBe(blkWritten(10, 5));
    expect(result.board.devices['virtio0']).toMatchObject({ device: 'block', capacitySectors: 64, writes: 1, flushes: 1, ioErrors: 1, features: '0x100000000' });
    expect(result.board.memory.dmaBytes).toBeGreaterThan(64 * 512);
  });

  it('writes the changed sectors back to the file with --disk-write', () => {
    const bytes = testDisk(64);
    const path = disk('blk-w.img', bytes);
    const { result, text } = runBoard({ kernel: image('virt-blk.elf'), disk: path, diskWrite: true });
    expect(result.exitCode, text).toBe(0);
    const after = readFileSync(path);
    for (let s = 0; s < 64; s++) {
      for (const i of [0, 1, 511]) {
        const want = s >= 10 && s < 14 ? blkWritten(s, i) : bytes[s * 512 + i];
        expect(after[s * 512 + i], `sector ${s} byte ${i}`).toBe(want);
      }
    }
  });
});

describe('virtio-blk with a driver written for legacy devices (virt-blk --append lowword)', () => {
  // It writes back only the low feature word (as xv6 does), so VERSION_1 is not negotiated; QEMU
  // 7.2 keeps FEATURES_OK set for it and the disk works, and so must we.
  it('keeps FEATURES_OK and reads, writes and flushes the disk', () => {
    const bytes = testDisk(64);
    const { result, text, session } = runBoard({ kernel: image('virt-blk.elf'), disk: disk('blk-low.img', bytes), append: 'lowword' });
    expect(result.exitCode, text).toBe(0);
    expect(text).toContain('virt-blk: virtio-blk in slot 0, interrupt-driven, low feature word only');
    expect(text).toMatch(/virt-blk: PASS/);
    expect(session.board.disk!.image[12 * 512 + 7]).toBe(blkWritten(12, 7));
    // SEG_MAX, BLK_SIZE and FLUSH: what it took of the low word; no VERSION_1
    expect(result.board.devices['virtio0']).toMatchObject({ features: '0x244', writes: 1, flushes: 1, ioErrors: 1, error: null });
  });

  const QEMU = '/usr/bin/qemu-system-riscv64';
  it.skipIf(!existsSync(QEMU))('prints what it prints on QEMU 7.2 with a modern virtio-mmio disk, either way', () => {
    const path = disk('blk-qemu.img', testDisk(64));
    for (const append of ['', 'lowword']) {
      const r = spawnSync(QEMU, [
        '-M', 'virt', '-bios', 'none', '-nographic', '-snapshot', '-kernel', image('virt-blk.elf'),
        ...(append ? ['-append', append] : []),
        '-global', 'virtio-mmio.force-legacy=false',
        '-drive', `file=${path},if=none,id=d0,format=raw`,
        '-device', 'virtio-blk-device,drive=d0,bus=virtio-mmio-bus.0,serial=flashdisco-disk0',
      ], { encoding: 'utf8', timeout: 60_000 });
      const qemu = r.stdout.replace(/\r/g, '');
      expect(r.status, `QEMU --append '${append}'\n${qemu}${r.stderr}`).toBe(0);
      expect(qemu).toMatch(/virt-blk: PASS/);
      const ours = runBoard({ kernel: image('virt-blk.elf'), disk: path, append: append || undefined });
      expect(ours.text, `--append '${append}'`).toBe(qemu);
    }
  });
});

describe('timer interrupts (virt-timer)', () => {
  it('arrive at their compare values: CLINT asleep and busy, Sstc in S-mode', () => {
    const { result, text } = runBoard({ kernel: image('virt-timer.elf') });
    expect(result.exitCode, text).toBe(0);
    const lines = [...text.matchAll(/^ {4}(wfi|busy|sstc)\s+\+(\d+)\s+ticks: fired at \+(\d+)$/gm)];
    expect(lines).toHaveLength(17);
    for (const [, how, d, at] of lines) {
      const late = Number(at) - Number(d);
      expect(late, `${how} +${d}`).toBeGreaterThanOrEqual(0);
      expect(late, `${how} +${d}`).toBeLessThanOrEqual(1);
    }
    // the long waits asleep were skipped, not run: at least the 1.1 M ticks of the wfi and
    // Sstc rounds passed asleep
    expect(result.board.harts[0]!.sleepCycles).toBeGreaterThan(2 * 1_100_000 * TICK);
    expect(result.board.harts[0]!.interrupts).toMatchObject({ 'machine-timer': 12, 'supervisor-timer': 6 });
  });

  it('fires at the same cycles with any interleaving quantum', () => {
    const a = runBoard({ kernel: image('virt-timer.elf') });
    const b = runBoard({ kernel: image('virt-timer.elf'), quantum: 777 });
    expect(b.text).toBe(a.text);
    expect(b.result.board.harts).toEqual(a.result.board.harts);
  });
});

describe('several harts (virt-smp)', () => {
  it('IPIs round a ring of 4 harts, LR/SC and AMOs stay exact, code written by one hart runs on another, mtime moved by software', () => {
    const { result, text } = runBoard({ kernel: image('virt-smp.elf'), harts: 4 });
    expect(result.exitCode, text).toBe(0);
    expect(text).toMatch(/virt-smp: PASS/);
    expect(text).toMatch(/mtime set by software\s+ok/);
    const harts = result.board.harts;
    expect(harts).toHaveLength(4);
    // 25 ring turns each, plus the wake-up at the end for harts 1..3
    expect(harts.map((h) => h.interrupts['machine-software'])).toEqual([25, 26, 26, 26]);
    expect(result.board.memory.reservationBreaks).toBeGreaterThanOrEqual(2);
    expect(result.board.memory.codeStores).toBeGreaterThanOrEqual(2);
  });

  it('gives identical results run after run', () => {
    const runs = [0, 1].map(() => runBoard({ kernel: image('virt-smp.elf'), harts: 4 }));
    const strip = (r: (typeof runs)[0]) => ({ text: r.text, board: r.result.board, instret: r.result.instret });
    expect(strip(runs[1]!)).toEqual(strip(runs[0]!));
  });
});
