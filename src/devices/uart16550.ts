// NS16550A UART of the QEMU `virt` board (0x1000_0000, PLIC source 10), after QEMU
// hw/char/serial.c, which is what Linux's 8250 driver, OpenSBI and U-Boot meet there.
//
//   offset  DLAB=0 read   DLAB=0 write   DLAB=1        meaning
//   0       RBR           THR            DLL           receive buffer / transmit holding / divisor low
//   1       IER           IER            DLM           interrupt enables: RDI 1, THRI 2, RLSI 4, MSI 8
//   2       IIR           FCR                          IIR: 0x01 none, 0x06 line status, 0x0c rx
//                                                      timeout, 0x04 rx data, 0x02 THR empty, 0x00
//                                                      modem status; bits 7:6 set when FIFOs are on.
//                                                      FCR: 1 FIFO enable, 2 clear rx, 4 clear tx,
//                                                      7:6 rx trigger (1, 4, 8, 14 bytes)
//   3       LCR           LCR                          line control; bit 7 = DLAB
//   4       MCR           MCR                          modem control (5 bits); bit 4 = loopback
//   5       LSR           (ignored)                    DR 1, OE 2, BI 0x10, THRE 0x20, TEMT 0x40
//   6       MSR           (ignored)                    DCD|DSR|CTS always (loopback: from MCR)
//   7       SCR           SCR                          scratch
//   (register shift 0; the 0x100 window repeats the 8 registers; an access of any size reads or
//   writes the one byte register at its offset, zero-extended, as QEMU's serial_mm)
//
// Transmission is instantaneous: a THR write sends the byte to the sink (or, in loopback, into
// the receiver) and THR is empty again at once, so LSR.THRE and TEMT always read 1 and the THR
// empty interrupt is re-armed by every write.
//
// Reception. The host pushes bytes with receive(); they wait in an unbounded host queue and
// enter the receiver only as it has room (one byte in RBR without FIFOs, up to 16 with), which
// is QEMU's chardev flow control: host input never overruns. Loopback bytes go straight to the
// receiver and can overrun (LSR.OE), as on hardware.
//
// Receive timeout. Linux enables the FIFOs with an 8-byte trigger and relies on the character
// timeout interrupt for shorter input. QEMU raises it 4 character times after the last arrival
// or read; we have no character clock, so the timeout is taken as already expired: whenever the
// FIFO holds data the timeout condition is set (cleared by RBR reads that empty the FIFO and by
// FIFO resets). This is deterministic and keeps every byte deliverable.
//
// How the board wires it:
//   const uart = new Uart16550({ irq: plic.line(UART_IRQ), sink: console });
//   mem.addDevice(uart);                      // or new UartListener(uart, ...) (uart-input.ts)
//   host input (stdin), between run slices:  uart.receive(bytes)

import { MmioStatus } from '../vcpu/port.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import type { ConsoleSink } from './htif.js';
import type { IrqLine } from './irq.js';

export const UART_BASE = 0x1000_0000;
export const UART_SIZE = 0x100;
export const UART_IRQ = 10;
/** The clock-frequency QEMU puts in the device tree (3.6864 MHz). */
export const UART_CLOCK_HZ = 3_686_400;

const FIFO_LEN = 16;

export const enum UartReg {
  RBR_THR_DLL = 0,
  IER_DLM = 1,
  IIR_FCR = 2,
  LCR = 3,
  MCR = 4,
  LSR = 5,
  MSR = 6,
  SCR = 7,
}

export const IER_RDI = 0x01;
export const IER_THRI = 0x02;
export const IER_RLSI = 0x04;
export const IER_MSI = 0x08;

export const IIR_NO_INT = 0x01;
export const IIR_ID = 0x06;
export const IIR_MSI = 0x00;
export const IIR_THRI = 0x02;
export const IIR_RDI = 0x04;
export const IIR_RLSI = 0x06;
export const IIR_CTI = 0x0c;
export const IIR_FE = 0xc0;

export const FCR_FE = 0x01;
export const FCR_RFR = 0x02;
export const FCR_XFR = 0x04;

export const LCR_DLAB = 0x80;
export const LCR_BREAK = 0x40;

export const MCR_LOOP = 0x10;
export const MCR_OUT2 = 0x08;

export const LSR_DR = 0x01;
export const LSR_OE = 0x02;
export const LSR_BI = 0x10;
export const LSR_THRE = 0x20;
export const LSR_TEMT = 0x40;
/** LSR bits that raise the line-status interrupt: OE, PE, FE, BI. */
const LSR_INT_ANY = 0x1e;

const MSR_CTS = 0x10;
const MSR_DSR = 0x20;
const MSR_DCD = 0x80;
const MSR_ANY_DELTA = 0x0f;

const TRIGGER_LEVELS = [1, 4, 8, 14] as const;

export interface UartOptions {
  irq: IrqLine;
  /** Where transmitted bytes go (stdout in the CLI, a capture in tests). */
  sink: ConsoleSink;
  base?: number;
}

export class Uart16550 implements MmioDevice {
  readonly base: number;
  readonly size = UART_SIZE;
  /** Bytes transmitted to the sink (not counting loopback). */
  txBytes = 0;
  /** Bytes the guest has read from the receiver. */
  rxBytes = 0;

  private readonly irq: IrqLine;
  private readonly sink: ConsoleSink;
  private readonly hostQueue: number[] = [];
  private hostHead = 0;
  private readonly fifo = new Uint8Array(FIFO_LEN);
  private fifoHead = 0;
  private fifoCount = 0;

  private rbr = 0;
  private ier = 0;
  private iir = IIR_NO_INT;
  private fcr = 0;
  private lcr = 0;
  private mcr = MCR_OUT2;
  private lsr = LSR_TEMT | LSR_THRE;
  private msr = MSR_DCD | MSR_DSR | MSR_CTS;
  private scr = 0;
  private divider = 0x0c;
  private thrIpending = false;
  private timeoutIpending = false;
  private triggerLevel = 1;
  private irqLevel = false;

  constructor(opts: UartOptions) {
    this.base = opts.base ?? UART_BASE;
    this.irq = opts.irq;
    this.sink = opts.sink;
    this.irq.setLevel(false);
  }

  /** Host input (stdin): queued, and moved into the receiver as it has room. */
  receive(bytes: Iterable<number>): void {
    for (const b of bytes) this.hostQueue.push(b & 0xff);
    this.acceptInput();
    this.updateIrq();
  }

  /** Host bytes not yet taken by the receiver. */
  get hostPending(): number {
    return this.hostQueue.length - this.hostHead;
  }

  /**
   * Receive interrupts are on and the port is out of loopback: how a driver leaves the port once
   * it has opened it for reading (uart-input.ts).
   */
  get listening(): boolean {
    return (this.ier & IER_RDI) !== 0 && (this.mcr & MCR_LOOP) === 0;
  }

  /** The current level of the interrupt line (for tests and traces). */
  get irqAsserted(): boolean {
    return this.irqLevel;
  }

  load(off: number, _size: number, out: Int32Array): MmioStatus {
    out[0] = this.read(off & 7);
    out[1] = 0;
    return MmioStatus.Ok;
  }

  store(off: number, _size: number, lo: number, _hi: number): MmioStatus {
    this.write(off & 7, lo & 0xff);
    return MmioStatus.Ok;
  }

  private read(reg: number): number {
    switch (reg) {
      case UartReg.RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) return this.divider & 0xff;
        return this.readRbr();
      case UartReg.IER_DLM:
        if (this.lcr & LCR_DLAB) return (this.divider >>> 8) & 0xff;
        return this.ier;
      case UartReg.IIR_FCR: {
        const v = this.iir;
        if ((v & IIR_ID) === IIR_THRI && (v & IIR_NO_INT) === 0) {
          this.thrIpending = false; // reading IIR acknowledges a THR-empty interrupt
          this.updateIrq();
        }
        return v;
      }
      case UartReg.LCR:
        return this.lcr;
      case UartReg.MCR:
        return this.mcr;
      case UartReg.LSR: {
        const v = this.lsr;
        if (this.lsr & (LSR_BI | LSR_OE)) {
          this.lsr &= ~(LSR_BI | LSR_OE);
          this.updateIrq();
        }
        return v;
      }
      case UartReg.MSR:
        if (this.mcr & MCR_LOOP) {
          // the modem outputs loop back to the inputs: RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD
          return ((this.mcr & 0x0c) << 4) | ((this.mcr & 0x02) << 3) | ((this.mcr & 0x01) << 5);
        }
        return this.msr;
      default:
        return this.scr;
    }
  }

  private readRbr(): number {
    let v: number;
    if (this.fcr & FCR_FE) {
      v = 0;
      if (this.fifoCount > 0) {
        v = this.fifo[this.fifoHead]!;
        this.fifoHead = (this.fifoHead + 1) % FIFO_LEN;
        this.fifoCount--;
        this.rxBytes++;
      }
      if (this.fifoCount === 0) this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutIpending = this.fifoCount > 0; // re-armed, and already expired again
    } else {
      v = this.rbr;
      if (this.lsr & LSR_DR) this.rxBytes++;
      this.lsr &= ~(LSR_DR | LSR_BI);
    }
    this.acceptInput();
    this.updateIrq();
    return v;
  }

  private write(reg: number, v: number): void {
    switch (reg) {
      case UartReg.RBR_THR_DLL:
        if (this.lcr & LCR_DLAB) {
          this.divider = (this.divider & 0xff00) | v;
          return;
        }
        this.transmit(v);
        return;
      case UartReg.IER_DLM: {
        if (this.lcr & LCR_DLAB) {
          this.divider = (this.divider & 0x00ff) | (v << 8);
          return;
        }
        const changed = (this.ier ^ v) & 0x0f;
        this.ier = v & 0x0f;
        // Turning THRI on while THR is empty raises the interrupt again (QEMU, after Bochs).
        if (changed & IER_THRI) this.thrIpending = (this.ier & IER_THRI) !== 0 && (this.lsr & LSR_THRE) !== 0;
        if (changed) this.updateIrq();
        return;
      }
      case UartReg.IIR_FCR:
        this.writeFcr(v);
        return;
      case UartReg.LCR:
        this.lcr = v;
        return;
      case UartReg.MCR: {
        const wasLoop = (this.mcr & MCR_LOOP) !== 0;
        this.mcr = v & 0x1f;
        if (wasLoop && !(this.mcr & MCR_LOOP)) {
          this.acceptInput();
          this.updateIrq();
        }
        return;
      }
      case UartReg.SCR:
        this.scr = v;
        return;
      default:
        return; // LSR and MSR are read-only
    }
  }

  private writeFcr(v: number): void {
    // Turning the FIFOs on or off flushes both.
    if ((v ^ this.fcr) & FCR_FE) v |= FCR_RFR | FCR_XFR;
    if (v & FCR_RFR) {
      this.lsr &= ~(LSR_DR | LSR_BI);
      this.timeoutIpending = false;
      this.fifoHead = 0;
      this.fifoCount = 0;
    }
    if (v & FCR_XFR) {
      this.lsr |= LSR_THRE;
      this.thrIpending = true;
    }
    this.fcr = v & 0xc9;
    if (this.fcr & FCR_FE) {
      this.iir |= IIR_FE;
      this.triggerLevel = TRIGGER_LEVELS[(v >>> 6) & 3]!;
    } else {
      this.iir &= ~IIR_FE;
    }
    this.acceptInput();
    this.updateIrq();
  }

  private transmit(byte: number): void {
    if (this.mcr & MCR_LOOP) {
      this.receiveOne(byte);
    } else {
      this.txBytes++;
      this.sink.writeByte(byte);
    }
    // The byte left at once: THR and the shift register are empty again.
    this.lsr |= LSR_THRE | LSR_TEMT;
    this.thrIpending = true;
    this.updateIrq();
  }

  /** One byte arrives at the receiver (loopback, or host input when there is room). */
  private receiveOne(byte: number): void {
    if (this.fcr & FCR_FE) {
      if (this.fifoCount < FIFO_LEN) {
        this.fifo[(this.fifoHead + this.fifoCount) % FIFO_LEN] = byte;
        this.fifoCount++;
      } else {
        this.lsr |= LSR_OE; // an overrun does not overwrite the FIFO
      }
      this.timeoutIpending = true; // the character timeout has already expired (see header)
    } else {
      if (this.lsr & LSR_DR) this.lsr |= LSR_OE;
      this.rbr = byte;
    }
    this.lsr |= LSR_DR;
  }

  /** Move host input into the receiver while it has room (never in loopback mode). */
  private acceptInput(): void {
    if (this.mcr & MCR_LOOP) return;
    while (this.hostHead < this.hostQueue.length) {
      const room = this.fcr & FCR_FE ? this.fifoCount < FIFO_LEN : (this.lsr & LSR_DR) === 0;
      if (!room) break;
      this.receiveOne(this.hostQueue[this.hostHead++]!);
    }
    if (this.hostHead === this.hostQueue.length && this.hostHead !== 0) {
      this.hostQueue.length = 0;
      this.hostHead = 0;
    }
  }

  /** IIR and the interrupt line from the current state, in the 16550's priority order. */
  private updateIrq(): void {
    let id = IIR_NO_INT;
    if (this.ier & IER_RLSI && this.lsr & LSR_INT_ANY) {
      id = IIR_RLSI;
    } else if (this.ier & IER_RDI && this.timeoutIpending) {
      id = IIR_CTI;
    } else if (this.ier & IER_RDI && this.lsr & LSR_DR && (!(this.fcr & FCR_FE) || this.fifoCount >= this.triggerLevel)) {
      id = IIR_RDI;
    } else if (this.ier & IER_THRI && this.thrIpending) {
      id = IIR_THRI;
    } else if (this.ier & IER_MSI && this.msr & MSR_ANY_DELTA) {
      id = IIR_MSI;
    }
    this.iir = id | (this.iir & 0xf0);
    const level = id !== IIR_NO_INT;
    if (level !== this.irqLevel) {
      this.irqLevel = level;
      this.irq.setLevel(level);
    }
  }
}
