// The instruction tables themselves (Spike's check-opcode-overlap): no two rows of the decode
// table can match the same word, every row has semantics, every 16-bit encoding decodes, and the
// protocol transition tables are well formed.

import { describe, expect, it } from 'vitest';
import { ISA } from '../src/vcpu/isa-table.js';
import { decode16, decode32, OP_ILLEGAL, OP_BY_NAME, type Decoded } from '../src/vcpu/decode.js';
import { HANDLERS } from '../src/vcpu/handlers.js';

const d = (): Decoded => ({ op: 0, rd: 0, rs1: 0, rs2: 0, imm: 0, len: 0 });

describe('decode table', () => {
  it('no two rows overlap', () => {
    const overlaps: string[] = [];
    for (let i = 0; i < ISA.length; i++) {
      for (let j = i + 1; j < ISA.length; j++) {
        const a = ISA[i], b = ISA[j];
        if (((a.match ^ b.match) & a.mask & b.mask) === 0) overlaps.push(`${a.name} / ${b.name}`);
      }
    }
    expect(overlaps).toEqual([]);
  });

  it('every row matches its own encoding and decodes to itself', () => {
    for (const r of ISA) {
      expect(r.match & ~r.mask, r.name).toBe(0);
      expect(decode32(r.match, d()).op, r.name).toBe(OP_BY_NAME[r.name]);
    }
  });

  it('every row has a handler, and the catch-all follows the table', () => {
    expect(HANDLERS).toHaveLength(ISA.length + 1);
    for (const h of HANDLERS) expect(typeof h).toBe('function');
  });

  it('every 16-bit encoding decodes to a row or to illegal, with length 2', () => {
    let legal = 0;
    for (let c = 0; c < 0x10000; c++) {
      if ((c & 3) === 3) continue;
      const x = decode16(c, d());
      expect(x.len).toBe(2);
      if (x.op !== OP_ILLEGAL) legal++;
      else expect(x.imm).toBe(c);
    }
    // Quadrants 0-2 hold 49152 encodings; the reserved and FP-only ones decode as illegal.
    expect(legal).toBeGreaterThan(40000);
    expect(decode16(0, d()).op).toBe(OP_ILLEGAL); // the all-zero word is defined illegal
  });

  it('an unknown 32-bit word decodes to illegal with its bits for tval', () => {
    const x = decode32(0xffffffff | 0, d());
    expect(x.op).toBe(OP_ILLEGAL);
    expect(x.imm).toBe(0xffffffff | 0);
  });
});
