// Errors that the CLI turns into one line and an exit status.
//
// A UserError is bad input from the person running the simulator (a missing file, an ELF for the
// wrong machine, a segment that does not fit in RAM, a bad option). Its message names the input
// and says how to fix it; the CLI prints `flashdisco: <message>` with no stack trace and exits
// with EXIT_USAGE. Anything else that escapes is a simulator bug and keeps its stack.

/** Process exit statuses chosen by the simulator itself (a guest's own exit status passes through). */
export const EXIT_USAGE = 2;
/** The guest ran past --max-insns. */
export const EXIT_MAX_INSNS = 3;
/** The guest stopped in a way it cannot recover from (unsupported HTIF call, wfi forever). */
export const EXIT_GUEST_FAULT = 4;

export class UserError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserError';
  }
}

/**
 * A guest did something it cannot come back from and which the hart would otherwise repeat
 * forever (a trap whose handler address itself cannot be fetched). Thrown out of hart.run() by
 * the runner's trap hook and turned into a 'fault' result; never reaches the user as a stack.
 */
export class GuestFault extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GuestFault';
  }
}

export function isUserError(e: unknown): e is UserError {
  return e instanceof UserError;
}

/**
 * Hex form used in every message and statistic that shows an address: unsigned 64-bit, without
 * separators. Addresses are held as the signed 64-bit value (Hart.pc), so a kernel address such
 * as 0xffff_ffff_8000_0000 arrives negative and must be shown as its 64-bit pattern.
 */
export function hex(v: number | bigint): string {
  if (typeof v === 'number') {
    if (v >= 0) return '0x' + v.toString(16);
    v = BigInt(v);
  }
  return '0x' + BigInt.asUintN(64, v).toString(16);
}
