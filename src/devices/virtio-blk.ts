// virtio-mmio (version 2, "modern") block device of the QEMU `virt` board: slot k at
// 0x1000_1000 + 0x1000*k, PLIC source 1 + k. After the virtio 1.2 spec (4.2.2 MMIO registers,
// 2.7 split virtqueues, 5.2 block device) and QEMU hw/virtio/virtio-mmio.c, virtio-blk.c.
//
//   offset  name                 dir  meaning
//   0x000   MagicValue           R    0x74726976 ("virt")
//   0x004   Version              R    2
//   0x008   DeviceID             R    2 (block); 0 in an empty slot
//   0x00c   VendorID             R    0x554d4551 ("QEMU")
//   0x010   DeviceFeatures       R    feature bits 0..31 (DeviceFeaturesSel 0) or 32..63 (any other)
//   0x014   DeviceFeaturesSel    W
//   0x020   DriverFeatures       W    feature bits 0..31 (DriverFeaturesSel 0) or 32..63 (any other)
//   0x024   DriverFeaturesSel    W
//   0x030   QueueSel             W    only queue 0 exists
//   0x034   QueueNumMax          R    256 for queue 0, 0 for others
//   0x038   QueueNum             W    ring size (power of two, <= 256)
//   0x044   QueueReady           RW
//   0x050   QueueNotify          W    queue index: process that queue now
//   0x060   InterruptStatus      R    bit 0 used buffer, bit 1 configuration change
//   0x064   InterruptACK         W    clears the written bits
//   0x070   Status               RW   ACKNOWLEDGE 1, DRIVER 2, DRIVER_OK 4, FEATURES_OK 8,
//                                     DEVICE_NEEDS_RESET 0x40, FAILED 0x80; writing 0 resets
//   0x080   QueueDescLow/High    W    (0x084) descriptor table
//   0x090   QueueDriverLow/High  W    (0x094) available ring
//   0x0a0   QueueDeviceLow/High  W    (0x0a4) used ring
//   0x0ac   SHMSel               W    shared memory regions: none (length reads all ones)
//   0x0b0   SHMLenLow/High       R
//   0x0b8   SHMBaseLow/High      R
//   0x0fc   ConfigGeneration     R    0: the configuration never changes while running
//   0x100+  config               RW   struct virtio_blk_config (below); writes are ignored
// Registers below 0x100 take 32-bit accesses only (others read 0 and are ignored, as QEMU);
// config space takes 8-, 16-, 32- and 64-bit accesses.
//
//   config  field        value
//   0x00    capacity     u64, disk size in 512-byte sectors
//   0x08    size_max     u32, 0 (VIRTIO_BLK_F_SIZE_MAX not offered)
//   0x0c    seg_max      u32, 254 (VIRTIO_BLK_F_SEG_MAX)
//   0x10    geometry     0 (not offered)
//   0x14    blk_size     u32, 512 (VIRTIO_BLK_F_BLK_SIZE)
//   0x18    topology     0 (not offered)
//   0x20    writeback    0; 0x22 num_queues 1
//
// Features offered: VIRTIO_F_VERSION_1 (32), VIRTIO_BLK_F_SEG_MAX (2), VIRTIO_BLK_F_BLK_SIZE (6),
// VIRTIO_BLK_F_FLUSH (9), and VIRTIO_BLK_F_RO (5) for a read-only disk: only what the device
// implements. QEMU 7.2's virtio-blk-device offers 0x30006e54 / 0x101: these and GEOMETRY 4,
// TOPOLOGY 10, CONFIG_WCE 11, DISCARD 13, WRITE_ZEROES 14, INDIRECT_DESC 28, EVENT_IDX 29 and
// RING_RESET 40. Without EVENT_IDX the device honours the driver's VIRTQ_AVAIL_F_NO_INTERRUPT
// flag, as QEMU does.
//
// Negotiation is QEMU 7.2's (modern virtio-mmio.c; virtio.c virtio_set_features and
// virtio_set_status), which accepts more than the spec lets a device accept:
//   - DriverFeatures only stores the word DriverFeaturesSel selects. The two words and both
//     selectors survive a driver reset (Status 0); only a new board clears them.
//   - The Status write that sets FEATURES_OK while it is clear negotiates: the features are the
//     two words less any bit not offered. FEATURES_OK is never refused: QEMU's virtio-mmio
//     ignores virtio_set_features' complaint about bits not offered, and virtio-blk has no
//     validate_features. A DriverFeatures write after that counts only at the next such write.
//   - So a driver written for legacy devices that writes back only the low word (xv6 does)
//     negotiates without VERSION_1, and the disk works as usual: the virtio-mmio v2 registers,
//     the split ring and the config layout are the same, and legacy byte order on RISC-V is
//     little endian. One thing differs: as in QEMU's virtio_error, a device error (below) sets
//     DEVICE_NEEDS_RESET and raises the configuration interrupt only under VERSION_1; without
//     it the device just stops until the driver resets it.
// (QEMU also carries out requests notified before DRIVER_OK; this device waits for DRIVER_OK.)
//
// Requests (any descriptor layout: the device-readable bytes are the 16-byte header
// {type u32, reserved u32, sector u64} and then the data to write; the device-writable bytes are
// the data to read and then the status byte):
//   VIRTIO_BLK_T_IN 0, T_OUT 1       data length a multiple of 512, inside the disk, else IOERR;
//                                    T_OUT on a read-only disk is IOERR
//   VIRTIO_BLK_T_FLUSH 4             calls the persist hook (IOERR if it throws)
//   VIRTIO_BLK_T_GET_ID 8            the serial string, zero padded, at most 20 bytes
//   anything else                    UNSUPP
// Status byte: OK 0, IOERR 1, UNSUPP 2. The used element's len is the number of device-writable
// bytes of the chain (what QEMU reports). A malformed ring (a descriptor outside RAM, a loop, an
// indirect descriptor, a chain without header or status) is a device error, as QEMU's
// virtio_error: the queue is not processed until the driver resets the device, `lastError` says
// why, and under VERSION_1 Status gets DEVICE_NEEDS_RESET and a configuration-change interrupt
// is raised.
//
// Timing. Without a DMA engine (the flat board) every available request is carried out
// synchronously inside the QueueNotify store, so results never depend on host timing. The
// used-buffer interrupt is raised at once by default. With `interruptDelayCycles` > 0 it is
// raised that many cycles of the board's `now()` later: the board must then call update() after
// each run slice and bound slices (and wfi fast-forward) by nextEventCycle(). The used ring
// itself is written at notify time either way.
//
// Memory. Guest RAM is reached through `ram` ({u8, base}: the flat port's RamView; a monitor's VM
// adds `pageOffset`, and every access goes page by page through the VM's pmap); after every
// write into guest memory the device calls onRamWrite(ramOffset, length) so that harts drop
// instructions they decoded there (Hart.invalidateRam).
//
// DMA engine (the FLASH I/O node, dma.ts). With `dma` given, the queue is processed as a DMA job
// after the QueueNotify store has returned, as on hardware: the job names every line of guest
// RAM before it touches it (descriptors, rings, buffers) and runs as the engine obtains the
// lines coherently; the used ring is written and the interrupt raised when the last request is
// done. A notify while a job runs makes it look at the available ring again when it ends; a
// device reset abandons the job. The guest sees an ordinary asynchronous virtio device.
//
// The disk: the image bytes are copied; guest writes change only the copy (`image`) and mark the
// 4 KiB chunks they touch dirty. The optional `persist(image, ranges)` hook (the CLI passes one
// that writes the file back only under --disk-write) gets the byte ranges written since the last
// call; it runs on a guest FLUSH (Linux flushes on every fsync, so write back only the ranges)
// and when the board calls persist() at exit.
//
// How the board wires slot k:
//   const dev = new VirtioBlk({ slot: k, irq: plic.line(1 + k), ram: mem.ram,
//                               onRamWrite: (o, n) => harts.forEach((h) => h.invalidateRam(o, n)),
//                               disk: bytes, persist: diskWrite ? (img, ranges) => ranges.forEach(([o, n]) =>
//                                 writeSync(fd, img, o, n, o)) : undefined });
//   an unused slot:  new VirtioMmioEmpty({ slot: k })
//   at exit:         dev.persist()

import { MmioStatus } from '../vcpu/port.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import type { IrqLine } from './irq.js';
import type { DmaEngine, DmaJob, DmaNeed } from './dma.js';

export const VIRTIO_BASE = 0x1000_1000;
export const VIRTIO_STRIDE = 0x1000;
export const VIRTIO_SIZE = 0x1000;
/** QEMU virt has 8 virtio-mmio slots (VIRTIO_COUNT). */
export const VIRTIO_COUNT = 8;
/** PLIC source of slot 0; slot k uses VIRTIO_IRQ + k. */
export const VIRTIO_IRQ = 1;

export const VIRTIO_MAGIC = 0x74726976;
export const VIRTIO_VERSION = 2;
export const VIRTIO_VENDOR_QEMU = 0x554d4551;
export const VIRTIO_ID_BLOCK = 2;

export const enum VirtioReg {
  MagicValue = 0x000,
  Version = 0x004,
  DeviceID = 0x008,
  VendorID = 0x00c,
  DeviceFeatures = 0x010,
  DeviceFeaturesSel = 0x014,
  DriverFeatures = 0x020,
  DriverFeaturesSel = 0x024,
  QueueSel = 0x030,
  QueueNumMax = 0x034,
  QueueNum = 0x038,
  QueueReady = 0x044,
  QueueNotify = 0x050,
  InterruptStatus = 0x060,
  InterruptACK = 0x064,
  Status = 0x070,
  QueueDescLow = 0x080,
  QueueDescHigh = 0x084,
  QueueDriverLow = 0x090,
  QueueDriverHigh = 0x094,
  QueueDeviceLow = 0x0a0,
  QueueDeviceHigh = 0x0a4,
  SHMSel = 0x0ac,
  SHMLenLow = 0x0b0,
  SHMLenHigh = 0x0b4,
  SHMBaseLow = 0x0b8,
  SHMBaseHigh = 0x0bc,
  ConfigGeneration = 0x0fc,
  Config = 0x100,
}

export const STATUS_ACKNOWLEDGE = 1;
export const STATUS_DRIVER = 2;
export const STATUS_DRIVER_OK = 4;
export const STATUS_FEATURES_OK = 8;
export const STATUS_NEEDS_RESET = 0x40;
export const STATUS_FAILED = 0x80;

export const INT_USED_BUFFER = 1;
export const INT_CONFIG_CHANGE = 2;

/** Feature bits (bit numbers). */
export const VIRTIO_BLK_F_SEG_MAX = 2;
export const VIRTIO_BLK_F_RO = 5;
export const VIRTIO_BLK_F_BLK_SIZE = 6;
export const VIRTIO_BLK_F_FLUSH = 9;
export const VIRTIO_F_VERSION_1 = 32;

export const VIRTIO_BLK_T_IN = 0;
export const VIRTIO_BLK_T_OUT = 1;
export const VIRTIO_BLK_T_FLUSH = 4;
export const VIRTIO_BLK_T_GET_ID = 8;
export const VIRTIO_BLK_S_OK = 0;
export const VIRTIO_BLK_S_IOERR = 1;
export const VIRTIO_BLK_S_UNSUPP = 2;
export const VIRTIO_BLK_ID_BYTES = 20;

export const VIRTQ_DESC_F_NEXT = 1;
export const VIRTQ_DESC_F_WRITE = 2;
export const VIRTQ_DESC_F_INDIRECT = 4;
export const VIRTQ_AVAIL_F_NO_INTERRUPT = 1;

export const SECTOR = 512;
export const QUEUE_NUM_MAX = 256;
const SEG_MAX = QUEUE_NUM_MAX - 2;
const HEADER_BYTES = 16;
const CONFIG_BYTES = 0x24;
/** Granularity of the dirty map that persist() reports. */
export const DIRTY_CHUNK = 4096;
const TWO32 = 4294967296;
/** The page of guest RAM that GuestRam.pageOffset maps. */
const PAGE = 4096;

/** Guest RAM as a DMA-capable device sees it (the flat port's RamView fits). */
export interface GuestRam {
  /** Guest physical address of u8[0]. */
  readonly base: number;
  readonly u8: Uint8Array;
  /** Bytes of guest RAM (default: u8.length). */
  readonly size?: number;
  /**
   * Guest RAM scattered page by page over u8 (a monitor's VM, src/monitor/vm-memory.ts): where
   * guest RAM page `page` (counted from base) lies in u8, to be written when `write`. Absent:
   * guest RAM is u8 from offset 0. Negative while the monitor looks the page up or makes it
   * writable (FLASH; only with a DmaEngine, which resumes the job once it may ask again).
   */
  pageOffset?(page: number, write: boolean): number;
}

export interface VirtioSlotOptions {
  /** Slot number k: base 0x1000_1000 + 0x1000*k unless `base` is given. */
  slot?: number;
  base?: number;
}

export interface VirtioBlkOptions extends VirtioSlotOptions {
  irq: IrqLine;
  ram: GuestRam;
  /** Called after the device writes guest RAM bytes [ramOffset, ramOffset + length). */
  onRamWrite: (ramOffset: number, length: number) => void;
  /** The disk image; copied. Its length is rounded down to whole sectors. */
  disk: Uint8Array;
  readOnly?: boolean;
  /** Returned by GET_ID (default ""). */
  serial?: string;
  /** Writes the changed byte ranges of the image back (the CLI gives one only under --disk-write). */
  persist?: PersistHook;
  /** Cycles between a request's completion and its interrupt (default 0: at once). */
  interruptDelayCycles?: number;
  /** Simulated time in cycles; needed when interruptDelayCycles > 0. */
  now?: () => number;
  /** Reach guest RAM only through this engine's jobs (the FLASH I/O node); absent: directly, at once. */
  dma?: DmaEngine;
}

/** Receives the image and the [offset, length] byte ranges changed since the last call. */
export type PersistHook = (image: Uint8Array, ranges: ReadonlyArray<readonly [offset: number, length: number]>) => void;

function slotBase(o: VirtioSlotOptions): number {
  return o.base ?? VIRTIO_BASE + VIRTIO_STRIDE * (o.slot ?? 0);
}

/** An empty virtio-mmio slot, as QEMU shows one: magic, version and vendor; device id 0. */
export class VirtioMmioEmpty implements MmioDevice {
  readonly base: number;
  readonly size = VIRTIO_SIZE;

  constructor(opts: VirtioSlotOptions = {}) {
    this.base = slotBase(opts);
  }

  load(off: number, _size: number, out: Int32Array): MmioStatus {
    out[0] = off === VirtioReg.MagicValue ? VIRTIO_MAGIC : off === VirtioReg.Version ? VIRTIO_VERSION : off === VirtioReg.VendorID ? VIRTIO_VENDOR_QEMU : 0;
    out[1] = 0;
    return MmioStatus.Ok;
  }

  store(): MmioStatus {
    return MmioStatus.Ok;
  }
}

/** One piece of a descriptor chain, as a RAM byte range. */
interface Segment {
  off: number;
  len: number;
}

/** A malformed ring: the device stops and asks for a reset. */
class DeviceError extends Error {}

export class VirtioBlk implements MmioDevice {
  readonly base: number;
  readonly size = VIRTIO_SIZE;
  /** The disk as the guest sees it (a copy of the image given). */
  readonly image: Uint8Array;
  readonly capacitySectors: number;
  readonly readOnly: boolean;
  /** Why the device stopped (a device error), or null while it works. */
  lastError: string | null = null;
  readonly stats = { reads: 0, writes: 0, flushes: 0, getIds: 0, unsupported: 0, ioErrors: 0, bytesRead: 0, bytesWritten: 0, interrupts: 0 };

  private readonly irq: IrqLine;
  private readonly ram: GuestRam;
  private readonly onRamWrite: (ramOffset: number, length: number) => void;
  private readonly persistHook: PersistHook | undefined;
  /** One byte per DIRTY_CHUNK of the image: written since the last persist. */
  private readonly dirtyMap: Uint8Array;
  private dirtyChunks = 0;
  private readonly serial: Uint8Array;
  private readonly delay: number;
  private readonly now: () => number;
  private readonly config = new Uint8Array(CONFIG_BYTES);
  private readonly dma: DmaEngine | undefined;
  /** A DMA job is running; a notify meanwhile sets `renotified`, so the job looks again. */
  private busy = false;
  private renotified = false;
  /** Scratch for the small ring fields a job reads and writes. */
  private readonly word = new Uint8Array(8);
  private readonly wordView = new DataView(this.word.buffer);
  private readonly featLo: number;
  private readonly featHi: number;

  // What the driver wrote for negotiation: kept across a driver reset, as QEMU keeps them.
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private readonly driverFeatures = new Uint32Array(2);

  // Transport state (all cleared by reset).
  private status = 0;
  /** The negotiated features, words 0 and 1 (0 until FEATURES_OK). */
  private readonly features = new Uint32Array(2);
  private queueSel = 0;
  private isr = 0;
  private irqLevel = false;
  /** Cycle at which a delayed used-buffer interrupt is due; Infinity when none. */
  private irqDue = Infinity;

  // Queue 0.
  private qNum = QUEUE_NUM_MAX;
  private qReady = false;
  private qDesc = [0, 0];
  private qAvail = [0, 0];
  private qUsed = [0, 0];
  private lastAvail = 0;
  private usedIdx = 0;

  constructor(opts: VirtioBlkOptions) {
    this.base = slotBase(opts);
    this.irq = opts.irq;
    this.ram = opts.ram;
    this.onRamWrite = opts.onRamWrite;
    this.dma = opts.dma;
    this.persistHook = opts.persist;
    this.readOnly = opts.readOnly ?? false;
    this.capacitySectors = Math.floor(opts.disk.length / SECTOR);
    this.image = opts.disk.slice(0, this.capacitySectors * SECTOR);
    this.dirtyMap = new Uint8Array(Math.ceil(this.image.length / DIRTY_CHUNK));
    this.serial = new TextEncoder().encode(opts.serial ?? '').subarray(0, VIRTIO_BLK_ID_BYTES);
    this.delay = opts.interruptDelayCycles ?? 0;
    if (!Number.isSafeInteger(this.delay) || this.delay < 0) {
      throw new RangeError(`virtio-blk interrupt delay ${this.delay} must be a non-negative integer number of cycles`);
    }
    if (this.delay > 0 && opts.now === undefined) throw new RangeError('virtio-blk: interruptDelayCycles needs a now() time source');
    this.now = opts.now ?? (() => 0);
    this.featLo = (1 << VIRTIO_BLK_F_SEG_MAX) | (1 << VIRTIO_BLK_F_BLK_SIZE) | (1 << VIRTIO_BLK_F_FLUSH) | (this.readOnly ? 1 << VIRTIO_BLK_F_RO : 0);
    this.featHi = 1 << (VIRTIO_F_VERSION_1 - 32);
    const c = new DataView(this.config.buffer);
    c.setUint32(0x00, this.capacitySectors % TWO32, true);
    c.setUint32(0x04, Math.floor(this.capacitySectors / TWO32), true);
    c.setUint32(0x0c, SEG_MAX, true);
    c.setUint32(0x14, SECTOR, true);
    c.setUint16(0x22, 1, true);
    this.setIrqLine();
  }

  /** The negotiated feature bits in hex ("0x0" until the driver sets FEATURES_OK). */
  get negotiated(): string {
    return `0x${(BigInt(this.features[1]!) << 32n | BigInt(this.features[0]!)).toString(16)}`;
  }

  /** True when the guest wrote the disk since the last persist. */
  get dirty(): boolean {
    return this.dirtyChunks !== 0;
  }

  /** Hand the ranges the guest changed to the persist hook (nothing without a hook or changes). */
  persist(): void {
    if (this.dirtyChunks === 0 || this.persistHook === undefined) return;
    const ranges: Array<[number, number]> = [];
    const map = this.dirtyMap;
    for (let c = 0; c < map.length; c++) {
      if (map[c] === 0) continue;
      let end = c;
      while (end + 1 < map.length && map[end + 1] !== 0) end++;
      const off = c * DIRTY_CHUNK;
      ranges.push([off, Math.min((end + 1) * DIRTY_CHUNK, this.image.length) - off]);
      c = end;
    }
    this.persistHook(this.image, ranges);
    map.fill(0);
    this.dirtyChunks = 0;
  }

  /** The cycle at which a delayed interrupt is due (Infinity when none). */
  nextEventCycle(): number {
    return this.irqDue;
  }

  /** Raise a delayed interrupt whose time has come; call after simulated time advances. */
  update(): void {
    if (this.irqDue !== Infinity && this.now() >= this.irqDue) {
      this.irqDue = Infinity;
      this.raise(INT_USED_BUFFER);
    }
  }

  load(off: number, size: number, out: Int32Array): MmioStatus {
    out[0] = 0;
    out[1] = 0;
    if (off >= VirtioReg.Config) {
      this.readConfig(off - VirtioReg.Config, size, out);
      return MmioStatus.Ok;
    }
    if (size !== 4 || (off & 3) !== 0) return MmioStatus.Ok;
    out[0] = this.readReg(off);
    return MmioStatus.Ok;
  }

  store(off: number, size: number, lo: number, _hi: number): MmioStatus {
    if (off >= VirtioReg.Config || size !== 4 || (off & 3) !== 0) return MmioStatus.Ok;
    this.writeReg(off, lo >>> 0);
    return MmioStatus.Ok;
  }

  private readReg(off: number): number {
    const q0 = this.queueSel === 0;
    switch (off) {
      case VirtioReg.MagicValue: return VIRTIO_MAGIC;
      case VirtioReg.Version: return VIRTIO_VERSION;
      case VirtioReg.DeviceID: return VIRTIO_ID_BLOCK;
      case VirtioReg.VendorID: return VIRTIO_VENDOR_QEMU;
      case VirtioReg.DeviceFeatures:
        return this.deviceFeaturesSel === 0 ? this.featLo : this.featHi;
      case VirtioReg.QueueNumMax: return q0 ? QUEUE_NUM_MAX : 0;
      case VirtioReg.QueueReady: return q0 && this.qReady ? 1 : 0;
      case VirtioReg.InterruptStatus: return this.isr;
      case VirtioReg.Status: return this.status;
      case VirtioReg.SHMLenLow:
      case VirtioReg.SHMLenHigh:
        return -1; // no shared memory region
      default: return 0; // write-only registers, ConfigGeneration, reserved
    }
  }

  private writeReg(off: number, v: number): void {
    const q0 = this.queueSel === 0;
    switch (off) {
      case VirtioReg.DeviceFeaturesSel: this.deviceFeaturesSel = v === 0 ? 0 : 1; return;
      case VirtioReg.DriverFeaturesSel: this.driverFeaturesSel = v === 0 ? 0 : 1; return;
      case VirtioReg.DriverFeatures: this.driverFeatures[this.driverFeaturesSel] = v; return;
      case VirtioReg.QueueSel: this.queueSel = v; return;
      case VirtioReg.QueueNum:
        if (q0 && !this.qReady) this.qNum = v;
        return;
      case VirtioReg.QueueReady:
        if (!q0) return;
        if ((v & 1) !== 0 && !this.qReady) this.checkQueue();
        this.qReady = (v & 1) !== 0 && this.lastError === null;
        return;
      case VirtioReg.QueueDescLow: if (q0 && !this.qReady) this.qDesc[0] = v; return;
      case VirtioReg.QueueDescHigh: if (q0 && !this.qReady) this.qDesc[1] = v; return;
      case VirtioReg.QueueDriverLow: if (q0 && !this.qReady) this.qAvail[0] = v; return;
      case VirtioReg.QueueDriverHigh: if (q0 && !this.qReady) this.qAvail[1] = v; return;
      case VirtioReg.QueueDeviceLow: if (q0 && !this.qReady) this.qUsed[0] = v; return;
      case VirtioReg.QueueDeviceHigh: if (q0 && !this.qReady) this.qUsed[1] = v; return;
      case VirtioReg.QueueNotify:
        if (v === 0) this.processQueue();
        return;
      case VirtioReg.InterruptACK:
        this.isr &= ~v;
        this.setIrqLine();
        return;
      case VirtioReg.Status:
        this.writeStatus(v & 0xff);
        return;
      default:
        return;
    }
  }

  private writeStatus(v: number): void {
    if (v === 0) {
      this.reset();
      return;
    }
    if (v & STATUS_FEATURES_OK && !(this.status & STATUS_FEATURES_OK)) {
      // Bits we did not offer are dropped, not refused (see the negotiation rule above).
      this.features[0] = this.driverFeatures[0]! & this.featLo;
      this.features[1] = this.driverFeatures[1]! & this.featHi;
    }
    this.status = v | (this.status & STATUS_NEEDS_RESET);
  }

  private get version1(): boolean {
    return (this.features[1]! & (1 << (VIRTIO_F_VERSION_1 - 32))) !== 0;
  }

  private reset(): void {
    if (this.busy) this.dma!.cancel();
    this.busy = false;
    this.renotified = false;
    this.status = 0;
    this.features.fill(0);
    this.queueSel = 0;
    this.isr = 0;
    this.irqDue = Infinity;
    this.qNum = QUEUE_NUM_MAX;
    this.qReady = false;
    this.qDesc = [0, 0];
    this.qAvail = [0, 0];
    this.qUsed = [0, 0];
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.lastError = null;
    this.setIrqLine();
  }

  private readConfig(off: number, size: number, out: Int32Array): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < size; i++) {
      const b = off + i < CONFIG_BYTES ? this.config[off + i]! : 0xff; // beyond the struct: all ones, as QEMU
      if (i < 4) lo |= b << (8 * i);
      else hi |= b << (8 * (i - 4));
    }
    out[0] = lo;
    out[1] = hi;
  }

  // ---- Interrupts ----

  private raise(bits: number): void {
    this.isr |= bits;
    if (bits & INT_USED_BUFFER) this.stats.interrupts++;
    this.setIrqLine();
  }

  private setIrqLine(): void {
    const level = this.isr !== 0;
    if (level === this.irqLevel) return;
    this.irqLevel = level;
    this.irq.setLevel(level);
  }

  private signalUsed(): void {
    if (this.delay === 0) {
      this.raise(INT_USED_BUFFER);
    } else if (this.irqDue === Infinity) {
      this.irqDue = this.now() + this.delay;
    }
  }

  private deviceError(msg: string): void {
    this.lastError = msg;
    this.qReady = false;
    if (!this.version1) return; // DEVICE_NEEDS_RESET is a virtio 1.x status bit: QEMU sets it only then
    this.status |= STATUS_NEEDS_RESET;
    this.raise(INT_CONFIG_CHANGE);
  }

  // ---- The virtqueue ----

  private addr(pair: number[]): number {
    return pair[1]! * TWO32 + pair[0]!;
  }

  /** RAM offset of guest physical [gpa, gpa + len), or a device error. */
  private ramOffset(gpa: number, len: number, what: string): number {
    const off = gpa - this.ram.base;
    if (!(off >= 0 && off + len <= (this.ram.size ?? this.ram.u8.length))) {
      throw new DeviceError(`${what} at 0x${gpa.toString(16)} (+${len} bytes) is outside guest RAM`);
    }
    return off;
  }

  private checkQueue(): void {
    const n = this.qNum;
    try {
      if (n === 0 || n > QUEUE_NUM_MAX || (n & (n - 1)) !== 0) throw new DeviceError(`queue size ${n} is not a power of two up to ${QUEUE_NUM_MAX}`);
      this.ramOffset(this.addr(this.qDesc), 16 * n, 'descriptor table');
      this.ramOffset(this.addr(this.qAvail), 6 + 2 * n, 'available ring');
      this.ramOffset(this.addr(this.qUsed), 6 + 8 * n, 'used ring');
    } catch (e) {
      if (!(e instanceof DeviceError)) throw e;
      this.deviceError(e.message);
    }
  }

  private processQueue(): void {
    if (!this.qReady || !(this.status & STATUS_DRIVER_OK) || this.lastError !== null) return;
    if (this.dma === undefined) {
      // Nothing yields without an engine: the whole queue is done by the time next() returns.
      this.queueWork().next();
      return;
    }
    if (this.busy) {
      this.renotified = true;
      return;
    }
    this.busy = true;
    this.dma.start(this.dmaJob());
  }

  private *dmaJob(): DmaJob {
    do {
      this.renotified = false;
      yield* this.queueWork();
    } while (this.renotified);
    this.busy = false;
  }

  /** Carry out every request the driver has made available, then signal the used buffers. */
  private *queueWork(): Generator<DmaNeed, void, number> {
    if (!this.qReady || !(this.status & STATUS_DRIVER_OK) || this.lastError !== null) return;
    try {
      const n = this.qNum;
      const avail = this.ramOffset(this.addr(this.qAvail), 6 + 2 * n, 'available ring');
      const used = this.ramOffset(this.addr(this.qUsed), 6 + 8 * n, 'used ring');
      const availIdx = yield* this.readU16(avail + 2);
      if (((availIdx - this.lastAvail) & 0xffff) > n) {
        throw new DeviceError(`available index ${availIdx} is more than ${n} ahead of ${this.lastAvail}`);
      }
      let done = 0;
      while (this.lastAvail !== availIdx) {
        const head = yield* this.readU16(avail + 4 + 2 * (this.lastAvail % n));
        const len = yield* this.request(head);
        const elem = new Uint8Array(8);
        const ev = new DataView(elem.buffer);
        ev.setUint32(0, head, true);
        ev.setUint32(4, len, true);
        yield* this.ramCopy(used + 4 + 8 * (this.usedIdx % n), elem, 0, 8, true);
        this.usedIdx = (this.usedIdx + 1) & 0xffff;
        this.wordView.setUint16(0, this.usedIdx, true);
        yield* this.ramCopy(used + 2, this.word, 0, 2, true);
        this.lastAvail = (this.lastAvail + 1) & 0xffff;
        done++;
      }
      const flags = yield* this.readU16(avail);
      if (done > 0 && !(flags & VIRTQ_AVAIL_F_NO_INTERRUPT)) this.signalUsed();
    } catch (e) {
      if (!(e instanceof DeviceError)) throw e;
      this.deviceError(e.message);
    }
  }

  /** Carry out the request whose chain starts at descriptor `head`; returns the used length. */
  private *request(head: number): Generator<DmaNeed, number, number> {
    const readable: Segment[] = [];
    const writable: Segment[] = [];
    const n = this.qNum;
    const table = this.ramOffset(this.addr(this.qDesc), 16 * n, 'descriptor table');
    const desc = new Uint8Array(16);
    const dv = new DataView(desc.buffer);
    let i = head;
    for (let count = 0; ; count++) {
      if (i >= n) throw new DeviceError(`descriptor index ${i} is beyond the queue size ${n}`);
      if (count >= n) throw new DeviceError(`descriptor chain from ${head} loops`);
      yield* this.ramCopy(table + 16 * i, desc, 0, 16, false);
      const gpa = dv.getUint32(4, true) * TWO32 + dv.getUint32(0, true);
      const len = dv.getUint32(8, true);
      const flags = dv.getUint16(12, true);
      if (flags & VIRTQ_DESC_F_INDIRECT) throw new DeviceError(`descriptor ${i} is indirect, which was not negotiated`);
      const seg = { off: this.ramOffset(gpa, len, `descriptor ${i} buffer`), len };
      if (flags & VIRTQ_DESC_F_WRITE) writable.push(seg);
      else if (writable.length !== 0) throw new DeviceError(`descriptor ${i} is device-readable after a device-writable one`);
      else readable.push(seg);
      if (!(flags & VIRTQ_DESC_F_NEXT)) break;
      i = dv.getUint16(14, true);
    }
    const inLen = total(writable);
    if (total(readable) < HEADER_BYTES || inLen < 1) throw new DeviceError(`request ${head} has no header or no status byte`);

    const hdr = new Uint8Array(HEADER_BYTES);
    yield* this.copy(readable, 0, hdr, 0, HEADER_BYTES, true);
    const hv = new DataView(hdr.buffer);
    const type = hv.getUint32(0, true);
    const sector = hv.getUint32(12, true) * TWO32 + hv.getUint32(8, true);
    const status = yield* this.execute(type, sector, readable, writable, inLen - 1);
    yield* this.copy(writable, inLen - 1, Uint8Array.of(status), 0, 1, false);
    return inLen;
  }

  private *execute(type: number, sector: number, readable: Segment[], writable: Segment[], dataIn: number): Generator<DmaNeed, number, number> {
    switch (type) {
      case VIRTIO_BLK_T_IN: {
        if (!this.rangeOk(sector, dataIn)) return this.ioError();
        this.stats.reads++;
        this.stats.bytesRead += dataIn;
        yield* this.copy(writable, 0, this.image, sector * SECTOR, dataIn, false);
        return VIRTIO_BLK_S_OK;
      }
      case VIRTIO_BLK_T_OUT: {
        const dataOut = total(readable) - HEADER_BYTES;
        if (this.readOnly || !this.rangeOk(sector, dataOut)) return this.ioError();
        this.stats.writes++;
        this.stats.bytesWritten += dataOut;
        yield* this.copy(readable, HEADER_BYTES, this.image, sector * SECTOR, dataOut, true);
        this.markDirty(sector * SECTOR, dataOut);
        return VIRTIO_BLK_S_OK;
      }
      case VIRTIO_BLK_T_FLUSH:
        this.stats.flushes++;
        try {
          this.persist();
        } catch {
          return this.ioError();
        }
        return VIRTIO_BLK_S_OK;
      case VIRTIO_BLK_T_GET_ID: {
        this.stats.getIds++;
        const id = new Uint8Array(VIRTIO_BLK_ID_BYTES);
        id.set(this.serial);
        yield* this.copy(writable, 0, id, 0, Math.min(VIRTIO_BLK_ID_BYTES, dataIn), false);
        return VIRTIO_BLK_S_OK;
      }
      default:
        this.stats.unsupported++;
        return VIRTIO_BLK_S_UNSUPP;
    }
  }

  private markDirty(off: number, len: number): void {
    for (let c = Math.floor(off / DIRTY_CHUNK); c * DIRTY_CHUNK < off + len; c++) {
      if (this.dirtyMap[c] === 0) {
        this.dirtyMap[c] = 1;
        this.dirtyChunks++;
      }
    }
  }

  private ioError(): number {
    this.stats.ioErrors++;
    return VIRTIO_BLK_S_IOERR;
  }

  /** Whole sectors, inside the disk. */
  private rangeOk(sector: number, bytes: number): boolean {
    if (bytes % SECTOR !== 0) return false;
    return sector <= this.capacitySectors && bytes / SECTOR <= this.capacitySectors - sector;
  }

  /**
   * Copy `len` bytes between the chain's stream, from stream offset `pos`, and buf[bufOff..]:
   * out of guest memory into buf when `fromRam`, else from buf into guest memory.
   */
  private *copy(segs: Segment[], pos: number, buf: Uint8Array, bufOff: number, len: number, fromRam: boolean): Generator<DmaNeed, void, number> {
    for (const s of segs) {
      if (len === 0) return;
      if (pos >= s.len) {
        pos -= s.len;
        continue;
      }
      const k = Math.min(s.len - pos, len);
      yield* this.ramCopy(s.off + pos, buf, bufOff, k, !fromRam);
      bufOff += k;
      len -= k;
      pos = 0;
    }
  }

  private *readU16(off: number): Generator<DmaNeed, number, number> {
    yield* this.ramCopy(off, this.word, 0, 2, false);
    return this.wordView.getUint16(0, true);
  }

  /**
   * Copy between guest RAM at `off` and buf[bufOff..bufOff + len) (into RAM when `toRam`, which
   * reports each piece to onRamWrite): at once without an engine, else a line at a time, each
   * copied right after the engine says the line is held (dma.ts).
   */
  private *ramCopy(off: number, buf: Uint8Array, bufOff: number, len: number, toRam: boolean): Generator<DmaNeed, void, number> {
    const u8 = this.ram.u8;
    const paged = this.ram.pageOffset !== undefined;
    while (len > 0) {
      let k = this.dma === undefined ? len : Math.min(len, this.dma.lineBytes - (off % this.dma.lineBytes));
      if (paged) k = Math.min(k, PAGE - (off % PAGE));
      let at = off, use = off;
      for (;;) {
        if (paged) {
          // A VM's page not known on the I/O node yet: its pmap entry was asked for (dma.ts).
          let po: number;
          while ((po = this.ram.pageOffset!(Math.floor(off / PAGE), toRam)) < 0) yield { off: -1, len: k, write: toRam };
          at = po + (off % PAGE);
        }
        use = this.dma !== undefined ? yield { off: at, len: k, write: toRam } : at;
        // The page may have moved while the line was awaited (the monitor's NUMA policy): again.
        if (!paged || this.dma === undefined || this.ram.pageOffset!(Math.floor(off / PAGE), toRam) + (off % PAGE) === at) break;
      }
      if (toRam) {
        u8.set(buf.subarray(bufOff, bufOff + k), use);
        this.onRamWrite(at, k);
      } else {
        buf.set(u8.subarray(use, use + k), bufOff);
      }
      off += k;
      bufOff += k;
      len -= k;
    }
  }
}

function total(segs: Segment[]): number {
  let n = 0;
  for (const s of segs) n += s.len;
  return n;
}
