// Console input held for the virt board: bytes from a file or pipe (the CLI) or a test's script,
// handed to the guest (the UART, or the semihosting console) a line at a time at round boundaries, when the guest wants one
// (devices/uart-input.ts): where it waits for input and no line has come yet, the board is held
// until the next line or the end of input, so a line goes in at a simulated time that depends on
// the guest and the order of the lines alone, not on when the line came.
//
//   const held = new HeldInput();
//   session.onRound = (idle, stopped) => held.round(session.board, idle, stopped);
//   held.push(bytes) as they come; held.end() at the end of input

import { InputWant } from '../devices/uart-input.js';
import type { VirtBoard } from './virt-board.js';

export class HeldInput {
  /** No more input will come. */
  ended = false;
  private bytes: number[] = [];
  private head = 0;
  /** Bytes from head on known to hold no newline. */
  private scanned = 0;
  private handed = false;

  push(bytes: Iterable<number>): void {
    for (const b of bytes) this.bytes.push(b & 0xff);
  }

  end(): void {
    this.ended = true;
  }

  /** Input is held that has not gone to the UART. */
  get holding(): boolean {
    return this.head < this.bytes.length;
  }

  /** Whether a line went to the UART since the last call. */
  takeHanded(): boolean {
    const h = this.handed;
    this.handed = false;
    return h;
  }

  /**
   * At a round boundary (VirtBoard.onRound): hands the next line over when the guest wants one;
   * true to hold the machine here until more input comes, when it waits for a line that has not
   * come.
   */
  round(board: VirtBoard, idle: boolean, stopped: boolean): boolean {
    const now = board.simTime;
    const want = board.inputWant(now, idle, stopped);
    if (want === InputWant.No) return false;
    const end = this.lineEnd();
    if (end < 0) return want === InputWant.Wait && !this.ended;
    board.consoleInput(this.bytes.slice(this.head, end));
    board.uartInput.handedOver(now);
    this.head = end;
    this.scanned = end;
    this.handed = true;
    if (this.head === this.bytes.length) {
      this.bytes = [];
      this.head = this.scanned = 0;
    }
    return false;
  }

  /** Where the next whole line (or, once input has ended, the rest) ends; -1 when none is there. */
  private lineEnd(): number {
    const b = this.bytes;
    for (let i = this.scanned; i < b.length; i++) if (b[i] === 0x0a) return i + 1;
    this.scanned = b.length;
    return this.ended && this.head < b.length ? b.length : -1;
  }
}
