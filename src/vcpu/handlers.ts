// The dispatch table: HANDLERS[op] is the semantics of ISA row `op` (decode.ts numbering), with
// the illegal-instruction catch-all at OP_ILLEGAL. Each mnemonic is defined exactly once, in the
// insns-*.ts file of its extension.

import type { Hart } from './hart.js';
import { ISA } from './isa-table.js';
import { RV64I } from './insns-rv64i.js';
import { RV64M } from './insns-rv64m.js';
import { RV64A } from './insns-rv64a.js';
import { RV64FD } from './insns-rv64fd.js';
import { SYSTEM, illegalInstruction } from './insns-system.js';

/** Semantics of one instruction; returns a Status (hart.ts). */
// The instruction's own address is h.insnPc rather than an argument: addresses from 0x8000_0000
// up are not small integers, and V8 would box one on the heap for every call.
export type Handler = (h: Hart, rd: number, rs1: number, rs2: number, imm: number) => number;

const ALL: Record<string, Handler> = { ...RV64I, ...RV64M, ...RV64A, ...RV64FD, ...SYSTEM };

export const HANDLERS: readonly Handler[] = [
  ...ISA.map((row) => {
    const fn = ALL[row.name];
    if (fn === undefined) throw new Error(`no semantics for instruction '${row.name}'`);
    return fn;
  }),
  illegalInstruction,
];

for (const name of Object.keys(ALL)) {
  if (!ISA.some((r) => r.name === name)) throw new Error(`semantics for '${name}', which the ISA table lacks`);
}
