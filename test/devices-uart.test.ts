// NS16550A UART (src/devices/uart16550.ts): transmit to a sink, receive from the host queue,
// interrupt identification and priorities, FIFOs, the divisor latch, and loopback.

import { describe, expect, it } from 'vitest';
import { CaptureConsole } from '../src/devices/htif.js';
import { Plic } from '../src/devices/plic.js';
import {
  FCR_FE,
  IER_RDI,
  IER_RLSI,
  IER_THRI,
  IIR_CTI,
  IIR_FE,
  IIR_NO_INT,
  IIR_RDI,
  IIR_RLSI,
  IIR_THRI,
  LCR_DLAB,
  LSR_DR,
  LSR_OE,
  LSR_TEMT,
  LSR_THRE,
  MCR_LOOP,
  Uart16550,
  UART_IRQ,
} from '../src/devices/uart16550.js';
import { FakeHart, FakeLine, MEIP, load32, storeOk } from './devices-helpers.js';

const RBR = 0, THR = 0, IER = 1, IIR = 2, FCR = 2, LCR = 3, MCR = 4, LSR = 5, MSR = 6, SCR = 7;

function setup() {
  const line = new FakeLine();
  const tty = new CaptureConsole();
  const uart = new Uart16550({ irq: line, sink: tty });
  const rd = (reg: number) => load32(uart, reg, 1);
  const wr = (reg: number, v: number) => storeOk(uart, reg, v, 1);
  return { line, tty, uart, rd, wr };
}

describe('UART reset state and registers', () => {
  it('resets as QEMU: THR empty, no interrupt, DCD|DSR|CTS, OUT2', () => {
    const { line, rd } = setup();
    expect(rd(LSR)).toBe(LSR_THRE | LSR_TEMT);
    expect(rd(IIR)).toBe(IIR_NO_INT);
    expect(rd(MSR)).toBe(0xb0);
    expect(rd(MCR)).toBe(0x08);
    expect(line.level).toBe(false);
  });

  it('keeps the divisor latch apart from RBR/THR and IER', () => {
    const { tty, rd, wr } = setup();
    wr(IER, 0);
    wr(LCR, LCR_DLAB | 3);
    wr(0, 0x34); // DLL
    wr(1, 0x12); // DLM
    expect(rd(0)).toBe(0x34);
    expect(rd(1)).toBe(0x12);
    wr(LCR, 3);
    expect(rd(IER)).toBe(0);
    expect(tty.text()).toBe('');
    expect(rd(LCR)).toBe(3);
    wr(SCR, 0x5a);
    expect(rd(SCR)).toBe(0x5a);
  });

  it('repeats the 8 registers through its window and reads one byte at any size', () => {
    const { uart, rd, wr } = setup();
    wr(SCR, 0xa5);
    expect(load32(uart, 8 + SCR, 1)).toBe(0xa5);
    expect(load32(uart, SCR, 4)).toBe(0xa5);
    expect(rd(LSR)).toBe(0x60);
  });
});

describe('UART transmit', () => {
  it('sends THR bytes to the sink at once', () => {
    const { tty, uart, rd, wr } = setup();
    for (const c of 'hello\n') {
      expect(rd(LSR) & LSR_THRE).toBe(LSR_THRE);
      wr(THR, c.charCodeAt(0));
    }
    expect(tty.text()).toBe('hello\n');
    expect(uart.txBytes).toBe(6);
    expect(rd(LSR)).toBe(LSR_THRE | LSR_TEMT);
  });

  it('raises the THR-empty interrupt when enabled, acknowledged by reading IIR', () => {
    const { line, rd, wr } = setup();
    wr(IER, IER_THRI); // enabling THRI while THR is empty raises it
    expect(line.level).toBe(true);
    expect(rd(IIR)).toBe(IIR_THRI);
    expect(line.level).toBe(false);
    expect(rd(IIR)).toBe(IIR_NO_INT);
    wr(THR, 0x41); // the byte leaves, THR is empty again
    expect(line.level).toBe(true);
    wr(IER, 0);
    expect(line.level).toBe(false);
  });
});

describe('UART receive', () => {
  it('delivers host bytes one at a time without FIFOs, with the RX interrupt', () => {
    const { line, uart, rd, wr } = setup();
    wr(IER, IER_RDI);
    expect(line.level).toBe(false);
    uart.receive([0x68, 0x69]);
    expect(line.level).toBe(true);
    expect(rd(IIR)).toBe(IIR_RDI);
    expect(rd(LSR) & LSR_DR).toBe(LSR_DR);
    expect(uart.hostPending).toBe(1); // the second byte waits: no overrun from the host
    expect(rd(RBR)).toBe(0x68);
    expect(rd(RBR)).toBe(0x69);
    expect(rd(LSR) & (LSR_DR | LSR_OE)).toBe(0);
    expect(line.level).toBe(false);
    expect(rd(IIR)).toBe(IIR_NO_INT);
    expect(uart.rxBytes).toBe(2);
  });

  it('fills the FIFO up to 16 bytes and reports the character timeout below the trigger', () => {
    const { line, uart, rd, wr } = setup();
    wr(FCR, 0x80 | FCR_FE); // Linux: FIFOs on, trigger at 8 bytes
    expect(rd(IIR) & IIR_FE).toBe(IIR_FE);
    wr(IER, IER_RDI);
    uart.receive([1, 2, 3]);
    expect(line.level).toBe(true);
    expect(rd(IIR)).toBe(IIR_FE | IIR_CTI);
    const got: number[] = [];
    while (rd(LSR) & LSR_DR) got.push(rd(RBR));
    expect(got).toEqual([1, 2, 3]);
    expect(line.level).toBe(false);
    expect(rd(IIR)).toBe(IIR_FE | IIR_NO_INT);

    const many = Array.from({ length: 40 }, (_, k) => k);
    uart.receive(many);
    expect(uart.hostPending).toBe(40 - 16);
    const all: number[] = [];
    while (rd(LSR) & LSR_DR) all.push(rd(RBR));
    expect(all).toEqual(many);
    expect(rd(LSR) & LSR_OE).toBe(0);
  });

  it('flushes the receive FIFO on FCR clear', () => {
    const { line, uart, rd, wr } = setup();
    wr(FCR, FCR_FE);
    wr(IER, IER_RDI);
    uart.receive([9, 9]);
    expect(line.level).toBe(true);
    wr(FCR, FCR_FE | 0x02);
    expect(rd(LSR) & LSR_DR).toBe(0);
    expect(line.level).toBe(false);
  });

  it('routes its interrupt to the PLIC as source 10', () => {
    const hart = new FakeHart();
    const plic = new Plic({ harts: [hart] });
    const uart = new Uart16550({ irq: plic.line(UART_IRQ), sink: new CaptureConsole() });
    storeOk(plic, 4 * UART_IRQ, 1);
    storeOk(plic, 0x2000, 1 << UART_IRQ);
    storeOk(uart, IER, IER_RDI, 1);
    uart.receive([0x7a]);
    expect(hart.level(MEIP)).toBe(true);
    expect(load32(plic, 0x20_0004)).toBe(UART_IRQ);
    expect(load32(uart, RBR, 1)).toBe(0x7a);
    storeOk(plic, 0x20_0004, UART_IRQ);
    expect(hart.level(MEIP)).toBe(false);
  });
});

describe('UART loopback', () => {
  it('turns transmitted bytes into received ones, not sink output', () => {
    const { line, tty, uart, rd, wr } = setup();
    wr(MCR, MCR_LOOP | 0x0b); // loop, OUT2, RTS, DTR
    expect(rd(MSR)).toBe(0x80 | 0x10 | 0x20); // DCD from OUT2, CTS from RTS, DSR from DTR
    wr(IER, IER_RDI);
    uart.receive([0x55]); // host input waits while in loopback
    wr(THR, 0x41);
    expect(tty.text()).toBe('');
    expect(line.level).toBe(true);
    expect(rd(RBR)).toBe(0x41);
    expect(rd(LSR) & LSR_DR).toBe(0);
    wr(MCR, 0x08); // loop off: the host byte comes in
    expect(rd(RBR)).toBe(0x55);
  });

  it('overruns without FIFOs, reported once by LSR with the line-status interrupt', () => {
    const { line, rd, wr } = setup();
    wr(MCR, MCR_LOOP);
    wr(IER, IER_RLSI);
    wr(THR, 1);
    wr(THR, 2);
    expect(line.level).toBe(true);
    expect(rd(IIR)).toBe(IIR_RLSI);
    expect(rd(LSR) & LSR_OE).toBe(LSR_OE);
    expect(rd(LSR) & LSR_OE).toBe(0);
    expect(line.level).toBe(false);
    expect(rd(RBR)).toBe(2);
  });
});
