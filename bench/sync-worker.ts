// One worker of the synchronization benchmark (bench/sync.ts): the FLASH engine's window loop
// (worker-loop.ts) with the nodes replaced by a fixed amount of arithmetic per window. It keeps
// everything else the engine does between windows: the window clock's wait and stop decision,
// draining the inbound mailboxes, sending messages and publishing them, reporting the window.

import { Mailboxes } from '../src/interconnect/mailbox.js';
import { WindowClock, type SpinPolicy } from '../src/node-actor/window-clock.js';
import { controlLayout, mailboxLayout } from '../src/shared-abi/machine.js';

export interface SyncTask {
  worker: number;
  workers: number;
  windows: number;
  /** Iterations of `work` per window, on average. */
  iterations: number;
  /** Each window's work is iterations * (1 + jitter * u), u uniform in [-1, 1], per worker and window. */
  jitter: number;
  /** Messages sent each window to the next worker (none with one worker). */
  messages: number;
  slack: number;
  spin: SpinPolicy;
  control: SharedArrayBuffer;
  mailboxes: SharedArrayBuffer;
  mailboxSlots: number;
  /** Two Int32 counters: workers ready to start, and workers done with their windows. */
  ready: SharedArrayBuffer;
}

export interface SyncWorkerResult {
  /** performance.timeOrigin + now() at the start and the end of the windows, in ms. */
  startMs: number;
  endMs: number;
  busyNs: number;
  waitNs: number;
  sleeps: number;
  sleepTimeouts: number;
  /** Messages drained from the previous worker, and those that came out of order. */
  received: number;
  outOfOrder: number;
  /** The arithmetic's result, so that the JIT cannot drop it. */
  sum: number;
}

/** The stand-in for a window's simulation: a chain of dependent integer operations. */
export function work(iterations: number, seed: number): number {
  let x = seed | 0;
  for (let i = 0; i < iterations; i++) x = (Math.imul(x, 1103515245) + 12345 + i) | 0;
  return x;
}

/** This worker's work in window w: the same at every thread count, uneven across workers. */
function windowIterations(t: SyncTask, w: number): number {
  if (t.jitter === 0) return t.iterations;
  let h = Math.imul(w + 1, 0x9e3779b1) ^ Math.imul(t.worker + 1, 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  const u = ((h ^ (h >>> 12)) >>> 0) / 4294967295 * 2 - 1;
  return Math.round(t.iterations * (1 + t.jitter * u)) | 0;
}

const WINDOW_CYCLES = 46;
const WORDS = 9;

export default function runSyncWorker(t: SyncTask): SyncWorkerResult {
  const me = t.worker;
  const control = controlLayout(t.workers, t.workers).views(t.control);
  const boxes = new Mailboxes(mailboxLayout(t.workers, t.mailboxSlots, WORDS).views(t.mailboxes), t.workers, t.mailboxSlots);
  // Only the previous worker sends here, window by window: records must come in that order.
  let received = 0, outOfOrder = 0;
  const sink = (_time: number, words: Int32Array, b: number): void => {
    if (words[b] * t.messages + words[b + 1] !== received) outOfOrder++;
    received++;
  };
  const drain = (): void => {
    for (let src = 0; src < t.workers; src++) if (src !== me) boxes.drain(src, me, sink);
  };
  const clock = new WindowClock(control, me, t.workers, t.slack, 60_000, drain, t.spin, WINDOW_CYCLES * t.slack, false, 1, false);
  const next = (me + 1) % t.workers;

  // Start together, so that no worker's start-up counts as another's waiting.
  const ready = new Int32Array(t.ready);
  Atomics.add(ready, 0, 1);
  while (Atomics.load(ready, 0) < t.workers) { /* the others are still starting */ }

  let sum = 0, busyNs = 0, waitNs = 0;
  const startMs = performance.timeOrigin + performance.now();
  let a = performance.now();
  for (let w = 0; ; w++) {
    const d = clock.before(w);
    if (d.stop) break;
    const b0 = performance.now();
    waitNs += (b0 - a) * 1e6;
    a = b0;
    drain();
    sum = (sum + work(windowIterations(t, w), w + me)) | 0;
    if (t.workers > 1) {
      for (let m = 0; m < t.messages; m++) {
        while (!boxes.push(me, next, (w + t.slack) * WINDOW_CYCLES, w, m, me, next, 0, 0, 0, 0, 0)) drain();
      }
    }
    boxes.publish(me);
    // Worker 0 halts the run after the last window, as the I/O node does when a guest exits.
    const halt = me === 0 && w === t.windows - 1;
    clock.finish(w, w + 1, 1, halt, 0, 0, 0, 0, -1);
    const b = performance.now();
    busyNs += (b - a) * 1e6;
    a = b;
  }
  const endMs = performance.timeOrigin + performance.now();
  // Every worker has published all it sent once all are out of their loops.
  Atomics.add(ready, 1, 1);
  while (Atomics.load(ready, 1) < t.workers) { /* the others are still running */ }
  drain();
  return { startMs, endMs, busyNs, waitNs, sleeps: clock.sleeps, sleepTimeouts: clock.sleepTimeouts, received, outOfOrder, sum };
}
