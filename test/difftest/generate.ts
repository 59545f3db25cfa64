// Seeded random program generator for differential testing against qemu-riscv64.
//
// A program is a static RV64IMAC Linux ELF made of `seqs` independent sequences followed by
// exit(0). Each sequence:
//
//   prologue   s0 = &pool[i]; ld every register except s0 from the pool (random 64-bit values,
//              biased towards 0, -1, INT64_MIN/MAX, 0x7fffffff, 0x80000000, small numbers);
//              s0 = SCRATCH
//   body       ~`insnsPerSeq` random items: ALU (reg/imm, W forms, lui/auipc), M, A (lr/sc and
//              every amo*.w/.d), loads/stores of every width (misaligned ones too when enabled),
//              forward branches and jumps (never backwards, so no loops), compressed forms, and
//              "edge" items that build INT64_MIN, -1, 0, INT32_MIN, ... in two registers and
//              apply an R-type op to them (random registers seldom hold such pairs), and
//              self-modifying-code items (call a code slot, patch it, fence.i, call it again)
//   epilogue   sd x1..x31 to DUMP (= SCRATCH - 256); write(1, DUMP, 512)
//
// so stdout is `seqs` records of DUMP_BYTES bytes:
//
//   +0    x1..x31, 8 bytes each, little endian (x8 = s0 always holds SCRATCH)
//   +248  8 bytes that only sp-relative stores write (the rest of the dump area is overwritten)
//   +256  the 256-byte scratch buffer after the body
//
// Reserved registers: s0 (x8) is the base pointer and is never written by a body item; nothing
// else is reserved. The epilogue clobbers a0, a1, a2, a7 after the dump (the next prologue
// reloads every register anyway). sp is not special: the body uses it freely (c.*sp forms first
// set it from s0), and ra is just the link register of jal/jalr/c.jalr and code-slot calls.
//
// Memory map (text and data are two PT_LOAD segments):
//
//   TEXT_BASE (0x10000)     code; then 8-byte code slots of the self-modifying-code items
//                           (the segment is RWX when there are any, else RX)
//   data = page after code  zeros up to DUMP
//   data + 0xe80            DUMP: register dump (256 bytes)
//   data + 0xf80            SCRATCH: 256 bytes of random initial data; straddles the page
//                           boundary at data + 0x1000, so misaligned accesses at scratch offsets
//                           121..127 cross pages
//   data + 0x2000           pool: 31 x 8 bytes per sequence
//
// Scratch offsets are 64-byte-line aligned at 0, 64, 128 and 192: LR/SC "other address" cases
// always use a different line, so a hart whose reservation set is a whole line still fails them.
//
// Items are atomic for control flow: a branch or jump skips 0..3 whole items, so the target is
// always the start of an item (or the epilogue). Multi-instruction items (address setup + AMO,
// lr/sc pairs, auipc + jalr) are therefore never entered in the middle. The only backward
// transfers are the returns from code slots, so there are no loops.

import * as E from './encode.js';
import { reg } from './encode.js';
import { writeElf, PF_R, PF_W, PF_X } from './elf-writer.js';
import { Rng } from './rng.js';

export const TEXT_BASE = 0x10000;
export const SCRATCH_SIZE = 256;
export const DUMP_BYTES = 512;
/** Offset of the scratch copy inside one dump record. */
export const DUMP_SCRATCH_OFF = 256;
export const BASE_REG = 8;
const DUMP_IN_PAGE = 0xe80;
const POOL_OFF = 0x2000;

const S0 = BASE_REG;
const SP = 2;
const A0 = 10, A1 = 11, A2 = 12, A7 = 17;

export interface GenOptions {
  /** Sequences per program (default 100). */
  seqs?: number;
  /** Random items per sequence body (default 40). */
  insnsPerSeq?: number;
  /** Generate misaligned plain loads/stores (default true). QEMU user mode performs them. */
  misaligned?: boolean;
  /** Generate self-modifying-code items (default true); the code segment is then writable. */
  smc?: boolean;
}

export interface Insn {
  word: number;
  size: 2 | 4;
  mnemonic: string;
  text: string;
}

export interface SequenceInfo {
  index: number;
  /** pc of the first body instruction and one past the last epilogue instruction. */
  startPc: number;
  endPc: number;
  /** Initial values of x1..x31 (index r - 1; the s0 slot holds SCRATCH). */
  init: bigint[];
  /** "pc: text" for every body instruction. */
  listing: string[];
  /** Index in `listing` of each body item's first instruction. */
  itemStarts: number[];
}

export interface Program {
  seed: number;
  elf: Uint8Array;
  entry: number;
  scratchAddr: number;
  sequences: SequenceInfo[];
  expectedStdoutBytes: number;
  /** How many times each mnemonic appears in the bodies (coverage). */
  mnemonics: Map<string, number>;
  /** What the program was built from (for truncatedProgram). */
  specs: SequenceSpec[];
  /** Initial contents of [s0 - 256, s0 + 256). */
  window: Uint8Array;
}

/** One unit of layout; control transfers skip whole items. */
export interface Item {
  size: number;
  /** For branches and jumps: the number of following items to skip. */
  skip?: number;
  /** Initial word of this item's code slot (self-modifying-code items only; see 'smc'). */
  slotWord?: number;
  /**
   * `dist` is the byte distance from this item's start to the target (branches only); `pc` is
   * the item's address and `slot` the address of its code slot (when it has one).
   */
  build(dist: number, pc: number, slot: number): Insn[];
}

// ---- Values -------------------------------------------------------------------------------------

const INTERESTING: readonly bigint[] = [
  0n, 1n, 2n, 3n, -1n, -2n,
  -0x8000_0000_0000_0000n, 0x7fff_ffff_ffff_ffffn, -0x7fff_ffff_ffff_ffffn,
  0x7fff_ffffn, 0x8000_0000n, 0xffff_ffffn, -0x8000_0000n, -0x7fff_ffffn, 0x1_0000_0000n,
  0x7fffn, 0x8000n, 0xffffn, -0x8000n, 0x7fn, 0x80n, 0xffn, -0x80n,
  31n, 32n, 33n, 63n, 64n, 65n,
];

function randomValue(rng: Rng): bigint {
  switch (rng.below(6)) {
    case 0:
    case 1:
      return rng.pick(INTERESTING);
    case 2:
      return BigInt(rng.range(-64, 64));
    case 3:
      return BigInt(rng.u32() | 0);
    case 4:
      return BigInt.asIntN(64, rng.u64());
    default: {
      const k = BigInt(rng.below(64));
      const p = BigInt.asIntN(64, 1n << k);
      return rng.pick([p, ~p, p - 1n, -p]);
    }
  }
}

function hex64(v: bigint): string {
  return '0x' + BigInt.asUintN(64, v).toString(16).padStart(16, '0');
}

// ---- Body item generator ------------------------------------------------------------------------

const ALU_R = ['add', 'sub', 'sll', 'slt', 'sltu', 'xor', 'srl', 'sra', 'or', 'and', 'addw', 'subw', 'sllw', 'srlw', 'sraw'];
const MUL_R = ['mul', 'mulh', 'mulhsu', 'mulhu', 'div', 'divu', 'rem', 'remu', 'mulw', 'divw', 'divuw', 'remw', 'remuw'];
const ALU_I = Object.keys(E.I_OPS);
const SHIFTS = Object.keys(E.SHIFT_OPS);
const LOADS = Object.keys(E.LOAD_OPS);
const STORES = Object.keys(E.STORE_OPS);
const BRANCHES = Object.keys(E.BRANCH_OPS);
const AMOS = Object.keys(E.AMO_OPS).filter((n) => n !== 'lr' && n !== 'sc');

const ITEM_WEIGHTS = {
  aluR: 14, aluI: 12, shiftI: 6, upper: 3, mul: 12, load: 9, store: 8, amo: 6, lrsc: 3,
  edge: 6, branch: 6, jal: 2, jalr: 2, fence: 1, compressed: 18, smc: 1,
} as const;

/**
 * Operand values that random registers seldom hold at once (INT64_MIN / -1, x / 0, ...), each
 * with the one or two instructions that build it; the 'edge' item sets two registers this way
 * and then applies a register-register op to them.
 */
const EDGE_VALUES: ReadonlyArray<readonly [string, (r: number) => Insn[]]> = [
  ['0', (r) => [li12(r, 0)]],
  ['1', (r) => [li12(r, 1)]],
  ['-1', (r) => [li12(r, -1)]],
  ['2', (r) => [li12(r, 2)]],
  ['-2', (r) => [li12(r, -2)]],
  ['INT64_MIN', (r) => [li12(r, -1), shiftI('slli', r, r, 63)]],
  ['INT64_MAX', (r) => [li12(r, -1), shiftI('srli', r, r, 1)]],
  ['INT32_MIN', (r) => [i4(E.lui(r, 0x80000), 'lui', `lui ${reg(r)}, 0x80000`)]],
  ['INT32_MAX', (r) => [i4(E.lui(r, 0x80000), 'lui', `lui ${reg(r)}, 0x80000`), i4(E.iOp('addiw', r, r, -1), 'addiw', `addiw ${reg(r)}, ${reg(r)}, -1`)]],
  ['0x80000000', (r) => [li12(r, 1), shiftI('slli', r, r, 31)]],
  ['0xffffffff', (r) => [li12(r, -1), shiftI('srli', r, r, 32)]],
  ['0x100000000', (r) => [li12(r, 1), shiftI('slli', r, r, 32)]],
  ['INT64_MIN+INT32_MIN', (r) => [i4(E.lui(r, 0x80000), 'lui', `lui ${reg(r)}, 0x80000`), shiftI('slli', r, r, 32)]],
];

function edge(name: string): (typeof EDGE_VALUES)[number] {
  const e = EDGE_VALUES.find(([n]) => n === name);
  if (e === undefined) throw new Error(`generator: no edge value ${name}`);
  return e;
}

function li12(r: number, v: number): Insn {
  return i4(E.iOp('addi', r, 0, v), 'addi', `addi ${reg(r)}, zero, ${v}`);
}

function shiftI(name: string, rd: number, rs1: number, sh: number): Insn {
  return i4(E.shiftOp(name, rd, rs1, sh), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${sh}`);
}

const C_WEIGHTS = {
  addi4spn: 1, lw: 2, ld: 2, sw: 2, sd: 2, nop: 0.3, addi: 2, addiw: 2, li: 2, addi16sp: 1, lui: 1.5,
  srli: 1, srai: 1, andi: 1, ca: 4, slli: 1, mv: 1.5, add: 1.5, spmem: 3, j: 1, bz: 2, jr: 1, jalr: 1,
  hint: 1,
} as const;

/** RVC HINT encodings (spec table "RVC HINT instructions"): they must change nothing. */
const C_HINTS = [
  'c.nop imm', 'c.addi rd, 0', 'c.li zero', 'c.lui zero', 'c.mv zero', 'c.add zero', 'c.slli zero',
  'c.slli rd, 0', 'c.srli rd, 0', 'c.srai rd, 0',
] as const;

class BodyGen {
  private recent: number[] = [];

  constructor(private readonly rng: Rng, private readonly misaligned: boolean, private readonly smcOn: boolean) {}

  /** A destination register: never s0; x0 now and then. */
  private rd(): number {
    const r = this.rng.chance(0.04) ? 0 : this.writable();
    this.note(r);
    return r;
  }

  private writable(): number {
    let r: number;
    do r = this.rng.range(1, 31); while (r === S0);
    return r;
  }

  /** A temporary register for address setup (written, never s0 or x0). */
  private temp(...avoid: number[]): number {
    let r: number;
    do r = this.writable(); while (avoid.includes(r));
    return r;
  }

  private note(r: number): void {
    if (r === 0) return;
    this.recent.push(r);
    if (this.recent.length > 4) this.recent.shift();
  }

  /** A source register: often a recently written one, sometimes x0 or s0. */
  private rs(): number {
    const rng = this.rng;
    if (this.recent.length > 0 && rng.chance(0.3)) return rng.pick(this.recent);
    if (rng.chance(0.04)) return 0;
    return rng.range(1, 31);
  }

  /** rd'/rs1' (x8..x15) that may be written: x9..x15. */
  private rdp(): number {
    const r = this.rng.range(9, 15);
    this.note(r);
    return r;
  }

  private rsp(): number {
    return this.rng.range(8, 15);
  }

  /** A CI-format destination: not x0, not s0, optionally not sp. */
  private rdc(notSp = false): number {
    let r: number;
    do r = this.writable(); while (notSp && r === SP);
    this.note(r);
    return r;
  }

  private imm12(): number {
    const rng = this.rng;
    const r = rng.below(10);
    if (r < 3) return rng.pick([0, 1, -1, 2047, -2048, 2046, -2047, 0x7f0, 0x400, -0x400]);
    if (r < 6) return rng.range(-16, 16);
    return rng.range(-2048, 2047);
  }

  private imm6(nonzero = false): number {
    let v: number;
    do v = this.rng.chance(0.3) ? this.rng.pick([-32, 31, -1, 1]) : this.rng.range(-32, 31); while (nonzero && v === 0);
    return v;
  }

  private shamt(bits: number): number {
    const max = (1 << bits) - 1;
    if (this.rng.chance(0.3)) return this.rng.pick([0, 1, max >> 1, (max >> 1) + 1, max]);
    return this.rng.range(0, max);
  }

  /** Scratch offset for an access of `size` bytes: aligned, or anywhere when misaligned is on. */
  private memOffset(size: number, allowMisaligned: boolean): number {
    if (allowMisaligned && this.misaligned && this.rng.chance(0.3)) {
      // Bias towards the page boundary at scratch offset 128 (accesses that cross pages).
      if (this.rng.chance(0.3)) return this.rng.range(128 - size + 1, 127);
      return this.rng.range(0, SCRATCH_SIZE - size);
    }
    return size * this.rng.range(0, SCRATCH_SIZE / size - 1);
  }

  item(remainingAfter: number): Item {
    const rng = this.rng;
    let kind = rng.weighted(ITEM_WEIGHTS);
    if (kind === 'smc' && !this.smcOn) kind = 'aluR';
    switch (kind) {
      case 'aluR':
      case 'mul': {
        const name = rng.pick(kind === 'aluR' ? ALU_R : MUL_R);
        const rs1 = this.rs(), rs2 = rng.chance(0.15) ? rs1 : this.rs(), rd = this.rd();
        return one(i4(E.rOp(name, rd, rs1, rs2), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${reg(rs2)}`));
      }
      case 'aluI': {
        const name = rng.pick(ALU_I);
        const rs1 = this.rs(), rd = this.rd(), imm = this.imm12();
        return one(i4(E.iOp(name, rd, rs1, imm), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${imm}`));
      }
      case 'shiftI': {
        const name = rng.pick(SHIFTS);
        const rs1 = this.rs(), rd = this.rd(), sh = this.shamt(E.SHIFT_OPS[name]![3]);
        return one(i4(E.shiftOp(name, rd, rs1, sh), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${sh}`));
      }
      case 'upper': {
        const name = rng.pick(['lui', 'auipc']);
        const rd = this.rd();
        const imm = rng.chance(0.3) ? rng.pick([0, 1, 0x7ffff, 0x80000, 0xfffff]) : rng.below(1 << 20);
        const w = name === 'lui' ? E.lui(rd, imm) : E.auipc(rd, imm);
        return one(i4(w, name, `${name} ${reg(rd)}, 0x${imm.toString(16)}`));
      }
      case 'edge': {
        // Two registers set to edge values, then any R-type op on them (often rs1 = rs2).
        const name = rng.pick(rng.chance(0.6) ? MUL_R : ALU_R);
        const a = this.temp(), b = rng.chance(0.15) ? a : this.temp(a);
        // Often the classic overflow / divide-by-zero pairs: a most-negative value and -1 or 0.
        const classic = rng.chance(0.4);
        const va = classic ? edge(rng.pick(['INT64_MIN', 'INT32_MIN', 'INT64_MIN+INT32_MIN', '0x80000000'])) : rng.pick(EDGE_VALUES);
        const vb = classic ? edge(rng.pick(['-1', '0'])) : rng.pick(EDGE_VALUES);
        const insns = [...va[1](a)];
        if (b !== a) insns.push(...vb[1](b));
        const rd = this.rd();
        insns.push(i4(E.rOp(name, rd, a, b), name, `${name} ${reg(rd)}, ${reg(a)}, ${reg(b)}`));
        return many(insns);
      }
      case 'load':
        return this.loadStore(true);
      case 'store':
        return this.loadStore(false);
      case 'amo':
        return this.amo();
      case 'lrsc':
        return this.lrsc();
      case 'branch': {
        const name = rng.pick(BRANCHES);
        const rs1 = this.rs(), rs2 = rng.chance(0.2) ? rs1 : this.rs();
        return jump(4, rng.range(0, Math.min(3, remainingAfter)), (d) => [
          i4(E.branch(name, rs1, rs2, d), name, `${name} ${reg(rs1)}, ${reg(rs2)}, .+${d}`),
        ]);
      }
      case 'jal': {
        const rd = this.rd();
        return jump(4, rng.range(0, Math.min(3, remainingAfter)), (d) => [i4(E.jal(rd, d), 'jal', `jal ${reg(rd)}, .+${d}`)]);
      }
      case 'jalr': {
        // auipc t, 0; jalr rd, dist(+1)(t): the +1 checks that jalr clears bit 0 of the target.
        const t = this.temp(), rd = this.rd(), odd = rng.chance(0.3) ? 1 : 0;
        return jump(8, rng.range(0, Math.min(3, remainingAfter)), (d) => [
          i4(E.auipc(t, 0), 'auipc', `auipc ${reg(t)}, 0`),
          i4(E.jalr(rd, t, d + odd), 'jalr', `jalr ${reg(rd)}, ${d + odd}(${reg(t)})`),
        ]);
      }
      case 'fence':
        return rng.chance(0.7)
          ? one(i4(E.fence(), 'fence', 'fence iorw, iorw'))
          : one(i4(0x0000100f, 'fence.i', 'fence.i'));
      case 'compressed':
        return this.compressed(remainingAfter);
      case 'smc':
        return this.smc();
    }
  }

  /** A random ALU instruction for a code slot: never writes ra (the slot returns through it) or s0. */
  private slotInsn(): Insn {
    const rng = this.rng;
    let rd: number;
    do rd = this.rd(); while (rd === 1);
    const rs1 = this.rs();
    if (rng.chance(0.5)) {
      const name = rng.pick([...ALU_R, ...MUL_R]), rs2 = this.rs();
      return i4(E.rOp(name, rd, rs1, rs2), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${reg(rs2)}`);
    }
    const name = rng.pick(ALU_I), imm = this.imm12();
    return i4(E.iOp(name, rd, rs1, imm), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${imm}`);
  }

  /**
   * Self-modifying code: a code slot (after the exit code) holds `old; jalr zero, 0(ra)`. The item
   * calls it, stores the word of another instruction over `old`, runs fence.i (the spec needs it
   * before the new instruction may be fetched) and calls it again. A hart whose decoded-
   * instruction cache misses the store runs `old` twice. Calls return, so there is no loop.
   */
  private smc(): Item {
    const old = this.slotInsn(), neu = this.slotInsn();
    const v = this.temp(1), t = this.temp(1, v);
    const w = neu.word;
    const hi = ((w + 0x800) >>> 12) & 0xfffff, lo = ((w & 0xfff) << 20) >> 20;
    return {
      size: 32,
      slotWord: old.word,
      build: (_dist, pc, slot) => [
        i4(E.jal(1, slot - pc), 'jal', `jal ra, 0x${slot.toString(16)}  # slot: ${old.text}`),
        i4(E.lui(v, hi), 'lui', `lui ${reg(v)}, 0x${hi.toString(16)}`),
        i4(E.iOp('addiw', v, v, lo), 'addiw', `addiw ${reg(v)}, ${reg(v)}, ${lo}  # = word of ${neu.text}`),
        ...li32(t, slot),
        i4(E.store('sw', v, t, 0), 'sw', `sw ${reg(v)}, 0(${reg(t)})  # patch the slot`),
        i4(0x0000100f, 'fence.i', 'fence.i'),
        i4(E.jal(1, slot - (pc + 28)), 'jal', `jal ra, 0x${slot.toString(16)}  # slot: ${neu.text}`),
      ],
    };
  }

  private loadStore(isLoad: boolean): Item {
    const rng = this.rng;
    const name = rng.pick(isLoad ? LOADS : STORES);
    const size = (isLoad ? E.LOAD_OPS[name]! : E.STORE_OPS[name]!)[1];
    const off = this.memOffset(size, true);
    const val = isLoad ? 0 : this.rs();
    const enc = (r: number, base: number, imm: number) =>
      isLoad
        ? i4(E.load(name, r, base, imm), name, `${name} ${reg(r)}, ${imm}(${reg(base)})`)
        : i4(E.store(name, r, base, imm), name, `${name} ${reg(r)}, ${imm}(${reg(base)})`);
    if (rng.chance(0.7)) {
      const r = isLoad ? this.rd() : val;
      return one(enc(r, S0, off));
    }
    // Address through a temporary with a large displacement either way: t = s0 + k; op imm(t).
    const t = this.temp();
    const imm = rng.range(Math.max(-2048, off - 2047), Math.min(2047, off + 2048));
    const k = off - imm;
    const r = isLoad ? this.rd() : val;
    return many([i4(E.iOp('addi', t, S0, k), 'addi', `addi ${reg(t)}, s0, ${k}`), enc(r, t, imm)]);
  }

  private amo(): Item {
    const rng = this.rng;
    const name = rng.pick(AMOS);
    const width = rng.pick(['w', 'd'] as const);
    const off = this.memOffset(width === 'w' ? 4 : 8, false);
    const t = this.temp();
    const rs2 = this.rs(), rd = this.rd();
    const aq = rng.chance(0.3), rl = rng.chance(0.3);
    const mn = `${name}.${width}`;
    return many([
      i4(E.iOp('addi', t, S0, off), 'addi', `addi ${reg(t)}, s0, ${off}`),
      i4(E.amo(name, width, rd, t, rs2, aq, rl), mn, `${mn}${ord(aq, rl)} ${reg(rd)}, ${reg(rs2)}, (${reg(t)})`),
    ]);
  }

  /**
   * lr/sc in one item, three shapes:
   *   pair    lr at A; 0..2 ALU ops that leave the address register alone; sc at A  -> succeeds
   *   other   lr at A; sc at an address in another 64-byte line                 -> fails
   *   lone    sc with no lr since the last sc                                    -> fails
   */
  private lrsc(): Item {
    const rng = this.rng;
    const width = rng.pick(['w', 'd'] as const);
    const size = width === 'w' ? 4 : 8;
    const off = this.memOffset(size, false);
    const t = this.temp();
    const insns: Insn[] = [i4(E.iOp('addi', t, S0, off), 'addi', `addi ${reg(t)}, s0, ${off}`)];
    const lr = (rd: number) => {
      const aq = rng.chance(0.3), rl = rng.chance(0.2);
      insns.push(i4(E.amo('lr', width, rd, t, 0, aq, rl), `lr.${width}`, `lr.${width}${ord(aq, rl)} ${reg(rd)}, (${reg(t)})`));
    };
    const sc = (addr: number) => {
      const rs2 = this.rs(), rd = this.rd();
      const aq = rng.chance(0.2), rl = rng.chance(0.3);
      insns.push(i4(E.amo('sc', width, rd, addr, rs2, aq, rl), `sc.${width}`, `sc.${width}${ord(aq, rl)} ${reg(rd)}, ${reg(rs2)}, (${reg(addr)})`));
    };
    const shape = rng.pick(['pair', 'pair', 'other', 'lone']);
    if (shape === 'pair') {
      lr(this.temp(t));
      for (let n = rng.range(0, 2); n > 0; n--) {
        const rd = this.temp(t), rs1 = this.rs(), rs2 = this.rs();
        const name = rng.pick(ALU_R);
        insns.push(i4(E.rOp(name, rd, rs1, rs2), name, `${name} ${reg(rd)}, ${reg(rs1)}, ${reg(rs2)}`));
      }
      sc(t);
    } else if (shape === 'other') {
      lr(this.temp(t));
      const line = Math.floor(off / 64);
      const otherLine = (line + rng.range(1, 3)) % 4;
      const off2 = otherLine * 64 + size * rng.range(0, 64 / size - 1);
      const u = this.temp();
      insns.push(i4(E.iOp('addi', u, S0, off2), 'addi', `addi ${reg(u)}, s0, ${off2}`));
      sc(u);
    } else {
      sc(t);
    }
    return many(insns);
  }

  private compressed(remainingAfter: number): Item {
    const rng = this.rng;
    const kind = rng.weighted(C_WEIGHTS);
    const skip = () => rng.range(0, Math.min(3, remainingAfter));
    switch (kind) {
      case 'addi4spn': {
        const rd = this.rdp(), imm = 4 * rng.range(1, 255);
        return one(c2(E.cAddi4spn(rd, imm), 'c.addi4spn', `c.addi4spn ${reg(rd)}, sp, ${imm}`));
      }
      case 'lw':
      case 'ld':
      case 'sw':
      case 'sd': {
        const name = `c.${kind}` as const;
        const size = kind === 'lw' || kind === 'sw' ? 4 : 8;
        const maxOff = size === 4 ? 124 : 248;
        const off = size * rng.range(0, maxOff / size);
        const r = kind[0] === 'l' ? this.rdp() : this.rsp();
        return one(c2(E.cMem(name, r, S0, off), name, `${name} ${reg(r)}, ${off}(s0)`));
      }
      case 'nop':
        return one(c2(E.cNop(), 'c.nop', 'c.nop'));
      case 'addi':
      case 'addiw':
      case 'li': {
        const rd = this.rdc(), imm = this.imm6(kind === 'addi');
        const w = kind === 'addi' ? E.cAddi(rd, imm) : kind === 'addiw' ? E.cAddiw(rd, imm) : E.cLi(rd, imm);
        return one(c2(w, `c.${kind}`, `c.${kind} ${reg(rd)}, ${imm}`));
      }
      case 'addi16sp': {
        let imm: number;
        do imm = 16 * rng.range(-32, 31); while (imm === 0);
        this.note(SP);
        return one(c2(E.cAddi16sp(imm), 'c.addi16sp', `c.addi16sp sp, ${imm}`));
      }
      case 'lui': {
        const rd = this.rdc(true), imm = this.imm6(true);
        return one(c2(E.cLui(rd, imm), 'c.lui', `c.lui ${reg(rd)}, 0x${(imm & 0xfffff).toString(16)}`));
      }
      case 'srli':
      case 'srai': {
        const rd = this.rdp(), sh = rng.chance(0.3) ? rng.pick([1, 31, 32, 63]) : rng.range(1, 63);
        return one(c2(E.cShift(`c.${kind}`, rd, sh), `c.${kind}`, `c.${kind} ${reg(rd)}, ${sh}`));
      }
      case 'andi': {
        const rd = this.rdp(), imm = this.imm6();
        return one(c2(E.cAndi(rd, imm), 'c.andi', `c.andi ${reg(rd)}, ${imm}`));
      }
      case 'ca': {
        const name = rng.pick(E.CA_NAMES);
        const rs2 = this.rsp(), rd = this.rdp();
        return one(c2(E.cArith(name, rd, rs2), name, `${name} ${reg(rd)}, ${reg(rs2)}`));
      }
      case 'slli': {
        const rd = this.rdc(), sh = rng.chance(0.3) ? rng.pick([1, 31, 32, 63]) : rng.range(1, 63);
        return one(c2(E.cSlli(rd, sh), 'c.slli', `c.slli ${reg(rd)}, ${sh}`));
      }
      case 'mv':
      case 'add': {
        let rs2: number;
        do rs2 = this.rs(); while (rs2 === 0);
        const rd = this.rdc();
        const w = kind === 'mv' ? E.cMv(rd, rs2) : E.cAdd(rd, rs2);
        return one(c2(w, `c.${kind}`, `c.${kind} ${reg(rd)}, ${reg(rs2)}`));
      }
      case 'spmem': {
        // sp = s0 - n (c.mv, then c.addi16sp when n > 0), then one sp-relative access anywhere in
        // [s0 - 256, s0 + 256): the dump area or the scratch buffer. n up to 256 lets the
        // offset reach the top bits of c.ldsp/c.sdsp's 9-bit range.
        const op = rng.pick(['c.lwsp', 'c.ldsp', 'c.swsp', 'c.sdsp'] as const);
        const size = op === 'c.lwsp' || op === 'c.swsp' ? 4 : 8;
        const maxOff = size === 4 ? 252 : 504;
        const n = 16 * rng.range(0, 16);
        const lo = Math.max(0, n - 256), hi = Math.min(maxOff, n + SCRATCH_SIZE - size);
        const off = size * rng.range(Math.ceil(lo / size), Math.floor(hi / size));
        this.note(SP);
        const insns = [c2(E.cMv(SP, S0), 'c.mv', 'c.mv sp, s0')];
        if (n > 0) insns.push(c2(E.cAddi16sp(-n), 'c.addi16sp', `c.addi16sp sp, ${-n}`));
        if (op === 'c.lwsp' || op === 'c.ldsp') {
          const rd = this.rdc();
          insns.push(c2(op === 'c.lwsp' ? E.cLwsp(rd, off) : E.cLdsp(rd, off), op, `${op} ${reg(rd)}, ${off}(sp)`));
        } else {
          const rs2 = this.rs();
          insns.push(c2(op === 'c.swsp' ? E.cSwsp(rs2, off) : E.cSdsp(rs2, off), op, `${op} ${reg(rs2)}, ${off}(sp)`));
        }
        return many(insns);
      }
      case 'hint': {
        const h = rng.pick(C_HINTS);
        const r = this.writable(), rp = rng.range(9, 15), imm = this.imm6(true), rs2 = rng.range(1, 31);
        const sh = rng.range(1, 63);
        const [w, text] = ((): [number, string] => {
          switch (h) {
            case 'c.nop imm': return [E.cRawCI(1, 0, 0, imm), `c.nop ${imm}`];
            case 'c.addi rd, 0': return [E.cRawCI(1, 0, r, 0), `c.addi ${reg(r)}, 0`];
            case 'c.li zero': return [E.cRawCI(1, 2, 0, imm), `c.li zero, ${imm}`];
            case 'c.lui zero': return [E.cRawCI(1, 3, 0, imm), `c.lui zero, 0x${(imm & 0xfffff).toString(16)}`];
            case 'c.mv zero': return [E.cRawCR(8, 0, rs2), `c.mv zero, ${reg(rs2)}`];
            case 'c.add zero': return [E.cRawCR(9, 0, rs2), `c.add zero, ${reg(rs2)}`];
            case 'c.slli zero': return [E.cRawCI(2, 0, 0, sh), `c.slli zero, ${sh}`];
            case 'c.slli rd, 0': return [E.cRawCI(2, 0, r, 0), `c.slli ${reg(r)}, 0`];
            case 'c.srli rd, 0': return [E.cRawShift0('c.srli', rp), `c.srli ${reg(rp)}, 0`];
            case 'c.srai rd, 0': return [E.cRawShift0('c.srai', rp), `c.srai ${reg(rp)}, 0`];
          }
        })();
        return one(c2(w, `hint: ${h}`, `${text}  # HINT`));
      }
      case 'j':
        return jump(2, skip(), (d) => [c2(E.cJ(d), 'c.j', `c.j .+${d}`)]);
      case 'bz': {
        const name = rng.pick(['c.beqz', 'c.bnez'] as const);
        const rs1 = this.rsp();
        return jump(2, skip(), (d) => [c2(E.cBranch(name, rs1, d), name, `${name} ${reg(rs1)}, .+${d}`)]);
      }
      case 'jr':
      case 'jalr': {
        // auipc t, 0; addi t, t, dist; c.jr/c.jalr t  (t may be ra for c.jalr: read before link)
        const t = kind === 'jalr' && rng.chance(0.2) ? 1 : this.temp();
        if (kind === 'jalr') this.note(1);
        const name = `c.${kind}`;
        return jump(10, skip(), (d) => [
          i4(E.auipc(t, 0), 'auipc', `auipc ${reg(t)}, 0`),
          i4(E.iOp('addi', t, t, d), 'addi', `addi ${reg(t)}, ${reg(t)}, ${d}`),
          c2(kind === 'jr' ? E.cJr(t) : E.cJalr(t), name, `${name} ${reg(t)}`),
        ]);
      }
    }
  }
}

/** Every mnemonic the generator can place in a body (coverage check). */
export const ALL_MNEMONICS: readonly string[] = [
  ...ALU_R, ...MUL_R, ...ALU_I, ...SHIFTS, ...LOADS, ...STORES, ...BRANCHES,
  'lui', 'auipc', 'jal', 'jalr', 'fence', 'fence.i',
  ...['lr', 'sc', ...AMOS].flatMap((n) => [`${n}.w`, `${n}.d`]),
  'c.addi4spn', 'c.lw', 'c.ld', 'c.sw', 'c.sd', 'c.nop', 'c.addi', 'c.addiw', 'c.li', 'c.addi16sp', 'c.lui',
  'c.srli', 'c.srai', 'c.andi', ...E.CA_NAMES, 'c.slli', 'c.mv', 'c.add', 'c.lwsp', 'c.ldsp', 'c.swsp', 'c.sdsp',
  'c.j', 'c.beqz', 'c.bnez', 'c.jr', 'c.jalr', ...C_HINTS.map((h) => `hint: ${h}`),
];

function ord(aq: boolean, rl: boolean): string {
  return aq && rl ? '.aqrl' : aq ? '.aq' : rl ? '.rl' : '';
}

function i4(word: number, mnemonic: string, text: string): Insn {
  return { word, size: 4, mnemonic, text };
}

function c2(word: number, mnemonic: string, text: string): Insn {
  return { word, size: 2, mnemonic, text };
}

function one(insn: Insn): Item {
  return { size: insn.size, build: () => [insn] };
}

function many(insns: Insn[]): Item {
  return { size: insns.reduce((s, i) => s + i.size, 0), build: () => insns };
}

function jump(size: number, skip: number, build: (dist: number, pc: number, slot: number) => Insn[]): Item {
  return { size, skip, build };
}

// ---- Program assembly ---------------------------------------------------------------------------

class TextBuf {
  private bytes: number[] = [];
  constructor(readonly base: number) {}

  get pc(): number {
    return this.base + this.bytes.length;
  }

  emit(insn: Insn): number {
    const pc = this.pc;
    const w = insn.word;
    this.bytes.push(w & 0xff, (w >>> 8) & 0xff);
    if (insn.size === 4) this.bytes.push((w >>> 16) & 0xff, (w >>> 24) & 0xff);
    return pc;
  }

  toBytes(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

/** lui/addi pair that puts a small positive absolute address into rd. */
function li32(rd: number, addr: number): Insn[] {
  const hi = (addr + 0x800) >>> 12;
  const lo = addr - hi * 4096;
  return [
    i4(E.lui(rd, hi), 'lui', `lui ${reg(rd)}, 0x${hi.toString(16)}`),
    i4(E.iOp('addi', rd, rd, lo), 'addi', `addi ${reg(rd)}, ${reg(rd)}, ${lo}`),
  ];
}

/** One sequence before layout: initial registers (x1..x31; the s0 slot is filled in) and body. */
export interface SequenceSpec {
  init: bigint[];
  items: Item[];
}

export function generateProgram(seed: number, opts: GenOptions = {}): Program {
  const seqs = opts.seqs ?? 100;
  const bodyLen = opts.insnsPerSeq ?? 40;
  const rng = new Rng(seed);
  const gen = new BodyGen(rng, opts.misaligned ?? true, opts.smc ?? true);
  const specs: SequenceSpec[] = [];
  for (let s = 0; s < seqs; s++) {
    const init: bigint[] = [];
    for (let r = 1; r <= 31; r++) init.push(randomValue(rng));
    const items: Item[] = [];
    for (let n = 0; n < bodyLen; n++) items.push(gen.item(bodyLen - n - 1));
    specs.push({ init, items });
  }
  // The memory window [s0 - 256, s0 + 256): a zero dump area, then random scratch bytes.
  const window = new Uint8Array(DUMP_BYTES);
  for (let i = 0; i < SCRATCH_SIZE; i++) window[DUMP_SCRATCH_OFF + i] = rng.below(256);
  return assemble(seed, specs, window);
}

/**
 * A program of one sequence: `seq` of `prog` cut to its first `items` body items (a jump past the
 * cut lands on the epilogue), starting from memory window `window` (the 512 bytes a dump record
 * holds: what [s0 - 256, s0 + 256) held when the sequence began in the full program). Used to
 * find the first item after which our hart and QEMU disagree.
 */
export function truncatedProgram(prog: Program, seq: number, items: number, window: Uint8Array): Program {
  const spec = prog.specs[seq]!;
  return assemble(prog.seed, [{ init: spec.init, items: spec.items.slice(0, items) }], window);
}

const PROLOGUE_BYTES = 2 * 4 + 30 * 4 + 2 * 4;
const EPILOGUE_BYTES = 31 * 4 + 5 * 4;
const EXIT_BYTES = 3 * 4;

/** Lays out sequences, pool and data into an ELF (see the header for the map). */
function assemble(seed: number, specs: SequenceSpec[], window: Uint8Array): Program {
  // The prologue and epilogue have fixed sizes, so the code size, and with it the data segment
  // address, is known before any instruction is emitted.
  let codeSize = EXIT_BYTES;
  for (const spec of specs) codeSize += PROLOGUE_BYTES + EPILOGUE_BYTES + spec.items.reduce((s, it) => s + it.size, 0);
  // Code slots of self-modifying-code items follow the exit code: `word; jalr zero, 0(ra)`.
  const slotWords: number[] = [];
  for (const spec of specs) for (const it of spec.items) if (it.slotWord !== undefined) slotWords.push(it.slotWord);
  const slotBase = TEXT_BASE + codeSize;
  codeSize += slotWords.length * 8;
  let nextSlot = slotBase;
  const dataBase = Math.ceil((TEXT_BASE + codeSize) / 0x1000) * 0x1000 + 0x1000;
  const dumpAddr = dataBase + DUMP_IN_PAGE;
  const scratchAddr = dumpAddr + 256;
  const poolAddr = dataBase + POOL_OFF;

  const data = new Uint8Array(POOL_OFF + specs.length * 31 * 8);
  const dv = new DataView(data.buffer);
  data.set(window, dumpAddr - dataBase);

  const text = new TextBuf(TEXT_BASE);
  const sequences: SequenceInfo[] = [];
  const mnemonics = new Map<string, number>();
  specs.forEach((spec, s) => {
    const init = spec.init.slice();
    init[S0 - 1] = BigInt(scratchAddr);
    const poolEntry = poolAddr + s * 31 * 8;
    init.forEach((v, i) => dv.setBigUint64(poolEntry - dataBase + i * 8, BigInt.asUintN(64, v), true));

    for (const insn of li32(S0, poolEntry)) text.emit(insn);
    for (let r = 1; r <= 31; r++) {
      if (r !== S0) text.emit(i4(E.load('ld', r, S0, (r - 1) * 8), 'ld', ''));
    }
    for (const insn of li32(S0, scratchAddr)) text.emit(insn);

    const startPc = text.pc;
    const listing: string[] = [];
    const itemStarts: number[] = [];
    const items = spec.items;
    for (let k = 0; k < items.length; k++) {
      const it = items[k]!;
      let dist = 0;
      if (it.skip !== undefined) {
        dist = it.size;
        for (let j = 1; j <= it.skip && k + j < items.length; j++) dist += items[k + j]!.size;
      }
      let slot = 0;
      if (it.slotWord !== undefined) {
        slot = nextSlot;
        nextSlot += 8;
      }
      const insns = it.build(dist, text.pc, slot);
      const got = insns.reduce((sum, i) => sum + i.size, 0);
      if (got !== it.size) throw new Error(`generator: item size ${got} != declared ${it.size}`);
      itemStarts.push(listing.length);
      for (const insn of insns) {
        const pc = text.emit(insn);
        listing.push(`${pc.toString(16).padStart(8, '0')}: ${insn.text}`);
        mnemonics.set(insn.mnemonic, (mnemonics.get(insn.mnemonic) ?? 0) + 1);
      }
    }

    for (let r = 1; r <= 31; r++) text.emit(i4(E.store('sd', r, S0, -256 + (r - 1) * 8), 'sd', ''));
    text.emit(i4(E.iOp('addi', A0, 0, 1), 'addi', ''));
    text.emit(i4(E.iOp('addi', A1, S0, -256), 'addi', ''));
    text.emit(i4(E.iOp('addi', A2, 0, DUMP_BYTES), 'addi', ''));
    text.emit(i4(E.iOp('addi', A7, 0, 64), 'addi', ''));
    text.emit(i4(E.ecall(), 'ecall', ''));
    sequences.push({ index: s, startPc, endPc: text.pc, init, listing, itemStarts });
  });
  text.emit(i4(E.iOp('addi', A0, 0, 0), 'addi', ''));
  text.emit(i4(E.iOp('addi', A7, 0, 93), 'addi', ''));
  text.emit(i4(E.ecall(), 'ecall', ''));
  for (const w of slotWords) {
    text.emit(i4(w, 'slot', ''));
    text.emit(i4(E.jalr(0, 1, 0), 'jalr', ''));
  }
  if (text.pc - TEXT_BASE !== codeSize) throw new Error(`generator: code size ${text.pc - TEXT_BASE} != ${codeSize}`);

  const elf = writeElf(TEXT_BASE, [
    { vaddr: TEXT_BASE, data: text.toBytes(), flags: PF_R | PF_X | (slotWords.length > 0 ? PF_W : 0) },
    { vaddr: dataBase, data, flags: PF_R | PF_W },
  ]);
  return {
    seed, elf, entry: TEXT_BASE, scratchAddr, sequences, specs, window,
    expectedStdoutBytes: specs.length * DUMP_BYTES, mnemonics,
  };
}

// ---- Output comparison --------------------------------------------------------------------------

export interface SeqDiff {
  seq: number;
  /** Registers (1..31) whose dumped values differ: [reg, expected, actual]. */
  regs: Array<[number, bigint, bigint]>;
  /** Scratch byte offsets that differ. */
  scratch: number[];
}

/** First sequence whose dump differs between `expected` (QEMU) and `actual` (our hart). */
export function firstDifference(prog: Program, expected: Uint8Array, actual: Uint8Array): SeqDiff | null {
  const n = Math.max(expected.length, actual.length);
  for (let s = 0; s * DUMP_BYTES < n; s++) {
    const a = expected.subarray(s * DUMP_BYTES, (s + 1) * DUMP_BYTES);
    const b = actual.subarray(s * DUMP_BYTES, (s + 1) * DUMP_BYTES);
    if (a.length === b.length && a.every((x, i) => x === b[i])) continue;
    const diff: SeqDiff = { seq: s, regs: [], scratch: [] };
    const da = new DataView(a.buffer, a.byteOffset, a.length), db = new DataView(b.buffer, b.byteOffset, b.length);
    for (let r = 1; r <= 31; r++) {
      const o = (r - 1) * 8;
      const va = o + 8 <= a.length ? da.getBigUint64(o, true) : -1n;
      const vb = o + 8 <= b.length ? db.getBigUint64(o, true) : -1n;
      if (va !== vb) diff.regs.push([r, va, vb]);
    }
    for (let i = 0; i < SCRATCH_SIZE; i++) {
      if (a[DUMP_SCRATCH_OFF + i] !== b[DUMP_SCRATCH_OFF + i]) diff.scratch.push(i);
    }
    return diff;
  }
  return null;
}

/** Multi-line human report of one difference (seed, sequence, listing, registers). */
export function describeDifference(prog: Program, d: SeqDiff, expected: Uint8Array, actual: Uint8Array): string {
  const seq = prog.sequences[d.seq];
  const lines: string[] = [];
  lines.push(`seed ${prog.seed}, sequence ${d.seq} of ${prog.sequences.length}` +
    ` (qemu wrote ${expected.length} bytes, hart ${actual.length})`);
  if (seq === undefined) return lines.join('\n');
  lines.push(`initial registers (s0 = scratch = 0x${prog.scratchAddr.toString(16)}):`);
  const inits = seq.init.map((v, i) => `${reg(i + 1).padStart(4)}=${hex64(v)}`);
  for (let i = 0; i < inits.length; i += 4) lines.push('  ' + inits.slice(i, i + 4).join(' '));
  lines.push('body:');
  for (const l of seq.listing) lines.push('  ' + l);
  lines.push(...diffLines(prog, d, expected, actual));
  return lines.join('\n');
}

/** The registers and scratch bytes of record `d.seq` that differ, one line each (qemu vs hart). */
export function diffLines(prog: Program, d: SeqDiff, expected: Uint8Array, actual: Uint8Array): string[] {
  const seq = prog.sequences[d.seq];
  const lines: string[] = [];
  if (d.regs.length > 0) {
    lines.push('registers that differ (qemu vs hart):');
    for (const [r, q, h] of d.regs) {
      const show = (v: bigint) => (v < 0n ? '(missing)' : hex64(v));
      const init = seq === undefined ? '' : `  init ${hex64(seq.init[r - 1]!)}`;
      lines.push(`  ${reg(r).padStart(4)} (x${r}): qemu ${show(q)}  hart ${show(h)}${init}`);
    }
  }
  if (d.scratch.length > 0) {
    const base = d.seq * DUMP_BYTES + DUMP_SCRATCH_OFF;
    const bytes = (buf: Uint8Array, i: number) => (base + i < buf.length ? buf[base + i]!.toString(16).padStart(2, '0') : '--');
    lines.push(`scratch bytes that differ (offset from s0: qemu hart): ` +
      d.scratch.slice(0, 32).map((i) => `+${i}: ${bytes(expected, i)} ${bytes(actual, i)}`).join(', ') +
      (d.scratch.length > 32 ? ` ... (${d.scratch.length} bytes)` : ''));
  }
  return lines;
}

/** The sequence whose code contains `pc`, if any (for locating a trap). */
export function sequenceAt(prog: Program, pc: number): SequenceInfo | undefined {
  return prog.sequences.find((s) => pc >= s.startPc - PROLOGUE_BYTES && pc < s.endPc);
}
