// Spin loops (Hart.backEdge): counting the iterations of an exact repeat instead of executing
// them must change nothing a program can see, and must stop the moment the loop could see
// something new: an interrupt line it polls, or memory another agent wrote between runs.

import { describe, expect, it } from 'vitest';
import { Finisher, FINISHER_BASE } from '../src/devices/finisher.js';
import { FlatMemory } from '../src/vcpu/flat-memory.js';
import { Hart, Stop } from '../src/vcpu/hart.js';

const RAM = 0x8000_0000;
const i = (op: number, f3: number, rd: number, rs1: number, imm: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const addi = (rd: number, rs1: number, imm: number) => i(0x13, 0, rd, rs1, imm);
const andi = (rd: number, rs1: number, imm: number) => i(0x13, 7, rd, rs1, imm);
const slli = (rd: number, rs1: number, sh: number) => i(0x13, 1, rd, rs1, sh);
const lw = (rd: number, rs1: number, imm: number) => i(0x03, 2, rd, rs1, imm);
const csrrs = (rd: number, csr: number, rs1: number) => i(0x73, 2, rd, rs1, csr);
const csrrw = (rd: number, csr: number, rs1: number) => i(0x73, 1, rd, rs1, csr);
const lui = (rd: number, imm20: number) => (imm20 << 12) | (rd << 7) | 0x37;
const auipc = (rd: number) => (rd << 7) | 0x17;
/** beq rs1, x0, offset */
const beqz = (rs1: number, off: number) =>
  (((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs1 << 15) | (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63;
const sw = (rs1: number, rs2: number, imm: number) => (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (2 << 12) | ((imm & 0x1f) << 7) | 0x23;
const MENVCFG = 0x30a, STIMECMP = 0x14d, MIP = 0x344, TIME = 0xc01;
const T0 = 5, T1 = 6, T2 = 7, A1 = 11, A2 = 12;
const pass = [lui(A1, FINISHER_BASE >>> 12), lui(A2, 5), addi(A2, A2, 0x555), sw(A1, A2, 0)];

function machine(prog: number[], skipSpins: boolean, exclusive: boolean) {
  const mem = new FlatMemory({ base: RAM, size: 1 << 20 });
  // Only this hart writes its memory, as on a FLASH node: a spin found in one run holds in the next.
  if (exclusive) (mem as { exclusiveGrants: boolean }).exclusiveGrants = true;
  mem.addDevice(new Finisher());
  prog.forEach((w, k) => mem.ram.dv.setUint32(4 * k, w >>> 0, true));
  return { mem, hart: new Hart({ port: mem, resetPc: RAM, skipSpins }) };
}

describe('spin loops', () => {
  it('a loop polling mip for the Sstc timer leaves it at the same instruction whether its iterations were counted or run', () => {
    // Three delays, so that the timer fires at each of the loop's three instructions.
    for (const ticks of [300, 301, 302]) {
      const prog = [
        addi(T0, 0, 1), slli(T0, T0, 63), csrrs(0, MENVCFG, T0), // STCE
        csrrs(T1, TIME, 0), addi(T1, T1, ticks), csrrw(0, STIMECMP, T1), // the timer
        csrrs(T2, MIP, 0), andi(T2, T2, 32), beqz(T2, -8), // until mip.STIP
        ...pass,
      ];
      const results = [true, false].map((skip) => {
        const { hart } = machine(prog, skip, true);
        let stop: Stop = Stop.Budget;
        // Many short runs, as a FLASH node makes them (a window each).
        for (let k = 0; k < 100_000 && stop !== Stop.Halt; k++) stop = hart.run(1 << 30, hart.simTime() + 46);
        expect(stop).toBe(Stop.Halt);
        return { instret: hart.instret, cycle: hart.cycle, skipped: hart.spinSkipped };
      });
      expect(results[0].skipped).toBeGreaterThan(results[0].instret / 2);
      expect(results[1].skipped).toBe(0);
      expect(results[0].instret).toBe(results[1].instret);
      expect(results[0].cycle).toBe(results[1].cycle);
    }
  });

  it('a loop spinning on memory another hart may write between runs looks again at every run', () => {
    const prog = [
      auipc(T0), addi(T0, T0, 0x400), // t0 = the flag, 1 KiB on
      lw(T1, T0, 0), beqz(T1, -4), // while (!flag)
      ...pass,
    ];
    const { mem, hart } = machine(prog, true, false);
    for (let k = 0; k < 50; k++) expect(hart.run(1000)).toBe(Stop.Budget);
    expect(hart.spinSkipped).toBeGreaterThan(0);
    mem.ram.dv.setUint32(0x400, 1, true); // the flag, written from outside the hart
    const before = hart.instret;
    expect(hart.run(1000)).toBe(Stop.Halt);
    expect(hart.instret - before).toBeLessThan(20);
  });
});
