// Device tree generator (src/devices/fdt.ts): the DTB of the virt board, decompiled by dtc
// (device-tree-compiler) and checked node by node; recompiled by dtc to the same bytes; the
// header, the reservation block, the ISA string parser and the load address.
//
// dtc is required: CI installs device-tree-compiler. Without it this file fails and says so.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildDtb, fdtLoadAddress, fdtNode, parseIsa, virtFdt, type VirtFdtOptions } from '../src/devices/fdt.js';

const DTC = process.env['DTC'] ?? 'dtc';
let dir = '';

function dtc(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(DTC, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`the device tree tests need dtc and cannot run ${DTC} (${r.error.message}): install device-tree-compiler (apt-get install device-tree-compiler) or set DTC to its path`);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** The DTB as dtc decompiles it; fails on any dtc warning. */
function decompile(dtb: Uint8Array, name = 'board.dtb'): string {
  const path = join(dir, name);
  writeFileSync(path, dtb);
  const r = dtc('-I', 'dtb', '-O', 'dts', path);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout;
}

/** The text of one node (from its line to its closing brace at the same indentation). */
function nodeText(dts: string, name: string): string {
  const lines = dts.split('\n');
  const start = lines.findIndex((l) => l.trim() === `${name} {`);
  if (start < 0) throw new Error(`node ${name} not in:\n${dts}`);
  const indent = lines[start]!.length - lines[start]!.trimStart().length;
  const end = lines.findIndex((l, k) => k > start && l === `${lines[start]!.slice(0, indent)}};`);
  return lines.slice(start, end + 1).join('\n');
}

const BOARD: VirtFdtOptions = {
  harts: 2,
  ramBase: 0x8000_0000,
  ramSize: 256 << 20,
  bootargs: 'console=ttyS0 root=/dev/vda rw',
  initrd: { start: 0x8800_0000, end: 0x8820_0000 },
  reservations: [{ address: 0x8000_0000, size: 0x8_0000 }],
};

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-fdt-'));
});

describe('virt device tree through dtc', () => {
  it('finds dtc', () => {
    // Not a skip: without dtc every test below that needs it fails with the same advice.
    const r = dtc('--version');
    expect(r.status, `${DTC} --version failed: ${r.stderr}`).toBe(0);
  });

  it('has the header of a version 17 DTB', () => {
    const dtb = virtFdt({ ...BOARD, bootHartId: 1 });
    const dv = new DataView(dtb.buffer, dtb.byteOffset);
    expect(dv.getUint32(0)).toBe(0xd00dfeed);
    expect(dv.getUint32(4)).toBe(dtb.length); // totalsize
    expect(dv.getUint32(20)).toBe(17);
    expect(dv.getUint32(24)).toBe(16);
    expect(dv.getUint32(28)).toBe(1); // boot_cpuid_phys
    expect(dv.getUint32(16)).toBe(40); // the reservation map follows the header
  });

  it('is recompiled by dtc to the very same bytes', () => {
    const dtb = virtFdt(BOARD);
    const path = join(dir, 'same.dtb');
    writeFileSync(path, dtb);
    const r = dtc('-I', 'dtb', '-O', 'dtb', '-o', join(dir, 'again.dtb'), path);
    expect(r.stderr).toBe('');
    expect(new Uint8Array(readFileSync(join(dir, 'again.dtb')))).toEqual(dtb);
  });

  it('round-trips dtb -> dts -> dtb -> dts unchanged', () => {
    const dts = decompile(virtFdt(BOARD));
    const src = join(dir, 'board.dts');
    writeFileSync(src, dts);
    // phandles are plain numbers in decompiled source, which dtc's interrupts-extended check flags
    const r = dtc('-I', 'dts', '-O', 'dtb', '-W', 'no-interrupts_extended_property', '-o', join(dir, 'board2.dtb'), src);
    expect(r.stderr).toBe('');
    expect(decompile(new Uint8Array(readFileSync(join(dir, 'board2.dtb'))), 'board2.dtb')).toBe(dts);
  });

  it('describes the root, memory, chosen and reservations', () => {
    const dts = decompile(virtFdt(BOARD));
    expect(dts).toContain('/memreserve/\t0x0000000080000000 0x0000000000080000;');
    expect(dts).toContain('#address-cells = <0x02>;\n\t#size-cells = <0x02>;\n\tcompatible = "riscv-virtio";\n\tmodel = "riscv-virtio,qemu";');
    expect(nodeText(dts, 'memory@80000000')).toContain('device_type = "memory";\n\t\treg = <0x00 0x80000000 0x00 0x10000000>;');
    const chosen = nodeText(dts, 'chosen');
    expect(chosen).toContain('bootargs = "console=ttyS0 root=/dev/vda rw";');
    expect(chosen).toContain('stdout-path = "/soc/serial@10000000";');
    expect(chosen).toContain('linux,initrd-start = <0x00 0x88000000>;');
    expect(chosen).toContain('linux,initrd-end = <0x00 0x88200000>;');
    expect(nodeText(dts, 'aliases')).toContain('serial0 = "/soc/serial@10000000";');
  });

  it('describes each hart with its interrupt controller and phandles', () => {
    const dts = decompile(virtFdt({ ...BOARD, isa: 'rv64imac_zicsr_zifencei_sstc' }));
    expect(nodeText(dts, 'cpus')).toContain('timebase-frequency = <0x989680>;');
    for (const h of [0, 1]) {
      const cpu = nodeText(dts, `cpu@${h}`);
      expect(cpu).toContain(`phandle = <0x0${1 + 2 * h}>;`);
      expect(cpu).toContain('device_type = "cpu";');
      expect(cpu).toContain(`reg = <0x0${h}>;`);
      expect(cpu).toContain('status = "okay";');
      expect(cpu).toContain('compatible = "riscv";');
      expect(cpu).toContain('riscv,isa = "rv64imac_zicsr_zifencei_sstc";');
      expect(cpu).toContain('riscv,isa-base = "rv64i";');
      expect(cpu).toContain('riscv,isa-extensions = "i\\0m\\0a\\0c\\0zicsr\\0zifencei\\0sstc";');
      expect(cpu).toContain('mmu-type = "riscv,sv39";');
      expect(cpu).toContain('#interrupt-cells = <0x01>;');
      expect(cpu).toContain('interrupt-controller;');
      expect(cpu).toContain('compatible = "riscv,cpu-intc";');
      expect(cpu).toContain(`phandle = <0x0${2 + 2 * h}>;`);
    }
    expect(nodeText(dts, 'core1')).toContain('cpu = <0x03>;');
  });

  it('describes the CLINT, PLIC, UART, virtio slots and test finisher as QEMU virt', () => {
    const dts = decompile(virtFdt(BOARD));
    const soc = nodeText(dts, 'soc');
    expect(soc).toContain('compatible = "simple-bus";\n\t\tranges;');
    // phandles: cpu0 1, intc0 2, cpu1 3, intc1 4, plic 5, test 6
    const clint = nodeText(dts, 'clint@2000000');
    expect(clint).toContain('interrupts-extended = <0x02 0x03 0x02 0x07 0x04 0x03 0x04 0x07>;');
    expect(clint).toContain('reg = <0x00 0x2000000 0x00 0x10000>;');
    expect(clint).toContain('compatible = "sifive,clint0\\0riscv,clint0";');
    const plic = nodeText(dts, 'plic@c000000');
    expect(plic).toContain('phandle = <0x05>;');
    expect(plic).toContain('riscv,ndev = <0x5f>;');
    expect(plic).toContain('reg = <0x00 0xc000000 0x00 0x4000000>;');
    expect(plic).toContain('interrupts-extended = <0x02 0x0b 0x02 0x09 0x04 0x0b 0x04 0x09>;');
    expect(plic).toContain('interrupt-controller;');
    expect(plic).toContain('compatible = "sifive,plic-1.0.0\\0riscv,plic0";');
    expect(plic).toContain('#interrupt-cells = <0x01>;');
    const uart = nodeText(dts, 'serial@10000000');
    expect(uart).toContain('interrupts = <0x0a>;');
    expect(uart).toContain('interrupt-parent = <0x05>;');
    expect(uart).toContain('clock-frequency = "\\08@";'); // 0x00384000, shown by dtc as a string
    expect(uart).toContain('reg = <0x00 0x10000000 0x00 0x100>;');
    expect(uart).toContain('compatible = "ns16550a";');
    for (let k = 0; k < 8; k++) {
      const v = nodeText(dts, `virtio_mmio@1000${k + 1}000`);
      expect(v).toContain(`interrupts = <0x0${k + 1}>;`);
      expect(v).toContain('interrupt-parent = <0x05>;');
      expect(v).toContain(`reg = <0x00 0x1000${k + 1}000 0x00 0x1000>;`);
      expect(v).toContain('compatible = "virtio,mmio";');
    }
    expect(dts).not.toContain('virtio_mmio@10009000');
    const test = nodeText(dts, 'test@100000');
    expect(test).toContain('phandle = <0x06>;');
    expect(test).toContain('reg = <0x00 0x100000 0x00 0x1000>;');
    expect(test).toContain('compatible = "sifive,test1\\0sifive,test0\\0syscon";');
    expect(nodeText(dts, 'poweroff')).toContain('value = <0x5555>;\n\t\toffset = <0x00>;\n\t\tregmap = <0x06>;\n\t\tcompatible = "syscon-poweroff";');
    expect(nodeText(dts, 'reboot')).toContain('value = <0x7777>;\n\t\toffset = <0x00>;\n\t\tregmap = <0x06>;\n\t\tcompatible = "syscon-reboot";');
  });

  it('leaves out bootargs and initrd when not given', () => {
    const dts = decompile(virtFdt({ harts: 1, ramBase: 0x8000_0000, ramSize: 64 << 20, virtioSlots: 1 }));
    const chosen = nodeText(dts, 'chosen');
    expect(chosen).not.toContain('bootargs');
    expect(chosen).not.toContain('initrd');
    expect(dts).not.toContain('/memreserve/');
    expect(dts).toContain('virtio_mmio@10001000');
    expect(dts).not.toContain('virtio_mmio@10002000');
  });

  it('writes any tree the generic builder is given', () => {
    const dtb = buildDtb(fdtNode('', { a: [1, 2], b: ['x', 'y'], c: true, d: new Uint8Array([1, 2, 3]) }, [fdtNode('n', { e: 'z' })]));
    const dts = decompile(dtb, 'generic.dtb');
    expect(dts).toContain('a = <0x01 0x02>;');
    expect(dts).toContain('b = "x\\0y";');
    expect(dts).toContain('c;');
    expect(dts).toContain('d = [01 02 03];');
    expect(dts).toContain('n {\n\t\te = "z";');
    expect(() => buildDtb(fdtNode('', { bad: 2 ** 32 }))).toThrow(/not a u32/);
  });
});

describe('device tree helpers', () => {
  it('splits ISA strings into base and extensions', () => {
    expect(parseIsa('rv64imac_zicsr_zifencei')).toEqual({ base: 'rv64i', extensions: ['i', 'm', 'a', 'c', 'zicsr', 'zifencei'] });
    expect(parseIsa('rv64gc')).toEqual({ base: 'rv64i', extensions: ['i', 'm', 'a', 'f', 'd', 'c', 'zicsr', 'zifencei'] });
    expect(parseIsa('rv32e')).toEqual({ base: 'rv32e', extensions: ['e'] });
    expect(() => parseIsa('rv64imaczicsr')).toThrow(/separate/);
    expect(() => parseIsa('x86_64')).toThrow(/not of the form/);
    expect(() => virtFdt({ harts: 0, ramBase: 0x8000_0000, ramSize: 1 << 20 })).toThrow(/hart count/);
  });

  it('places the DTB where QEMU does: the last 2 MiB boundary that fits', () => {
    expect(fdtLoadAddress(0x8000_0000, 128 << 20, 0x1000)).toBe(0x8000_0000 + (126 << 20));
    expect(fdtLoadAddress(0x8000_0000, 128 << 20, 2 << 20)).toBe(0x8000_0000 + (126 << 20));
    expect(fdtLoadAddress(0x8000_0000, 128 << 20, (2 << 20) + 1)).toBe(0x8000_0000 + (124 << 20));
    expect(fdtLoadAddress(0x8000_0000, 1 << 20, 0x1000)).toBe(0x8000_0000);
    expect(() => fdtLoadAddress(0x8010_0000, 1 << 20, 0x1000)).toThrow(/too small/);
  });
});
