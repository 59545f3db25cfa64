// HTIF: the host-target interface of Spike and riscv-tests.
//
// A guest talks to the host through two 64-bit words in its own image, found by the ELF symbols
// `tohost` and `fromhost`. We register them as an MMIO device on top of RAM, so every access
// reaches this file and the effect is immediate (Spike instead polls the words from the host).
//
//   register   offset      meaning
//   tohost     sym+0..7    guest -> host command, 0 when idle
//   fromhost   sym+0..7    host -> guest response (kept, never written by us today)
//
// A tohost command is  device[63:56] | cmd[55:48] | payload[47:0]:
//   device 0, payload bit 0 = 1   exit; status = value >> 1 (riscv-tests: 1 = pass,
//                                  (n << 1) | 1 = test n failed)         -> MmioStatus.Halt
//   device 0, payload bit 0 = 0   syscall proxy for pk (payload points at a magic_mem block):
//                                  not supported; the guest is stopped with a fault report
//   device 1, cmd 1                console putchar, payload[7:0] = byte; we emit the byte and
//                                  clear tohost, which ends the guest's `while (tohost);`
//   device 1, cmd 0                console getchar request: no input yet, acknowledged only
//   anything else                  acknowledged (tohost cleared) and counted as unknown
//
// The command runs when a store writes byte 7 of tohost: a 64-bit `sd`, or the high half of an
// RV32-style pair (`sw` low, then `sw` high). A store that writes only the low half just updates
// the word. Loads return the stored bytes.

import { MmioStatus } from '../vcpu/port.js';
import { hex } from '../sim/errors.js';

/** Where console bytes go (stdout in the CLI, a buffer in tests). */
export interface ConsoleSink {
  writeByte(byte: number): void;
}

/** The device shape FlatMemory.addDevice accepts (offsets are relative to base). */
export interface MmioDevice {
  readonly base: number;
  readonly size: number;
  load(off: number, size: number, out: Int32Array): MmioStatus;
  store(off: number, size: number, lo: number, hi: number): MmioStatus;
}

export interface DeviceBus {
  addDevice(dev: MmioDevice): void;
}

export interface HtifStats {
  consoleBytes: number;
  unknownCommands: number;
  exitCode: number | null;
}

const REG_BYTES = 8;
const DEV_SYSCALL = 0;
const DEV_CONSOLE = 1;
const CMD_GETCHAR = 0;
const CMD_PUTCHAR = 1;

/** One 64-bit register kept as bytes, so partial stores of any size merge naturally. */
class Reg {
  readonly bytes = new Uint8Array(REG_BYTES);
  readonly dv = new DataView(this.bytes.buffer);

  load(off: number, size: number, out: Int32Array): void {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < size; i++) {
      const b = this.bytes[off + i]!;
      if (i < 4) lo |= b << (8 * i);
      else hi |= b << (8 * (i - 4));
    }
    out[0] = lo;
    out[1] = hi;
  }

  store(off: number, size: number, lo: number, hi: number): void {
    for (let i = 0; i < size; i++) {
      this.bytes[off + i] = i < 4 ? (lo >>> (8 * i)) & 0xff : (hi >>> (8 * (i - 4))) & 0xff;
    }
  }

  get lo(): number {
    return this.dv.getUint32(0, true);
  }
  get hi(): number {
    return this.dv.getUint32(4, true);
  }
  clear(): void {
    this.bytes.fill(0);
  }
}

export class Htif {
  readonly tohostAddr: number;
  readonly fromhostAddr: number | undefined;
  /** Set when the guest writes an exit command. */
  exitCode: number | null = null;
  /** Set when the guest asks for something we cannot do; the run stops with this report. */
  fault: string | null = null;
  consoleBytes = 0;
  unknownCommands = 0;

  private readonly tohost = new Reg();
  private readonly fromhost = new Reg();

  constructor(
    tohostAddr: number,
    fromhostAddr: number | undefined,
    private readonly console: ConsoleSink,
    private readonly warn: (msg: string) => void = () => {},
  ) {
    this.tohostAddr = tohostAddr;
    this.fromhostAddr = fromhostAddr;
  }

  /**
   * Registers the words on a bus: one 16-byte device when fromhost directly follows tohost (the
   * usual layout), otherwise one 8-byte device per word (riscv-tests puts them 64 bytes apart).
   */
  attach(bus: DeviceBus): void {
    const to = this.tohostAddr;
    const from = this.fromhostAddr;
    if (from === to + REG_BYTES) {
      bus.addDevice({
        base: to,
        size: 2 * REG_BYTES,
        load: (off, size, out) => this.load(off, size, out),
        store: (off, size, lo, hi) => this.store(off, size, lo, hi),
      });
      return;
    }
    bus.addDevice({
      base: to,
      size: REG_BYTES,
      load: (off, size, out) => this.load(off, size, out),
      store: (off, size, lo, hi) => this.store(off, size, lo, hi),
    });
    if (from !== undefined) {
      bus.addDevice({
        base: from,
        size: REG_BYTES,
        load: (off, size, out) => this.load(off + REG_BYTES, size, out),
        store: (off, size, lo, hi) => this.store(off + REG_BYTES, size, lo, hi),
      });
    }
  }

  /** `off` 0..7 is tohost, 8..15 is fromhost. */
  load(off: number, size: number, out: Int32Array): MmioStatus {
    if (off + size > 2 * REG_BYTES) return MmioStatus.Fault;
    if (off < REG_BYTES) {
      if (off + size > REG_BYTES) return MmioStatus.Fault;
      this.tohost.load(off, size, out);
    } else {
      this.fromhost.load(off - REG_BYTES, size, out);
    }
    return MmioStatus.Ok;
  }

  store(off: number, size: number, lo: number, hi: number): MmioStatus {
    if (off + size > 2 * REG_BYTES) return MmioStatus.Fault;
    if (off >= REG_BYTES) {
      this.fromhost.store(off - REG_BYTES, size, lo, hi);
      return MmioStatus.Ok;
    }
    if (off + size > REG_BYTES) return MmioStatus.Fault;
    this.tohost.store(off, size, lo, hi);
    if (off + size < REG_BYTES) return MmioStatus.Ok; // only the low part so far
    return this.command(this.tohost.lo, this.tohost.hi);
  }

  /** Runs the command now in tohost (lo/hi as unsigned 32-bit halves). */
  private command(lo: number, hi: number): MmioStatus {
    if (lo === 0 && hi === 0) return MmioStatus.Ok;
    const device = hi >>> 24;
    const cmd = (hi >>> 16) & 0xff;
    if (device === DEV_SYSCALL) {
      if (lo & 1) {
        // value >> 1 of the 56 bits below the device field
        this.exitCode = (hi & 0xff_ffff) * 0x8000_0000 + (lo >>> 1);
        return MmioStatus.Halt;
      }
      this.fault =
        `the guest made an HTIF syscall-proxy request (tohost = ${hex(this.value(lo, hi))}), ` +
        `which needs the riscv-pk proxy kernel host; flashdisco supports HTIF exit and console only`;
      return MmioStatus.Halt;
    }
    if (device === DEV_CONSOLE && cmd === CMD_PUTCHAR) {
      this.consoleBytes++;
      this.console.writeByte(lo & 0xff);
      this.tohost.clear();
      return MmioStatus.Ok;
    }
    if (device === DEV_CONSOLE && cmd === CMD_GETCHAR) {
      this.tohost.clear(); // no console input yet
      return MmioStatus.Ok;
    }
    this.unknownCommands++;
    if (this.unknownCommands === 1) {
      this.warn(`HTIF: unknown command ${hex(this.value(lo, hi))} (device ${device}, cmd ${cmd}) acknowledged and ignored`);
    }
    this.tohost.clear();
    return MmioStatus.Ok;
  }

  private value(lo: number, hi: number): bigint {
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
  }

  stats(): HtifStats {
    return { consoleBytes: this.consoleBytes, unknownCommands: this.unknownCommands, exitCode: this.exitCode };
  }
}

/** A sink that keeps every byte (tests, benchmarks). */
export class CaptureConsole implements ConsoleSink {
  private chunks: number[] = [];
  writeByte(byte: number): void {
    this.chunks.push(byte);
  }
  bytes(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }
  text(): string {
    return new TextDecoder().decode(this.bytes());
  }
}

/**
 * A sink that batches bytes and hands them to `write` at each newline, when the buffer fills, and
 * on flush() (the runner flushes between slices, so a prompt without a newline still shows).
 */
export class BufferedConsole implements ConsoleSink {
  private readonly buf = new Uint8Array(4096);
  private len = 0;
  constructor(private readonly write: (bytes: Uint8Array) => void) {}
  writeByte(byte: number): void {
    this.buf[this.len++] = byte;
    if (byte === 0x0a || this.len === this.buf.length) this.flush();
  }
  flush(): void {
    if (this.len === 0) return;
    this.write(this.buf.slice(0, this.len));
    this.len = 0;
  }
}
