// ELF reader and loader: what they accept, and the one-line refusals for bad input.
// (The same refusals through the built CLI are in cli.test.ts.)

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseElf, readElf, writeElf64 } from '../src/sim/elf.js';
import { loadElf, physAddr } from '../src/sim/loader.js';
import { UserError } from '../src/sim/errors.js';
import type { RamView } from '../src/vcpu/port.js';

const RAM_BASE = 0x8000_0000;

function ram(size = 1 << 20): RamView {
  const u8 = new Uint8Array(size);
  return { base: RAM_BASE, size, u8, dv: new DataView(u8.buffer) };
}

const code = Uint8Array.from([0x6f, 0, 0, 0]); // j .

function refusal(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    const msg = (e as UserError).message;
    expect(msg).not.toContain('\n');
    return e as UserError;
  }
  throw new Error('expected a UserError');
}

describe('parseElf', () => {
  it('reads entry, PT_LOAD segments and symbols', () => {
    const bytes = writeElf64({
      entry: RAM_BASE + 4,
      segments: [
        { vaddr: RAM_BASE, data: code },
        { vaddr: RAM_BASE + 0x1000, data: Uint8Array.of(1, 2, 3), memsz: 16, flags: 6 },
      ],
      symbols: { tohost: RAM_BASE + 0x1000, fromhost: RAM_BASE + 0x1008 },
    });
    const img = parseElf(bytes, 'x.elf');
    expect(img.entry).toBe(RAM_BASE + 4);
    expect(img.segments).toHaveLength(2);
    expect(img.segments[1]).toMatchObject({ index: 1, vaddr: RAM_BASE + 0x1000, paddr: RAM_BASE + 0x1000, filesz: 3, memsz: 16, flags: 6 });
    expect([...img.segments[1]!.data]).toEqual([1, 2, 3]);
    expect(img.symbols.get('tohost')).toBe(RAM_BASE + 0x1000);
    expect(img.symbols.get('fromhost')).toBe(RAM_BASE + 0x1008);
    expect(img.symbols.has('nothere')).toBe(false);
  });

  it('keeps high (sign-extended) link addresses exact', () => {
    const img = parseElf(writeElf64({ entry: -0x8000_0000, segments: [{ vaddr: -0x8000_0000, paddr: RAM_BASE, data: code }] }), 'k');
    expect(img.entry).toBe(-0x8000_0000);
    expect(img.segments[0]!.paddr).toBe(RAM_BASE);
    expect(physAddr(img, img.entry)).toBe(RAM_BASE);
  });

  it('refuses a file that is not an ELF', () => {
    expect(refusal(() => parseElf(new TextEncoder().encode('hello\n'), 'notes.txt')).message).toMatch(/'notes.txt' is not an ELF file/);
  });

  it('refuses a 32-bit ELF', () => {
    const bytes = writeElf64({ entry: RAM_BASE, segments: [{ vaddr: RAM_BASE, data: code }] });
    bytes[4] = 1; // ELFCLASS32
    expect(refusal(() => parseElf(bytes, 'rv32.elf')).message).toMatch(/'rv32.elf' is a 32-bit ELF.*RV64 only/);
  });

  it('refuses a big-endian ELF', () => {
    const bytes = writeElf64({ entry: RAM_BASE, segments: [{ vaddr: RAM_BASE, data: code }] });
    bytes[5] = 2;
    expect(refusal(() => parseElf(bytes, 'be.elf')).message).toMatch(/big-endian/);
  });

  it('refuses an ELF for another machine and names it', () => {
    const bytes = writeElf64({ machine: 62, entry: 0x401000, segments: [{ vaddr: 0x400000, data: code }] });
    expect(refusal(() => parseElf(bytes, 'ls')).message).toMatch(/'ls' is an ELF for x86-64 \(e_machine 62\), not RISC-V \(243\)/);
  });

  it('refuses an object file', () => {
    const bytes = writeElf64({ type: 1, entry: 0, segments: [{ vaddr: RAM_BASE, data: code }] });
    expect(refusal(() => parseElf(bytes, 'a.o')).message).toMatch(/relocatable object.*not an executable/);
  });

  it('refuses a truncated file', () => {
    const bytes = writeElf64({ entry: RAM_BASE, segments: [{ vaddr: RAM_BASE, data: new Uint8Array(256) }] });
    expect(refusal(() => parseElf(bytes.subarray(0, 150), 'cut.elf')).message).toMatch(/'cut.elf' is truncated/);
    expect(refusal(() => parseElf(bytes.subarray(0, 20), 'tiny.elf')).message).toMatch(/truncated/);
  });

  it('accepts a stripped file (no section headers)', () => {
    const bytes = writeElf64({ entry: RAM_BASE, segments: [{ vaddr: RAM_BASE, data: code }] });
    new DataView(bytes.buffer).setBigUint64(40, 0n, true); // e_shoff = 0
    new DataView(bytes.buffer).setUint16(60, 0, true); // e_shnum = 0
    expect(parseElf(bytes, 's').symbols.size).toBe(0);
  });
});

describe('readElf', () => {
  it('refuses a missing file', () => {
    expect(refusal(() => readElf('/nonexistent/k.elf')).message).toMatch(/kernel '\/nonexistent\/k.elf' does not exist/);
  });

  it('refuses a directory', () => {
    expect(refusal(() => readElf(tmpdir())).message).toMatch(/is a directory/);
  });

  it('reads a file from disk', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-elf-'));
    const path = join(dir, 'k.elf');
    writeFileSync(path, writeElf64({ entry: RAM_BASE, segments: [{ vaddr: RAM_BASE, data: code }] }));
    expect(readElf(path).entry).toBe(RAM_BASE);
  });
});

describe('loadElf', () => {
  it('copies segments to their physical address and zeroes .bss', () => {
    const r = ram();
    r.u8.fill(0xee);
    const img = parseElf(
      writeElf64({
        entry: RAM_BASE,
        segments: [
          { vaddr: RAM_BASE, data: code },
          { vaddr: RAM_BASE + 0x2000, data: Uint8Array.of(9), memsz: 8 },
        ],
        symbols: { tohost: RAM_BASE + 0x2000 },
      }),
      'k',
    );
    const loaded = loadElf(img, r);
    expect(loaded.entry).toBe(RAM_BASE);
    expect([...r.u8.subarray(0, 5)]).toEqual([0x6f, 0, 0, 0, 0xee]);
    expect([...r.u8.subarray(0x2000, 0x2009)]).toEqual([9, 0, 0, 0, 0, 0, 0, 0, 0xee]);
    expect(loaded.symbolPaddr('tohost')).toBe(RAM_BASE + 0x2000);
    expect(loaded.symbolPaddr('fromhost')).toBeUndefined();
    expect(loaded.loadedBytes).toBe(12);
  });

  it('refuses a segment outside RAM, naming the segment, its range and the RAM range', () => {
    const r = ram(1 << 20);
    const img = parseElf(
      writeElf64({
        entry: RAM_BASE,
        segments: [
          { vaddr: RAM_BASE, data: code },
          { vaddr: RAM_BASE + 0xff000, data: code, memsz: 0x2000 },
        ],
      }),
      'big.elf',
    );
    const msg = refusal(() => loadElf(img, r)).message;
    expect(msg).toBe(
      "'big.elf': segment 1 at [0x800ff000, 0x80101000) lies outside RAM [0x80000000, 0x80100000); link the program inside RAM or give more RAM with --mem MiB",
    );
    expect(r.u8[0]).toBe(0); // nothing written
  });

  it('refuses a segment below RAM', () => {
    const img = parseElf(writeElf64({ entry: 0x1000, segments: [{ vaddr: 0x1000, data: code }] }), 'low.elf');
    expect(refusal(() => loadElf(img, ram())).message).toMatch(/segment 0 at \[0x1000, 0x1004\) lies outside RAM/);
  });

  it('refuses an entry point outside RAM', () => {
    const img = parseElf(writeElf64({ entry: 0x1000, segments: [{ vaddr: RAM_BASE, data: code }] }), 'e.elf');
    expect(refusal(() => loadElf(img, ram())).message).toMatch(/entry point 0x1000 is outside RAM/);
  });
});
