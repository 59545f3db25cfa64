// Instructions that must trap, and how: QEMU user mode turns the trap into a signal, our hart
// (through src/sim/user-shim.ts) stops with the trap's cause name and pc.
//
//   illegal-instruction  SIGILL    reserved encodings (RESERVED below)
//   breakpoint           SIGTRAP   ebreak, c.ebreak
//   misaligned-load      SIGBUS    misaligned lr
//   misaligned-store     SIGBUS    misaligned AMO (plain loads/stores are performed instead)
//   *-access-fault       SIGSEGV   loads, stores and fetches outside every segment
//
// Each case becomes a tiny program: setup instructions, the instruction under test, then
// exit(0); QEMU must die of the signal at it and the hart must trap there. A hart that accepts
// the instruction exits 0 instead.
//
// Reserved encodings: Encodings that QEMU 7.2's default CPU gives a
// meaning through extensions our hart does not implement (F/D: c.fld, c.fsdsp, ...; Zb*; Zicbo*),
// or that newer QEMUs give one (Zcb: quadrant 0 funct3 4 and c.mul/c.zext.*; Zabha: AMO funct3
// 0/1; Zacas: AMO funct5 5), are deliberately absent, so the list holds for any QEMU a CI
// image may install.

import * as E from './encode.js';
import { writeElf } from './elf-writer.js';
import { TEXT_BASE } from './generate.js';

const ci = E.cRawCI;

/** [description, the 16-bit parcels of the encoding, little end first]. */
const RESERVED: ReadonlyArray<readonly [string, readonly number[]]> = [
  ['all-zero parcel (defined illegal)', [0x0000]],
  ['c.addi4spn with imm 0', [1 << 2]],
  ['c.lui with imm 0', [ci(1, 3, 1, 0)]],
  ['c.addi16sp with imm 0', [ci(1, 3, 2, 0)]],
  ['c.addiw with rd x0', [ci(1, 1, 0, 1)]],
  ['c.lwsp with rd x0', [ci(2, 2, 0, 1)]],
  ['c.ldsp with rd x0', [ci(2, 3, 0, 1)]],
  ['c.jr with rs1 x0', [(4 << 13) | 2]],
  ['slli with imm[11:6] = 1', split(E.shiftOp('slli', 5, 5, 3) | (1 << 26))],
  ['srai with imm[11:6] = 0x11', split(E.shiftOp('srai', 5, 5, 3) | (1 << 26))],
  ['slliw with shamt[5] set', split(E.shiftOp('slliw', 5, 5, 3) | (1 << 25))],
  ['srliw with shamt[5] set', split(E.shiftOp('srliw', 5, 5, 3) | (1 << 25))],
  ['sraiw with shamt[5] set', split(E.shiftOp('sraiw', 5, 5, 3) | (1 << 25))],
  ['lr.w with rs2 != 0', split(E.amo('lr', 'w', 5, 8, 0) | (3 << 20))],
  ['lr.d with rs2 != 0', split(E.amo('lr', 'd', 5, 8, 0) | (1 << 20))],
  ['AMO funct3 4', split((E.amo('amoadd', 'w', 5, 8, 1) & ~(7 << 12)) | (4 << 12))],
  ['AMO funct5 0x1f', split(E.amo('amoadd', 'w', 5, 8, 1) | (0x1f << 27))],
  ['load funct3 7 (ldu is RV128)', split(E.load('ld', 5, 8, 0) | (7 << 12))],
  ['store funct3 4', split((E.store('sd', 5, 8, 0) & ~(7 << 12)) | (4 << 12))],
  ['branch funct3 2', split(E.branch('beq', 5, 5, 8) | (2 << 12))],
  ['branch funct3 3', split(E.branch('beq', 5, 5, 8) | (3 << 12))],
  ['jalr funct3 1', split(E.jalr(5, 8, 0) | (1 << 12))],
  ['OP-IMM-32 funct3 2', split(E.iOp('addiw', 5, 5, 1) | (2 << 12))],
  ['OP-IMM-32 funct3 3', split(E.iOp('addiw', 5, 5, 1) | (3 << 12))],
  ['OP funct7 0x02', split(E.rOp('add', 5, 5, 5) | (2 << 25))],
  ['OP funct7 0x40', split(E.rOp('add', 5, 5, 5) | (0x40 << 25))],
  ['OP funct7 0x03 (mul with a stray bit)', split(E.rOp('mul', 5, 5, 5) | (3 << 25))],
  ['OP-32 funct7 0x02', split(E.rOp('addw', 5, 5, 5) | (2 << 25))],
  ['OP-32 funct3 2 (no sltw)', split(E.rOp('addw', 5, 5, 5) | (2 << 12))],
  ['OP-32 funct7 1 funct3 1 (no mulhw)', split(E.rOp('mulw', 5, 5, 5) | (1 << 12))],
  ['all-ones word', split(0xffffffff)],
  ['custom-0 opcode', split(0x0000000b)],
  ['opcode 0x77 (OP-P, reserved)', split(0x00000077)],
  ['ecall with rd != 0', split(E.ecall() | (1 << 7))],
];

function split(w: number): number[] {
  return [w & 0xffff, w >>> 16];
}

export interface TrapCase {
  what: string;
  /** 32-bit setup instructions before the one under test. */
  setup: readonly number[];
  /** The instruction under test as 16-bit parcels, little end first. */
  parcels: readonly number[];
  signal: 'SIGILL' | 'SIGTRAP' | 'SIGBUS' | 'SIGSEGV';
  /** The hart's cause name (src/vcpu/trap.ts causeName). */
  cause: string;
  /** Where the hart must report the trap: the instruction (default) or a fetch address. */
  pc?: number;
}

const T0 = 5;
/** t0 = address of the first setup instruction + k (the segment is RWX, so it is writable data too). */
const t0At = (k: number) => [E.auipc(T0, 0), E.iOp('addi', T0, T0, k)];

export const TRAP_CASES: readonly TrapCase[] = [
  ...RESERVED.map(([what, parcels]): TrapCase => ({ what, setup: [], parcels, signal: 'SIGILL', cause: 'illegal-instruction' })),
  { what: 'ebreak', setup: [], parcels: split(0x00100073), signal: 'SIGTRAP', cause: 'breakpoint' },
  { what: 'c.ebreak', setup: [], parcels: [0x9002], signal: 'SIGTRAP', cause: 'breakpoint' },
  { what: 'amoadd.w at an address = 2 mod 4', setup: t0At(2), parcels: split(E.amo('amoadd', 'w', 0, T0, 0)), signal: 'SIGBUS', cause: 'misaligned-store' },
  { what: 'amoswap.d at an address = 4 mod 8', setup: t0At(4), parcels: split(E.amo('amoswap', 'd', 6, T0, 0)), signal: 'SIGBUS', cause: 'misaligned-store' },
  { what: 'lr.d at an address = 4 mod 8', setup: t0At(4), parcels: split(E.amo('lr', 'd', 6, T0, 0)), signal: 'SIGBUS', cause: 'misaligned-load' },
  { what: 'lr.w at an address = 1 mod 4', setup: t0At(1), parcels: split(E.amo('lr', 'w', 6, T0, 0)), signal: 'SIGBUS', cause: 'misaligned-load' },
  { what: 'ld from address 8', setup: [], parcels: split(E.load('ld', 6, 0, 8)), signal: 'SIGSEGV', cause: 'load-access-fault' },
  { what: 'lb from address -1', setup: [], parcels: split(E.load('lb', 6, 0, -1)), signal: 'SIGSEGV', cause: 'load-access-fault' },
  { what: 'sw to address 0x7f0', setup: [], parcels: split(E.store('sw', 6, 0, 0x7f0)), signal: 'SIGSEGV', cause: 'store-access-fault' },
  { what: 'amoor.d at address 0', setup: [], parcels: split(E.amo('amoor', 'd', 6, 0, 0)), signal: 'SIGSEGV', cause: 'store-access-fault' },
  { what: 'jalr to address 0x100', setup: [], parcels: split(E.jalr(1, 0, 0x100)), signal: 'SIGSEGV', cause: 'fetch-access-fault', pc: 0x100 },
];

/** Setup, the instruction under test, then exit(0), in one RWX segment at TEXT_BASE. */
export function trapProgram(c: TrapCase): { elf: Uint8Array; pc: number } {
  const code: number[] = [];
  const word = (w: number) => code.push(w & 0xff, (w >>> 8) & 0xff, (w >>> 16) & 0xff, w >>> 24);
  c.setup.forEach(word);
  const pc = TEXT_BASE + code.length;
  for (const p of c.parcels) code.push(p & 0xff, (p >>> 8) & 0xff);
  [E.iOp('addi', 10, 0, 0), E.iOp('addi', 17, 0, 93), E.ecall()].forEach(word);
  return { elf: writeElf(TEXT_BASE, [{ vaddr: TEXT_BASE, data: Uint8Array.from(code) }]), pc: c.pc ?? pc };
}
