// CLINT (src/devices/clint.ts): the register map, mtime as a function of simulated cycles, MTIP
// and MSIP on the hart lines, and the next-timer-event cycle. With a real hart:
// devices-hart.test.ts.

import { describe, expect, it } from 'vitest';
import { Clint, CLINT_MSIP, CLINT_MTIME, CLINT_MTIMECMP } from '../src/devices/clint.js';
import { MmioStatus } from '../src/vcpu/port.js';
import { FakeHart, MSIP, MTIP, load, load32, loadStatus, store, storeOk } from './devices-helpers.js';

function setup(harts = 2, cpuHz = 1_000_000_000, timebaseHz?: number) {
  const hs = Array.from({ length: harts }, () => new FakeHart());
  const clock = { cycles: 0 };
  const clint = new Clint({ harts: hs, now: () => clock.cycles, cpuHz, ...(timebaseHz ? { timebaseHz } : {}) });
  return { hs, clock, clint };
}

describe('CLINT registers', () => {
  it('drives MSIP from bit 0 of msip[h]', () => {
    const { hs, clint } = setup();
    storeOk(clint, CLINT_MSIP + 4, 0xffff_ffff);
    expect(load32(clint, CLINT_MSIP + 4)).toBe(1);
    expect(hs[1]!.level(MSIP)).toBe(true);
    expect(hs[0]!.level(MSIP)).toBe(false);
    storeOk(clint, CLINT_MSIP + 4, 2);
    expect(load32(clint, CLINT_MSIP + 4)).toBe(0);
    expect(hs[1]!.level(MSIP)).toBe(false);
    // a hart that does not exist: reads 0, writes ignored
    storeOk(clint, CLINT_MSIP + 8, 1);
    expect(load32(clint, CLINT_MSIP + 8)).toBe(0);
  });

  it('computes mtime = floor(cycles * timebase / cpuHz) exactly', () => {
    const { clock, clint } = setup(1);
    clock.cycles = 12_345;
    expect(load(clint, CLINT_MTIME, 8)).toBe(123n);
    expect(clint.mtime()).toBe(123);
    // an awkward ratio, checked against BigInt arithmetic, up to 2^52 cycles
    const odd = setup(1, 999_983, 7_919);
    let x = 1;
    for (let i = 0; i < 200; i++) {
      x = (x * 48271) % 2147483647;
      const cycles = Math.floor(x * (i < 100 ? 1 : 2_097_152));
      odd.clock.cycles = cycles;
      const want = (BigInt(cycles) * 7919n) / 999_983n;
      expect(BigInt(odd.clint.mtime())).toBe(want);
      // cycleAtTicks is the exact inverse: the first cycle whose tick count reaches t
      const t = Number(want) + 1;
      const c = odd.clint.cycleAtTicks(t);
      expect(odd.clint.ticksAt(c)).toBeGreaterThanOrEqual(t);
      expect(odd.clint.ticksAt(c - 1)).toBeLessThan(t);
    }
  });

  it('reads and writes the 64-bit registers by halves', () => {
    const { clock, clint } = setup(1);
    clock.cycles = 100 * 0x1_2345_6789;
    expect(load32(clint, CLINT_MTIME)).toBe(0x2345_6789);
    expect(load32(clint, CLINT_MTIME + 4)).toBe(1);
    storeOk(clint, CLINT_MTIMECMP + 4, 0xdead_beef);
    storeOk(clint, CLINT_MTIMECMP, 0x0bad_f00d);
    expect(load(clint, CLINT_MTIMECMP, 8)).toBe(0xdead_beef_0bad_f00dn);
    expect(load32(clint, CLINT_MTIMECMP + 4)).toBe(0xdead_beef);
  });

  it('lets software set mtime, and time goes on from there', () => {
    const { clock, clint } = setup(1);
    clock.cycles = 1000; // mtime 10
    storeOk(clint, CLINT_MTIME, 5000n, 8);
    expect(clint.mtime()).toBe(5000);
    clock.cycles = 2000;
    expect(load(clint, CLINT_MTIME, 8)).toBe(5010n);
    storeOk(clint, CLINT_MTIME + 4, 1);
    expect(clint.mtime()).toBe(2 ** 32 + 5010);
  });

  it('refuses sizes and alignments QEMU refuses', () => {
    const { clint } = setup(1);
    expect(loadStatus(clint, CLINT_MSIP, 8)).toBe(MmioStatus.Fault);
    expect(loadStatus(clint, CLINT_MSIP, 1)).toBe(MmioStatus.Fault);
    expect(loadStatus(clint, CLINT_MTIME, 2)).toBe(MmioStatus.Fault);
    expect(loadStatus(clint, CLINT_MTIMECMP + 4, 8)).toBe(MmioStatus.Fault);
    expect(store(clint, CLINT_MTIMECMP + 2, 0, 4)).toBe(MmioStatus.Fault);
    expect(loadStatus(clint, 0xc000, 4)).toBe(MmioStatus.Ok);
  });
});

describe('CLINT timer', () => {
  it('is pending at reset (mtimecmp 0), as QEMU and Spike', () => {
    const { hs } = setup(2);
    expect(hs[0]!.level(MTIP)).toBe(true);
    expect(hs[1]!.level(MTIP)).toBe(true);
  });

  it('raises MTIP when mtime reaches mtimecmp, per hart', () => {
    const { hs, clock, clint } = setup(2);
    storeOk(clint, CLINT_MTIMECMP, 1000n, 8); // hart 0: 1000 ticks = 100_000 cycles
    storeOk(clint, CLINT_MTIMECMP + 8, 3000n, 8); // hart 1
    expect(hs[0]!.level(MTIP)).toBe(false);
    expect(hs[1]!.level(MTIP)).toBe(false);
    expect(clint.nextTimerCycle()).toBe(100_000);
    expect(clint.nextTimerCycle(1)).toBe(300_000);

    clock.cycles = 99_999;
    clint.update();
    expect(hs[0]!.level(MTIP)).toBe(false);
    clock.cycles = 100_000;
    clint.update();
    expect(hs[0]!.level(MTIP)).toBe(true);
    expect(hs[1]!.level(MTIP)).toBe(false);
    expect(clint.nextTimerCycle()).toBe(300_000); // hart 0 is already pending

    // writing a later mtimecmp withdraws the interrupt at once
    storeOk(clint, CLINT_MTIMECMP, 1500n, 8);
    expect(hs[0]!.level(MTIP)).toBe(false);
    expect(clint.nextTimerCycle(0)).toBe(150_000);
    // an earlier one raises it at once
    storeOk(clint, CLINT_MTIMECMP, 10n, 8);
    expect(hs[0]!.level(MTIP)).toBe(true);
  });

  it('never fires for mtimecmp = all ones', () => {
    const { hs, clint } = setup(1);
    storeOk(clint, CLINT_MTIMECMP, -1n, 8);
    expect(hs[0]!.level(MTIP)).toBe(false);
    expect(clint.nextTimerCycle()).toBe(Infinity);
  });

  it('tells hart lines only about changes', () => {
    const { hs, clock, clint } = setup(1);
    storeOk(clint, CLINT_MTIMECMP, 50n, 8);
    const before = hs[0]!.log.length;
    for (let c = 0; c < 10; c++) {
      clock.cycles = c * 100;
      clint.update();
    }
    expect(hs[0]!.log.length).toBe(before);
  });
});
