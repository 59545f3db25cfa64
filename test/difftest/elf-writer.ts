// Minimal static RISC-V ELF64 executable writer.
//
// Layout of the file written by writeElf:
//
//   0x00  ELF header (64 bytes)
//   0x40  program headers (56 bytes each), one PT_LOAD per segment
//   ...   segment contents, each at a file offset congruent to its vaddr modulo 4 KiB
//
// No section headers (e_shnum = 0): loaders (the Linux kernel, qemu-riscv64's linux-user
// loader, src/sim) look only at program headers. Every segment is loaded with the permissions
// given (default RWX) and memsz may exceed the bytes given (zero-filled tail, like .bss).
//
// e_flags = 0x5 (EF_RISCV_RVC | EF_RISCV_FLOAT_ABI_DOUBLE), what a riscv64-linux-gnu toolchain
// writes; qemu-riscv64 does not look at it.

export const EM_RISCV = 243;
export const PT_LOAD = 1;
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export interface ElfSegment {
  vaddr: number;
  data: Uint8Array;
  /** Defaults to data.length; the excess is zero-filled. */
  memsz?: number;
  /** PF_R | PF_W | PF_X bits; defaults to RWX. */
  flags?: number;
}

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const PAGE = 0x1000;

export function writeElf(entry: number, segments: ElfSegment[]): Uint8Array {
  // Place each segment's bytes at the next file offset that is congruent to its vaddr mod PAGE.
  let off = EHDR_SIZE + PHDR_SIZE * segments.length;
  const offsets: number[] = [];
  for (const s of segments) {
    const want = s.vaddr % PAGE;
    const cur = off % PAGE;
    off += (want - cur + PAGE) % PAGE;
    offsets.push(off);
    off += s.data.length;
  }
  const file = new Uint8Array(off);
  const dv = new DataView(file.buffer);
  const u64 = (at: number, v: number) => dv.setBigUint64(at, BigInt(v), true);

  // e_ident
  file.set([0x7f, 0x45, 0x4c, 0x46], 0);
  file[4] = 2; // EI_CLASS = ELFCLASS64
  file[5] = 1; // EI_DATA = little endian
  file[6] = 1; // EI_VERSION
  file[7] = 0; // EI_OSABI = SYSV
  dv.setUint16(16, 2, true); // e_type = ET_EXEC
  dv.setUint16(18, EM_RISCV, true);
  dv.setUint32(20, 1, true); // e_version
  u64(24, entry);
  u64(32, EHDR_SIZE); // e_phoff
  u64(40, 0); // e_shoff
  dv.setUint32(48, 0x5, true); // e_flags
  dv.setUint16(52, EHDR_SIZE, true); // e_ehsize
  dv.setUint16(54, PHDR_SIZE, true); // e_phentsize
  dv.setUint16(56, segments.length, true); // e_phnum
  dv.setUint16(58, 64, true); // e_shentsize
  dv.setUint16(60, 0, true); // e_shnum
  dv.setUint16(62, 0, true); // e_shstrndx

  segments.forEach((s, i) => {
    const p = EHDR_SIZE + PHDR_SIZE * i;
    dv.setUint32(p + 0, PT_LOAD, true);
    dv.setUint32(p + 4, s.flags ?? (PF_R | PF_W | PF_X), true);
    u64(p + 8, offsets[i]!); // p_offset
    u64(p + 16, s.vaddr); // p_vaddr
    u64(p + 24, s.vaddr); // p_paddr
    u64(p + 32, s.data.length); // p_filesz
    u64(p + 40, Math.max(s.memsz ?? 0, s.data.length)); // p_memsz
    u64(p + 48, PAGE); // p_align
    file.set(s.data, offsets[i]!);
  });
  return file;
}
