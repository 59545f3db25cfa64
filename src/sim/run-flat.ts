// Runs a guest on the virt board over flat memory (no caches, no FLASH): what `flashdisco run`
// does, without the terminal. The board itself is virt-board.ts; this file owns a run from start
// to end around it:
//
//   --disk FILE  -> openDisk (read; opened for writing only under --disk-write)
//   VirtBoard    -> run in host-time chunks (the caller flushes the console and reads input in
//                   between) until the guest exits, --max-insns runs out, or it cannot go on
//   finisher reset -> a fresh board (RAM and devices reset, images reloaded) on the same disk,
//                   and with the same semihosting state (open files, console input)
//   at the end   -> the disk's changed ranges are written back under --disk-write; files the
//                   guest opened by semihosting are closed; statistics
//
// runFlat() does all of it synchronously for tests and benchmarks, with console input given in
// advance (`input`, handed over as the CLI hands piped input over: feedInput); once that
// is used up, a guest that sleeps waiting for more ends as a fault. The CLI drives a RunSession
// itself so that it can wait for stdin.

import { UserError, EXIT_GUEST_FAULT } from './errors.js';
import { HeldInput } from './held-input.js';
import type { HtifStats } from '../devices/htif.js';
import type { Semihosting } from '../devices/semihosting.js';
import type { Hart } from '../vcpu/hart.js';
import {
  VirtBoard, openDisk, closeDisk, newSemihosting, DEFAULT_MEM_MIB, MAX_MEM_MIB, RAM_BASE,
  type VirtBoardConfig, type BoardStats, type DiskImage, type RunState,
} from './virt-board.js';

export { RAM_BASE, DEFAULT_MEM_MIB, MAX_MEM_MIB };

/** A guest may reboot (finisher reset) this many times; then the run stops as a fault. */
export const MAX_REBOOTS = 16;
/** Host milliseconds per run() chunk in runFlat (between onSlice calls). */
const CHUNK_MS = 50;

export interface FlatRunConfig extends VirtBoardConfig {
  /** Called between chunks of the run (the CLI flushes stdout here). */
  onSlice?: () => void;
  /** Console input lines (see feedInput). */
  input?: readonly string[];
}

export type StopReason = 'exit' | 'max-insns' | 'fault' | 'quit';

export type HartStats = ReturnType<Hart['stats']>;

export interface FlatRunResult {
  reason: StopReason;
  /** Guest exit status for 'exit'; EXIT_MAX_INSNS or EXIT_GUEST_FAULT otherwise. */
  exitCode: number;
  /** One sentence for 'max-insns' and 'fault'. */
  message: string | null;
  /** Who ended an 'exit': the test finisher, HTIF or semihosting. */
  by: 'finisher' | 'htif' | 'semihosting' | null;
  /** Instructions retired by all harts, over every boot. */
  instret: number;
  /** Cycles of the last boot: the furthest hart's cycle counter. */
  cycle: number;
  /** Hart 0's pc at the end. */
  pc: number;
  /** Hart 0's statistics (the single-hart view). */
  stats: HartStats;
  /** The first HTIF device's statistics, or null when no image defines tohost. */
  htif: HtifStats | null;
  /** Everything: per hart and per device (the last boot). */
  board: BoardStats;
  reboots: number;
  /** Host seconds spent running guests (not loading): host-dependent, never part of results. */
  runSeconds: number;
}

/**
 * One run of `flashdisco run`: the board, its disk, and reboots. run() advances it by about
 * `hostMs` of host time; result() ends it (writes the disk back) and gives the outcome.
 */
export class RunSession {
  board: VirtBoard;
  reboots = 0;
  /** Called at every round of every board (see VirtBoard.onRound). */
  onRound: ((idle: boolean, stopped: boolean) => boolean) | null = null;
  private readonly cfg: VirtBoardConfig;
  private disk: DiskImage | null;
  private readonly semihost: Semihosting | null;
  private retiredBefore = 0;
  private secondsBefore = 0;
  private final: FlatRunResult | null = null;

  constructor(cfg: VirtBoardConfig) {
    this.cfg = cfg;
    this.disk = cfg.disk !== undefined ? openDisk(cfg.disk, cfg.diskWrite === true) : null;
    try {
      this.semihost = newSemihosting(cfg);
      this.board = new VirtBoard(cfg, this.disk, this.semihost);
      this.board.onRound = (idle, stopped) => this.onRound?.(idle, stopped) ?? false;
    } catch (e) {
      if (this.disk) closeDisk(this.disk);
      throw e;
    }
  }

  /** Runs for about hostMs; 'done' once the guest has finished (reboots are handled here). */
  run(hostMs: number): RunState {
    const state = this.board.run(hostMs);
    return state === 'done' && this.rebootOnReset() ? 'running' : state;
  }

  /**
   * When the board stopped with a finisher reset, boots a fresh one (or ends the run, after too
   * many) and says so: for run() and for a scheduler that drives the board itself.
   */
  rebootOnReset(): boolean {
    if (this.board.result?.reason !== 'reset') return false;
    this.reboot();
    return true;
  }

  /** No more console input will come (or, `inputHeld`, can go in) and the machine sleeps: end it as a fault. */
  stuck(inputHeld = false): void {
    this.board.stuck(inputHeld);
  }

  private reboot(): void {
    const old = this.board;
    if (this.reboots === MAX_REBOOTS) {
      old.result = { reason: 'fault', exitCode: EXIT_GUEST_FAULT, by: 'finisher', message: `the guest rebooted ${MAX_REBOOTS + 1} times; stopping` };
      return;
    }
    this.reboots++;
    this.cfg.log?.info({ reboots: this.reboots }, 'the guest asked for a reset: rebooting');
    this.retiredBefore += old.instret;
    this.secondsBefore += old.runSeconds;
    if (this.disk !== null && old.disk !== null) {
      old.disk.persist();
      this.disk = { ...this.disk, bytes: old.disk.image };
    }
    const left = this.cfg.maxInsns === undefined ? undefined : Math.max(1, this.cfg.maxInsns - this.retiredBefore);
    this.board = new VirtBoard({ ...this.cfg, maxInsns: left }, this.disk, this.semihost);
    this.board.onRound = (idle, stopped) => this.onRound?.(idle, stopped) ?? false;
  }

  /** Ends the run: writes the disk back (under --disk-write) and returns the outcome. */
  result(): FlatRunResult {
    if (this.final !== null) return this.final;
    const b = this.board;
    const r = b.result;
    if (r === null || r.reason === 'reset') throw new Error('RunSession.result() before the run ended');
    try {
      b.disk?.persist();
    } catch (e) {
      throw new UserError(`disk image '${this.disk?.path}' could not be written back (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    } finally {
      if (this.disk) closeDisk(this.disk);
      this.semihost?.closeAll();
    }
    const stats = b.stats();
    this.final = {
      reason: r.reason,
      exitCode: r.exitCode,
      message: r.message,
      by: r.by,
      instret: this.retiredBefore + b.instret,
      cycle: stats.cycles,
      pc: b.harts[0]!.pc,
      stats: b.harts[0]!.stats(),
      htif: b.htifStats(),
      board: stats,
      reboots: this.reboots,
      runSeconds: this.secondsBefore + b.runSeconds,
    };
    return this.final;
  }
}

/**
 * Hands `lines` to the guest one at a time as the CLI hands piped input over (held-input.ts):
 * held until the guest listens, then a line each time it waits for one.
 */
export function feedInput(session: RunSession, lines: readonly string[]): HeldInput {
  const held = new HeldInput();
  held.push(new TextEncoder().encode(lines.join('')));
  held.end();
  session.onRound = (idle, stopped) => held.round(session.board, idle, stopped);
  return held;
}

/** Builds and runs to the end: the whole of `flashdisco run` without the terminal. */
export function runFlat(cfg: FlatRunConfig): FlatRunResult {
  return runToEnd(cfg).result();
}

/** runFlat's run, giving the session: its last board's harts and devices as they were left. */
export function runToEnd(cfg: FlatRunConfig): RunSession {
  const s = new RunSession(cfg);
  const held = feedInput(s, cfg.input ?? []);
  for (;;) {
    const state = s.run(CHUNK_MS);
    cfg.onSlice?.();
    if (state === 'done') break;
    // A round that handed a line over reports idle too: the guest has it now.
    if (state === 'idle' && !held.takeHanded()) s.stuck(held.holding);
  }
  return s;
}
