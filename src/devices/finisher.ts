// SiFive test finisher of the QEMU `virt` board (0x0010_0000, "sifive,test0"), after QEMU
// hw/misc/sifive_test.c. Guests use it to power off (Linux's syscon-poweroff, OpenSBI's system
// reset) and bare-metal tests to report a result.
//
//   offset  register   access   meaning
//   0x0     finisher   W 16/32  bits 15:0 command, bits 31:16 code:
//                                 0x3333 FAIL   stop; exit status = code
//                                 0x5555 PASS   stop; exit status 0
//                                 0x7777 RESET  stop; the board decides whether to reboot
//                               any other value, or a store elsewhere in the window, is ignored
//   (size 0x1000; loads read 0; 8- and 64-bit and misaligned accesses are access faults, as
//   QEMU's min_access_size 2 / max_access_size 4)
//
// A command store returns MmioStatus.Halt, so the hart stops with Stop.Halt after the store
// retires, and the outcome is kept in `outcome`. QEMU exits with the code of a FAIL command
// even when that code is 0; we keep the code as given and mark the outcome kind 'fail', so the
// runner can tell the two apart.
//
// How the board wires it:
//   const fin = new Finisher();  mem.addDevice(fin);
//   after run() returns Stop.Halt: if (fin.outcome) -> exit with fin.outcome.exitCode, or reset

import { MmioStatus } from '../vcpu/port.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';

export const FINISHER_BASE = 0x0010_0000;
export const FINISHER_SIZE = 0x1000;
export const FINISHER_FAIL = 0x3333;
export const FINISHER_PASS = 0x5555;
export const FINISHER_RESET = 0x7777;

export type FinisherKind = 'pass' | 'fail' | 'reset';

export interface FinisherOutcome {
  kind: FinisherKind;
  /** The process exit status this outcome asks for (0 for pass and reset). */
  exitCode: number;
  /** The raw 32-bit value written. */
  value: number;
}

export class Finisher implements MmioDevice {
  readonly base: number;
  readonly size = FINISHER_SIZE;
  /** The last command, or null while the guest has given none. */
  outcome: FinisherOutcome | null = null;
  /** Stores that were not commands. */
  ignoredStores = 0;

  constructor(opts: { base?: number } = {}) {
    this.base = opts.base ?? FINISHER_BASE;
  }

  load(off: number, size: number, out: Int32Array): MmioStatus {
    if (!validAccess(off, size)) return MmioStatus.Fault;
    out[0] = 0;
    out[1] = 0;
    return MmioStatus.Ok;
  }

  store(off: number, size: number, lo: number, _hi: number): MmioStatus {
    if (!validAccess(off, size)) return MmioStatus.Fault;
    const value = size === 2 ? lo & 0xffff : lo >>> 0;
    if (off === 0) {
      const cmd = value & 0xffff;
      const code = value >>> 16;
      if (cmd === FINISHER_FAIL) return this.finish('fail', code, value);
      if (cmd === FINISHER_PASS) return this.finish('pass', 0, value);
      if (cmd === FINISHER_RESET) return this.finish('reset', 0, value);
    }
    this.ignoredStores++;
    return MmioStatus.Ok;
  }

  private finish(kind: FinisherKind, exitCode: number, value: number): MmioStatus {
    this.outcome = { kind, exitCode, value };
    return MmioStatus.Halt;
  }
}

function validAccess(off: number, size: number): boolean {
  return (size === 2 || size === 4) && (off & (size - 1)) === 0;
}
