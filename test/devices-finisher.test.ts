// SiFive test finisher (src/devices/finisher.ts): pass, fail with a code, reset, ignored values,
// and the access sizes QEMU accepts.

import { describe, expect, it } from 'vitest';
import { Finisher, FINISHER_BASE } from '../src/devices/finisher.js';
import { MmioStatus } from '../src/vcpu/port.js';
import { load32, loadStatus, store } from './devices-helpers.js';

describe('test finisher', () => {
  it('sits at 0x100000', () => {
    expect(new Finisher().base).toBe(FINISHER_BASE);
    expect(FINISHER_BASE).toBe(0x10_0000);
  });

  it('halts with exit status 0 on 0x5555', () => {
    const f = new Finisher();
    expect(f.outcome).toBeNull();
    expect(store(f, 0, 0x5555)).toBe(MmioStatus.Halt);
    expect(f.outcome).toEqual({ kind: 'pass', exitCode: 0, value: 0x5555 });
  });

  it('halts with the code of 0x3333 | code << 16', () => {
    const f = new Finisher();
    expect(store(f, 0, 0x3333 | (42 << 16))).toBe(MmioStatus.Halt);
    expect(f.outcome).toEqual({ kind: 'fail', exitCode: 42, value: 0x2a3333 });
    const big = new Finisher();
    expect(store(big, 0, (0xffff << 16) | 0x3333)).toBe(MmioStatus.Halt);
    expect(big.outcome?.exitCode).toBe(0xffff);
    const zero = new Finisher();
    store(zero, 0, 0x3333);
    expect(zero.outcome).toEqual({ kind: 'fail', exitCode: 0, value: 0x3333 });
  });

  it('halts with a reset request on 0x7777 (syscon-reboot)', () => {
    const f = new Finisher();
    expect(store(f, 0, 0x7777)).toBe(MmioStatus.Halt);
    expect(f.outcome?.kind).toBe('reset');
  });

  it('ignores other values and other offsets; reads 0', () => {
    const f = new Finisher();
    expect(store(f, 0, 0x1234)).toBe(MmioStatus.Ok);
    expect(store(f, 4, 0x5555)).toBe(MmioStatus.Ok);
    expect(f.outcome).toBeNull();
    expect(f.ignoredStores).toBe(2);
    expect(load32(f, 0)).toBe(0);
  });

  it('takes 16- and 32-bit accesses only, as QEMU', () => {
    const f = new Finisher();
    expect(store(f, 0, 0x5555, 1)).toBe(MmioStatus.Fault);
    expect(store(f, 0, 0x5555n, 8)).toBe(MmioStatus.Fault);
    expect(store(f, 2, 0x5555, 4)).toBe(MmioStatus.Fault);
    expect(loadStatus(f, 0, 8)).toBe(MmioStatus.Fault);
    expect(f.outcome).toBeNull();
    expect(store(f, 0, 0x5555, 2)).toBe(MmioStatus.Halt);
    expect(f.outcome?.kind).toBe('pass');
  });
});
