// Console input that is all there before the guest wants it (a file, a pipe, a VM's `input`
// file), handed to the board a line at a time, each when the guest next waits for it, as if
// typed at a prompt: when every hart sleeps in wfi, or when the guest polls an empty receiver
// with receive interrupts off; failing both, INPUT_DEADLINE_CYCLES of simulated time after the
// last line. round() runs only between rounds (VirtBoard.onRound), at points that depend on
// simulated state alone, so the run is the same every time.

import type { VirtBoard } from './virt-board.js';

/** Held input goes in at the latest this many simulated cycles after the last hand-over (guests that never wait). */
export const INPUT_DEADLINE_CYCLES = 100_000_000;

export class HeldInput {
  private readonly held: number[] = [];
  /** Simulated time of the last hand-over (the deadline for guests that never sleep counts from it). */
  private lastHandOver = 0;

  push(bytes: ArrayLike<number>): void {
    for (let i = 0; i < bytes.length; i++) this.held.push(bytes[i]!);
  }

  get holding(): boolean {
    return this.held.length > 0;
  }

  /** At the start of a round of `board`; `idle`: every hart slept through the last one. */
  round(board: VirtBoard, idle: boolean): void {
    if (this.held.length === 0) return;
    const now = board.simTime;
    if (!idle && !board.inputWanted && now - this.lastHandOver < INPUT_DEADLINE_CYCLES) return;
    board.inputWanted = false;
    const nl = this.held.indexOf(0x0a);
    const line = nl < 0 ? this.held.splice(0) : this.held.splice(0, nl + 1);
    board.consoleInput(line);
    this.lastHandOver = now;
  }
}
