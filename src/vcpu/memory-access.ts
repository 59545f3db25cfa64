// Loads and stores of 1, 2, 4 and 8 bytes for the instruction handlers.
//
// Fast path: the page is in the kind's TLB (tag = virtual page base) and the access does not
// cross the page, so the RAM offset is the TLB entry plus the page offset. Everything else goes
// through Hart.resolve (translation, the port, devices, faults, stalls). Misaligned accesses are
// performed, as QEMU does; one that crosses a page checks both pages before it writes anything.
//
// While a trigger watches loads or stores (triggers.ts), resolve() leaves that kind's filter
// empty, so every such access comes through the slow path here, which asks the hart's
// watchData first.

import { Access, MmioStatus } from './port.js';
import type { Hart } from './hart.js';
import { Status, TLB_MASK, MEM_MMIO, MEM_STALL, TRIGGER_AFTER } from './status.js';
import { TRIG_LOAD, TRIG_STORE } from './triggers.js';

const TWO32 = 4294967296;

/** Value of the last slow-path read, lo and hi. */
const val = new Int32Array(2);

function readRam(dv: DataView, ro: number, size: number, signed: boolean): void {
  switch (size) {
    case 1: val[0] = signed ? dv.getInt8(ro) : dv.getUint8(ro); break;
    case 2: val[0] = signed ? dv.getInt16(ro, true) : dv.getUint16(ro, true); break;
    case 4: val[0] = dv.getInt32(ro, true); break;
    default: val[0] = dv.getInt32(ro, true); val[1] = dv.getInt32(ro + 4, true); return;
  }
  val[1] = signed ? val[0] >> 31 : 0;
  if (!signed && size === 4) val[1] = 0;
}

/** Load into rd the value at x[rs1] + imm. */
export function load(h: Hart, rd: number, rs1: number, imm: number, size: number, signed: boolean): number {
  const s = (h.xl[rs1] >>> 0) + imm;
  const lo = s | 0;
  const hi = (h.xh[rs1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
  const va = hi * TWO32 + (lo >>> 0);
  const po = lo & h.grantMask;
  const t = (lo >>> h.grantShift) & TLB_MASK;
  if (h.tlbLoadTag[t] === va - po && po <= h.grantMask + 1 - size) {
    const ro = h.tlbLoadRam[t] + po;
    const dv = h.dv;
    switch (size) {
      case 1: { const v = signed ? dv.getInt8(ro) : dv.getUint8(ro); h.xl[rd] = v; h.xh[rd] = v >> 31; return Status.Ok; }
      case 2: { const v = signed ? dv.getInt16(ro, true) : dv.getUint16(ro, true); h.xl[rd] = v; h.xh[rd] = v >> 31; return Status.Ok; }
      case 4: { const v = dv.getInt32(ro, true); h.xl[rd] = v; h.xh[rd] = signed ? v >> 31 : 0; return Status.Ok; }
      default: h.xl[rd] = dv.getInt32(ro, true); h.xh[rd] = dv.getInt32(ro + 4, true); return Status.Ok;
    }
  }
  return timed(h, h.extraCycles, loadSlow(h, rd, lo, hi, size, signed));
}

/**
 * A slow-path access that cost time (a cache port charged latency) ends the run loop's fast
 * path, so that the loop can stop at its cycle limit rather than run past it.
 */
export function timed(h: Hart, extraBefore: number, st: number): number {
  return st === Status.Ok && h.extraCycles !== extraBefore ? Status.Event : st;
}

function loadSlow(h: Hart, rd: number, lo: number, hi: number, size: number, signed: boolean): number {
  return (h.triggers.armed & TRIG_LOAD) !== 0 ? loadWatched(h, rd, lo, hi, size, signed) : loadAccess(h, rd, lo, hi, size, signed);
}

/** A load while a trigger watches loads: by address before it, by the value read after it. */
function loadWatched(h: Hart, rd: number, lo: number, hi: number, size: number, signed: boolean): number {
  let w = h.watchData(Access.Load, lo, hi, false, 0, 0);
  if (w === Status.Trap) return w;
  const byValue = w !== TRIGGER_AFTER && (h.triggers.armedData & TRIG_LOAD) !== 0;
  // A chain may end in a trigger that fires before the load although it matched the value:
  // the load then has not happened, and rd keeps what it held.
  const oldLo = h.xl[rd], oldHi = h.xh[rd];
  const st = loadAccess(h, rd, lo, hi, size, signed);
  if (st !== Status.Ok && st !== Status.Event) return st;
  if (byValue) {
    w = h.watchData(Access.Load, lo, hi, true, zextLo(h.xl[rd], size), size === 8 ? h.xh[rd] : 0);
    if (w === Status.Trap) { h.xl[rd] = oldLo; h.xh[rd] = oldHi; return w; }
  }
  return w === TRIGGER_AFTER ? h.fireAfter(lo, hi) : st;
}

/** The low word of a value of `size` bytes as triggers compare it: the bytes, zero-extended. */
export function zextLo(v: number, size: number): number {
  return size >= 4 ? v : v & (size === 1 ? 0xff : 0xffff);
}

function loadAccess(h: Hart, rd: number, lo: number, hi: number, size: number, signed: boolean): number {
  if ((lo & h.grantMask) + size > h.grantMask + 1) {
    // Crosses a grant span (line or page): byte by byte, each resolved on its own.
    let vlo = 0, vhi = 0;
    for (let k = 0; k < size; k++) {
      const s = (lo >>> 0) + k;
      const r = h.resolve(s | 0, (hi + (s >= TWO32 ? 1 : 0)) | 0, 1, Access.Load);
      if (r < 0) return memFailure(h, r, s | 0, hi, false);
      const b = h.u8[r];
      if (k < 4) vlo |= b << (8 * k); else vhi |= b << (8 * (k - 4));
    }
    if (size < 8 && signed) { const sh = 32 - 8 * size; vlo = (vlo << sh) >> sh; vhi = vlo >> 31; }
    h.xl[rd] = vlo; h.xh[rd] = vhi;
    return Status.Ok;
  }
  const r = h.resolve(lo, hi, size, Access.Load);
  if (r >= 0) readRam(h.dv, r, size, signed);
  else if (r === MEM_MMIO) {
    const st = h.port.mmioLoad(h.mmioPaddr, size, val);
    if (st !== MmioStatus.Ok) return h.mmioOutcome(st, lo, hi, false);
    if (size < 8) {
      const sh = 32 - 8 * size;
      val[0] = signed ? (val[0] << sh) >> sh : size === 4 ? val[0] : (val[0] << sh) >>> sh;
      val[1] = signed ? val[0] >> 31 : 0;
    }
  } else return memFailure(h, r, lo, hi, false);
  h.xl[rd] = val[0]; h.xh[rd] = val[1];
  return r === MEM_MMIO ? Status.Event : Status.Ok;
}

function memFailure(h: Hart, r: number, lo: number, hi: number, store: boolean): number {
  if (r === MEM_STALL) return Status.Stall;
  if (r === MEM_MMIO) return h.mmioOutcome(MmioStatus.Fault, lo, hi, store);
  return Status.Trap;
}

/** Store the low `size` bytes of x[rs2] at x[rs1] + imm. */
export function store(h: Hart, rs1: number, rs2: number, imm: number, size: number): number {
  h.stores++;
  const s = (h.xl[rs1] >>> 0) + imm;
  const lo = s | 0;
  const hi = (h.xh[rs1] + (s < 0 ? -1 : s >= TWO32 ? 1 : 0)) | 0;
  const va = hi * TWO32 + (lo >>> 0);
  const po = lo & h.grantMask;
  const t = (lo >>> h.grantShift) & TLB_MASK;
  if (h.tlbStoreTag[t] === va - po && po <= h.grantMask + 1 - size) {
    const ro = h.tlbStoreRam[t] + po;
    writeRam(h.dv, ro, size, h.xl[rs2], h.xh[rs2]);
    if (ro >= h.storeMaskFrom) h.markStored(ro, size);
    return Status.Ok;
  }
  return timed(h, h.extraCycles, storeSlow(h, lo, hi, size, h.xl[rs2], h.xh[rs2]));
}

function writeRam(dv: DataView, ro: number, size: number, vlo: number, vhi: number): void {
  switch (size) {
    case 1: dv.setInt8(ro, vlo); return;
    case 2: dv.setInt16(ro, vlo, true); return;
    case 4: dv.setInt32(ro, vlo, true); return;
    default: dv.setInt32(ro, vlo, true); dv.setInt32(ro + 4, vhi, true);
  }
}

function storeSlow(h: Hart, lo: number, hi: number, size: number, vlo: number, vhi: number): number {
  if ((h.triggers.armed & TRIG_STORE) === 0) return storeAccess(h, lo, hi, size, vlo, vhi);
  const w = h.watchData(Access.Store, lo, hi, true, zextLo(vlo, size), size === 8 ? vhi : 0);
  if (w === Status.Trap) return w;
  const st = storeAccess(h, lo, hi, size, vlo, vhi);
  return w === TRIGGER_AFTER && (st === Status.Ok || st === Status.Event) ? h.fireAfter(lo, hi) : st;
}

function storeAccess(h: Hart, lo: number, hi: number, size: number, vlo: number, vhi: number): number {
  const po = lo & h.grantMask;
  if (po + size > h.grantMask + 1) {
    const first = h.grantMask + 1 - po;
    const s = (lo >>> 0) + first;
    const lo2 = s | 0, hi2 = (hi + (s >= TWO32 ? 1 : 0)) | 0;
    const r1 = h.resolve(lo, hi, first, Access.Store);
    if (r1 < 0) return memFailure(h, r1, lo, hi, true);
    const r2 = h.resolve(lo2, hi2, size - first, Access.Store);
    if (r2 < 0) return memFailure(h, r2, lo2, hi2, true);
    for (let k = 0; k < size; k++) {
      const b = k < 4 ? (vlo >>> (8 * k)) & 255 : (vhi >>> (8 * (k - 4))) & 255;
      h.u8[k < first ? r1 + k : r2 + k - first] = b;
    }
    h.storedRam(r1, first);
    h.storedRam(r2, size - first);
    return Status.Ok;
  }
  const r = h.resolve(lo, hi, size, Access.Store);
  if (r >= 0) {
    writeRam(h.dv, r, size, vlo, vhi);
    h.storedRam(r, size);
    return Status.Ok;
  }
  if (r === MEM_MMIO) return h.mmioOutcome(h.port.mmioStore(h.mmioPaddr, size, vlo, vhi), lo, hi, true);
  return memFailure(h, r, lo, hi, true);
}

/**
 * Triggers on an AMO whose access at (lo, hi) reads (olo, ohi) and writes (nlo, nhi), in
 * Spike's order: the load by address, then by the value read, then the store with the value
 * written. Returns what Hart.watchData does.
 */
export function watchAmo(h: Hart, lo: number, hi: number, size: number, olo: number, ohi: number, nlo: number, nhi: number): number {
  const t = h.triggers;
  let w: number = Status.Ok;
  if ((t.armed & TRIG_LOAD) !== 0) {
    w = h.watchData(Access.Load, lo, hi, false, 0, 0);
    if (w === Status.Trap) return w;
    if (w !== TRIGGER_AFTER && (t.armedData & TRIG_LOAD) !== 0) {
      w = h.watchData(Access.Load, lo, hi, true, zextLo(olo, size), size === 8 ? ohi : 0);
      if (w === Status.Trap) return w;
    }
  }
  if (w !== TRIGGER_AFTER && (t.armed & TRIG_STORE) !== 0) w = h.watchData(Access.Store, lo, hi, true, zextLo(nlo, size), size === 8 ? nhi : 0);
  return w;
}

/**
 * RAM offset for an atomic access of `size` bytes at x[rs1] (naturally aligned, checked by the
 * caller), with store permission. Negative: a Status to return, negated minus one.
 */
export function atomicRam(h: Hart, lo: number, hi: number, size: number, kind: Access): number {
  const va = hi * TWO32 + (lo >>> 0);
  const po = lo & h.grantMask;
  const t = (lo >>> h.grantShift) & TLB_MASK;
  if (kind === Access.Store && h.tlbStoreTag[t] === va - po) return h.tlbStoreRam[t] + po;
  if (kind === Access.Load && h.tlbLoadTag[t] === va - po) return h.tlbLoadRam[t] + po;
  const r = h.resolve(lo, hi, size, kind);
  if (r >= 0) return r;
  // Atomics on device registers are not supported: an access fault, as on most real buses.
  return -1 - memFailure(h, r, lo, hi, kind === Access.Store);
}
