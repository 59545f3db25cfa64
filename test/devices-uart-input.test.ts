// When held console input may enter the UART (src/devices/uart-input.ts): the register accesses
// of Linux's 8250 driver probing the port at boot do not make the guest a listener, opening the
// port does; a console loop polling LSR does, while a guest that prints, or looks at the
// receiver now and then, does not; what want() says at idle, stopped and busy hand-over points.

import { describe, expect, it } from 'vitest';
import { CaptureConsole } from '../src/devices/htif.js';
import { Uart16550 } from '../src/devices/uart16550.js';
import { InputWant, LOOKS_FOR_INPUT, POLLS_FOR_INPUT, POLL_GAP_CYCLES, UartListener } from '../src/devices/uart-input.js';
import { FakeLine, load32, storeOk } from './devices-helpers.js';

const RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6;
const DEADLINE = 1_000_000;

/** A listener on a fresh UART; every access takes 10 cycles of a clock the test reads as `now`. */
function setup() {
  const uart = new Uart16550({ irq: new FakeLine(), sink: new CaptureConsole() });
  const clock = { now: 0 };
  const l = new UartListener(uart, () => clock.now, DEADLINE);
  const rd = (reg: number) => {
    clock.now += 10;
    return load32(l, reg, 1);
  };
  const wr = (reg: number, v: number) => {
    clock.now += 10;
    storeOk(l, reg, v, 1);
  };
  return { uart, l, clock, rd, wr };
}

/** What OpenSBI leaves: FIFOs on, interrupts off, MCR cleared. */
function firmwareInit(rd: (r: number) => number, wr: (r: number, v: number) => void): void {
  wr(IER, 0);
  wr(LCR, 0x80);
  wr(0, 1);
  wr(1, 0);
  wr(LCR, 0x03);
  wr(FCR, 0x01);
  wr(MCR, 0);
  rd(LSR);
  rd(RBR);
}

/** Linux's serial8250 autoconfig at probe time, in its order. */
function autoconfig(rd: (r: number) => number, wr: (r: number, v: number) => void): void {
  const ier = rd(IER);
  wr(IER, 0);
  rd(IER);
  wr(IER, 0x0f);
  rd(IER);
  wr(IER, ier);
  const mcr = rd(MCR), lcr = rd(LCR);
  wr(MCR, 0x10 | 0x0a);
  rd(MSR);
  wr(MCR, mcr);
  wr(LCR, 0xbf);
  wr(FCR, 0);
  wr(LCR, 0);
  wr(FCR, 0x01);
  rd(IIR);
  wr(LCR, lcr);
  wr(MCR, mcr);
  wr(FCR, 0x07);
  wr(FCR, 0);
  rd(RBR);
  wr(IER, 0);
}

/** Opening the tty: serial8250_do_startup, then set_termios (receive interrupts on, FIFOs on). */
function open(rd: (r: number) => number, wr: (r: number, v: number) => void): void {
  wr(FCR, 0x01);
  wr(FCR, 0x07);
  wr(FCR, 0);
  for (const r of [LSR, RBR, IIR, MSR]) rd(r);
  wr(IER, 0x02);
  rd(IIR);
  wr(IER, 0);
  wr(LCR, 0x03);
  wr(MCR, 0x0b);
  wr(IER, 0x02);
  rd(LSR);
  rd(IIR);
  wr(IER, 0);
  for (const r of [LSR, RBR, IIR, MSR]) rd(r);
  wr(IER, 0x05);
  wr(LCR, 0x83);
  wr(0, 1);
  wr(1, 0);
  wr(LCR, 0x03);
  wr(FCR, 0x01);
  wr(FCR, 0x81);
  wr(MCR, 0x0b);
}

describe('UART listener: the 8250 driver', () => {
  it('is not listening after the probe, at idle or stopped points; it is once the port is opened', () => {
    const { l, clock, rd, wr } = setup();
    firmwareInit(rd, wr);
    autoconfig(rd, wr);
    expect(l.listening).toBe(false);
    expect(l.polling(clock.now)).toBe(false);
    for (const [idle, stopped] of [[false, false], [true, false], [true, true]]) expect(l.want(clock.now, idle, stopped)).toBe(InputWant.No);
    // long after, still nothing: the deadline counts listening time only
    expect(l.want(clock.now + 10 * DEADLINE, true, true)).toBe(InputWant.No);
    clock.now += 10 * DEADLINE;
    open(rd, wr);
    expect(l.listening).toBe(true);
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
    expect(l.want(clock.now, true, false)).toBe(InputWant.Offer);
    expect(l.want(clock.now, true, true)).toBe(InputWant.Wait);
  });

  it('counts the deadline from the start of listening and the last line, not from a moment of ERBFI in the probe', () => {
    const { l, clock, rd, wr } = setup();
    firmwareInit(rd, wr);
    // a hand-over point falling just after the probe's IER = 0x0f write
    wr(IER, 0x0f);
    expect(l.listening).toBe(true);
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
    wr(IER, 0);
    clock.now += DEADLINE;
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
    open(rd, wr);
    const opened = clock.now; // receive interrupts went on a few accesses before
    expect(l.want(opened + DEADLINE - 100, false, false)).toBe(InputWant.No);
    expect(l.want(opened + DEADLINE, false, false)).toBe(InputWant.Offer);
    l.handedOver(opened + DEADLINE);
    expect(l.want(opened + 2 * DEADLINE - 1, false, false)).toBe(InputWant.No);
    expect(l.want(opened + 2 * DEADLINE, false, false)).toBe(InputWant.Offer);
    // loopback stops listening; leaving it starts the count again
    wr(MCR, 0x1b);
    expect(l.want(clock.now, true, true)).toBe(InputWant.No);
    wr(MCR, 0x0b);
    expect(l.want(clock.now + DEADLINE - 1, false, false)).toBe(InputWant.No);
  });
});

describe('UART listener: polling', () => {
  const lsrPolls = (rd: (r: number) => number, n: number) => {
    for (let i = 0; i < n; i++) rd(LSR);
  };

  it('takes POLLS_FOR_INPUT empty LSR reads in a row for a console loop, with receive interrupts off', () => {
    const { l, clock, rd, wr } = setup();
    firmwareInit(rd, wr);
    lsrPolls(rd, POLLS_FOR_INPUT - 1);
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
    rd(LSR);
    expect(l.polling(clock.now)).toBe(true);
    expect(l.want(clock.now, false, false)).toBe(InputWant.Wait);
    // a hand-over point long after the loop stopped is not one where the guest polls
    expect(l.want(clock.now + POLL_GAP_CYCLES + 1, false, false)).toBe(InputWant.No);
    l.handedOver(clock.now);
    expect(l.polling(clock.now)).toBe(false);
  });

  it('does not take a printing guest, other accesses between the reads, or reads far apart for polling', () => {
    const { l, clock, rd, wr } = setup();
    firmwareInit(rd, wr);
    for (let i = 0; i < 4 * POLLS_FOR_INPUT; i++) {
      rd(LSR);
      wr(THR, 0x41);
    }
    expect(l.polling(clock.now)).toBe(false);
    const others: Array<() => void> = [() => rd(IIR), () => rd(RBR), () => wr(IER, 0), () => wr(FCR, 1)];
    for (const other of others) {
      other();
      lsrPolls(rd, POLLS_FOR_INPUT - 1);
      other();
      lsrPolls(rd, POLLS_FOR_INPUT - 1);
      expect(l.polling(clock.now)).toBe(false);
    }
    for (let i = 0; i < 2 * POLLS_FOR_INPUT; i++) {
      clock.now += POLL_GAP_CYCLES;
      rd(LSR);
    }
    expect(l.polling(clock.now)).toBe(false);
  });

  it('offers a line to a guest that looks for a key between delays (U-Boot\'s autoboot countdown), without waiting for one', () => {
    const { l, clock, rd, wr } = setup();
    firmwareInit(rd, wr);
    const look = (n: number, gap: number) => {
      for (let i = 0; i < n; i++) {
        clock.now += gap;
        rd(LSR);
      }
    };
    look(LOOKS_FOR_INPUT - 1, 10 * POLL_GAP_CYCLES);
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
    look(1, 10 * POLL_GAP_CYCLES);
    expect(l.polling(clock.now)).toBe(false);
    expect(l.want(clock.now, false, false)).toBe(InputWant.Offer);
    // no longer once it stops looking, or looks further apart than the deadline
    expect(l.want(clock.now + DEADLINE + 1, false, false)).toBe(InputWant.No);
    look(2 * POLLS_FOR_INPUT, DEADLINE + 1);
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
    // a printing guest between the looks is no looker either
    for (let i = 0; i < 2 * POLLS_FOR_INPUT; i++) {
      look(1, 10 * POLL_GAP_CYCLES);
      wr(THR, 0x41);
    }
    expect(l.want(clock.now, false, false)).toBe(InputWant.No);
  });

  it('does not count reads that find data', () => {
    const { uart, l, clock, rd, wr } = setup();
    firmwareInit(rd, wr);
    uart.receive([0x61]);
    lsrPolls(rd, 2 * POLLS_FOR_INPUT);
    expect(l.polling(clock.now)).toBe(false);
    expect(rd(RBR)).toBe(0x61);
    lsrPolls(rd, POLLS_FOR_INPUT);
    expect(l.polling(clock.now)).toBe(true);
  });
});
