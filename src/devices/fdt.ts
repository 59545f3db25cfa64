// The flattened device tree (DTB) that tells a guest what the QEMU-`virt`-compatible board has;
// a1 points at it when a hart starts. Two parts: a generic DTB writer, and virtFdt(), which
// describes the board as QEMU hw/riscv/virt.c does so that OpenSBI, U-Boot and Linux find the
// same nodes, compatibles, phandle links and interrupt numbers.
//
// DTB layout (devicetree specification v0.4, chapter 5; all integers big-endian):
//
//   offset  block                       contents
//   0       header (40 bytes)           magic 0xd00dfeed, totalsize, off_dt_struct, off_dt_strings,
//                                       off_mem_rsvmap, version 17, last_comp_version 16,
//                                       boot_cpuid_phys, size_dt_strings, size_dt_struct
//   40      memory reservation block    {address u64, size u64}*, ended by a {0, 0} entry
//   ...     structure block             FDT_BEGIN_NODE 1 name\0 (padded to 4), FDT_PROP 3
//                                       {len u32, nameoff u32} value (padded to 4),
//                                       FDT_END_NODE 2, ..., FDT_END 9
//   ...     strings block               property names, NUL-terminated, each stored once
//
// Tree made by virtFdt() (phandles are assigned in this order: cpu0, cpu0's intc, cpu1, ...,
// plic, test):
//
//   / { #address-cells 2; #size-cells 2; compatible "riscv-virtio"; model "riscv-virtio,qemu"
//     chosen { bootargs?; stdout-path "/soc/serial@10000000"; linux,initrd-start/end (u64)? }
//     aliases { serial0 "/soc/serial@10000000" }
//     memory@80000000 { device_type "memory"; reg <base size> }
//     cpus { #address-cells 1; #size-cells 0; timebase-frequency
//       cpu@N { device_type "cpu"; reg N; status "okay"; compatible "riscv"; riscv,isa;
//               riscv,isa-base; riscv,isa-extensions; mmu-type "riscv,sv39"
//         interrupt-controller { #address-cells 0; #interrupt-cells 1; interrupt-controller;
//                                compatible "riscv,cpu-intc" } }
//       cpu-map { cluster0 { coreN { cpu <&cpuN> } } } }
//     soc { simple-bus, 2/2 cells, ranges
//       test@100000      "sifive,test1" "sifive,test0" "syscon"
//       serial@10000000  "ns16550a"; clock-frequency 3686400; interrupts 10; interrupt-parent plic
//       virtio_mmio@1000N000  "virtio,mmio"; interrupts 1 + k; interrupt-parent plic  (8 slots)
//       plic@c000000     "sifive,plic-1.0.0" "riscv,plic0"; riscv,ndev 95;
//                        interrupts-extended <&cpuN_intc 11 &cpuN_intc 9 ...> (M then S context)
//       clint@2000000    "sifive,clint0" "riscv,clint0";
//                        interrupts-extended <&cpuN_intc 3 &cpuN_intc 7 ...> (MSIP, MTIP) }
//     poweroff { "syscon-poweroff"; regmap <&test>; offset 0; value 0x5555 }
//     reboot   { "syscon-reboot";   regmap <&test>; offset 0; value 0x7777 } }
//
// How the board uses it:
//   const dtb = virtFdt({ harts, ramBase, ramSize, isa, bootargs, initrd });
//   const at = fdtLoadAddress(ramBase, ramSize, dtb.length);   // where QEMU puts it
//   mem.ram.u8.set(dtb, at - ramBase); hart.setX(11, at);

import { CLINT_BASE, CLINT_SIZE, DEFAULT_TIMEBASE_HZ } from './clint.js';
import { PLIC_BASE, PLIC_NUM_SOURCES, PLIC_SIZE } from './plic.js';
import { UART_BASE, UART_CLOCK_HZ, UART_IRQ, UART_SIZE } from './uart16550.js';
import { VIRTIO_BASE, VIRTIO_COUNT, VIRTIO_IRQ, VIRTIO_SIZE, VIRTIO_STRIDE } from './virtio-blk.js';
import { FINISHER_BASE, FINISHER_PASS, FINISHER_RESET, FINISHER_SIZE } from './finisher.js';

// ---- Generic DTB writer ----

export const FDT_MAGIC = 0xd00dfeed;
export const FDT_VERSION = 17;
export const FDT_LAST_COMP_VERSION = 16;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_END = 9;
const HEADER_BYTES = 40;
const TWO32 = 4294967296;

/**
 * A property value: a number is one u32 cell, a number[] a list of cells, a string a
 * NUL-terminated string, a string[] a string list, a Uint8Array raw bytes (see u64()), and
 * `true` an empty property (a flag such as `interrupt-controller`).
 */
export type FdtValue = number | readonly number[] | string | readonly string[] | Uint8Array | true;

export interface FdtNode {
  /** Node name with its unit address ("cpu@0"); "" for the root. */
  name: string;
  props: Array<[string, FdtValue]>;
  children: FdtNode[];
}

export interface FdtReservation {
  address: number;
  size: number;
}

/** A node from a name, an ordered record of properties and children. */
export function fdtNode(name: string, props: Record<string, FdtValue> = {}, children: FdtNode[] = []): FdtNode {
  return { name, props: Object.entries(props), children };
}

/** A 64-bit big-endian property value (linux,initrd-start). */
export function u64(v: number): Uint8Array {
  const b = new Uint8Array(8);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, Math.floor(v / TWO32));
  dv.setUint32(4, v % TWO32);
  return b;
}

/** A 64-bit number as two cells (#address-cells = 2 / #size-cells = 2). */
export function cells64(v: number): [number, number] {
  return [Math.floor(v / TWO32), v % TWO32];
}

function encodeValue(v: FdtValue, where: string): Uint8Array {
  if (v === true) return new Uint8Array(0);
  if (v instanceof Uint8Array) return v;
  if (typeof v === 'string') return new TextEncoder().encode(v + '\0');
  if (typeof v === 'number') v = [v];
  if (v.length === 0) return new Uint8Array(0);
  if (typeof v[0] === 'string') return new TextEncoder().encode((v as readonly string[]).map((s) => s + '\0').join(''));
  const cells = v as readonly number[];
  const b = new Uint8Array(4 * cells.length);
  const dv = new DataView(b.buffer);
  cells.forEach((c, i) => {
    if (!Number.isInteger(c) || c < 0 || c >= TWO32) throw new RangeError(`device tree ${where}: cell ${c} is not a u32`);
    dv.setUint32(4 * i, c);
  });
  return b;
}

/** Grows a big-endian byte buffer. */
class ByteWriter {
  private buf = new Uint8Array(4096);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u32(v: number): void {
    this.room(4);
    new DataView(this.buf.buffer).setUint32(this.length, v);
    this.length += 4;
  }

  bytes(b: Uint8Array): void {
    this.room(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  align4(): void {
    while (this.length & 3) this.bytes(Uint8Array.of(0));
  }

  result(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

/** The DTB (version 17) of a tree whose root is `root`. */
export function buildDtb(root: FdtNode, opts: { reservations?: readonly FdtReservation[]; bootCpuId?: number } = {}): Uint8Array {
  const strings = new ByteWriter();
  const stringOff = new Map<string, number>();
  const nameOff = (name: string): number => {
    let off = stringOff.get(name);
    if (off === undefined) {
      off = strings.length;
      stringOff.set(name, off);
      strings.bytes(new TextEncoder().encode(name + '\0'));
    }
    return off;
  };

  const st = new ByteWriter();
  const walk = (n: FdtNode, path: string): void => {
    st.u32(FDT_BEGIN_NODE);
    st.bytes(new TextEncoder().encode(n.name + '\0'));
    st.align4();
    for (const [name, value] of n.props) {
      const data = encodeValue(value, `${path || '/'} ${name}`);
      st.u32(FDT_PROP);
      st.u32(data.length);
      st.u32(nameOff(name));
      st.bytes(data);
      st.align4();
    }
    for (const c of n.children) walk(c, `${path}/${c.name}`);
    st.u32(FDT_END_NODE);
  };
  walk(root, '');
  st.u32(FDT_END);

  const rsv = opts.reservations ?? [];
  const offRsv = HEADER_BYTES;
  const offStruct = offRsv + 16 * (rsv.length + 1);
  const offStrings = offStruct + st.length;
  const total = offStrings + strings.length;

  const out = new Uint8Array(total);
  const dv = new DataView(out.buffer);
  const header = [FDT_MAGIC, total, offStruct, offStrings, offRsv, FDT_VERSION, FDT_LAST_COMP_VERSION, opts.bootCpuId ?? 0, strings.length, st.length];
  header.forEach((v, i) => dv.setUint32(4 * i, v));
  rsv.forEach((r, i) => {
    out.set(u64(r.address), offRsv + 16 * i);
    out.set(u64(r.size), offRsv + 16 * i + 8);
  });
  out.set(st.result(), offStruct);
  out.set(strings.result(), offStrings);
  return out;
}

// ---- The virt board ----

export interface VirtFdtOptions {
  harts: number;
  ramBase: number;
  ramSize: number;
  /** riscv,isa of every hart (default "rv64imac_zicsr_zifencei"). */
  isa?: string;
  /** Default "riscv,sv39". */
  mmuType?: string;
  /** mtime ticks per second (default 10 MHz). */
  timebaseHz?: number;
  /** virtio-mmio slots to describe (default 8, as QEMU; empty slots are described too). */
  virtioSlots?: number;
  /** Kernel command line (/chosen/bootargs), omitted when undefined. */
  bootargs?: string;
  /** Initial ramdisk as guest physical [start, end). */
  initrd?: { start: number; end: number };
  /** /chosen/stdout-path (default the UART). */
  stdoutPath?: string;
  /** Memory reservation block entries (none by default, as QEMU). */
  reservations?: readonly FdtReservation[];
  /** boot_cpuid_phys of the header (default 0). */
  bootHartId?: number;
}

export const DEFAULT_ISA = 'rv64imac_zicsr_zifencei';

const hexName = (name: string, addr: number): string => `${name}@${addr.toString(16)}`;

/**
 * riscv,isa-base and riscv,isa-extensions from a riscv,isa string: "rv64imac_zicsr" gives
 * "rv64i" and [i, m, a, c, zicsr]. `g` stands for i, m, a, f, d, zicsr, zifencei.
 */
export function parseIsa(isa: string): { base: string; extensions: string[] } {
  const m = /^rv(32|64)([a-z]+)((?:_[a-z][a-z0-9]*)*)$/.exec(isa);
  if (m === null) throw new RangeError(`ISA string "${isa}" is not of the form rv64imac_zicsr_zifencei`);
  const letters = m[2]!;
  if (!/^[ieg]/.test(letters)) throw new RangeError(`ISA string "${isa}" must start with rv${m[1]}i, rv${m[1]}e or rv${m[1]}g`);
  if (/[zsx]/.test(letters)) throw new RangeError(`ISA string "${isa}": separate multi-letter extensions with '_' (rv64imac_zicsr)`);
  const ext: string[] = [];
  const add = (e: string): void => {
    if (!ext.includes(e)) ext.push(e);
  };
  for (const l of letters) {
    if (l === 'g') ['i', 'm', 'a', 'f', 'd'].forEach(add);
    else add(l);
  }
  const multi = m[3]!.split('_').filter((s) => s !== '');
  if (letters.includes('g')) ['zicsr', 'zifencei'].forEach((e) => (multi.includes(e) ? undefined : multi.push(e)));
  multi.forEach(add);
  return { base: `rv${m[1]}${letters[0] === 'e' ? 'e' : 'i'}`, extensions: ext };
}

function checkU64(name: string, v: number): void {
  if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`device tree: ${name} ${v} must be a non-negative integer below 2^53`);
}

/** The device tree of the virt board: a root node (for tests and for adding nodes). */
export function virtFdtTree(o: VirtFdtOptions): FdtNode {
  if (!Number.isInteger(o.harts) || o.harts < 1) throw new RangeError(`device tree: hart count ${o.harts} must be at least 1`);
  checkU64('RAM base', o.ramBase);
  checkU64('RAM size', o.ramSize);
  const isa = o.isa ?? DEFAULT_ISA;
  const { base: isaBase, extensions } = parseIsa(isa);
  const slots = o.virtioSlots ?? VIRTIO_COUNT;

  let nextPhandle = 1;
  const cpuPh: number[] = [];
  const intcPh: number[] = [];
  for (let h = 0; h < o.harts; h++) {
    cpuPh.push(nextPhandle++);
    intcPh.push(nextPhandle++);
  }
  const plicPh = nextPhandle++;
  const testPh = nextPhandle++;

  const uartPath = `/soc/${hexName('serial', UART_BASE)}`;
  const reg = (base: number, size: number): number[] => [...cells64(base), ...cells64(size)];

  const cpus: FdtNode[] = [];
  for (let h = 0; h < o.harts; h++) {
    cpus.push(
      fdtNode(
        `cpu@${h}`,
        {
          phandle: cpuPh[h]!,
          device_type: 'cpu',
          reg: h,
          status: 'okay',
          compatible: 'riscv',
          'riscv,isa': isa,
          'riscv,isa-base': isaBase,
          'riscv,isa-extensions': extensions,
          'mmu-type': o.mmuType ?? 'riscv,sv39',
        },
        [
          fdtNode('interrupt-controller', {
            '#address-cells': 0, // keeps dtc's interrupt_provider check quiet
            '#interrupt-cells': 1,
            'interrupt-controller': true,
            compatible: 'riscv,cpu-intc',
            phandle: intcPh[h]!,
          }),
        ],
      ),
    );
  }
  const cores = cpus.map((_, h) => fdtNode(`core${h}`, { cpu: cpuPh[h]! }));
  cpus.push(fdtNode('cpu-map', {}, [fdtNode('cluster0', {}, cores)]));

  const perHart = (a: number, b: number): number[] => intcPh.flatMap((p) => [p, a, p, b]);
  const soc: FdtNode[] = [
    fdtNode(hexName('test', FINISHER_BASE), {
      phandle: testPh,
      reg: reg(FINISHER_BASE, FINISHER_SIZE),
      compatible: ['sifive,test1', 'sifive,test0', 'syscon'],
    }),
    fdtNode(hexName('serial', UART_BASE), {
      interrupts: UART_IRQ,
      'interrupt-parent': plicPh,
      'clock-frequency': UART_CLOCK_HZ,
      reg: reg(UART_BASE, UART_SIZE),
      compatible: 'ns16550a',
    }),
  ];
  for (let k = 0; k < slots; k++) {
    const base = VIRTIO_BASE + VIRTIO_STRIDE * k;
    soc.push(
      fdtNode(hexName('virtio_mmio', base), {
        interrupts: VIRTIO_IRQ + k,
        'interrupt-parent': plicPh,
        reg: reg(base, VIRTIO_SIZE),
        compatible: 'virtio,mmio',
      }),
    );
  }
  soc.push(
    fdtNode(hexName('plic', PLIC_BASE), {
      phandle: plicPh,
      'riscv,ndev': PLIC_NUM_SOURCES - 1,
      reg: reg(PLIC_BASE, PLIC_SIZE),
      'interrupts-extended': perHart(11, 9), // M-mode context (MEIP), then S-mode (SEIP)
      'interrupt-controller': true,
      compatible: ['sifive,plic-1.0.0', 'riscv,plic0'],
      '#address-cells': 0,
      '#interrupt-cells': 1,
    }),
    fdtNode(hexName('clint', CLINT_BASE), {
      'interrupts-extended': perHart(3, 7), // MSIP, MTIP
      reg: reg(CLINT_BASE, CLINT_SIZE),
      compatible: ['sifive,clint0', 'riscv,clint0'],
    }),
  );

  const chosen: Record<string, FdtValue> = {};
  if (o.bootargs !== undefined) chosen['bootargs'] = o.bootargs;
  chosen['stdout-path'] = o.stdoutPath ?? uartPath;
  if (o.initrd !== undefined) {
    checkU64('initrd start', o.initrd.start);
    checkU64('initrd end', o.initrd.end);
    if (o.initrd.end < o.initrd.start) throw new RangeError(`device tree: initrd end ${o.initrd.end} is below its start ${o.initrd.start}`);
    chosen['linux,initrd-start'] = u64(o.initrd.start);
    chosen['linux,initrd-end'] = u64(o.initrd.end);
  }

  return fdtNode(
    '',
    { '#address-cells': 2, '#size-cells': 2, compatible: 'riscv-virtio', model: 'riscv-virtio,qemu' },
    [
      fdtNode('chosen', chosen),
      fdtNode('aliases', { serial0: uartPath }),
      fdtNode(hexName('memory', o.ramBase), { device_type: 'memory', reg: reg(o.ramBase, o.ramSize) }),
      fdtNode('cpus', { '#address-cells': 1, '#size-cells': 0, 'timebase-frequency': o.timebaseHz ?? DEFAULT_TIMEBASE_HZ }, cpus),
      fdtNode('soc', { '#address-cells': 2, '#size-cells': 2, compatible: 'simple-bus', ranges: true }, soc),
      fdtNode('poweroff', { value: FINISHER_PASS, offset: 0, regmap: testPh, compatible: 'syscon-poweroff' }),
      fdtNode('reboot', { value: FINISHER_RESET, offset: 0, regmap: testPh, compatible: 'syscon-reboot' }),
    ],
  );
}

/** The DTB of the virt board. */
export function virtFdt(o: VirtFdtOptions): Uint8Array {
  return buildDtb(virtFdtTree(o), { reservations: o.reservations ?? [], bootCpuId: o.bootHartId ?? 0 });
}

/**
 * Where QEMU places the DTB for an RV64 guest (riscv_compute_fdt_addr): as high in RAM as
 * possible, aligned down to 2 MiB, so the kernel and initrd do not overwrite it.
 */
export function fdtLoadAddress(ramBase: number, ramSize: number, dtbSize: number): number {
  const MiB2 = 2 * 1024 * 1024;
  const at = Math.floor((ramBase + ramSize - dtbSize) / MiB2) * MiB2;
  if (at < ramBase) throw new RangeError(`RAM of ${ramSize} bytes is too small to hold a ${dtbSize}-byte device tree at a 2 MiB boundary`);
  return at;
}
