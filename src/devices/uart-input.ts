// When held host input may enter the UART: the rule both boards hand console input over by (the
// virt board with sim/held-input.ts, the FLASH machine's I/O node in node-actor/io-node.ts).
//
// Bytes that reach a UART before its driver reads it are lost, here as on hardware: Linux's 8250
// driver probes the port at boot (autoconfig: IER written and read back, a loopback test through
// MCR and MSR, the FIFOs switched on and IIR read, then both FIFOs cleared through FCR and RBR
// read), and when the tty is opened clears the FIFOs again, reads RBR and, after it has set
// IER.ERBFI, turns the FIFOs off and on (startup, set_termios), which clears them once more. A
// line handed over while the kernel boots waits in the receive FIFO until one of these resets
// drops it (and the rest of a longer input, let in as the FIFO empties, is read and dropped by
// the RBR reads). So held input waits until the guest listens:
//
//   listening  receive interrupts on (IER.ERBFI) with the port out of loopback (MCR.LOOP): what a
//              driver leaves once it has opened the port for reading. Not MCR.OUT2, which Linux
//              sets for PC-style interrupt wiring: this UART, like QEMU's, raises its line
//              whatever OUT2 says, and firmware clears MCR (OpenSBI writes 0) before kernels
//              that then set only IER.
//   polling    POLLS_FOR_INPUT reads of LSR in a row that find the receiver empty, each at most
//              POLL_GAP_CYCLES after the one before, with no other access to the UART between
//              them, the last one no longer than that ago: a console loop waiting for a key
//              (OpenSBI's and our SBI's getchar). A probe reads LSR a few times among other
//              accesses; a printing guest writes THR after each look at LSR.
//   looking    LOOKS_FOR_INPUT such reads, each at most INPUT_DEADLINE_S after the one before,
//              the last gap longer than a polling loop's: a program
//              that looks for a key between delays (U-Boot's autoboot countdown, a 10 ms delay
//              between looks). A key typed ahead stops such a countdown under QEMU, so a line
//              that is there goes in; but the guest is not waiting for one, and a driver that
//              types only after the prompt must not hold it.
//
// A probe sets ERBFI for a few accesses (autoconfig writes IER = 0x0f and reads it back), and
// set_termios sets it just before its FIFO reset; neither is taken for listening, because input
// goes in only where the guest also waits (below), which a driver holding its port lock does not,
// or after it has listened for INPUT_DEADLINE_S without a break.
//
// At each point where a board may hand input over (a round or an epoch start, chosen by
// simulated state alone), want() says, from what the guest does there:
//
//   Wait   it polls, or it listens and the machine can do nothing more without input (every
//          hart asleep, no timer armed, nothing under way): hand a line over, or wait for one
//          (or the end of input) before the machine goes on; so a line goes in at the same
//          simulated time however late it comes;
//   Offer  it looks now and then, or it listens and every hart sleeps (waiting for input, though a timer may wake it
//          first), or it has listened for INPUT_DEADLINE_S since the later of the last line
//          and the start of listening (a guest that never sleeps): hand a line over if one is
//          there, else go on;
//   No     otherwise: it cannot take input now.

import { MmioStatus } from '../vcpu/port.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import { LSR_DR, UartReg, type Uart16550 } from './uart16550.js';

/** Empty-receiver LSR reads in a row (nothing else at the UART between) that mean "polling for input". */
export const POLLS_FOR_INPUT = 64;
/**
 * Empty-receiver LSR reads in a row, further apart than a polling loop's, that mean "looking for
 * a key between delays": few, since each may cost a delay of the guest's (U-Boot: 10 ms).
 */
export const LOOKS_FOR_INPUT = 8;
/** The most cycles between two reads of a polling loop (and from the last one to the hand-over point). */
export const POLL_GAP_CYCLES = 10_000;
/** Seconds of listening without a pause after which held input goes in anyway (guests that never sleep). */
export const INPUT_DEADLINE_S = 0.1;

export const enum InputWant {
  No = 0,
  Offer = 1,
  Wait = 2,
}

/**
 * The UART as the harts see it, watched for a guest that listens or polls (see the header). The
 * boards register it in the UART's place and ask want() at their hand-over points; whoever hands
 * a line over calls handedOver().
 */
export class UartListener implements MmioDevice {
  readonly base: number;
  readonly size: number;
  /** Simulated cycle at which the guest last started listening; NaN while it does not. */
  private listenSince = NaN;
  private lastHandOver = 0;
  /** Empty LSR reads in a row, each within POLL_GAP_CYCLES of the one before. */
  private emptyPolls = 0;
  /** The same, each within the deadline of the one before (looking now and then). */
  private emptyLooks = 0;
  private lastPoll = -Infinity;
  /** Cycles between the last two empty LSR reads. */
  private lastGap = Infinity;

  /**
   * `now` is the simulated cycle of the access being served; `deadlineCycles` is
   * INPUT_DEADLINE_S in the board's cycles.
   */
  constructor(readonly uart: Uart16550, private readonly now: () => number, private readonly deadlineCycles: number) {
    this.base = uart.base;
    this.size = uart.size;
    if (uart.listening) this.listenSince = 0;
  }

  get listening(): boolean {
    return this.uart.listening;
  }

  /** A polling loop is under way at cycle `now`. */
  polling(now: number): boolean {
    return this.emptyPolls >= POLLS_FOR_INPUT && now - this.lastPoll <= POLL_GAP_CYCLES;
  }

  /**
   * A loop that looks for a key between delays is under way at cycle `now` (a fast one that has
   * stopped polling is not).
   */
  looking(now: number): boolean {
    return this.emptyLooks >= LOOKS_FOR_INPUT && this.lastGap > POLL_GAP_CYCLES && now - this.lastPoll <= this.deadlineCycles;
  }

  /**
   * What the guest wants at a hand-over point at cycle `now` (see the header): `idle` when every
   * hart sleeps in wfi, `stopped` when besides nothing is armed or under way that could wake one.
   */
  want(now: number, idle: boolean, stopped: boolean): InputWant {
    if (this.polling(now)) return InputWant.Wait;
    if (!this.uart.listening) return this.looking(now) ? InputWant.Offer : InputWant.No;
    if (stopped) return InputWant.Wait;
    if (idle || now - Math.max(this.lastHandOver, this.listenSince) >= this.deadlineCycles) return InputWant.Offer;
    return InputWant.No;
  }

  /** A line went to the UART at cycle `now`. */
  handedOver(now: number): void {
    this.lastHandOver = now;
    this.emptyPolls = 0;
    this.emptyLooks = 0;
  }

  load(off: number, size: number, out: Int32Array): MmioStatus {
    const st = this.uart.load(off, size, out);
    if ((off & 7) === UartReg.LSR && (out[0]! & LSR_DR) === 0 && this.uart.hostPending === 0) {
      const t = this.now();
      this.emptyPolls = t - this.lastPoll <= POLL_GAP_CYCLES ? this.emptyPolls + 1 : 1;
      this.emptyLooks = t - this.lastPoll <= this.deadlineCycles ? this.emptyLooks + 1 : 1;
      this.lastGap = t - this.lastPoll;
      this.lastPoll = t;
    } else {
      this.emptyPolls = 0;
      this.emptyLooks = 0;
    }
    return st;
  }

  store(off: number, size: number, lo: number, hi: number): MmioStatus {
    this.emptyPolls = 0;
    this.emptyLooks = 0;
    const was = this.uart.listening;
    const st = this.uart.store(off, size, lo, hi);
    if (this.uart.listening !== was) this.listenSince = was ? NaN : this.now();
    return st;
  }
}
