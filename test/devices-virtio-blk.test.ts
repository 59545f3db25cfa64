// virtio-mmio block device (src/devices/virtio-blk.ts): probing, feature negotiation, a split
// virtqueue built by hand in a RAM buffer, reads and writes of a disk image, flush/persist,
// GET_ID, errors, interrupt status and delay, device errors and reset, the empty slot, and
// requests carried out as DMA jobs that see only the one line they asked for.

import { describe, expect, it } from 'vitest';
import {
  INT_CONFIG_CHANGE,
  INT_USED_BUFFER,
  STATUS_ACKNOWLEDGE,
  STATUS_DRIVER,
  STATUS_DRIVER_OK,
  STATUS_FEATURES_OK,
  STATUS_NEEDS_RESET,
  VIRTIO_BLK_F_FLUSH,
  VIRTIO_BLK_F_RO,
  VIRTIO_BLK_S_IOERR,
  VIRTIO_BLK_S_OK,
  VIRTIO_BLK_S_UNSUPP,
  VIRTIO_BLK_T_FLUSH,
  VIRTIO_BLK_T_GET_ID,
  VIRTIO_BLK_T_IN,
  VIRTIO_BLK_T_OUT,
  VIRTQ_AVAIL_F_NO_INTERRUPT,
  VirtioBlk,
  VirtioMmioEmpty,
  VirtioReg as R,
  type VirtioBlkOptions,
} from '../src/devices/virtio-blk.js';
import type { DmaEngine, DmaJob, DmaNeed } from '../src/devices/dma.js';
import { FakeLine, load, load32, storeOk } from './devices-helpers.js';

const RAM_BASE = 0x8000_0000;
const RAM_SIZE = 1 << 20;
const QSIZE = 8;
const DESC = RAM_BASE + 0x1000;
const AVAIL = RAM_BASE + 0x2000;
const USED = RAM_BASE + 0x3000;
const SECTOR = 512;

interface Buf {
  gpa: number;
  len: number;
  write?: boolean;
}

/** A minimal virtio driver over the MMIO registers and a RAM buffer, as Linux's would act. */
class Driver {
  readonly ram = { base: RAM_BASE, u8: new Uint8Array(RAM_SIZE) };
  readonly dv = new DataView(this.ram.u8.buffer);
  readonly line = new FakeLine();
  readonly ramWrites: Array<[number, number]> = [];
  readonly dev: VirtioBlk;
  private nextDesc = 0;
  private availIdx = 0;
  private heap = RAM_BASE + 0x10000;

  constructor(disk: Uint8Array, opts: Partial<VirtioBlkOptions> = {}) {
    this.dev = new VirtioBlk({
      irq: this.line,
      ram: this.ram,
      onRamWrite: (off, len) => this.ramWrites.push([off, len]),
      disk,
      ...opts,
    });
  }

  r(off: number): number {
    return load32(this.dev, off);
  }
  w(off: number, v: number): void {
    storeOk(this.dev, off, v);
  }

  /**
   * The virtio initialisation sequence (spec 3.1.1); returns the Status read back. With `featHi`
   * null the driver writes only the low feature word, as one written for legacy devices does.
   */
  init(featLo = 1 << VIRTIO_BLK_F_FLUSH, featHi: number | null = 1): number {
    this.w(R.Status, 0);
    this.w(R.Status, STATUS_ACKNOWLEDGE);
    this.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    this.w(R.DriverFeaturesSel, 0);
    this.w(R.DriverFeatures, featLo);
    if (featHi !== null) {
      this.w(R.DriverFeaturesSel, 1);
      this.w(R.DriverFeatures, featHi);
    }
    this.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    const st = this.r(R.Status);
    if (!(st & STATUS_FEATURES_OK)) return st;
    this.w(R.QueueSel, 0);
    this.w(R.QueueNum, QSIZE);
    this.w(R.QueueDescLow, DESC >>> 0);
    this.w(R.QueueDescHigh, 0);
    this.w(R.QueueDriverLow, AVAIL >>> 0);
    this.w(R.QueueDriverHigh, 0);
    this.w(R.QueueDeviceLow, USED >>> 0);
    this.w(R.QueueDeviceHigh, 0);
    this.w(R.QueueReady, 1);
    this.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    return this.r(R.Status);
  }

  alloc(len: number): number {
    const gpa = this.heap;
    this.heap += (len + 15) & ~15;
    return gpa;
  }

  off(gpa: number): number {
    return gpa - RAM_BASE;
  }

  header(type: number, sector: number): Buf {
    const gpa = this.alloc(16);
    const o = this.off(gpa);
    this.dv.setUint32(o, type, true);
    this.dv.setUint32(o + 4, 0, true);
    this.dv.setUint32(o + 8, sector % 2 ** 32, true);
    this.dv.setUint32(o + 12, Math.floor(sector / 2 ** 32), true);
    return { gpa, len: 16 };
  }

  /** Put a chain in the descriptor table and the available ring; returns its head. */
  submit(chain: Buf[]): number {
    const head = this.nextDesc;
    chain.forEach((b, k) => {
      const i = (head + k) % QSIZE;
      const d = this.off(DESC) + 16 * i;
      this.dv.setUint32(d, b.gpa >>> 0, true);
      this.dv.setUint32(d + 4, Math.floor(b.gpa / 2 ** 32), true);
      this.dv.setUint32(d + 8, b.len, true);
      this.dv.setUint16(d + 12, (k + 1 < chain.length ? 1 : 0) | (b.write ? 2 : 0), true);
      this.dv.setUint16(d + 14, (i + 1) % QSIZE, true);
    });
    this.nextDesc = (head + chain.length) % QSIZE;
    const a = this.off(AVAIL);
    this.dv.setUint16(a + 4 + 2 * (this.availIdx % QSIZE), head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.dv.setUint16(a + 2, this.availIdx, true);
    return head;
  }

  notify(): void {
    this.w(R.QueueNotify, 0);
  }

  usedIdx(): number {
    return this.dv.getUint16(this.off(USED) + 2, true);
  }

  usedElem(n: number): { id: number; len: number } {
    const e = this.off(USED) + 4 + 8 * (n % QSIZE);
    return { id: this.dv.getUint32(e, true), len: this.dv.getUint32(e + 4, true) };
  }

  /** One request: header, optional data, status byte; returns the status and the data buffer. */
  request(type: number, sector: number, data?: { len: number; write: boolean; fill?: Uint8Array }) {
    const chain: Buf[] = [this.header(type, sector)];
    let dataGpa = 0;
    if (data) {
      dataGpa = this.alloc(data.len);
      if (data.fill) this.ram.u8.set(data.fill, this.off(dataGpa));
      chain.push({ gpa: dataGpa, len: data.len, write: data.write });
    }
    const status = this.alloc(1);
    this.ram.u8[this.off(status)] = 0xee;
    chain.push({ gpa: status, len: 1, write: true });
    const before = this.usedIdx();
    const head = this.submit(chain);
    this.notify();
    expect(this.usedIdx()).toBe((before + 1) & 0xffff);
    const used = this.usedElem(before);
    expect(used.id).toBe(head);
    return {
      status: this.ram.u8[this.off(status)]!,
      used,
      data: data ? this.ram.u8.slice(this.off(dataGpa), this.off(dataGpa) + data.len) : new Uint8Array(0),
    };
  }
}

function diskImage(sectors: number): Uint8Array {
  const d = new Uint8Array(sectors * SECTOR);
  for (let i = 0; i < d.length; i++) d[i] = (i * 7 + (i >>> 9)) & 0xff;
  return d;
}

describe('virtio-mmio transport', () => {
  it('identifies itself as QEMU virtio-mmio v2 block device', () => {
    const drv = new Driver(diskImage(128));
    expect(drv.r(R.MagicValue)).toBe(0x74726976);
    expect(drv.r(R.Version)).toBe(2);
    expect(drv.r(R.DeviceID)).toBe(2);
    expect(drv.r(R.VendorID)).toBe(0x554d4551);
    expect(drv.dev.base).toBe(0x1000_1000);
    expect(new VirtioBlk({ slot: 3, irq: drv.line, ram: drv.ram, onRamWrite: () => {}, disk: new Uint8Array(0) }).base).toBe(0x1000_4000);
  });

  it('offers VERSION_1, SEG_MAX, BLK_SIZE and FLUSH, and RO for a read-only disk', () => {
    const drv = new Driver(diskImage(8));
    drv.w(R.DeviceFeaturesSel, 0);
    expect(drv.r(R.DeviceFeatures)).toBe((1 << 2) | (1 << 6) | (1 << 9));
    drv.w(R.DeviceFeaturesSel, 1);
    expect(drv.r(R.DeviceFeatures)).toBe(1);
    drv.w(R.DeviceFeaturesSel, 2); // any selector but 0 picks the high word, as in QEMU
    expect(drv.r(R.DeviceFeatures)).toBe(1);
    const ro = new Driver(diskImage(8), { readOnly: true });
    expect(ro.r(R.DeviceFeatures) & (1 << VIRTIO_BLK_F_RO)).toBe(1 << VIRTIO_BLK_F_RO);
  });

  it('exposes the capacity, seg_max and blk_size in config space at every access size', () => {
    const drv = new Driver(diskImage(0x1234));
    expect(drv.r(R.Config)).toBe(0x1234);
    expect(drv.r(R.Config + 4)).toBe(0);
    expect(load(drv.dev, R.Config, 8)).toBe(0x1234n);
    expect(load32(drv.dev, R.Config, 2)).toBe(0x1234);
    expect(load32(drv.dev, R.Config + 1, 1)).toBe(0x12);
    expect(drv.r(R.Config + 0x0c)).toBe(254);
    expect(drv.r(R.Config + 0x14)).toBe(512);
    expect(drv.r(R.ConfigGeneration)).toBe(0);
    expect(drv.r(R.QueueNumMax)).toBe(256);
    drv.w(R.QueueSel, 1);
    expect(drv.r(R.QueueNumMax)).toBe(0);
  });

  it('never refuses FEATURES_OK, as QEMU: bits not offered are dropped, VERSION_1 is optional', () => {
    const all = STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK;
    const drv = new Driver(diskImage(8));
    expect(drv.init()).toBe(all);
    expect(drv.dev.negotiated).toBe('0x100000200'); // VERSION_1 and FLUSH
    expect(drv.init(0, 0)).toBe(all);
    expect(drv.dev.negotiated).toBe('0x0');
    expect(drv.init((1 << 1) | (1 << 28) | (1 << VIRTIO_BLK_F_FLUSH), 0xff)).toBe(all); // SIZE_MAX, INDIRECT_DESC not offered
    expect(drv.dev.negotiated).toBe('0x100000200');
  });

  it('negotiates without VERSION_1 when the driver writes back only the low feature word', () => {
    const disk = diskImage(16);
    const drv = new Driver(disk);
    drv.w(R.DeviceFeaturesSel, 0);
    const offered = drv.r(R.DeviceFeatures);
    const st = drv.init(offered & ~(1 << VIRTIO_BLK_F_RO), null); // never touches DriverFeaturesSel 1
    expect(st).toBe(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    expect(drv.dev.negotiated).toBe('0x244'); // SEG_MAX, BLK_SIZE, FLUSH
    const r = drv.request(VIRTIO_BLK_T_IN, 3, { len: 2 * SECTOR, write: true });
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.data).toEqual(disk.slice(3 * SECTOR, 5 * SECTOR));
    expect(drv.r(R.InterruptStatus)).toBe(INT_USED_BUFFER);
    const data = new Uint8Array(SECTOR).fill(0x3c);
    expect(drv.request(VIRTIO_BLK_T_OUT, 9, { len: SECTOR, write: false, fill: data }).status).toBe(VIRTIO_BLK_S_OK);
    expect(drv.dev.image.slice(9 * SECTOR, 10 * SECTOR)).toEqual(data);
    expect(drv.r(R.Config + 0x14)).toBe(512); // the same config layout
  });

  it('keeps the driver feature words across a driver reset and takes them only as FEATURES_OK is set', () => {
    const drv = new Driver(diskImage(8));
    const begin = (): void => {
      drv.w(R.Status, 0);
      drv.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    };
    // DriverFeaturesSel 2 selects the high word too
    begin();
    drv.w(R.DriverFeaturesSel, 2);
    drv.w(R.DriverFeatures, 1);
    drv.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    expect(drv.dev.negotiated).toBe('0x100000000');
    // after a reset the high word written before still holds VERSION_1 (and the selector still points at it)
    begin();
    expect(drv.dev.negotiated).toBe('0x0');
    drv.w(R.DriverFeaturesSel, 0);
    drv.w(R.DriverFeatures, 1 << VIRTIO_BLK_F_FLUSH);
    drv.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    expect(drv.dev.negotiated).toBe('0x100000200');
    // a write once FEATURES_OK is set waits for the next Status write that sets it again
    drv.w(R.DriverFeatures, 0);
    drv.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    expect(drv.dev.negotiated).toBe('0x100000200');
    drv.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER);
    drv.w(R.Status, STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK);
    expect(drv.dev.negotiated).toBe('0x100000000');
  });

  it('appears as an empty QEMU slot when no disk is attached', () => {
    const empty = new VirtioMmioEmpty({ slot: 7 });
    expect(empty.base).toBe(0x1000_8000);
    expect(load32(empty, R.MagicValue)).toBe(0x74726976);
    expect(load32(empty, R.Version)).toBe(2);
    expect(load32(empty, R.DeviceID)).toBe(0);
    expect(load32(empty, R.VendorID)).toBe(0x554d4551);
    expect(load32(empty, R.QueueNumMax)).toBe(0);
    storeOk(empty, R.Status, 1);
    expect(load32(empty, R.Status)).toBe(0);
  });
});

describe('virtio-blk requests', () => {
  it('reads sectors into guest RAM and reports the used length', () => {
    const disk = diskImage(64);
    const drv = new Driver(disk);
    drv.init();
    const r = drv.request(VIRTIO_BLK_T_IN, 2, { len: 2 * SECTOR, write: true });
    expect(r.status).toBe(VIRTIO_BLK_S_OK);
    expect(r.used.len).toBe(2 * SECTOR + 1);
    expect(r.data).toEqual(disk.slice(2 * SECTOR, 4 * SECTOR));
    // interrupt: used buffer, acknowledged by the driver
    expect(drv.line.level).toBe(true);
    expect(drv.r(R.InterruptStatus)).toBe(INT_USED_BUFFER);
    drv.w(R.InterruptACK, INT_USED_BUFFER);
    expect(drv.line.level).toBe(false);
    expect(drv.r(R.InterruptStatus)).toBe(0);
    // every byte the device wrote was reported (data, status, used element and index)
    const dataOff = drv.ramWrites.find(([, n]) => n === 2 * SECTOR);
    expect(dataOff).toBeDefined();
    expect(drv.ramWrites.some(([o, n]) => o === USED - RAM_BASE + 2 && n === 2)).toBe(true);
    expect(drv.dev.stats.reads).toBe(1);
  });

  it('writes guest data to the in-memory disk copy, then persists it on flush', () => {
    const disk = diskImage(16);
    const original = disk.slice();
    const persisted: Uint8Array[] = [];
    const ranges: Array<ReadonlyArray<readonly [number, number]>> = [];
    const drv = new Driver(disk, {
      persist: (img, r) => {
        persisted.push(img.slice());
        ranges.push(r);
      },
    });
    drv.init();
    const data = new Uint8Array(SECTOR).map((_, i) => 255 - (i & 0xff));
    const w = drv.request(VIRTIO_BLK_T_OUT, 5, { len: SECTOR, write: false, fill: data });
    expect(w.status).toBe(VIRTIO_BLK_S_OK);
    expect(w.used.len).toBe(1);
    expect(drv.dev.image.slice(5 * SECTOR, 6 * SECTOR)).toEqual(data);
    expect(disk).toEqual(original); // the caller's bytes are untouched
    expect(drv.dev.dirty).toBe(true);
    // read it back through the device
    const r = drv.request(VIRTIO_BLK_T_IN, 5, { len: SECTOR, write: true });
    expect(r.data).toEqual(data);
    expect(persisted.length).toBe(0);
    const f = drv.request(VIRTIO_BLK_T_FLUSH, 0);
    expect(f.status).toBe(VIRTIO_BLK_S_OK);
    expect(persisted.length).toBe(1);
    expect(persisted[0]!.slice(5 * SECTOR, 6 * SECTOR)).toEqual(data);
    expect(ranges[0]).toEqual([[0, 4096]]); // sector 5 lies in the first 4 KiB chunk
    expect(drv.dev.dirty).toBe(false);
    drv.dev.persist(); // nothing new: no second write-back
    expect(persisted.length).toBe(1);
    // a write across chunks 1..2 and one in the last chunk (the disk ends mid-chunk: 16 sectors = 8 KiB)
    drv.request(VIRTIO_BLK_T_OUT, 7, { len: 3 * SECTOR, write: false });
    drv.request(VIRTIO_BLK_T_OUT, 15, { len: SECTOR, write: false });
    drv.dev.persist();
    expect(ranges[1]).toEqual([[0, 8192]]);
  });

  it('reports the changed ranges to persist, merged by 4 KiB chunk', () => {
    const got: Array<Array<readonly [number, number]>> = [];
    const drv = new Driver(diskImage(64), { persist: (_img, r) => got.push([...r]) });
    drv.init();
    drv.request(VIRTIO_BLK_T_OUT, 0, { len: SECTOR, write: false });
    drv.request(VIRTIO_BLK_T_OUT, 40, { len: SECTOR, write: false });
    drv.request(VIRTIO_BLK_T_OUT, 15, { len: 2 * SECTOR, write: false }); // chunks 1 and 2
    drv.dev.persist();
    expect(got).toEqual([[[0, 3 * 4096], [5 * 4096, 4096]]]);
    const odd = new Driver(diskImage(9), { persist: (_img, r) => got.push([...r]) }); // ends mid-chunk
    odd.init();
    odd.request(VIRTIO_BLK_T_OUT, 8, { len: SECTOR, write: false });
    odd.dev.persist();
    expect(got[1]).toEqual([[4096, 512]]);
  });

  it('accepts any descriptor layout (header and data in one descriptor, data split in two)', () => {
    const drv = new Driver(diskImage(16));
    drv.init();
    const data = new Uint8Array(SECTOR).fill(0x5a);
    const buf = drv.alloc(16 + SECTOR);
    const hdr = drv.header(VIRTIO_BLK_T_OUT, 3);
    drv.ram.u8.copyWithin(drv.off(buf), drv.off(hdr.gpa), drv.off(hdr.gpa) + 16);
    drv.ram.u8.set(data, drv.off(buf) + 16);
    const st = drv.alloc(1);
    drv.submit([{ gpa: buf, len: 16 + SECTOR }, { gpa: st, len: 1, write: true }]);
    drv.notify();
    expect(drv.ram.u8[drv.off(st)]).toBe(VIRTIO_BLK_S_OK);
    expect(drv.dev.image.slice(3 * SECTOR, 4 * SECTOR)).toEqual(data);

    // read 1 sector into two 256-byte pieces, with the status byte in the second
    const a = drv.alloc(256), b = drv.alloc(257);
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 3), { gpa: a, len: 256, write: true }, { gpa: b, len: 257, write: true }]);
    drv.notify();
    expect(drv.ram.u8.slice(drv.off(a), drv.off(a) + 256)).toEqual(data.slice(0, 256));
    expect(drv.ram.u8.slice(drv.off(b), drv.off(b) + 256)).toEqual(data.slice(256));
    expect(drv.ram.u8[drv.off(b) + 256]).toBe(VIRTIO_BLK_S_OK);
  });

  it('fails requests outside the disk, of partial sectors, or writes to a read-only disk', () => {
    const drv = new Driver(diskImage(8));
    drv.init();
    expect(drv.request(VIRTIO_BLK_T_IN, 7, { len: 2 * SECTOR, write: true }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(drv.request(VIRTIO_BLK_T_IN, 2 ** 40, { len: SECTOR, write: true }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(drv.request(VIRTIO_BLK_T_IN, 0, { len: 100, write: true }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(drv.request(VIRTIO_BLK_T_IN, 7, { len: SECTOR, write: true }).status).toBe(VIRTIO_BLK_S_OK);
    const ro = new Driver(diskImage(8), { readOnly: true });
    ro.init(1 << VIRTIO_BLK_F_RO);
    expect(ro.request(VIRTIO_BLK_T_OUT, 0, { len: SECTOR, write: false }).status).toBe(VIRTIO_BLK_S_IOERR);
    expect(ro.dev.dirty).toBe(false);
  });

  it('answers GET_ID with the serial and unknown types with UNSUPP', () => {
    const drv = new Driver(diskImage(8), { serial: 'flashdisco-disk-0' });
    drv.init();
    const id = drv.request(VIRTIO_BLK_T_GET_ID, 0, { len: 20, write: true });
    expect(id.status).toBe(VIRTIO_BLK_S_OK);
    expect(new TextDecoder().decode(id.data).replace(/\0+$/, '')).toBe('flashdisco-disk-0');
    expect(drv.request(11, 0, { len: 16, write: false }).status).toBe(VIRTIO_BLK_S_UNSUPP);
  });

  it('processes every available request at one notify and wraps the ring indices', () => {
    const disk = diskImage(64);
    const drv = new Driver(disk);
    drv.init();
    for (let round = 0; round < 5; round++) {
      const bufs: Array<[number, number, number]> = [];
      for (let k = 0; k < 2; k++) {
        const data = drv.alloc(SECTOR), st = drv.alloc(1);
        const sector = round * 2 + k;
        drv.submit([drv.header(VIRTIO_BLK_T_IN, sector), { gpa: data, len: SECTOR, write: true }, { gpa: st, len: 1, write: true }]);
        bufs.push([data, st, sector]);
      }
      drv.notify();
      for (const [data, st, sector] of bufs) {
        expect(drv.ram.u8[drv.off(st)]).toBe(VIRTIO_BLK_S_OK);
        expect(drv.ram.u8.slice(drv.off(data), drv.off(data) + SECTOR)).toEqual(disk.slice(sector * SECTOR, (sector + 1) * SECTOR));
      }
    }
    expect(drv.usedIdx()).toBe(10);
  });

  it('honours VIRTQ_AVAIL_F_NO_INTERRUPT', () => {
    const drv = new Driver(diskImage(8));
    drv.init();
    drv.dv.setUint16(AVAIL - RAM_BASE, VIRTQ_AVAIL_F_NO_INTERRUPT, true);
    drv.request(VIRTIO_BLK_T_IN, 0, { len: SECTOR, write: true });
    expect(drv.line.level).toBe(false);
    expect(drv.r(R.InterruptStatus)).toBe(0);
  });

  it('can raise the interrupt a fixed number of simulated cycles later', () => {
    const clock = { cycles: 1000 };
    const drv = new Driver(diskImage(8), { interruptDelayCycles: 500, now: () => clock.cycles });
    drv.init();
    const r = drv.request(VIRTIO_BLK_T_IN, 0, { len: SECTOR, write: true });
    expect(r.status).toBe(VIRTIO_BLK_S_OK); // done at notify time
    expect(drv.line.level).toBe(false);
    expect(drv.dev.nextEventCycle()).toBe(1500);
    clock.cycles = 1499;
    drv.dev.update();
    expect(drv.line.level).toBe(false);
    clock.cycles = 1500;
    drv.dev.update();
    expect(drv.line.level).toBe(true);
    expect(drv.dev.nextEventCycle()).toBe(Infinity);
    expect(() => new VirtioBlk({ irq: drv.line, ram: drv.ram, onRamWrite: () => {}, disk: new Uint8Array(0), interruptDelayCycles: 5 })).toThrow(/now/);
  });
});

describe('virtio-blk device errors and reset', () => {
  it('stops with DEVICE_NEEDS_RESET on a descriptor outside RAM, until the driver resets it', () => {
    const drv = new Driver(diskImage(8));
    drv.init();
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 0), { gpa: 0x1000, len: SECTOR, write: true }, { gpa: drv.alloc(1), len: 1, write: true }]);
    drv.notify();
    expect(drv.r(R.Status) & STATUS_NEEDS_RESET).toBe(STATUS_NEEDS_RESET);
    expect(drv.r(R.InterruptStatus)).toBe(INT_CONFIG_CHANGE);
    expect(drv.line.level).toBe(true);
    expect(drv.dev.lastError).toMatch(/outside guest RAM/);
    expect(drv.usedIdx()).toBe(0);
    // reset: everything is cleared, and a fresh start works
    drv.w(R.Status, 0);
    expect(drv.r(R.Status)).toBe(0);
    expect(drv.r(R.InterruptStatus)).toBe(0);
    expect(drv.r(R.QueueReady)).toBe(0);
    expect(drv.line.level).toBe(false);
    expect(drv.dev.lastError).toBeNull();
  });

  it('without VERSION_1 stops silently, with no DEVICE_NEEDS_RESET or interrupt, until a reset', () => {
    const drv = new Driver(diskImage(8));
    drv.init(1 << VIRTIO_BLK_F_FLUSH, null);
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 0), { gpa: 0x1000, len: SECTOR, write: true }, { gpa: drv.alloc(1), len: 1, write: true }]);
    drv.notify();
    expect(drv.dev.lastError).toMatch(/outside guest RAM/);
    expect(drv.r(R.Status)).toBe(STATUS_ACKNOWLEDGE | STATUS_DRIVER | STATUS_FEATURES_OK | STATUS_DRIVER_OK);
    expect(drv.r(R.InterruptStatus)).toBe(0);
    expect(drv.line.level).toBe(false);
    expect(drv.usedIdx()).toBe(0);
    // stopped: a good request is not served until the driver resets the device
    const st = drv.alloc(1);
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 0), { gpa: drv.alloc(SECTOR), len: SECTOR, write: true }, { gpa: st, len: 1, write: true }]);
    drv.notify();
    expect(drv.usedIdx()).toBe(0);
    expect(drv.dev.stats.reads).toBe(0);
    drv.w(R.Status, 0);
    expect(drv.dev.lastError).toBeNull();
  });

  it('refuses a descriptor loop', () => {
    const drv = new Driver(diskImage(8));
    drv.init();
    const d = DESC - RAM_BASE;
    const hdr = drv.header(VIRTIO_BLK_T_IN, 0);
    drv.dv.setUint32(d, hdr.gpa >>> 0, true);
    drv.dv.setUint32(d + 8, 16, true);
    drv.dv.setUint16(d + 12, 1, true); // NEXT
    drv.dv.setUint16(d + 14, 0, true); // itself
    drv.dv.setUint16(AVAIL - RAM_BASE + 4, 0, true);
    drv.dv.setUint16(AVAIL - RAM_BASE + 2, 1, true);
    drv.notify();
    expect(drv.dev.lastError).toMatch(/loops/);
  });
});

/**
 * A DMA engine that lends the device one line at a time: the device's RAM is a separate buffer
 * full of poison, into which the engine copies only the line the job asked for (and from which
 * it copies that line back after a write). A job that touched any other byte would read poison
 * or lose its write. Steps run only when the test pumps, as a cache would grant lines later.
 */
class LineLender implements DmaEngine {
  readonly lineBytes = 64;
  readonly needs: DmaNeed[] = [];
  readonly lent: Uint8Array;
  private job: DmaJob | null = null;
  private need: DmaNeed | null = null;

  constructor(private readonly real: Uint8Array) {
    this.lent = new Uint8Array(real.length).fill(0xa5);
  }

  start(job: DmaJob): void {
    expect(this.job).toBeNull();
    this.job = job;
    this.step();
  }

  cancel(): void {
    this.job = null;
    this.need = null;
  }

  get running(): boolean {
    return this.job !== null;
  }

  /** Grant the pending line and run the job to its next request; false when it has ended. */
  pump(): boolean {
    if (this.job === null || this.need === null) return false;
    const need = this.need;
    const at = need.off - (need.off % this.lineBytes);
    this.lent.fill(0xa5);
    this.lent.set(this.real.subarray(at, at + this.lineBytes), at);
    this.step();
    if (need.write) this.real.set(this.lent.subarray(at, at + this.lineBytes), at);
    return true;
  }

  /** The job accesses the line where it asked for it. */
  private step(): void {
    const r = this.job!.next(this.need?.off ?? -1);
    if (r.done) {
      this.job = null;
      this.need = null;
      return;
    }
    this.need = r.value;
    this.needs.push(r.value);
  }
}

describe('virtio-blk with a DMA engine', () => {
  function setup() {
    const disk = diskImage(64);
    const plain = new Driver(disk);
    const lender = new LineLender(plain.ram.u8);
    const drv = new Driver(disk, { dma: lender, ram: { base: RAM_BASE, u8: lender.lent } });
    // The driver builds its rings in the real RAM; the device sees them only through the lender.
    (drv as unknown as { ram: unknown }).ram = plain.ram;
    (drv as unknown as { dv: unknown }).dv = plain.dv;
    drv.init();
    return { disk, drv, lender };
  }

  it('does the work after the notify, a line at a time, and ends with the same RAM as at once', () => {
    const { disk, drv, lender } = setup();
    const data = drv.alloc(3 * SECTOR), st = drv.alloc(1);
    const out = drv.alloc(SECTOR), st2 = drv.alloc(1);
    drv.ram.u8.fill(0x3c, drv.off(out), drv.off(out) + SECTOR);
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 5), { gpa: data, len: 3 * SECTOR, write: true }, { gpa: st, len: 1, write: true }]);
    drv.submit([drv.header(VIRTIO_BLK_T_OUT, 9), { gpa: out, len: SECTOR }, { gpa: st2, len: 1, write: true }]);
    drv.notify();
    expect(lender.running).toBe(true);
    expect(drv.usedIdx()).toBe(0);
    drv.notify(); // a notify while the job runs: looked at again when it ends
    let steps = 0;
    while (lender.pump()) steps++;
    expect(drv.usedIdx()).toBe(2);
    expect(drv.ram.u8[drv.off(st)]).toBe(VIRTIO_BLK_S_OK);
    expect(drv.ram.u8[drv.off(st2)]).toBe(VIRTIO_BLK_S_OK);
    expect(drv.ram.u8.slice(drv.off(data), drv.off(data) + 3 * SECTOR)).toEqual(disk.slice(5 * SECTOR, 8 * SECTOR));
    expect(drv.dev.image.slice(9 * SECTOR, 10 * SECTOR)).toEqual(new Uint8Array(SECTOR).fill(0x3c));
    expect(drv.line.level).toBe(true);
    // Reads named readable, writes exclusive; the 1536-byte read alone took 24 lines.
    const lineOf = (gpa: number) => Math.floor(drv.off(gpa) / lender.lineBytes);
    const wrote = new Set(lender.needs.filter((n) => n.write).map((n) => Math.floor(n.off / lender.lineBytes)));
    for (let l = lineOf(data); l <= lineOf(data + 3 * SECTOR - 1); l++) expect(wrote.has(l)).toBe(true);
    expect(wrote.has(lineOf(out + SECTOR / 2))).toBe(false);
    expect(steps).toBeGreaterThan(24);
  });

  it('a reset abandons the job', () => {
    const { drv, lender } = setup();
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 0), { gpa: drv.alloc(SECTOR), len: SECTOR, write: true }, { gpa: drv.alloc(1), len: 1, write: true }]);
    drv.notify();
    expect(lender.running).toBe(true);
    drv.w(R.Status, 0);
    expect(lender.running).toBe(false);
    expect(lender.pump()).toBe(false);
    expect(drv.usedIdx()).toBe(0);
    // and a fresh start works: the device reads the ring from index 0 again, so it carries out
    // the abandoned request (still in the ring) and the new one
    drv.init();
    drv.submit([drv.header(VIRTIO_BLK_T_IN, 1), { gpa: drv.alloc(SECTOR), len: SECTOR, write: true }, { gpa: drv.alloc(1), len: 1, write: true }]);
    drv.notify();
    while (lender.pump());
    expect(drv.usedIdx()).toBe(2);
  });
});
