// The window barrier of the parallel engine (a sense-reversing barrier in shared memory).
//
// Each worker adds what the machine-wide decision needs (how many of its harts still run, a halt
// request and exit code) and arrives; the last to arrive decides, resets the sums, and releases
// the others by bumping the generation. The decision is kept per generation parity, so a fast
// worker starting the next window cannot overwrite what a slow one has not read yet.
//
// Waiting spins while the worker has a core to itself (about 0.2 us per window with Node 20),
// draining its inbound mailboxes as it spins, and falls back to Atomics.wait when the spin takes
// longer than an adaptive budget (shorter when workers share cores).
// A worker that waits longer than the watchdog allows dies with the name of the worker that is
// behind ("die rather than deadlock", zsim's barrier).

import { BARRIER_COUNT, BARRIER_GENERATION, DECISION_EXIT, DECISION_HALT, DECISION_RUNNING, DECISION_WORDS } from '../shared-abi/machine.js';

export interface BarrierViews {
  barrier: Int32Array;
  accum: Int32Array;
  decision: Int32Array;
  workerWindow: Int32Array;
  abort: Int32Array;
}

export interface Decision {
  running: number;
  halt: boolean;
  exitCode: number;
}

const LINE = 16;

export class AbortedError extends Error {}

export class WindowBarrier {
  readonly decision: Decision = { running: 0, halt: false, exitCode: 0 };

  constructor(
    private readonly v: BarrierViews,
    private readonly workers: number,
    private readonly watchdogMs: number,
    private readonly whileWaiting: () => void,
    private readonly spinLimit: number,
  ) {}

  arrive(worker: number, running: number, halt: boolean, exitCode: number): Decision {
    if (this.workers === 1) {
      // Alone: nothing to wait for or to share.
      this.decision.running = running;
      this.decision.halt = halt;
      this.decision.exitCode = halt ? exitCode : 0;
      return this.decision;
    }
    const v = this.v;
    const gen = Atomics.load(v.barrier, BARRIER_GENERATION * LINE);
    if (running !== 0) Atomics.add(v.accum, DECISION_RUNNING, running);
    if (halt) {
      Atomics.store(v.accum, DECISION_HALT, 1);
      Atomics.store(v.accum, DECISION_EXIT, exitCode);
    }
    const slot = (gen & 1) * DECISION_WORDS;
    if (Atomics.add(v.barrier, BARRIER_COUNT * LINE, 1) === this.workers - 1) {
      for (let i = 0; i < DECISION_WORDS; i++) {
        v.decision[slot + i] = Atomics.load(v.accum, i);
        Atomics.store(v.accum, i, 0);
      }
      Atomics.store(v.barrier, BARRIER_COUNT * LINE, 0);
      Atomics.add(v.barrier, BARRIER_GENERATION * LINE, 1);
      Atomics.notify(v.barrier, BARRIER_GENERATION * LINE);
    } else {
      this.wait(worker, gen);
    }
    this.decision.running = v.decision[slot + DECISION_RUNNING];
    this.decision.halt = v.decision[slot + DECISION_HALT] !== 0;
    this.decision.exitCode = v.decision[slot + DECISION_EXIT];
    return this.decision;
  }

  /**
   * Spin for up to `spinUs` microseconds, then sleep in Atomics.wait. The budget adapts: a wait
   * that had to sleep halves it (the other workers are slow, or share our core), one that ended
   * while spinning doubles it, between 1 us and `spinLimit` us.
   */
  private spinUs = 16;

  private wait(worker: number, gen: number): void {
    const v = this.v;
    let spins = 0;
    const start = performance.now();
    let sleptAt = 0;
    while (Atomics.load(v.barrier, BARRIER_GENERATION * LINE) === gen) {
      if (Atomics.load(v.abort, 0) !== 0) throw new AbortedError('another worker failed');
      this.whileWaiting();
      if ((++spins & 31) !== 0 || sleptAt === 0 && (performance.now() - start) * 1000 < this.spinUs) continue;
      if (sleptAt === 0) sleptAt = performance.now();
      Atomics.wait(v.barrier, BARRIER_GENERATION * LINE, gen, 20);
      if (performance.now() - sleptAt > this.watchdogMs) {
        const mine = Atomics.load(v.workerWindow, worker * LINE);
        const behind: number[] = [];
        for (let w = 0; w < this.workers; w++) if (Atomics.load(v.workerWindow, w * LINE) < mine) behind.push(w);
        Atomics.store(v.abort, 0, 1);
        throw new Error(`watchdog: worker ${worker} waited ${this.watchdogMs} ms at window ${mine}; behind: worker(s) ${behind.join(', ') || 'none (lost wake-up)'}`);
      }
    }
    this.spinUs = sleptAt !== 0 ? Math.max(1, this.spinUs / 2) : Math.min(this.spinLimit, this.spinUs * 2);
  }

}
