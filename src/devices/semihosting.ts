// RISC-V semihosting, the host side: a bare-metal program with no drivers of its own uses the
// host's console, files, clocks and command line (Arm's semihosting interface as RISC-V adopted
// it; picolibc's and newlib's semihosting start files and system layers make these calls).
//
// A call is three uncompressed instructions in one page, with the operation in a0 and the
// address of its parameter block (64-bit words on RV64) in a1:
//     slli x0, x0, 0x1f      0x01f01013
//     ebreak                 0x00100073
//     srai x0, x0, 7         0x40705013
// The hart recognizes the sequence at the ebreak, in M or S mode (Hart.atSemihostCall), and
// calls the platform's hook, which lands here; the result goes to a0 and the hart goes on after
// the ebreak. Without --semihosting the hook is null and the ebreak is a breakpoint.
//
//   op    operation          parameter block                result in a0
//   0x01  SYS_OPEN           [name, mode 0..11, name len]   handle >= 1, or -1
//   0x02  SYS_CLOSE          [handle]                       0, or -1
//   0x03  SYS_WRITEC         a1 points at the byte          a0 kept
//   0x04  SYS_WRITE0         a1 points at a NUL-ended text  a0 kept
//   0x05  SYS_WRITE          [handle, buffer, len]          bytes not written (0: all)
//   0x06  SYS_READ           [handle, buffer, len]          bytes not read (len: end of file)
//   0x07  SYS_READC          none                           the byte, or -1 at the end of input
//   0x08  SYS_ISERROR        [status]                       1 if status < 0, else 0
//   0x09  SYS_ISTTY          [handle]                       1 console, 0 other (ENOTTY), -1
//   0x0a  SYS_SEEK           [handle, position]             0, or -1
//   0x0c  SYS_FLEN           [handle]                       length, or -1
//   0x0d  SYS_TMPNAM         [buffer, id, len]              -1, EPERM (no host temporary files)
//   0x0e  SYS_REMOVE         [name, name len]               0, or -1
//   0x0f  SYS_RENAME         [old, len, new, len]           0, or -1
//   0x10  SYS_CLOCK          none                           centiseconds of simulated time
//   0x11  SYS_TIME           none                           epoch + simulated seconds
//   0x12  SYS_SYSTEM         [command, len]                 -1, EPERM (no host commands)
//   0x13  SYS_ERRNO          none                           errno of the last failed call
//   0x15  SYS_GET_CMDLINE    [buffer, size]                 0, block[1] = length; -1 (E2BIG)
//   0x16  SYS_HEAPINFO       [pointer to 4 words]           0; the words: heap base, heap limit,
//                                                           stack base, stack limit
//   0x18  SYS_EXIT           [reason, subcode]              ends the run (see below)
//   0x19  SYS_SYNCCACHE      [address, len]                 0 (decoded code is kept exact anyway)
//   0x20  SYS_EXIT_EXTENDED  [reason, subcode]              as SYS_EXIT
//   0x30  SYS_ELAPSED        [-> ticks]                     0; ticks = simulated cycles
//   0x31  SYS_TICKFREQ       none                           ticks per second (the CPU clock)
// Any other operation stops the run as a guest fault (QEMU aborts). A parameter block or buffer
// the hart could not read or write as its own loads and stores would gives -1 and EFAULT.
//
// Behaviour, after QEMU (semihosting/arm-compat-semi.c) unless said otherwise:
// - Exit: on RV64 both exits take the block; reason ADP_Stopped_ApplicationExit (0x20026)
//   exits with the subcode as status, any other reason with 1.
// - Handles count from 1, the lowest free first. ":tt" is the console: opened for reading
//   (modes 0-3) it reads console input, for writing (4-7) or appending (8-11) it writes the
//   console; QEMU sends the last to the host's stderr, here there is one console.
//   ":semihosting-features" reads "SHFB" and the feature byte (EXIT_EXTENDED, STDOUT_STDERR).
// - Open modes 0..11 are C's r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b (12 or more: EINVAL);
//   a name whose byte at `name len` is not NUL: EINVAL.
// - Files are confined to a host folder (the working directory): a name that resolves outside
//   it, by being absolute, through "..", or through a symbolic link, is refused with -1 and
//   EACCES, and the guest goes on. QEMU opens any host path.
// - errno values are Linux's (newlib and picolibc use the same numbers) for any host.
// - Console input (READC, READ on :tt) comes from `input()`: a call that finds none waits, the
//   hart stopped (Hart.waitForHost) until input or its end arrives; at the end READC gives -1 and
//   READ reads nothing. ISTTY says 1 for the console whatever the host's stdout is (QEMU asks
//   the host), so that a run does not depend on where its output goes.
// - Time is simulated, never the host's: ticks are the calling hart's cycles since the machine
//   started (simTime), CLOCK their hundredths of a second, TIME `epoch` + simulated seconds
//   (QEMU reads the host's clocks: wall time for TIME).
// - GET_CMDLINE gives `cmdline`: QEMU's default, the -kernel path then the -append words, each
//   after one space (see semihostingCmdline).
// - HEAPINFO gives QEMU's answer: the heap is the largest stretch of RAM no image occupies, and
//   the stack grows down from its top (stack base = heap limit, stack limit = heap base).

import {
  closeSync, fstatSync, lstatSync, openSync, readSync, realpathSync, renameSync, unlinkSync, writeSync,
  constants as fsConstants,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { Access } from '../vcpu/port.js';
import { Status } from '../vcpu/status.js';
import { toNumber } from '../vcpu/int64.js';
import type { Hart } from '../vcpu/hart.js';
import type { ConsoleSink } from './htif.js';
import { hex } from '../sim/errors.js';

/** What a handler gives back: the value for a0, or one of these. */
const KEEP = 'keep'; // a0 unchanged
const WAIT = 'wait'; // no console input yet: the call runs again later
const HALT = 'halt'; // the run ends (exit, or `fault`)
type Outcome = number | typeof KEEP | typeof WAIT | typeof HALT;
type Handler = (s: Semihosting, c: Call) => Outcome;

interface Operation {
  name: string;
  run: Handler;
}

const OPERATIONS = new Map<number, Operation>([
  [0x01, { name: 'SYS_OPEN', run: (s, c) => s.open(c) }],
  [0x02, { name: 'SYS_CLOSE', run: (s, c) => s.close(c) }],
  [0x03, { name: 'SYS_WRITEC', run: (s, c) => s.writec(c) }],
  [0x04, { name: 'SYS_WRITE0', run: (s, c) => s.write0(c) }],
  [0x05, { name: 'SYS_WRITE', run: (s, c) => s.write(c) }],
  [0x06, { name: 'SYS_READ', run: (s, c) => s.read(c) }],
  [0x07, { name: 'SYS_READC', run: (s) => s.readc() }],
  [0x08, { name: 'SYS_ISERROR', run: (s, c) => s.iserror(c) }],
  [0x09, { name: 'SYS_ISTTY', run: (s, c) => s.istty(c) }],
  [0x0a, { name: 'SYS_SEEK', run: (s, c) => s.seek(c) }],
  [0x0c, { name: 'SYS_FLEN', run: (s, c) => s.flen(c) }],
  [0x0d, { name: 'SYS_TMPNAM', run: (s) => s.fail(ERRNO.EPERM) }],
  [0x0e, { name: 'SYS_REMOVE', run: (s, c) => s.remove(c) }],
  [0x0f, { name: 'SYS_RENAME', run: (s, c) => s.rename(c) }],
  [0x10, { name: 'SYS_CLOCK', run: (s, c) => Math.floor((c.hart.simTime() * 100) / s.cpuHz) }],
  [0x11, { name: 'SYS_TIME', run: (s, c) => s.epoch + Math.floor(c.hart.simTime() / s.cpuHz) }],
  [0x12, { name: 'SYS_SYSTEM', run: (s) => s.fail(ERRNO.EPERM) }],
  [0x13, { name: 'SYS_ERRNO', run: (s) => s.errno }],
  [0x15, { name: 'SYS_GET_CMDLINE', run: (s, c) => s.getCmdline(c) }],
  [0x16, { name: 'SYS_HEAPINFO', run: (s, c) => s.heapinfo(c) }],
  [0x18, { name: 'SYS_EXIT', run: (s, c) => s.exit(c) }],
  [0x19, { name: 'SYS_SYNCCACHE', run: () => 0 }],
  [0x20, { name: 'SYS_EXIT_EXTENDED', run: (s, c) => s.exit(c) }],
  [0x30, { name: 'SYS_ELAPSED', run: (s, c) => s.elapsed(c) }],
  [0x31, { name: 'SYS_TICKFREQ', run: (s) => s.cpuHz }],
]);

/** SYS_EXIT's reason for a normal end; any other reason exits with status 1. */
export const ADP_STOPPED_APPLICATION_EXIT = 0x20026;

/** errno numbers as Linux, newlib and picolibc define them. */
export const ERRNO = {
  EPERM: 1, ENOENT: 2, EIO: 5, E2BIG: 7, EBADF: 9, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14,
  EBUSY: 16, EEXIST: 17, EXDEV: 18, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24,
  ENOTTY: 25, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, ENAMETOOLONG: 36,
  ENOTEMPTY: 39, ELOOP: 40,
} as const;

/** Open modes 0..11 (C's r, rb, r+, r+b, w, wb, w+, w+b, a, ab, a+, a+b) as host open flags. */
const { O_RDONLY, O_WRONLY, O_RDWR, O_CREAT, O_TRUNC, O_APPEND, O_NOFOLLOW } = fsConstants;
const OPEN_FLAGS = [
  O_RDONLY, O_RDONLY, O_RDWR, O_RDWR,
  O_WRONLY | O_CREAT | O_TRUNC, O_WRONLY | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC, O_RDWR | O_CREAT | O_TRUNC,
  O_WRONLY | O_CREAT | O_APPEND, O_WRONLY | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND, O_RDWR | O_CREAT | O_APPEND,
];

/** ":semihosting-features": the magic "SHFB", then feature byte 0: EXIT_EXTENDED | STDOUT_STDERR. */
const FEATURES = Uint8Array.of(0x53, 0x48, 0x46, 0x42, 0x03);

/** Open handles at most, besides which SYS_OPEN fails with EMFILE. */
const MAX_HANDLES = 64;
/** Longest name SYS_OPEN, SYS_REMOVE and SYS_RENAME take (Linux's PATH_MAX, its NUL included). */
const MAX_NAME = 4096;
/** Bytes moved between a file and guest memory at a time. */
const CHUNK = 65536;
/** SYS_WRITE0 stops after this many bytes without a NUL. */
const MAX_WRITE0 = 1 << 20;

type Handle =
  | { kind: 'console'; reads: boolean }
  | { kind: 'static'; data: Uint8Array; pos: number }
  | { kind: 'file'; fd: number; pos: number; append: boolean };

/** Where the heap goes (SYS_HEAPINFO), from the board's RAM and the images placed in it. */
export interface HeapInfo {
  heapBase: number;
  heapLimit: number;
}

/**
 * The largest stretch of RAM [ramBase, ramEnd) that none of `used` occupies: QEMU's heap for
 * SYS_HEAPINFO.
 */
export function largestGap(ramBase: number, ramEnd: number, used: ReadonlyArray<{ start: number; end: number }>): HeapInfo {
  const sorted = [...used].sort((a, b) => a.start - b.start);
  let best = { heapBase: 0, heapLimit: 0 };
  let at = ramBase;
  for (const r of [...sorted, { start: ramEnd, end: ramEnd }]) {
    if (r.start - at > best.heapLimit - best.heapBase) best = { heapBase: at, heapLimit: r.start };
    at = Math.max(at, r.end);
  }
  return best;
}

/** QEMU's default semihosting command line: the kernel's path, then the words of --append. */
export function semihostingCmdline(kernel: string, append: string | undefined): string {
  return [kernel, ...(append ?? '').split(' ').filter((w) => w !== '')].join(' ');
}

export interface SemihostingOptions {
  /** Host folder the guest's files are confined to (the working directory). */
  root: string;
  /** SYS_GET_CMDLINE's answer (semihostingCmdline). */
  cmdline: string;
  /** Seconds since 1970 at simulated time 0: SYS_TIME = epoch + simulated seconds. */
  epoch: number;
  /** Simulated cycles per second: SYS_ELAPSED's ticks per second. */
  cpuHz: number;
  console: ConsoleSink;
}

/** What the board that runs the harts provides (a new board after each reboot). */
export interface SemihostingBoard {
  heap: HeapInfo;
  /** The host wrote guest RAM [ramOffset, +length): keep every hart's decoded code exact. */
  ramWritten(ramOffset: number, length: number): void;
}

/** One call in progress: the hart, its operation, its parameter block. */
class Call {
  constructor(
    readonly hart: Hart,
    readonly param: number,
    private readonly mem: GuestMemory,
  ) {}

  /** Word n of the parameter block as a number (NaN where it cannot be read or is over 2^53). */
  arg(n: number): number {
    return this.mem.word(this.hart, this.param + 8 * n);
  }
}

/**
 * Guest memory as the hart's loads and stores see it (virtual addresses, its privilege and MPRV),
 * page by page through Hart.hostRam.
 */
class GuestMemory {
  constructor(private readonly board: () => SemihostingBoard | null) {}

  /** `len` bytes at va, or null when any of them cannot be read. */
  read(h: Hart, va: number, len: number): Uint8Array | null {
    const out = new Uint8Array(len);
    for (let done = 0; done < len;) {
      const ro = h.hostRam(va + done, Access.Load);
      if (ro < 0) return null;
      const n = Math.min(len - done, 4096 - ((va + done) & 4095));
      out.set(h.u8.subarray(ro, ro + n), done);
      done += n;
    }
    return out;
  }

  /** Writes bytes at va; false (and nothing written) when any of them cannot be written. */
  write(h: Hart, va: number, bytes: Uint8Array): boolean {
    const spans: number[] = [];
    for (let done = 0; done < bytes.length;) {
      const ro = h.hostRam(va + done, Access.Store);
      if (ro < 0) return false;
      const n = Math.min(bytes.length - done, 4096 - ((va + done) & 4095));
      spans.push(ro, n);
      done += n;
    }
    let done = 0;
    for (let i = 0; i < spans.length; i += 2) {
      const ro = spans[i]!, n = spans[i + 1]!;
      h.u8.set(bytes.subarray(done, done + n), ro);
      this.board()?.ramWritten(ro, n);
      done += n;
    }
    return true;
  }

  /** The NUL-ended string at va (at most `max` bytes before the NUL), or null. */
  cString(h: Hart, va: number, max: number): Uint8Array | null {
    const bytes: number[] = [];
    for (let i = 0; i <= max; i++) {
      const ro = h.hostRam(va + i, Access.Load);
      if (ro < 0) return null;
      const b = h.u8[ro]!;
      if (b === 0) return Uint8Array.from(bytes);
      bytes.push(b);
    }
    return null;
  }

  word(h: Hart, va: number): number {
    const b = this.read(h, va, 8);
    if (b === null) return NaN;
    const dv = new DataView(b.buffer);
    const hi = dv.getInt32(4, true);
    return hi > -2097152 && hi < 2097152 ? toNumber(dv.getInt32(0, true), hi) : NaN;
  }

  writeWord(h: Hart, va: number, v: number): boolean {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigInt64(0, BigInt(v), true);
    return this.write(h, va, b);
  }
}

export interface SemihostingStats {
  /** Calls made, by operation name. */
  calls: Record<string, number>;
  /** Handles open now. */
  openHandles: number;
  exitCode: number | null;
}

export class Semihosting {
  readonly cpuHz: number;
  readonly epoch: number;
  /** errno of the last call that failed (SYS_ERRNO). */
  errno = 0;
  /** Set by SYS_EXIT: the run ends with this status. */
  exitCode: number | null = null;
  /** Set when the guest asked for something that ends the run as a fault. */
  fault: string | null = null;

  private readonly root: string;
  private readonly cmdline: Uint8Array;
  private readonly console: ConsoleSink;
  private readonly mem = new GuestMemory(() => this.board);
  private board: SemihostingBoard | null = null;
  /** handles[h] for h >= 1; null: free. */
  private readonly handles: Array<Handle | null> = [null];
  private readonly input: number[] = [];
  private inputEnded = false;
  private readonly counts = new Map<string, number>();

  constructor(o: SemihostingOptions) {
    this.root = realpathSync(o.root);
    this.cmdline = new TextEncoder().encode(o.cmdline);
    this.epoch = o.epoch;
    this.cpuHz = o.cpuHz;
    this.console = o.console;
  }

  /** The board whose harts make the calls from now on (each boot makes a new one). */
  attach(board: SemihostingBoard): void {
    this.board = board;
  }

  /** Serves the call the hart is making (its SemihostHook). */
  call(h: Hart): Status {
    const nr = h.xl[10]! >>> 0;
    const op = OPERATIONS.get(nr);
    if (op === undefined) {
      this.fault = `hart ${h.hartId} made semihosting call ${hex(nr)} at pc ${hex(h.insnPc)}, which flashdisco does not provide`;
      return Status.Halt;
    }
    this.counts.set(op.name, (this.counts.get(op.name) ?? 0) + 1);
    const r = op.run(this, new Call(h, toNumber(h.xl[11]!, h.xh[11]!), this.mem));
    if (r === WAIT) {
      h.waitForHost();
      return Status.Event;
    }
    if (r === HALT) return Status.Halt;
    if (r !== KEEP) h.setX(10, r);
    return Status.Event;
  }

  /** Console input for READC and READ on :tt; harts waiting for it go on (the board wakes them). */
  inputBytes(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.input.push(bytes[i]! & 0xff);
  }

  /** No more console input will come: waiting reads see the end of input. */
  endOfInput(): void {
    this.inputEnded = true;
  }

  /** Closes every host file the guest left open (the run is over). */
  closeAll(): void {
    for (let i = 1; i < this.handles.length; i++) this.release(i);
  }

  stats(): SemihostingStats {
    return {
      calls: Object.fromEntries([...this.counts].sort(([a], [b]) => (a < b ? -1 : 1))),
      openHandles: this.handles.filter((x) => x !== null).length,
      exitCode: this.exitCode,
    };
  }

  // ---- Operations (the table above) ----

  /** Fails the call: -1 and errno. */
  fail(errno: number): number {
    this.errno = errno;
    return -1;
  }

  open(c: Call): Outcome {
    const name = c.arg(0), mode = c.arg(1), len = c.arg(2);
    if (Number.isNaN(name) || Number.isNaN(mode) || Number.isNaN(len)) return this.fail(ERRNO.EFAULT);
    if (mode < 0 || mode >= OPEN_FLAGS.length) return this.fail(ERRNO.EINVAL);
    const s = this.name(c, name, len);
    if (typeof s === 'number') return this.fail(s);
    if (s === ':tt') return this.allocate({ kind: 'console', reads: mode < 4 });
    if (s === ':semihosting-features') {
      return mode > 1 ? this.fail(ERRNO.EACCES) : this.allocate({ kind: 'static', data: FEATURES, pos: 0 });
    }
    const path = this.inside(s);
    if (typeof path === 'number') return this.fail(path);
    try {
      const flags = OPEN_FLAGS[mode]!;
      return this.allocate({ kind: 'file', fd: openSync(path, flags | O_NOFOLLOW, 0o644), pos: 0, append: (flags & O_APPEND) !== 0 });
    } catch (e) {
      return this.fail(hostErrno(e));
    }
  }

  close(c: Call): Outcome {
    const n = c.arg(0);
    if (this.handle(n) === null) return this.fail(ERRNO.EBADF);
    this.release(n);
    return 0;
  }

  writec(c: Call): Outcome {
    const b = this.mem.read(c.hart, c.param, 1);
    if (b !== null) this.console.writeByte(b[0]!);
    return KEEP;
  }

  write0(c: Call): Outcome {
    const s = this.mem.cString(c.hart, c.param, MAX_WRITE0);
    if (s !== null) for (const b of s) this.console.writeByte(b);
    return KEEP;
  }

  write(c: Call): Outcome {
    const hn = c.arg(0), buf = c.arg(1), len = c.arg(2);
    if (Number.isNaN(hn) || Number.isNaN(buf) || Number.isNaN(len)) return this.fail(ERRNO.EFAULT);
    const h = this.handle(hn);
    if (h === null || (h.kind === 'console' && h.reads) || h.kind === 'static') {
      this.errno = ERRNO.EBADF;
      return len;
    }
    let done = 0;
    while (done < len) {
      const n = Math.min(len - done, CHUNK);
      const bytes = this.mem.read(c.hart, buf + done, n);
      if (bytes === null) {
        this.errno = ERRNO.EFAULT;
        break;
      }
      if (h.kind === 'console') {
        for (const b of bytes) this.console.writeByte(b);
        done += n;
        continue;
      }
      try {
        const w = writeSync(h.fd, bytes, 0, n, h.append ? null : h.pos);
        h.pos = h.append ? fstatSync(h.fd).size : h.pos + w;
        done += w;
        if (w < n) break;
      } catch (e) {
        this.errno = hostErrno(e);
        break;
      }
    }
    return len - done;
  }

  read(c: Call): Outcome {
    const hn = c.arg(0), buf = c.arg(1), len = c.arg(2);
    if (Number.isNaN(hn) || Number.isNaN(buf) || Number.isNaN(len)) return this.fail(ERRNO.EFAULT);
    const h = this.handle(hn);
    if (h === null || (h.kind === 'console' && !h.reads)) {
      this.errno = ERRNO.EBADF;
      return len;
    }
    if (h.kind === 'console') {
      if (this.input.length === 0) return this.inputEnded || len === 0 ? len : WAIT;
      const n = Math.min(len, this.input.length);
      if (!this.mem.write(c.hart, buf, Uint8Array.from(this.input.slice(0, n)))) {
        this.errno = ERRNO.EFAULT;
        return len;
      }
      this.input.splice(0, n);
      return len - n;
    }
    let done = 0;
    while (done < len) {
      let bytes: Uint8Array;
      if (h.kind === 'static') {
        bytes = h.data.subarray(h.pos, Math.min(h.data.length, h.pos + len - done));
      } else {
        bytes = new Uint8Array(Math.min(len - done, CHUNK));
        try {
          bytes = bytes.subarray(0, readSync(h.fd, bytes, 0, bytes.length, h.pos));
        } catch (e) {
          this.errno = hostErrno(e);
          break;
        }
      }
      if (bytes.length === 0) break;
      if (!this.mem.write(c.hart, buf + done, bytes)) {
        this.errno = ERRNO.EFAULT;
        break;
      }
      h.pos += bytes.length;
      done += bytes.length;
    }
    return len - done;
  }

  readc(): Outcome {
    if (this.input.length > 0) return this.input.shift()!;
    return this.inputEnded ? -1 : WAIT;
  }

  iserror(c: Call): Outcome {
    const v = c.arg(0);
    return Number.isNaN(v) ? this.fail(ERRNO.EFAULT) : v < 0 ? 1 : 0;
  }

  istty(c: Call): Outcome {
    const h = this.handle(c.arg(0));
    if (h === null) return this.fail(ERRNO.EBADF);
    if (h.kind === 'console') return 1;
    this.errno = ERRNO.ENOTTY;
    return 0;
  }

  seek(c: Call): Outcome {
    const h = this.handle(c.arg(0)), pos = c.arg(1);
    if (h === null) return this.fail(ERRNO.EBADF);
    if (h.kind === 'console') return this.fail(ERRNO.ESPIPE);
    if (Number.isNaN(pos) || pos < 0 || (h.kind === 'static' && pos > h.data.length)) return this.fail(ERRNO.EINVAL);
    h.pos = pos;
    return 0;
  }

  flen(c: Call): Outcome {
    const h = this.handle(c.arg(0));
    if (h === null) return this.fail(ERRNO.EBADF);
    if (h.kind === 'console') return 0;
    if (h.kind === 'static') return h.data.length;
    try {
      return fstatSync(h.fd).size;
    } catch (e) {
      return this.fail(hostErrno(e));
    }
  }

  remove(c: Call): Outcome {
    const path = this.hostPath(c, c.arg(0), c.arg(1));
    if (typeof path === 'number') return this.fail(path);
    try {
      unlinkSync(path);
      return 0;
    } catch (e) {
      return this.fail(hostErrno(e));
    }
  }

  rename(c: Call): Outcome {
    const from = this.hostPath(c, c.arg(0), c.arg(1));
    if (typeof from === 'number') return this.fail(from);
    const to = this.hostPath(c, c.arg(2), c.arg(3));
    if (typeof to === 'number') return this.fail(to);
    try {
      renameSync(from, to);
      return 0;
    } catch (e) {
      return this.fail(hostErrno(e));
    }
  }

  getCmdline(c: Call): Outcome {
    const buf = c.arg(0), size = c.arg(1);
    if (Number.isNaN(buf) || Number.isNaN(size)) return this.fail(ERRNO.EFAULT);
    const text = this.cmdline;
    if (text.length + 1 > size) return this.fail(ERRNO.E2BIG);
    const z = new Uint8Array(text.length + 1);
    z.set(text);
    if (!this.mem.writeWord(c.hart, c.param + 8, text.length) || !this.mem.write(c.hart, buf, z)) return this.fail(ERRNO.EFAULT);
    return 0;
  }

  heapinfo(c: Call): Outcome {
    const to = c.arg(0);
    const heap = this.board?.heap ?? { heapBase: 0, heapLimit: 0 };
    const words = new Uint8Array(32);
    const dv = new DataView(words.buffer);
    [heap.heapBase, heap.heapLimit, heap.heapLimit, heap.heapBase].forEach((v, i) => dv.setBigUint64(8 * i, BigInt(v), true));
    if (Number.isNaN(to) || !this.mem.write(c.hart, to, words)) return this.fail(ERRNO.EFAULT);
    return 0;
  }

  exit(c: Call): Outcome {
    const reason = c.arg(0), sub = this.mem.read(c.hart, c.param + 8, 4);
    if (Number.isNaN(reason) || sub === null) return this.fail(ERRNO.EFAULT);
    this.exitCode = reason === ADP_STOPPED_APPLICATION_EXIT ? new DataView(sub.buffer).getInt32(0, true) : 1;
    return HALT;
  }

  elapsed(c: Call): Outcome {
    return this.mem.writeWord(c.hart, c.param, c.hart.simTime()) ? 0 : this.fail(ERRNO.EFAULT);
  }

  // ---- Handles and names ----

  private handle(n: number): Handle | null {
    return Number.isInteger(n) && n >= 1 && n < this.handles.length ? this.handles[n]! : null;
  }

  private freeHandle(): number {
    const i = this.handles.indexOf(null, 1);
    return i < 0 ? this.handles.length : i;
  }

  private allocate(h: Handle): number {
    const i = this.freeHandle();
    if (i === MAX_HANDLES) {
      if (h.kind === 'file') closeSync(h.fd);
      return this.fail(ERRNO.EMFILE);
    }
    this.handles[i] = h;
    return i;
  }

  private release(n: number): void {
    const h = this.handles[n];
    if (h?.kind === 'file') {
      try {
        closeSync(h.fd);
      } catch {
        // Closing can only fail for a bad fd, and ours are good: nothing to tell the guest.
      }
    }
    this.handles[n] = null;
  }

  /** The name at va of `len` bytes, which must be followed by a NUL; or an errno. */
  private name(c: Call, va: number, len: number): string | number {
    if (len < 0 || len >= MAX_NAME) return ERRNO.ENAMETOOLONG;
    const b = this.mem.read(c.hart, va, len + 1);
    if (b === null) return ERRNO.EFAULT;
    if (b[len] !== 0) return ERRNO.EINVAL;
    return new TextDecoder().decode(b.subarray(0, len));
  }

  private hostPath(c: Call, va: number, len: number): string | number {
    if (Number.isNaN(va) || Number.isNaN(len)) return ERRNO.EFAULT;
    const s = this.name(c, va, len);
    return typeof s === 'number' ? s : this.inside(s);
  }

  /**
   * The host path of guest name `s` when it stays inside the root, symbolic links followed, or
   * an errno: EACCES for absolute names and names that lead outside.
   */
  private inside(s: string): string | number {
    if (s === '') return ERRNO.ENOENT;
    if (isAbsolute(s) || s.includes('\0')) return ERRNO.EACCES;
    const abs = resolve(this.root, s);
    if (!this.within(abs)) return ERRNO.EACCES;
    try {
      const real = realpathSync(abs);
      return this.within(real) ? real : ERRNO.EACCES;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return hostErrno(e);
    }
    // Not there yet (a file to create): its folder must be inside, and the name must not be a
    // link that points at nothing (creating through it would create its target).
    try {
      lstatSync(abs);
      return ERRNO.EACCES;
    } catch {
      // no such entry, as expected
    }
    try {
      const dir = realpathSync(dirname(abs));
      return this.within(dir) ? join(dir, basename(abs)) : ERRNO.EACCES;
    } catch (e) {
      return hostErrno(e);
    }
  }

  private within(p: string): boolean {
    const rel = relative(this.root, p);
    return rel === '' || (!rel.startsWith('..' + sep) && rel !== '..' && !isAbsolute(rel));
  }
}

/** The Linux errno of a failed host file operation. */
function hostErrno(e: unknown): number {
  const code = (e as NodeJS.ErrnoException).code;
  return code !== undefined && code in ERRNO ? ERRNO[code as keyof typeof ERRNO] : ERRNO.EIO;
}
