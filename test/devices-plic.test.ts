// PLIC (src/devices/plic.ts): priorities, pending bits, enables, thresholds, claim/complete
// with level-triggered gateway semantics, and routing to the M- and S-mode contexts of each hart.

import { describe, expect, it } from 'vitest';
import {
  Plic,
  PLIC_CONTEXT,
  PLIC_CONTEXT_STRIDE,
  PLIC_ENABLE,
  PLIC_ENABLE_STRIDE,
  PLIC_PENDING,
  PLIC_PRIORITY,
} from '../src/devices/plic.js';
import { MmioStatus } from '../src/vcpu/port.js';
import { FakeHart, MEIP, SEIP, load32, loadStatus, store, storeOk } from './devices-helpers.js';

function setup(harts = 2) {
  const hs = Array.from({ length: harts }, () => new FakeHart());
  const plic = new Plic({ harts: hs });
  const prio = (src: number, p: number) => storeOk(plic, PLIC_PRIORITY + 4 * src, p);
  const enable = (ctx: number, src: number, on = true) => {
    const off = PLIC_ENABLE + PLIC_ENABLE_STRIDE * ctx + 4 * (src >>> 5);
    const old = load32(plic, off);
    storeOk(plic, off, on ? old | (1 << (src & 31)) : old & ~(1 << (src & 31)));
  };
  const threshold = (ctx: number, t: number) => storeOk(plic, PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * ctx, t);
  const claim = (ctx: number) => load32(plic, PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * ctx + 4);
  const complete = (ctx: number, src: number) => storeOk(plic, PLIC_CONTEXT + PLIC_CONTEXT_STRIDE * ctx + 4, src);
  const pendingWord = (w: number) => load32(plic, PLIC_PENDING + 4 * w);
  return { hs, plic, prio, enable, threshold, claim, complete, pendingWord };
}

describe('PLIC registers', () => {
  it('keeps 3 priority bits per source; source 0 is hardwired to 0', () => {
    const { plic, prio } = setup();
    prio(5, 0xff);
    expect(load32(plic, PLIC_PRIORITY + 4 * 5)).toBe(7);
    prio(95, 3);
    expect(load32(plic, PLIC_PRIORITY + 4 * 95)).toBe(3);
    prio(0, 7);
    expect(load32(plic, PLIC_PRIORITY)).toBe(0);
    expect(load32(plic, PLIC_PRIORITY + 4 * 96)).toBe(0); // beyond the last source
  });

  it('shows levels in the pending bits, read-only', () => {
    const { plic, pendingWord } = setup();
    plic.setSourceLevel(1, true);
    plic.setSourceLevel(33, true);
    plic.setSourceLevel(95, true);
    expect(pendingWord(0)).toBe(2);
    expect(pendingWord(1)).toBe(2);
    expect(pendingWord(2)).toBe(0x8000_0000);
    storeOk(plic, PLIC_PENDING, 0);
    expect(pendingWord(0)).toBe(2);
    plic.setSourceLevel(1, false);
    expect(pendingWord(0)).toBe(0);
  });

  it('keeps enables per context, with source 0 never enabled', () => {
    const { plic } = setup();
    storeOk(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 3, 0xffff_ffff);
    storeOk(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 3 + 8, 0xffff_ffff);
    expect(load32(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 3)).toBe(0xffff_fffe);
    expect(load32(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 3 + 8)).toBe(0xffff_ffff);
    expect(load32(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 2)).toBe(0);
    // a context that does not exist (2 harts: contexts 0..3)
    storeOk(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 4, 0xffff_ffff);
    expect(load32(plic, PLIC_ENABLE + PLIC_ENABLE_STRIDE * 4)).toBe(0);
  });

  it('takes only aligned 32-bit accesses', () => {
    const { plic } = setup();
    expect(loadStatus(plic, PLIC_PRIORITY + 4, 8)).toBe(MmioStatus.Fault);
    expect(loadStatus(plic, PLIC_PRIORITY + 4, 1)).toBe(MmioStatus.Fault);
    expect(store(plic, PLIC_PRIORITY + 6, 1, 4)).toBe(MmioStatus.Fault);
    expect(loadStatus(plic, 0x3ff_fffc, 4)).toBe(MmioStatus.Ok);
  });
});

describe('PLIC routing and claims', () => {
  it('routes context 2h to hart h MEIP and 2h+1 to SEIP', () => {
    const { hs, plic, prio, enable } = setup(2);
    prio(10, 1);
    enable(1, 10); // hart 0, S-mode
    plic.setSourceLevel(10, true);
    expect(hs[0]!.level(SEIP)).toBe(true);
    expect(hs[0]!.level(MEIP)).toBe(false);
    expect(hs[1]!.level(MEIP) || hs[1]!.level(SEIP)).toBe(false);
    enable(2, 10); // hart 1, M-mode
    expect(hs[1]!.level(MEIP)).toBe(true);
    expect(hs[1]!.level(SEIP)).toBe(false);
    plic.setSourceLevel(10, false); // the device withdraws before anyone claims
    expect(hs[0]!.level(SEIP)).toBe(false);
    expect(hs[1]!.level(MEIP)).toBe(false);
  });

  it('claims the highest priority, lowest id first, and completes', () => {
    const { hs, plic, prio, enable, claim, complete } = setup(1);
    for (const [src, p] of [[3, 2], [5, 5], [7, 5], [9, 1]] as const) {
      prio(src, p);
      enable(0, src);
      plic.setSourceLevel(src, true);
    }
    expect(hs[0]!.level(MEIP)).toBe(true);
    expect(claim(0)).toBe(5);
    expect(claim(0)).toBe(7);
    expect(claim(0)).toBe(3);
    expect(claim(0)).toBe(9);
    expect(hs[0]!.level(MEIP)).toBe(false); // all claimed
    expect(claim(0)).toBe(0);
    // the devices calm down, then the handlers complete
    for (const src of [3, 5, 7, 9]) plic.setSourceLevel(src, false);
    for (const src of [5, 7, 3, 9]) complete(0, src);
    expect(hs[0]!.level(MEIP)).toBe(false);
    expect(claim(0)).toBe(0);
  });

  it('does not re-pend a claimed source until complete, then re-pends a level still high', () => {
    const { hs, plic, prio, enable, claim, complete, pendingWord } = setup(1);
    prio(10, 1);
    enable(0, 10);
    plic.setSourceLevel(10, true);
    expect(claim(0)).toBe(10);
    expect(pendingWord(0)).toBe(0);
    plic.setSourceLevel(10, true); // still asserted (or asserted again): gateway holds it
    expect(pendingWord(0)).toBe(0);
    expect(hs[0]!.level(MEIP)).toBe(false);
    complete(0, 10);
    expect(pendingWord(0)).toBe(1 << 10);
    expect(hs[0]!.level(MEIP)).toBe(true);
    expect(claim(0)).toBe(10);
    plic.setSourceLevel(10, false);
    complete(0, 10);
    expect(pendingWord(0)).toBe(0);
    expect(hs[0]!.level(MEIP)).toBe(false);
    // completing something never claimed, or out of range, changes nothing
    complete(0, 10);
    complete(0, 1000);
    expect(hs[0]!.level(MEIP)).toBe(false);
  });

  it('interrupts only above the threshold; priority 0 never', () => {
    const { hs, plic, prio, enable, threshold, claim } = setup(1);
    enable(1, 4);
    plic.setSourceLevel(4, true);
    expect(hs[0]!.level(SEIP)).toBe(false); // priority 0
    prio(4, 3);
    expect(hs[0]!.level(SEIP)).toBe(true);
    threshold(1, 3);
    expect(load32(plic, PLIC_CONTEXT + PLIC_CONTEXT_STRIDE)).toBe(3);
    expect(hs[0]!.level(SEIP)).toBe(false);
    expect(claim(1)).toBe(0);
    threshold(1, 2);
    expect(hs[0]!.level(SEIP)).toBe(true);
    expect(claim(1)).toBe(4);
  });

  it('lets one context claim what another was also enabled for', () => {
    const { hs, plic, prio, enable, claim } = setup(2);
    prio(1, 1);
    enable(0, 1);
    enable(2, 1);
    plic.setSourceLevel(1, true);
    expect(hs[0]!.level(MEIP) && hs[1]!.level(MEIP)).toBe(true);
    expect(claim(2)).toBe(1);
    expect(hs[0]!.level(MEIP)).toBe(false);
    expect(claim(0)).toBe(0);
  });

  it('refuses bad source numbers from the board', () => {
    const { plic } = setup(1);
    expect(() => plic.line(0)).toThrow(/source 0/);
    expect(() => plic.setSourceLevel(96, true)).toThrow(/source 96/);
  });
});
