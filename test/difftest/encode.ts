// RV64IMAC instruction encoder for the differential tester.
//
// Every function returns the instruction word as an unsigned number: 32 bits for the base
// formats, 16 bits for the compressed ones (`size` tells the caller how many bytes to emit).
// Field layouts follow the unprivileged spec, chapter 2 (base formats) and chapter 16 (RVC);
// immediates are checked against their range and alignment so that a generator bug shows up as
// an exception here instead of as a silently different program.
//
// Register numbers are plain integers 0..31; `reg(n)` gives the ABI name used in listings.

export const ABI_NAMES = [
  'zero', 'ra', 'sp', 'gp', 'tp', 't0', 't1', 't2',
  's0', 's1', 'a0', 'a1', 'a2', 'a3', 'a4', 'a5',
  'a6', 'a7', 's2', 's3', 's4', 's5', 's6', 's7',
  's8', 's9', 's10', 's11', 't3', 't4', 't5', 't6',
] as const;

export function reg(n: number): string {
  return ABI_NAMES[n] ?? `x${n}`;
}

/** Major opcodes (inst[6:0]). */
export const OPC = {
  LOAD: 0x03,
  MISC_MEM: 0x0f,
  OP_IMM: 0x13,
  AUIPC: 0x17,
  OP_IMM_32: 0x1b,
  STORE: 0x23,
  AMO: 0x2f,
  OP: 0x33,
  LUI: 0x37,
  OP_32: 0x3b,
  BRANCH: 0x63,
  JALR: 0x67,
  JAL: 0x6f,
  SYSTEM: 0x73,
} as const;

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`encode: ${what}`);
}

function checkReg(r: number, what = 'register'): void {
  check(Number.isInteger(r) && r >= 0 && r < 32, `${what} ${r} out of range`);
}

function checkSigned(v: number, bits: number, what: string): void {
  const lim = 2 ** (bits - 1);
  check(Number.isInteger(v) && v >= -lim && v < lim, `${what} ${v} does not fit ${bits} signed bits`);
}

function checkUnsigned(v: number, bits: number, what: string): void {
  check(Number.isInteger(v) && v >= 0 && v < 2 ** bits, `${what} ${v} does not fit ${bits} unsigned bits`);
}

/** Bits hi..lo of v (v may be negative; two's complement). */
function bits(v: number, hi: number, lo: number): number {
  return (v >> lo) & ((1 << (hi - lo + 1)) - 1);
}

// ---- Base formats -------------------------------------------------------------------------------

export function rType(opcode: number, funct3: number, funct7: number, rd: number, rs1: number, rs2: number): number {
  checkReg(rd); checkReg(rs1); checkReg(rs2);
  return ((funct7 << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

export function iType(opcode: number, funct3: number, rd: number, rs1: number, imm: number): number {
  checkReg(rd); checkReg(rs1); checkSigned(imm, 12, 'I-immediate');
  return (((imm & 0xfff) << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

export function sType(opcode: number, funct3: number, rs1: number, rs2: number, imm: number): number {
  checkReg(rs1); checkReg(rs2); checkSigned(imm, 12, 'S-immediate');
  return ((bits(imm, 11, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) | (bits(imm, 4, 0) << 7) | opcode) >>> 0;
}

export function bType(opcode: number, funct3: number, rs1: number, rs2: number, imm: number): number {
  checkReg(rs1); checkReg(rs2); checkSigned(imm, 13, 'B-immediate'); check((imm & 1) === 0, `B-immediate ${imm} odd`);
  return ((bits(imm, 12, 12) << 31) | (bits(imm, 10, 5) << 25) | (rs2 << 20) | (rs1 << 15) | (funct3 << 12) |
    (bits(imm, 4, 1) << 8) | (bits(imm, 11, 11) << 7) | opcode) >>> 0;
}

/** U-type; `imm20` is the 20-bit upper immediate (the value placed in inst[31:12]). */
export function uType(opcode: number, rd: number, imm20: number): number {
  checkReg(rd); checkUnsigned(imm20, 20, 'U-immediate');
  return ((imm20 << 12) | (rd << 7) | opcode) >>> 0;
}

export function jType(opcode: number, rd: number, imm: number): number {
  checkReg(rd); checkSigned(imm, 21, 'J-immediate'); check((imm & 1) === 0, `J-immediate ${imm} odd`);
  return ((bits(imm, 20, 20) << 31) | (bits(imm, 10, 1) << 21) | (bits(imm, 11, 11) << 20) | (bits(imm, 19, 12) << 12) |
    (rd << 7) | opcode) >>> 0;
}

// ---- RV64I / M mnemonic tables ------------------------------------------------------------------

/** OP and OP-32 register-register ops: [funct3, funct7]. */
export const R_OPS: Record<string, readonly [opcode: number, funct3: number, funct7: number]> = {
  add: [OPC.OP, 0, 0x00], sub: [OPC.OP, 0, 0x20], sll: [OPC.OP, 1, 0x00], slt: [OPC.OP, 2, 0x00],
  sltu: [OPC.OP, 3, 0x00], xor: [OPC.OP, 4, 0x00], srl: [OPC.OP, 5, 0x00], sra: [OPC.OP, 5, 0x20],
  or: [OPC.OP, 6, 0x00], and: [OPC.OP, 7, 0x00],
  addw: [OPC.OP_32, 0, 0x00], subw: [OPC.OP_32, 0, 0x20], sllw: [OPC.OP_32, 1, 0x00],
  srlw: [OPC.OP_32, 5, 0x00], sraw: [OPC.OP_32, 5, 0x20],
  // M extension (funct7 = 1).
  mul: [OPC.OP, 0, 0x01], mulh: [OPC.OP, 1, 0x01], mulhsu: [OPC.OP, 2, 0x01], mulhu: [OPC.OP, 3, 0x01],
  div: [OPC.OP, 4, 0x01], divu: [OPC.OP, 5, 0x01], rem: [OPC.OP, 6, 0x01], remu: [OPC.OP, 7, 0x01],
  mulw: [OPC.OP_32, 0, 0x01], divw: [OPC.OP_32, 4, 0x01], divuw: [OPC.OP_32, 5, 0x01],
  remw: [OPC.OP_32, 6, 0x01], remuw: [OPC.OP_32, 7, 0x01],
};

/** OP-IMM and OP-IMM-32 ops with a 12-bit signed immediate: [opcode, funct3]. */
export const I_OPS: Record<string, readonly [opcode: number, funct3: number]> = {
  addi: [OPC.OP_IMM, 0], slti: [OPC.OP_IMM, 2], sltiu: [OPC.OP_IMM, 3], xori: [OPC.OP_IMM, 4],
  ori: [OPC.OP_IMM, 6], andi: [OPC.OP_IMM, 7], addiw: [OPC.OP_IMM_32, 0],
};

/** Shift-immediate ops: [opcode, funct3, upper bits (inst[31:26] for RV64, inst[31:25] for W), shamt bits]. */
export const SHIFT_OPS: Record<string, readonly [opcode: number, funct3: number, hi: number, shamtBits: number]> = {
  slli: [OPC.OP_IMM, 1, 0x00, 6], srli: [OPC.OP_IMM, 5, 0x00, 6], srai: [OPC.OP_IMM, 5, 0x10, 6],
  slliw: [OPC.OP_IMM_32, 1, 0x00, 5], srliw: [OPC.OP_IMM_32, 5, 0x00, 5], sraiw: [OPC.OP_IMM_32, 5, 0x20, 5],
};

/** Loads: funct3 and access size in bytes. */
export const LOAD_OPS: Record<string, readonly [funct3: number, size: number]> = {
  lb: [0, 1], lh: [1, 2], lw: [2, 4], ld: [3, 8], lbu: [4, 1], lhu: [5, 2], lwu: [6, 4],
};

export const STORE_OPS: Record<string, readonly [funct3: number, size: number]> = {
  sb: [0, 1], sh: [1, 2], sw: [2, 4], sd: [3, 8],
};

export const BRANCH_OPS: Record<string, number> = {
  beq: 0, bne: 1, blt: 4, bge: 5, bltu: 6, bgeu: 7,
};

/** AMO funct5 values (inst[31:27]); lr/sc included. */
export const AMO_OPS: Record<string, number> = {
  lr: 0x02, sc: 0x03, amoswap: 0x01, amoadd: 0x00, amoxor: 0x04, amoand: 0x0c, amoor: 0x08,
  amomin: 0x10, amomax: 0x14, amominu: 0x18, amomaxu: 0x1c,
};

export function rOp(name: string, rd: number, rs1: number, rs2: number): number {
  const e = R_OPS[name];
  check(e !== undefined, `unknown R op ${name}`);
  return rType(e![0], e![1], e![2], rd, rs1, rs2);
}

export function iOp(name: string, rd: number, rs1: number, imm: number): number {
  const e = I_OPS[name];
  check(e !== undefined, `unknown I op ${name}`);
  return iType(e![0], e![1], rd, rs1, imm);
}

export function shiftOp(name: string, rd: number, rs1: number, shamt: number): number {
  const e = SHIFT_OPS[name];
  check(e !== undefined, `unknown shift op ${name}`);
  const [opcode, funct3, hi, shamtBits] = e!;
  checkUnsigned(shamt, shamtBits, `${name} shamt`);
  const upper = shamtBits === 6 ? hi << 26 : hi << 25;
  return (upper | (shamt << 20) | (rs1 << 15) | (funct3 << 12) | (rd << 7) | opcode) >>> 0;
}

export function load(name: string, rd: number, rs1: number, imm: number): number {
  const e = LOAD_OPS[name];
  check(e !== undefined, `unknown load ${name}`);
  return iType(OPC.LOAD, e![0], rd, rs1, imm);
}

export function store(name: string, rs2: number, rs1: number, imm: number): number {
  const e = STORE_OPS[name];
  check(e !== undefined, `unknown store ${name}`);
  return sType(OPC.STORE, e![0], rs1, rs2, imm);
}

export function branch(name: string, rs1: number, rs2: number, offset: number): number {
  const f3 = BRANCH_OPS[name];
  check(f3 !== undefined, `unknown branch ${name}`);
  return bType(OPC.BRANCH, f3!, rs1, rs2, offset);
}

export function lui(rd: number, imm20: number): number {
  return uType(OPC.LUI, rd, imm20);
}

export function auipc(rd: number, imm20: number): number {
  return uType(OPC.AUIPC, rd, imm20);
}

export function jal(rd: number, offset: number): number {
  return jType(OPC.JAL, rd, offset);
}

export function jalr(rd: number, rs1: number, imm: number): number {
  return iType(OPC.JALR, 0, rd, rs1, imm);
}

/** AMO / LR / SC; `width` is 'w' or 'd'. For lr, rs2 must be 0. */
export function amo(name: string, width: 'w' | 'd', rd: number, rs1: number, rs2: number, aq = false, rl = false): number {
  const f5 = AMO_OPS[name];
  check(f5 !== undefined, `unknown AMO ${name}`);
  check(name !== 'lr' || rs2 === 0, 'lr with rs2 != 0');
  checkReg(rd); checkReg(rs1); checkReg(rs2);
  return ((f5! << 27) | ((aq ? 1 : 0) << 26) | ((rl ? 1 : 0) << 25) | (rs2 << 20) | (rs1 << 15) |
    ((width === 'w' ? 2 : 3) << 12) | (rd << 7) | OPC.AMO) >>> 0;
}

/** fence with the given predecessor/successor sets (bit 3..0 = i, o, r, w). */
export function fence(pred = 0xf, succ = 0xf): number {
  return ((pred << 24) | (succ << 20) | OPC.MISC_MEM) >>> 0;
}

export function ecall(): number {
  return OPC.SYSTEM;
}

// ---- Compressed (RVC, RV64) ---------------------------------------------------------------------
//
// rd'/rs1'/rs2' fields hold x8..x15; pass the full register number (8..15).

function cReg(r: number, what: string): number {
  check(r >= 8 && r <= 15, `${what} x${r} is not one of x8..x15`);
  return r - 8;
}

/** CI format: funct3 | imm[5] | rd | imm[4:0] | op. */
function ciType(op: number, funct3: number, rd: number, imm6: number): number {
  checkReg(rd);
  return (funct3 << 13) | (bits(imm6, 5, 5) << 12) | (rd << 7) | (bits(imm6, 4, 0) << 2) | op;
}

export function cAddi4spn(rdp: number, nzuimm: number): number {
  check(nzuimm > 0 && nzuimm < 1024 && (nzuimm & 3) === 0, `c.addi4spn imm ${nzuimm}`);
  const imm = (bits(nzuimm, 5, 4) << 11) | (bits(nzuimm, 9, 6) << 7) | (bits(nzuimm, 2, 2) << 6) | (bits(nzuimm, 3, 3) << 5);
  return (0 << 13) | imm | (cReg(rdp, 'rd\'') << 2) | 0;
}

/** c.lw / c.ld / c.sw / c.sd: `r2` is rd' for loads, rs2' for stores. */
export function cMem(name: 'c.lw' | 'c.ld' | 'c.sw' | 'c.sd', r2: number, rs1p: number, uimm: number): number {
  const word = name === 'c.lw' || name === 'c.sw';
  const funct3 = { 'c.lw': 2, 'c.ld': 3, 'c.sw': 6, 'c.sd': 7 }[name];
  if (word) {
    check(uimm >= 0 && uimm < 128 && (uimm & 3) === 0, `${name} offset ${uimm}`);
  } else {
    check(uimm >= 0 && uimm < 256 && (uimm & 7) === 0, `${name} offset ${uimm}`);
  }
  const hi = bits(uimm, 5, 3) << 10;
  const lo = word ? (bits(uimm, 2, 2) << 6) | (bits(uimm, 6, 6) << 5) : bits(uimm, 7, 6) << 5;
  return (funct3 << 13) | hi | (cReg(rs1p, 'rs1\'') << 7) | lo | (cReg(r2, 'rd\'/rs2\'') << 2) | 0;
}

/**
 * Raw CI (funct3 | imm[5] | rd | imm[4:0] | op) and CR (funct4 | rd | rs2 | op) words with no
 * checks, for the HINT encodings the checked functions refuse (c.addi rd, 0; c.li x0, imm; ...).
 */
export function cRawCI(op: number, funct3: number, rd: number, imm6: number): number {
  return ciType(op, funct3, rd, imm6);
}

export function cRawCR(funct4: number, rd: number, rs2: number): number {
  checkReg(rd); checkReg(rs2);
  return (funct4 << 12) | (rd << 7) | (rs2 << 2) | 2;
}

/** c.srli / c.srai with shamt 0: a HINT on RV64. */
export function cRawShift0(name: 'c.srli' | 'c.srai', rdp: number): number {
  return (4 << 13) | ((name === 'c.srli' ? 0 : 1) << 10) | (cReg(rdp, 'rd\'') << 7) | 1;
}

export function cNop(): number {
  return 0x0001;
}

export function cAddi(rd: number, imm: number): number {
  check(rd !== 0 && imm !== 0, 'c.addi rd=0 or imm=0 is a hint');
  checkSigned(imm, 6, 'c.addi imm');
  return ciType(1, 0, rd, imm);
}

export function cAddiw(rd: number, imm: number): number {
  check(rd !== 0, 'c.addiw rd=0 reserved');
  checkSigned(imm, 6, 'c.addiw imm');
  return ciType(1, 1, rd, imm);
}

export function cLi(rd: number, imm: number): number {
  check(rd !== 0, 'c.li rd=0 is a hint');
  checkSigned(imm, 6, 'c.li imm');
  return ciType(1, 2, rd, imm);
}

export function cAddi16sp(nzimm: number): number {
  check(nzimm !== 0 && (nzimm & 15) === 0, `c.addi16sp imm ${nzimm}`);
  checkSigned(nzimm, 10, 'c.addi16sp imm');
  const lo = (bits(nzimm, 4, 4) << 6) | (bits(nzimm, 6, 6) << 5) | (bits(nzimm, 8, 7) << 3) | (bits(nzimm, 5, 5) << 2);
  return (3 << 13) | (bits(nzimm, 9, 9) << 12) | (2 << 7) | lo | 1;
}

/** c.lui rd, imm6: rd gets sext(imm6 << 12). imm6 is the signed 6-bit field (nonzero). */
export function cLui(rd: number, imm6: number): number {
  check(rd !== 0 && rd !== 2, 'c.lui rd must not be x0/x2');
  check(imm6 !== 0, 'c.lui imm=0 reserved');
  checkSigned(imm6, 6, 'c.lui imm');
  return ciType(1, 3, rd, imm6);
}

export function cShift(name: 'c.srli' | 'c.srai', rdp: number, shamt: number): number {
  check(shamt > 0 && shamt < 64, `${name} shamt ${shamt}`);
  const f2 = name === 'c.srli' ? 0 : 1;
  return (4 << 13) | (bits(shamt, 5, 5) << 12) | (f2 << 10) | (cReg(rdp, 'rd\'') << 7) | (bits(shamt, 4, 0) << 2) | 1;
}

export function cAndi(rdp: number, imm: number): number {
  checkSigned(imm, 6, 'c.andi imm');
  return (4 << 13) | (bits(imm, 5, 5) << 12) | (2 << 10) | (cReg(rdp, 'rd\'') << 7) | (bits(imm, 4, 0) << 2) | 1;
}

const CA_OPS: Record<string, readonly [bit12: number, f2: number]> = {
  'c.sub': [0, 0], 'c.xor': [0, 1], 'c.or': [0, 2], 'c.and': [0, 3], 'c.subw': [1, 0], 'c.addw': [1, 1],
};
export const CA_NAMES = Object.keys(CA_OPS);

export function cArith(name: string, rdp: number, rs2p: number): number {
  const e = CA_OPS[name];
  check(e !== undefined, `unknown CA op ${name}`);
  return (4 << 13) | (e![0] << 12) | (3 << 10) | (cReg(rdp, 'rd\'') << 7) | (e![1] << 5) | (cReg(rs2p, 'rs2\'') << 2) | 1;
}

export function cJ(offset: number): number {
  checkSigned(offset, 12, 'c.j offset'); check((offset & 1) === 0, 'c.j offset odd');
  const imm = (bits(offset, 11, 11) << 12) | (bits(offset, 4, 4) << 11) | (bits(offset, 9, 8) << 9) | (bits(offset, 10, 10) << 8) |
    (bits(offset, 6, 6) << 7) | (bits(offset, 7, 7) << 6) | (bits(offset, 3, 1) << 3) | (bits(offset, 5, 5) << 2);
  return (5 << 13) | imm | 1;
}

export function cBranch(name: 'c.beqz' | 'c.bnez', rs1p: number, offset: number): number {
  checkSigned(offset, 9, `${name} offset`); check((offset & 1) === 0, `${name} offset odd`);
  const funct3 = name === 'c.beqz' ? 6 : 7;
  const imm = (bits(offset, 8, 8) << 12) | (bits(offset, 4, 3) << 10) | (bits(offset, 7, 6) << 5) | (bits(offset, 2, 1) << 3) |
    (bits(offset, 5, 5) << 2);
  return (funct3 << 13) | imm | (cReg(rs1p, 'rs1\'') << 7) | 1;
}

export function cSlli(rd: number, shamt: number): number {
  check(rd !== 0 && shamt > 0 && shamt < 64, `c.slli rd=${rd} shamt=${shamt}`);
  return ciType(2, 0, rd, shamt);
}

export function cLwsp(rd: number, uimm: number): number {
  check(rd !== 0 && uimm >= 0 && uimm < 256 && (uimm & 3) === 0, `c.lwsp rd=${rd} offset=${uimm}`);
  const lo = (bits(uimm, 4, 2) << 4) | (bits(uimm, 7, 6) << 2);
  return (2 << 13) | (bits(uimm, 5, 5) << 12) | (rd << 7) | lo | 2;
}

export function cLdsp(rd: number, uimm: number): number {
  check(rd !== 0 && uimm >= 0 && uimm < 512 && (uimm & 7) === 0, `c.ldsp rd=${rd} offset=${uimm}`);
  const lo = (bits(uimm, 4, 3) << 5) | (bits(uimm, 8, 6) << 2);
  return (3 << 13) | (bits(uimm, 5, 5) << 12) | (rd << 7) | lo | 2;
}

export function cSwsp(rs2: number, uimm: number): number {
  checkReg(rs2);
  check(uimm >= 0 && uimm < 256 && (uimm & 3) === 0, `c.swsp offset ${uimm}`);
  const imm = (bits(uimm, 5, 2) << 9) | (bits(uimm, 7, 6) << 7);
  return (6 << 13) | imm | (rs2 << 2) | 2;
}

export function cSdsp(rs2: number, uimm: number): number {
  checkReg(rs2);
  check(uimm >= 0 && uimm < 512 && (uimm & 7) === 0, `c.sdsp offset ${uimm}`);
  const imm = (bits(uimm, 5, 3) << 10) | (bits(uimm, 8, 6) << 7);
  return (7 << 13) | imm | (rs2 << 2) | 2;
}

export function cJr(rs1: number): number {
  check(rs1 !== 0, 'c.jr rs1=0 reserved');
  return (4 << 13) | (0 << 12) | (rs1 << 7) | 2;
}

export function cMv(rd: number, rs2: number): number {
  check(rd !== 0 && rs2 !== 0, 'c.mv with x0 is a hint/c.jr');
  return (4 << 13) | (0 << 12) | (rd << 7) | (rs2 << 2) | 2;
}

export function cJalr(rs1: number): number {
  check(rs1 !== 0, 'c.jalr rs1=0 is c.ebreak');
  return (4 << 13) | (1 << 12) | (rs1 << 7) | 2;
}

export function cAdd(rd: number, rs2: number): number {
  check(rd !== 0 && rs2 !== 0, 'c.add with x0 is a hint/c.jalr');
  return (4 << 13) | (1 << 12) | (rd << 7) | (rs2 << 2) | 2;
}
