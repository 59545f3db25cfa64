// ELF64 reader for RISC-V executables.
//
// Reads what the simulator needs to start a guest and nothing more: the entry point, the PT_LOAD
// segments (where each goes and the bytes it carries) and the symbol table (the loader looks up
// `tohost`/`fromhost` for HTIF). Every refusal is a UserError whose message names the file and
// says what to do, so the CLI can print it as one line (DESIGN.md invariant 8: bad input is
// refused before anything runs).
//
// Layout used (all little-endian, ELF64):
//   ELF header   e_ident[16] e_type@16 u16  e_machine@18 u16  e_version@20 u32  e_entry@24 u64
//                e_phoff@32 u64  e_shoff@40 u64  e_flags@48 u32  e_ehsize@52 u16
//                e_phentsize@54 u16  e_phnum@56 u16  e_shentsize@58 u16  e_shnum@60 u16
//                e_shstrndx@62 u16                                                  (64 bytes)
//   program hdr  p_type@0 u32  p_flags@4 u32  p_offset@8  p_vaddr@16  p_paddr@24
//                p_filesz@32  p_memsz@40  p_align@48                                (56 bytes)
//   section hdr  sh_name@0 u32  sh_type@4 u32  sh_flags@8  sh_addr@16  sh_offset@24
//                sh_size@32  sh_link@40 u32  sh_info@44 u32  sh_addralign@48  sh_entsize@56
//                                                                                   (64 bytes)
//   symbol       st_name@0 u32  st_info@4 u8  st_other@5 u8  st_shndx@6 u16  st_value@8
//                st_size@16                                                         (24 bytes)
//
// Addresses are kept as JS numbers holding the signed 64-bit value (as Hart.pc does), so a
// kernel linked at 0xffffffff80000000 reads as -0x80000000, exactly.

import { readFileSync } from 'node:fs';
import { UserError, hex } from './errors.js';

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const SYM_SIZE = 24;

const ELFCLASS32 = 1;
const ELFCLASS64 = 2;
const ELFDATA2LSB = 1;
const ET_EXEC = 2;
const ET_DYN = 3;
export const EM_RISCV = 243;
const PT_LOAD = 1;
const SHT_SYMTAB = 2;

/** Names for e_machine values people are likely to pass by mistake. */
const MACHINE_NAMES: Record<number, string> = {
  3: 'x86 (i386)',
  8: 'MIPS',
  20: 'PowerPC',
  21: 'PowerPC64',
  40: 'ARM',
  62: 'x86-64',
  183: 'AArch64',
  243: 'RISC-V',
  258: 'LoongArch',
};

export function elfMachineName(machine: number): string {
  return MACHINE_NAMES[machine] ?? `machine ${machine}`;
}

const TYPE_NAMES: Record<number, string> = {
  0: 'ET_NONE',
  1: 'a relocatable object (ET_REL)',
  2: 'an executable (ET_EXEC)',
  3: 'a shared object or PIE (ET_DYN)',
  4: 'a core dump (ET_CORE)',
};

export interface ElfSegment {
  /** Index in the program header table (as `readelf -l` numbers them). */
  readonly index: number;
  readonly vaddr: number;
  readonly paddr: number;
  readonly filesz: number;
  readonly memsz: number;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  readonly flags: number;
  /** The filesz bytes of the segment (a view into the file, not a copy). */
  readonly data: Uint8Array;
}

export interface ElfImage {
  /** The name used in messages (the path as given). */
  readonly name: string;
  readonly entry: number;
  /** PT_LOAD segments with memsz > 0, in program header order. */
  readonly segments: readonly ElfSegment[];
  /** Defined symbols by name (value = st_value); the first definition of a name wins. */
  readonly symbols: ReadonlyMap<string, number>;
}

/** Reads and parses an ELF file; a missing or unreadable file is a UserError. */
export function readElf(path: string, what = 'kernel'): ElfImage {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new UserError(`${what} '${path}' does not exist; check the path (guest images are in guest/build/)`);
    }
    if (code === 'EISDIR') {
      throw new UserError(`${what} '${path}' is a directory; pass an ELF file`);
    }
    if (code === 'EACCES') {
      throw new UserError(`${what} '${path}' cannot be read (permission denied); check its permissions`);
    }
    throw new UserError(`${what} '${path}' cannot be read (${code ?? String(e)})`);
  }
  return parseElf(bytes, path);
}

/** Parses ELF bytes; `name` is used in messages. */
export function parseElf(bytes: Uint8Array, name: string): ElfImage {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  checkIdent(bytes, name);
  if (bytes.length < EHDR_SIZE) {
    throw new UserError(`'${name}' is truncated: ${bytes.length} bytes, shorter than an ELF64 header (64 bytes)`);
  }
  const type = dv.getUint16(16, true);
  const machine = dv.getUint16(18, true);
  if (machine !== EM_RISCV) {
    throw new UserError(
      `'${name}' is an ELF for ${elfMachineName(machine)} (e_machine ${machine}), not RISC-V (243); build it with a RISC-V toolchain (clang --target=riscv64)`,
    );
  }
  if (type !== ET_EXEC && type !== ET_DYN) {
    throw new UserError(
      `'${name}' is ${TYPE_NAMES[type] ?? `ELF type ${type}`}, not an executable; link it into an executable (ld.lld -static)`,
    );
  }
  const entry = addr64(dv, 24, name, 'entry point');
  const segments = readSegments(bytes, dv, name);
  if (segments.length === 0) {
    throw new UserError(`'${name}' has no loadable (PT_LOAD) segment; link it with a linker script that places code in RAM`);
  }
  const symbols = readSymbols(bytes, dv, name);
  return { name, entry, segments, symbols };
}

function checkIdent(bytes: Uint8Array, name: string): void {
  const isElf = bytes.length >= 4 && bytes[0] === 0x7f && bytes[1] === 0x45 && bytes[2] === 0x4c && bytes[3] === 0x46;
  if (!isElf) {
    throw new UserError(`'${name}' is not an ELF file (no \\x7fELF magic); pass a RISC-V RV64 ELF executable`);
  }
  const cls = bytes[4];
  if (cls === ELFCLASS32) {
    throw new UserError(`'${name}' is a 32-bit ELF (ELFCLASS32); flashdisco runs RV64 only, build it for rv64 (--target=riscv64)`);
  }
  if (cls !== ELFCLASS64) {
    throw new UserError(`'${name}' has an unknown ELF class ${cls}; pass an ELF64 (RV64) executable`);
  }
  if (bytes[5] !== ELFDATA2LSB) {
    throw new UserError(`'${name}' is a big-endian ELF; RISC-V executables are little-endian, rebuild it for riscv64`);
  }
}

/** Reads a u64 address field as the signed 64-bit value, refusing what a double cannot hold. */
function addr64(dv: DataView, off: number, name: string, what: string): number {
  const v = BigInt.asIntN(64, dv.getBigUint64(off, true));
  const n = Number(v);
  if (!Number.isSafeInteger(n)) {
    throw new UserError(`'${name}': ${what} ${hex(BigInt.asUintN(64, v))} is not a canonical RV64 address`);
  }
  return n;
}

/** Reads a u64 size or offset field; anything past 2^53 cannot fit in a file we could read. */
function size64(dv: DataView, off: number, name: string, what: string): number {
  const v = dv.getBigUint64(off, true);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new UserError(`'${name}': ${what} ${hex(v)} is too large; the file is corrupt`);
  }
  return Number(v);
}

function readSegments(bytes: Uint8Array, dv: DataView, name: string): ElfSegment[] {
  const phoff = size64(dv, 32, name, 'program header offset');
  const phentsize = dv.getUint16(54, true);
  const phnum = dv.getUint16(56, true);
  if (phnum === 0) return [];
  if (phentsize < PHDR_SIZE) {
    throw new UserError(`'${name}': program header entries are ${phentsize} bytes, expected ${PHDR_SIZE}; the file is corrupt`);
  }
  if (phoff + phnum * phentsize > bytes.length) {
    throw new UserError(`'${name}' is truncated: its program headers end past the end of the file`);
  }
  const out: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (dv.getUint32(p, true) !== PT_LOAD) continue;
    const offset = size64(dv, p + 8, name, `segment ${i} file offset`);
    const filesz = size64(dv, p + 32, name, `segment ${i} file size`);
    const memsz = size64(dv, p + 40, name, `segment ${i} memory size`);
    if (memsz === 0) continue;
    if (filesz > memsz) {
      throw new UserError(`'${name}': segment ${i} has filesz ${hex(filesz)} larger than memsz ${hex(memsz)}; the file is corrupt`);
    }
    if (offset + filesz > bytes.length) {
      throw new UserError(`'${name}' is truncated: segment ${i} needs file bytes ${hex(offset)} to ${hex(offset + filesz)}, the file has ${hex(bytes.length)}`);
    }
    out.push({
      index: i,
      vaddr: addr64(dv, p + 16, name, `segment ${i} vaddr`),
      paddr: addr64(dv, p + 24, name, `segment ${i} paddr`),
      filesz,
      memsz,
      flags: dv.getUint32(p + 4, true),
      data: bytes.subarray(offset, offset + filesz),
    });
  }
  return out;
}

/** Reads the first SHT_SYMTAB; a stripped file simply has no symbols. */
function readSymbols(bytes: Uint8Array, dv: DataView, name: string): Map<string, number> {
  const symbols = new Map<string, number>();
  const shoff = size64(dv, 40, name, 'section header offset');
  const shentsize = dv.getUint16(58, true);
  const shnum = dv.getUint16(60, true);
  if (shoff === 0 || shnum === 0) return symbols;
  if (shentsize < SHDR_SIZE || shoff + shnum * shentsize > bytes.length) {
    throw new UserError(`'${name}' is truncated or corrupt: its section headers do not fit in the file`);
  }
  const section = (i: number) => shoff + i * shentsize;
  for (let i = 0; i < shnum; i++) {
    const s = section(i);
    if (dv.getUint32(s + 4, true) !== SHT_SYMTAB) continue;
    const symOff = size64(dv, s + 24, name, 'symbol table offset');
    const symSize = size64(dv, s + 32, name, 'symbol table size');
    const link = dv.getUint32(s + 40, true);
    if (link >= shnum) {
      throw new UserError(`'${name}': the symbol table links to section ${link}, which does not exist; the file is corrupt`);
    }
    const strOff = size64(dv, section(link) + 24, name, 'string table offset');
    const strSize = size64(dv, section(link) + 32, name, 'string table size');
    if (symOff + symSize > bytes.length || strOff + strSize > bytes.length) {
      throw new UserError(`'${name}' is truncated: its symbol table ends past the end of the file`);
    }
    const strtab = bytes.subarray(strOff, strOff + strSize);
    const decoder = new TextDecoder();
    for (let p = symOff + SYM_SIZE; p + SYM_SIZE <= symOff + symSize; p += SYM_SIZE) {
      const shndx = dv.getUint16(p + 6, true);
      if (shndx === 0) continue; // undefined
      const nameOff = dv.getUint32(p, true);
      if (nameOff === 0 || nameOff >= strtab.length) continue;
      let end = nameOff;
      while (end < strtab.length && strtab[end] !== 0) end++;
      const sym = decoder.decode(strtab.subarray(nameOff, end));
      if (!symbols.has(sym)) symbols.set(sym, Number(BigInt.asIntN(64, dv.getBigUint64(p + 8, true))));
    }
    break;
  }
  return symbols;
}

// ---- Writer: the inverse of parseElf, for tests and tools ----
//
// Layout written:  ELF header | program headers | segment bytes (8-aligned) | .symtab | .strtab |
// .shstrtab | section headers [null, .symtab, .strtab, .shstrtab]. Symbols are absolute
// (SHN_ABS) globals; there are no other sections, which is all a loader needs.

export interface ElfWriteSegment {
  vaddr: number;
  /** Defaults to vaddr. */
  paddr?: number;
  data: Uint8Array;
  /** Defaults to data.length; the excess is zero-filled (.bss). */
  memsz?: number;
  /** PF_R | PF_W | PF_X bits; defaults to RWX (7). */
  flags?: number;
}

export interface ElfWriteSpec {
  entry: number;
  segments: ElfWriteSegment[];
  symbols?: Record<string, number>;
  /** Defaults to EM_RISCV. */
  machine?: number;
  /** Defaults to ET_EXEC. */
  type?: number;
}

const SHN_ABS = 0xfff1;
const STB_GLOBAL_STT_NOTYPE = 0x10;

export function writeElf64(spec: ElfWriteSpec): Uint8Array {
  const enc = new TextEncoder();
  const align8 = (n: number) => (n + 7) & ~7;
  const symNames = Object.keys(spec.symbols ?? {});
  // String tables: offset 0 is the empty name.
  const strParts: number[] = [0];
  const nameOff: number[] = [];
  for (const n of symNames) {
    nameOff.push(strParts.length);
    strParts.push(...enc.encode(n), 0);
  }
  const strtab = Uint8Array.from(strParts);
  const shstrtab = enc.encode('\0.symtab\0.strtab\0.shstrtab\0');
  const SH_NAME = { symtab: 1, strtab: 9, shstrtab: 17 };

  let off = EHDR_SIZE + PHDR_SIZE * spec.segments.length;
  const segOff = spec.segments.map((s) => {
    off = align8(off);
    const at = off;
    off += s.data.length;
    return at;
  });
  const symOff = align8(off);
  const symSize = SYM_SIZE * (symNames.length + 1);
  const strOff = symOff + symSize;
  const shstrOff = strOff + strtab.length;
  const shOff = align8(shstrOff + shstrtab.length);
  const file = new Uint8Array(shOff + 4 * SHDR_SIZE);
  const dv = new DataView(file.buffer);
  const u64 = (at: number, v: number) => dv.setBigUint64(at, BigInt.asUintN(64, BigInt(v)), true);

  file.set([0x7f, 0x45, 0x4c, 0x46, ELFCLASS64, ELFDATA2LSB, 1], 0);
  dv.setUint16(16, spec.type ?? ET_EXEC, true);
  dv.setUint16(18, spec.machine ?? EM_RISCV, true);
  dv.setUint32(20, 1, true);
  u64(24, spec.entry);
  u64(32, EHDR_SIZE);
  u64(40, shOff);
  dv.setUint32(48, 0x5, true); // EF_RISCV_RVC | float ABI double, what clang writes
  dv.setUint16(52, EHDR_SIZE, true);
  dv.setUint16(54, PHDR_SIZE, true);
  dv.setUint16(56, spec.segments.length, true);
  dv.setUint16(58, SHDR_SIZE, true);
  dv.setUint16(60, 4, true);
  dv.setUint16(62, 3, true);

  spec.segments.forEach((s, i) => {
    const p = EHDR_SIZE + PHDR_SIZE * i;
    dv.setUint32(p, PT_LOAD, true);
    dv.setUint32(p + 4, s.flags ?? 7, true);
    u64(p + 8, segOff[i]!);
    u64(p + 16, s.vaddr);
    u64(p + 24, s.paddr ?? s.vaddr);
    u64(p + 32, s.data.length);
    u64(p + 40, Math.max(s.memsz ?? 0, s.data.length));
    u64(p + 48, 8);
    file.set(s.data, segOff[i]!);
  });

  symNames.forEach((n, i) => {
    const p = symOff + SYM_SIZE * (i + 1);
    dv.setUint32(p, nameOff[i]!, true);
    file[p + 4] = STB_GLOBAL_STT_NOTYPE;
    dv.setUint16(p + 6, SHN_ABS, true);
    u64(p + 8, spec.symbols![n]!);
    u64(p + 16, 8);
  });
  file.set(strtab, strOff);
  file.set(shstrtab, shstrOff);

  const section = (i: number, name: number, type: number, at: number, size: number, link: number, info: number, entsize: number) => {
    const p = shOff + SHDR_SIZE * i;
    dv.setUint32(p, name, true);
    dv.setUint32(p + 4, type, true);
    u64(p + 24, at);
    u64(p + 32, size);
    dv.setUint32(p + 40, link, true);
    dv.setUint32(p + 44, info, true);
    u64(p + 48, type === SHT_SYMTAB ? 8 : 1);
    u64(p + 56, entsize);
  };
  const SHT_STRTAB = 3;
  section(1, SH_NAME.symtab, SHT_SYMTAB, symOff, symSize, 2, 1, SYM_SIZE);
  section(2, SH_NAME.strtab, SHT_STRTAB, strOff, strtab.length, 0, 0, 0);
  section(3, SH_NAME.shstrtab, SHT_STRTAB, shstrOff, shstrtab.length, 0, 0, 0);
  return file;
}
