// A tiny Linux user-mode shim: runs a static RV64 Linux ELF on one hart over flat memory, the
// way `qemu-riscv64` runs it, so tests can compare the two byte for byte (test/difftest).
//
//   FlatMemory RAM  [first PT_LOAD page, last PT_LOAD end + STACK_BYTES + one page)
//       segments    loaded at p_paddr (= p_vaddr for Linux executables) by loader.ts
//       stack       sp = 64 bytes below the spin page, 16-aligned; argc = 0, argv = envp =
//                   auxv = empty (the words above sp are zero)
//       spin page   the last page holds `j .`; the hart is parked there once the guest is done
//
// The hart runs in M-mode (its reset privilege; opts.priv = 'U' runs it in U-mode instead) with
// translation off (satp = Bare), so guest virtual addresses are physical addresses and an `ecall`
// arrives as cause 11 (ecall from M) or 8 (ecall from U). mstatus.FS starts at Initial, as Linux
// starts a program with the FPU on. Nothing is delegated, so every trap reaches machineTrapHook:
//
//   ecall a7 = 64  write(fd = a0, buf = a1, len = a2): fd 1 and 2 are collected; a0 = len,
//                  -EBADF for another fd, -EFAULT for a buffer outside RAM
//   ecall a7 = 93  exit(a0), a7 = 94 exit_group(a0): the run ends with status a0 & 0xff
//   anything else  (another syscall, an illegal instruction, a fault) ends the run with a
//                  UserShimError naming the cause, the pc and tval
//
// A hook cannot end hart.run() at once (a trap makes the run loop continue), so the hook parks
// the hart on the spin page and requests a stop; the runner checks between short run() slices.
// `instret` is the count at the final ecall, not counting the parking loop.

import { Hart, Priv, Stop } from '../vcpu/hart.js';
import { FlatMemory } from '../vcpu/flat-memory.js';
import { causeName } from '../vcpu/trap.js';
import { parseElf } from './elf.js';
import { loadElf } from './loader.js';
import { hex } from './errors.js';

const PAGE = 4096;
const STACK_BYTES = 256 * 1024;
/** Instructions per hart.run() call; a finished guest spins at most this long before we notice. */
const SLICE = 10_000;
const DEFAULT_MAX_INSNS = 100_000_000;

const SYS_WRITE = 64;
const SYS_EXIT = 93;
const SYS_EXIT_GROUP = 94;
const EBADF = 9;
const EFAULT = 14;
const CAUSE_ECALL_U = 8;
const CAUSE_ECALL_M = 11;
const A0 = 10, A1 = 11, A2 = 12, A7 = 17, SP = 2;
const J_SELF = 0x0000006f; // jal x0, 0

export interface UserRunOptions {
  /** Stop with an error after this many instructions (default 100 million). */
  maxInsns?: number;
  /** Privilege the guest runs at (default 'M'). */
  priv?: 'M' | 'U';
}

export interface UserRunResult {
  exitCode: number;
  stdout: Uint8Array;
  stderr: Uint8Array;
  instret: number;
}

/** The guest did something the shim does not emulate, or ran too long. */
export class UserShimError extends Error {
  constructor(
    message: string,
    /** pc of the offending instruction (-1 when not at an instruction, e.g. the insn limit). */
    readonly pc: number,
    /** What the guest had written to stdout before the error. */
    readonly stdout: Uint8Array,
  ) {
    super(message);
    this.name = 'UserShimError';
  }
}

export function runUserElf(bytes: Uint8Array, opts: UserRunOptions = {}): UserRunResult {
  const maxInsns = opts.maxInsns ?? DEFAULT_MAX_INSNS;
  const image = parseElf(bytes, 'user ELF');
  let lo = Infinity, hi = -Infinity;
  for (const s of image.segments) {
    lo = Math.min(lo, s.paddr);
    hi = Math.max(hi, s.paddr + s.memsz);
  }
  const base = Math.floor(lo / PAGE) * PAGE;
  const size = Math.ceil((hi - base + STACK_BYTES + PAGE) / (1 << 20)) * (1 << 20);
  const mem = new FlatMemory({ base, size });
  const loaded = loadElf(image, mem.ram);
  const spinPc = base + size - PAGE;
  mem.ram.dv.setUint32(spinPc - base, J_SELF, true);

  const hart = new Hart({ port: mem, hartId: 0, resetPc: loaded.entry });
  hart.setX(SP, BigInt(spinPc - 64));
  if (opts.priv === 'U') hart.setPriv(Priv.U);
  hart.csr.mstatus |= 1 << 13; // mstatus.FS = initial: Linux starts a program with the FPU on

  const out: number[][] = [[], []];
  let exitCode: number | null = null;
  let error: { message: string; pc: number } | null = null;
  let instretAtExit = 0;

  const finish = (h: Hart) => {
    instretAtExit = h.instret + h.runRetired;
    h.pc = spinPc;
    h.requestStop();
  };

  hart.machineTrapHook = (h, cause, tval, pc) => {
    if (exitCode !== null || error !== null) {
      // Already finished; keep the hart parked.
      h.pc = spinPc;
      return true;
    }
    if (cause !== CAUSE_ECALL_M && cause !== CAUSE_ECALL_U) {
      error = { message: `unexpected trap ${causeName(cause)} (cause ${cause}) at pc ${hex(pc)}, tval ${hex(BigInt.asUintN(64, tval))}`, pc };
      finish(h);
      return true;
    }
    const nr = Number(h.getX(A7));
    switch (nr) {
      case SYS_WRITE: {
        const fd = h.getX(A0), buf = Number(h.getX(A1)), len = Number(h.getX(A2));
        let ret: bigint;
        if (fd !== 1n && fd !== 2n) {
          ret = BigInt(-EBADF);
        } else if (buf < mem.ram.base || len < 0 || buf + len > mem.ram.base + mem.ram.size) {
          ret = BigInt(-EFAULT);
        } else {
          const bytesOut = mem.ram.u8.subarray(buf - mem.ram.base, buf - mem.ram.base + len);
          const sink = out[Number(fd) - 1]!;
          for (const b of bytesOut) sink.push(b);
          ret = BigInt(len);
        }
        h.setX(A0, ret);
        h.pc = pc + 4;
        return true;
      }
      case SYS_EXIT:
      case SYS_EXIT_GROUP:
        exitCode = Number(h.getX(A0) & 0xffn);
        finish(h);
        return true;
      default:
        error = { message: `unsupported syscall ${nr} (a7) at pc ${hex(pc)}`, pc };
        finish(h);
        return true;
    }
  };

  while (exitCode === null && error === null) {
    if (hart.instret >= maxInsns) {
      error = { message: `no exit within ${maxInsns} instructions (pc ${hex(hart.pc)})`, pc: -1 };
      break;
    }
    const why = hart.run(Math.min(SLICE, maxInsns - hart.instret));
    if (exitCode !== null || error !== null) break;
    if (why === Stop.Wfi) error = { message: `wfi at pc ${hex(hart.pc)}: nothing can wake the hart`, pc: hart.pc };
    else if (why === Stop.Stall) error = { message: `stall at pc ${hex(hart.pc)} on flat memory`, pc: hart.pc };
    else if (why === Stop.Halt) error = { message: `halted by a device at pc ${hex(hart.pc)}`, pc: hart.pc };
  }
  const stdout = Uint8Array.from(out[0]!);
  if (error !== null) {
    const e: { message: string; pc: number } = error;
    throw new UserShimError(`runUserElf: ${e.message}`, e.pc, stdout);
  }
  return { exitCode: exitCode!, stdout, stderr: Uint8Array.from(out[1]!), instret: instretAtExit };
}
