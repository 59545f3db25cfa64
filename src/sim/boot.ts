// Boot images of the virt board, placed in RAM as QEMU's virt machine places them
// (hw/riscv/boot.c):
//
//   --bios FILE     firmware: an ELF at its own addresses, or a raw binary at 0x8000_0000
//   --kernel FILE   an ELF at its own addresses; a raw binary at the address the firmware
//                   expects: with --bios, the firmware's end rounded up to 2 MiB (0x8020_0000
//                   for any firmware under 2 MiB, as OpenSBI's fw_dynamic expects); without, at
//                   0x8000_0000, where the harts start
//   --initrd FILE   raw bytes at kernel entry + min(RAM / 2, 128 MiB) (riscv_load_initrd)
//   device tree     at the top of RAM (below 3 GiB), aligned down to 2 MiB (fdtLoadAddress)
//   fw_dynamic_info right after the device tree: {magic "OSBI", version 2, next_addr = kernel
//                   entry, next_mode = 1 (S), options 0, boot_hart -1} as u64s, the handoff
//                   OpenSBI's fw_dynamic reads from a2 (QEMU keeps it in its reset ROM)
//
// Every hart starts at the firmware's entry (the kernel's without --bios) in M-mode with
// a0 = hart id, a1 = the device tree, a2 = fw_dynamic_info. placeVirtBoot() does all of it for
// a machine's RAM; the virt board and the FLASH machine's virt boot both use it.
//
// A file is an ELF when it starts with \x7fELF. Anything else is a raw binary if its name ends
// in .bin, .img or .raw, is "Image", or it carries the RISC-V Linux Image header (magic "RSC\x05"
// at 0x38); other files are refused, so a wrong path cannot boot garbage. Every region is checked
// against RAM and against every other region before a byte is written; each refusal is a
// UserError naming the file and the ranges.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { RamView } from '../vcpu/port.js';
import { parseElf, type ElfImage } from './elf.js';
import { physAddr, rangeText } from './loader.js';
import { UserError, hex } from './errors.js';
import { virtFdt } from '../devices/fdt.js';

export const MiB = 1024 * 1024;
/** How the refusals below tell the user to get more RAM (the virt board's option). */
const MORE_RAM = 'give more RAM with --mem MiB';
/** Alignment of a kernel placed after firmware on RV64 (riscv_calc_kernel_start_addr). */
export const KERNEL_ALIGN = 2 * MiB;
/** QEMU keeps the device tree below 3 GiB (riscv_compute_fdt_addr). */
const FDT_CEILING = 0xc000_0000;
export const FW_DYNAMIC_MAGIC = 0x4942534f; // "OSBI"
export const FW_DYNAMIC_VERSION = 2;
export const FW_DYNAMIC_BYTES = 6 * 8;
/** next_mode values of fw_dynamic_info. */
export const NEXT_MODE_S = 1;

/** A range of guest physical memory an image occupies. */
export interface Region {
  /** What it is, for messages: "kernel 'k.elf' segment 1", "initrd 'r.img'". */
  what: string;
  start: number;
  end: number;
  /** Bytes to copy to `start` (shorter than the region: the rest is zeroed). */
  data: Uint8Array;
}

export interface BootImage {
  path: string;
  kind: 'elf' | 'raw';
  /** Physical entry point (the load address of a raw binary). */
  entry: number;
  regions: Region[];
  /** Physical address of a symbol (ELF only). */
  symbol(name: string): number | undefined;
}

/** Reads a file the user named; a missing or unreadable file (or an empty one, unless allowed) is a UserError. */
export function readUserFile(path: string, what: string, allowEmpty = false): Uint8Array {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UserError(`${what} '${path}' does not exist; check the path`);
    if (code === 'EISDIR') throw new UserError(`${what} '${path}' is a directory; pass a file`);
    if (code === 'EACCES') throw new UserError(`${what} '${path}' cannot be read (permission denied); check its permissions`);
    throw new UserError(`${what} '${path}' cannot be read (${code ?? String(e)})`);
  }
  if (bytes.length === 0 && !allowEmpty) throw new UserError(`${what} '${path}' is empty`);
  return bytes;
}

function isElf(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x7f && b[1] === 0x45 && b[2] === 0x4c && b[3] === 0x46;
}

/** Whether a non-ELF file may be loaded as a raw binary (see the header). */
export function looksRaw(path: string, b: Uint8Array): boolean {
  const name = basename(path);
  if (/\.(bin|img|raw)$/i.test(name) || name === 'Image') return true;
  return b.length >= 0x3c && b[0x38] === 0x52 && b[0x39] === 0x53 && b[0x3a] === 0x43 && b[0x3b] === 0x05;
}

/** Reads an ELF or raw image; a raw one goes to `rawAt`. Nothing is written to RAM yet. */
export function readBootImage(path: string, what: 'kernel' | 'firmware', rawAt: number): BootImage {
  const bytes = readUserFile(path, what);
  if (isElf(bytes)) return elfImage(parseElf(bytes, path), what);
  if (!looksRaw(path, bytes)) {
    throw new UserError(
      `'${path}' is not an ELF file (no \\x7fELF magic); pass a RISC-V RV64 ELF executable, or a raw binary named *.bin (loaded at ${hex(rawAt)})`,
    );
  }
  return {
    path,
    kind: 'raw',
    entry: rawAt,
    regions: [{ what: `${what} '${path}'`, start: rawAt, end: rawAt + bytes.length, data: bytes }],
    symbol: () => undefined,
  };
}

function elfImage(image: ElfImage, what: string): BootImage {
  return {
    path: image.name,
    kind: 'elf',
    entry: physAddr(image, image.entry),
    regions: image.segments.map((s) => ({
      what: `${what} '${image.name}' segment ${s.index}`,
      start: s.paddr,
      end: s.paddr + s.memsz,
      data: s.data,
    })),
    symbol: (name) => {
      const v = image.symbols.get(name);
      return v === undefined ? undefined : physAddr(image, v);
    },
  };
}

export function alignUp(v: number, a: number): number {
  return Math.ceil(v / a) * a;
}

/** Where a raw kernel goes: after the firmware (rounded up to 2 MiB), or at RAM base. */
export function kernelLoadAddress(ramBase: number, bios: BootImage | null): number {
  if (bios === null) return ramBase;
  return alignUp(Math.max(...bios.regions.map((r) => r.end)), KERNEL_ALIGN);
}

/** Where QEMU puts the initrd: kernel entry + min(RAM / 2, 128 MiB). */
export function initrdLoadAddress(kernelEntry: number, ramSize: number): number {
  return kernelEntry + Math.min(Math.floor(ramSize / 2 / 4096) * 4096, 128 * MiB);
}

/**
 * Where QEMU puts the device tree (and fw_dynamic_info after it): the top of RAM, or 3 GiB if RAM
 * goes higher, minus its size, aligned down to 2 MiB. When that would overlap one of `images`
 * (RAM of a few MiB), the top of RAM aligned to 4 KiB instead, so small machines still boot.
 */
export function dtbLoadAddress(ram: Pick<RamView, 'base' | 'size'>, dtbBytes: number, images: readonly Region[] = [], moreRam = MORE_RAM): number {
  const ramEnd = ram.base + ram.size;
  const top = ram.base < FDT_CEILING ? Math.min(ramEnd, FDT_CEILING) : ramEnd;
  const bytes = Math.ceil(dtbBytes / 8) * 8 + FW_DYNAMIC_BYTES;
  const free = (at: number) => at >= ram.base && images.every((r) => r.end <= at || r.start >= at + bytes);
  const qemu = Math.floor((top - bytes) / KERNEL_ALIGN) * KERNEL_ALIGN;
  if (free(qemu)) return qemu;
  const page = Math.floor((top - bytes) / 4096) * 4096;
  if (free(page)) return page;
  if (qemu < ram.base && page < ram.base) {
    throw new UserError(`RAM of ${ram.size / MiB} MiB is too small to hold the ${dtbBytes}-byte device tree; ${moreRam}`);
  }
  return qemu; // placeRegions names what it overlaps
}

/** fw_dynamic_info (OpenSBI include/sbi/fw_dynamic.h), six little-endian u64s. */
export function fwDynamicInfo(nextAddr: number): Uint8Array {
  const b = new Uint8Array(FW_DYNAMIC_BYTES);
  const dv = new DataView(b.buffer);
  dv.setBigUint64(0, BigInt(FW_DYNAMIC_MAGIC), true);
  dv.setBigUint64(8, BigInt(FW_DYNAMIC_VERSION), true);
  dv.setBigUint64(16, BigInt(nextAddr), true);
  dv.setBigUint64(24, BigInt(NEXT_MODE_S), true);
  dv.setBigUint64(32, 0n, true); // options
  dv.setBigUint64(40, 0xffff_ffff_ffff_ffffn, true); // boot_hart: -1, any hart may boot
  return b;
}

/**
 * Guest RAM as the loader sees it: a RamView, or the RAM of a monitor's VM, whose pages lie
 * scattered over machine memory (src/monitor/vm-memory.ts).
 */
export interface BootRam {
  readonly base: number;
  readonly size: number;
  readonly u8: Uint8Array;
  /**
   * Where guest RAM page `page` (counted from base) lies in u8, backed on first touch; a page
   * is all zeros when first backed. Absent: RAM is u8 itself, from offset 0.
   */
  pageOffset?(page: number): number;
}

const PAGE = 4096;

/** Copies `data` to guest RAM offset `off` and zeroes the rest of [off, off + length). */
function loadRam(ram: BootRam, off: number, data: Uint8Array, length: number): void {
  if (ram.pageOffset === undefined) {
    ram.u8.set(data, off);
    ram.u8.fill(0, off + data.length, off + length);
    return;
  }
  // Page by page; the zeros past the data are there already (a page is zero when first backed),
  // so .bss takes no memory until the guest touches it.
  for (let k = 0; k < data.length;) {
    const at = off + k;
    const n = Math.min(data.length - k, PAGE - (at % PAGE));
    ram.u8.set(data.subarray(k, k + n), ram.pageOffset(Math.floor(at / PAGE)) + (at % PAGE));
    k += n;
  }
}

/**
 * Checks that every region lies inside RAM and that no two overlap, then copies them in (the
 * part of a region past its data is zeroed, as ELF .bss). Nothing is written on refusal.
 */
export function placeRegions(regions: readonly Region[], ram: BootRam, moreRam = MORE_RAM): void {
  const ramEnd = ram.base + ram.size;
  for (const r of regions) {
    if (r.start < ram.base || r.end > ramEnd) {
      const size = r.end - r.start;
      throw new UserError(
        r.what.includes(' segment ')
          ? `${r.what} at ${rangeText(r.start, r.end)} lies outside RAM ${rangeText(ram.base, ramEnd)}; link the program inside RAM or ${moreRam}`
          : `${r.what} (${size} bytes at ${rangeText(r.start, r.end)}) does not fit in RAM ${rangeText(ram.base, ramEnd)} of ${ram.size / MiB} MiB; ${moreRam}`,
      );
    }
  }
  const sorted = [...regions].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!, b = sorted[i]!;
    if (b.start < a.end) {
      throw new UserError(
        `${a.what} at ${rangeText(a.start, a.end)} overlaps ${b.what} at ${rangeText(b.start, b.end)}; link or place them apart (or ${moreRam})`,
      );
    }
  }
  for (const r of regions) loadRam(ram, r.start - ram.base, r.data, r.end - r.start);
}

/** What a QEMU-style boot is given: `run`'s options, on the virt board or the FLASH machine. */
export interface BootFiles {
  /** ELF or raw image: the kernel (or the only image, without bios). */
  kernel: string;
  /** Firmware (ELF or raw) at 0x8000_0000; the harts start in it. */
  bios?: string;
  initrd?: string;
  /** Kernel command line: /chosen/bootargs. */
  append?: string;
  /** Raw disk image for virtio slot 0. */
  disk?: string;
  /** Write guest changes back to the disk file (flush and exit); otherwise they stay in memory. */
  diskWrite?: boolean;
}

export interface VirtBootOptions extends Pick<BootFiles, 'kernel' | 'bios' | 'initrd' | 'append'> {
  /** cpus in the device tree. */
  harts: number;
  timebaseHz: number;
  /** riscv,isa of every cpu. */
  isa: string;
  /** How a refusal tells the user to get more RAM (default: the virt board's --mem). */
  moreRam?: string;
}

/** Where everything went: what the harts start with. */
export interface VirtBootPlan {
  /** Where every hart starts (the firmware's entry, or the kernel's). */
  entry: number;
  kernelEntry: number;
  initrd: { start: number; end: number } | null;
  dtb: Uint8Array;
  dtbAddr: number;
  /** fw_dynamic_info, for a2. */
  fwDynAddr: number;
  /** The images read (the firmware first), for their symbols. */
  images: BootImage[];
  /** Everything placed in RAM: segments, initrd, device tree, fw_dynamic_info. */
  regions: Region[];
}

/**
 * Reads the images, makes the device tree for `harts` cpus and this RAM, and places everything
 * as QEMU virt does (see the header); nothing is written to RAM until every check has passed.
 */
export function placeVirtBoot(o: VirtBootOptions, ram: BootRam): VirtBootPlan {
  const bios = o.bios !== undefined ? readBootImage(o.bios, 'firmware', ram.base) : null;
  const kernel = readBootImage(o.kernel, 'kernel', kernelLoadAddress(ram.base, bios));
  const images = bios ? [bios, kernel] : [kernel];
  for (const img of images) {
    if (img.entry < ram.base || img.entry >= ram.base + ram.size) {
      throw new UserError(`'${img.path}': entry point ${hex(img.entry)} is outside RAM ${rangeText(ram.base, ram.base + ram.size)}; check the linker script's ENTRY`);
    }
  }
  const regions: Region[] = [...(bios?.regions ?? []), ...kernel.regions];
  let initrd: VirtBootPlan['initrd'] = null;
  if (o.initrd !== undefined) {
    const data = readUserFile(o.initrd, 'initrd');
    const start = initrdLoadAddress(kernel.entry, ram.size);
    initrd = { start, end: start + data.length };
    regions.push({ what: `initrd '${o.initrd}'`, start, end: start + data.length, data });
  }
  const dtb = virtFdt({
    harts: o.harts,
    ramBase: ram.base,
    ramSize: ram.size,
    isa: o.isa,
    timebaseHz: o.timebaseHz,
    bootargs: o.append,
    initrd: initrd ?? undefined,
  });
  const dtbAddr = dtbLoadAddress(ram, dtb.length, regions, o.moreRam);
  const fwDynAddr = dtbAddr + Math.ceil(dtb.length / 8) * 8;
  regions.push({ what: 'the device tree', start: dtbAddr, end: dtbAddr + dtb.length, data: dtb });
  const fwDyn = fwDynamicInfo(kernel.entry);
  regions.push({ what: 'fw_dynamic_info', start: fwDynAddr, end: fwDynAddr + fwDyn.length, data: fwDyn });
  placeRegions(regions, ram, o.moreRam);
  return { entry: (bios ?? kernel).entry, kernelEntry: kernel.entry, initrd, dtb, dtbAddr, fwDynAddr, images, regions };
}
