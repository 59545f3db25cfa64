// Puts an ELF image into guest RAM.
//
// Segments go to their physical address (p_paddr): harts start with translation off, exactly as
// QEMU and Spike load bare-metal images. Each segment must lie wholly inside RAM; one that does
// not is a UserError naming the segment, its range and the RAM range. The bytes past filesz up to
// memsz (.bss) are zeroed. Symbol values and the entry point are link-time (virtual) addresses;
// physAddr() maps them through the segment that contains them, so an image linked high and loaded
// low still finds its entry and its tohost.

import type { RamView } from '../vcpu/port.js';
import type { ElfImage, ElfSegment } from './elf.js';
import { UserError, hex } from './errors.js';

export interface LoadedImage {
  /** Physical address where the hart starts. */
  readonly entry: number;
  /** Physical address of a symbol, or undefined when the image does not define it. */
  symbolPaddr(name: string): number | undefined;
  /** Bytes written into RAM (sum of memsz). */
  readonly loadedBytes: number;
}

/** Range text used in messages: half-open [start, end). */
export function rangeText(start: number, end: number): string {
  return `[${hex(start)}, ${hex(end)})`;
}

/** Maps a link-time address to the physical address of the segment that holds it. */
export function physAddr(image: ElfImage, vaddr: number): number {
  for (const s of image.segments) {
    if (vaddr >= s.vaddr && vaddr < s.vaddr + s.memsz) return vaddr - s.vaddr + s.paddr;
  }
  return vaddr;
}

export function checkSegment(image: ElfImage, seg: ElfSegment, ram: RamView): void {
  const ramEnd = ram.base + ram.size;
  const end = seg.paddr + seg.memsz;
  if (seg.paddr < ram.base || end > ramEnd) {
    throw new UserError(
      `'${image.name}': segment ${seg.index} at ${rangeText(seg.paddr, end)} lies outside RAM ${rangeText(ram.base, ramEnd)}; ` +
        `link the program inside RAM or give more RAM with --mem MiB`,
    );
  }
}

/** Checks every segment against RAM first, then copies them; nothing is written on refusal. */
export function loadElf(image: ElfImage, ram: RamView): LoadedImage {
  for (const seg of image.segments) checkSegment(image, seg, ram);
  const entry = physAddr(image, image.entry);
  if (entry < ram.base || entry >= ram.base + ram.size) {
    throw new UserError(
      `'${image.name}': entry point ${hex(image.entry)} is outside RAM ${rangeText(ram.base, ram.base + ram.size)}; check the linker script's ENTRY`,
    );
  }
  let loadedBytes = 0;
  for (const seg of image.segments) {
    const off = seg.paddr - ram.base;
    ram.u8.set(seg.data, off);
    ram.u8.fill(0, off + seg.filesz, off + seg.memsz);
    loadedBytes += seg.memsz;
  }
  return {
    entry,
    loadedBytes,
    symbolPaddr(name: string) {
      const v = image.symbols.get(name);
      return v === undefined ? undefined : physAddr(image, v);
    },
  };
}
