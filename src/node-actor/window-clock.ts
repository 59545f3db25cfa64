// How workers keep in step (DESIGN.md, parallel engine).
//
// Time is cut into epochs of L cycles, where L is the lookahead (the smallest node-to-node
// latency), and each epoch into K windows of floor or ceil(L / K) cycles (windowStart), so that
// window m + K starts exactly L after window m. A message sent in window m arrives at or after
// start(m) + L = start(m + K), so a worker may simulate window n as soon as every other worker
// has finished window n - K: it then holds every message due before the end of window n. Workers
// therefore drift up to K - 1 windows apart, which smooths the uneven work of single windows,
// instead of meeting at a barrier after each.
//
// Each worker publishes how many windows it has finished (`done`, one host line each) and, per
// window, how many of its harts still run and whether its devices halted the machine, how many
// harts sleep in wfi, and its nodes' messages sent minus handled (`report`, a ring of
// REPORT_SLOTS windows). Every worker decides to stop before window n from reports of windows
// that all workers have then finished, so all stop at the same window: when a device halted the
// machine (worker 0's report of window n - K: only it has devices), or when no hart runs and no
// message is in flight anywhere (nothing can ever wake a hart again), unless worker 0 reports
// that console input may still go in (the guest listens for it, and its end has not been
// found): then the I/O node waits for the next line instead (Decision.awaitInput). That second
// decision, and whether every hart slept (which the I/O node's console input waits for), follow
// time rather than messages, so they are taken only at epoch starts, from the reports at the
// end of the epoch before last (window n - K - 1, which every worker has finished for any K):
// the machine stops at a multiple of L, and input is handed over at one, whatever K is. A
// worker whose own hart executed then knows that answer without the others' reports, so in busy
// epochs it reads worker 0's report line alone, not one per worker; and it reads another
// worker's count again only when the last value it read is not far enough.
//
// Spans. A worker steps its nodes through several windows in one pass where the others allow:
// up to the end of the epoch, and to the K-th window after the last one all others have finished
// (spanEnd). Each pass costs every stepped node a call into its hart and the bookkeeping after
// it, so a span of K windows costs about what one window of K = 1 does, while a worker that is
// behind still publishes window by window: a worker that another is ahead of steps one window
// at a time. A span's report, the state at its end, fills the slots of all its windows. That is
// exact where the decisions read: epoch ends always end a span, and a halt, once reported, is
// reported in every later window, so a span that holds the halting window reports it from the
// span's first window on, earlier than the window itself, and every worker stops at most L
// after the halt's cycle, as it must (worker-loop.ts).
//
// Idle time passes in one step. When, at the end of the epoch before last, no hart executed and
// every message in flight sat in a node's queue (none in a mailbox), nothing can happen anywhere
// before the earliest queued message or hart timer, T (each worker reports its nodes' earliest,
// `next`): the windows before T's are empty, and every worker, deciding from the same reports,
// jumps to the same one. That every message in flight is queued follows from nobody having sent
// one during that epoch (each worker reports its nodes' messages sent so far): a message sent in
// window m is in its receiver's queue before the receiver steps window m + K. Comparing messages
// in flight with those queued would not do: a receiver's queue may already hold messages that a
// worker ahead of it sent after the reported window, which its report does not count as sent,
// and as many as those may still sit in mailboxes. A jump copies the worker's last report into
// the slots of the windows it skips and publishes them done; it never lands where another worker
// may still read a slot it writes.
//
// Waiting spins while the worker has a core to itself, draining its inbound mailboxes, and sleeps
// in Atomics.wait once the spin outlasts an adaptive budget. A worker that waits longer than the
// watchdog allows stops the run and names the worker that is behind ("die rather than deadlock").

import { REPORT_SLOTS, REPORT_WORDS } from '../shared-abi/machine.js';

export interface ClockViews {
  done: Int32Array;
  sleepers: Int32Array;
  report: Int32Array;
  reportNext: Float64Array;
  abort: Int32Array;
  inputWait: Int32Array;
}

export interface Decision {
  stop: boolean;
  halt: boolean;
  exitCode: number;
  /** The window starts an epoch: `asleep` holds, and the I/O node may hand input over. */
  epoch: boolean;
  /** At an epoch start: harts asleep in wfi at the end of the epoch before last (0 before there is one). */
  asleep: number;
  /**
   * At an epoch start: no hart ran and nothing was in flight at the end of the epoch before last,
   * and the guest listens for console input that may still come: the machine goes on only with
   * input (the I/O node waits for it, io-node.ts) instead of stopping.
   */
  awaitInput: boolean;
  /** A later window to go on with, every one before it being empty; 0 for none. */
  jumpTo: number;
  /** Otherwise: the window after the span to simulate, n + 1 or more (spanEnd). */
  end: number;
}

/** The first cycle of window n, with K windows per lookahead L (see the header). */
export function windowStart(n: number, L: number, K: number): number {
  const e = Math.floor(n / K);
  return e * L + Math.floor(((n - e * K) * L) / K);
}

/** The window that holds cycle t. */
export function windowAt(t: number, L: number, K: number): number {
  const e = Math.floor(t / L);
  return e * K + Math.floor(((t - e * L + 1) * K - 1) / L);
}

const LINE = 16;
/** Longest single sleep: a bound on the cost of a wake-up that never comes. */
const SLEEP_MS = 20;

export class AbortedError extends Error {}

/** How long a waiting worker spins before it sleeps in Atomics.wait. */
export interface SpinPolicy {
  /** Microseconds: the budget, or with `adaptive` its upper bound. */
  limitUs: number;
  /** Halve the budget after a wait that slept, double it after one that did not. */
  adaptive: boolean;
}

/**
 * The default: spin long while every worker has a core (spinning is far cheaper than
 * Atomics.wait), briefly when workers share cores (a spinning worker takes the core that the one
 * it waits for needs); adaptive either way, so that workers that keep waiting long (for V8's
 * compiler threads, on a host with no spare core) give their cores up. `fixedUs` replaces it.
 */
export function spinPolicy(workers: number, cores: number, fixedUs?: number): SpinPolicy {
  if (fixedUs !== undefined) return { limitUs: fixedUs, adaptive: false };
  return { limitUs: workers <= cores ? 256 : 4, adaptive: true };
}

/** The reports of one window, every worker's together. */
interface Total { running: number; asleep: number; inFlight: number; next: number; input: number }

export class WindowClock {
  readonly decision: Decision = { stop: false, halt: false, exitCode: 0, epoch: false, asleep: 0, awaitInput: false, jumpTo: 0, end: 0 };
  /** Microseconds to spin before sleeping (adaptive: between 1 and the policy's limit). */
  private spinUs: number;
  /** Times this worker slept in Atomics.wait, and how many of those sleeps ran to their timeout. */
  sleeps = 0;
  sleepTimeouts = 0;

  constructor(
    private readonly v: ClockViews,
    private readonly me: number,
    private readonly workers: number,
    readonly slack: number,
    private readonly watchdogMs: number,
    private readonly whileWaiting: () => void,
    private readonly spin: SpinPolicy,
    /** The lookahead L: K windows make an epoch of L cycles. */
    private readonly lookahead: number,
    private readonly idleSkip: boolean,
    /** How many nodes this worker steps. */
    private readonly ownNodes: number,
    /** Simulate several windows in one span where the others allow (spanEnd); else one at a time. */
    private readonly spans = true,
  ) {
    this.doneSeen = new Int32Array(workers);
    this.spinUs = spin.adaptive ? Math.min(16, spin.limitUs) : spin.limitUs;
  }

  /** The last count read of each worker's finished windows (counts only grow). */
  private readonly doneSeen: Int32Array;

  /**
   * Windows n .. end - 1 are done: publish what the decisions need, the same for each of them
   * (the state at the span's end), then the count.
   */
  finish(n: number, end: number, running: number, halt: boolean, exitCode: number, asleep = 0, inFlight = 0, sent = 0, next = -1, input = 0): void {
    for (let w = n; w < end; w++) {
      const o = (this.me * REPORT_SLOTS + (w % REPORT_SLOTS)) * REPORT_WORDS;
      this.v.report[o] = running;
      this.v.report[o + 1] = halt ? 1 : 0;
      this.v.report[o + 2] = exitCode;
      this.v.report[o + 3] = asleep;
      this.v.report[o + 4] = inFlight;
      this.v.report[o + 5] = sent;
      this.v.report[o + 6] = input;
      this.v.reportNext[this.me * REPORT_SLOTS + (w % REPORT_SLOTS)] = next;
    }
    this.publishDone(end);
  }

  /**
   * Atomics.notify takes a lock that is one for the whole process, so that notifying after every
   * window made the workers queue on it (at 2 threads it cost 270 ns a call against 40 ns
   * alone). A worker notifies only when another sleeps on its count: a sleeper registers before
   * it waits and Atomics.wait re-reads the count, and both sides' accesses are sequentially
   * consistent, so either this load sees the sleeper or the sleeper's wait sees the new count.
   */
  private publishDone(count: number): void {
    Atomics.store(this.v.done, this.me * LINE, count);
    if (Atomics.load(this.v.sleepers, this.me * LINE) !== 0) Atomics.notify(this.v.done, this.me * LINE);
  }

  /**
   * Wait until window n may be simulated, then say whether the machine stops before it (a device
   * halted it in window n - K; at an epoch start, every hart had stopped with nothing in flight
   * at the end of the epoch before last), or may jump over empty windows, or else how far the
   * span that starts with it reaches (spanEnd).
   */
  before(n: number): Decision {
    const d = this.decision;
    const k = this.slack;
    const seen = n - k;
    d.stop = false;
    d.halt = false;
    d.exitCode = 0;
    d.jumpTo = 0;
    d.epoch = n % k === 0;
    d.asleep = 0;
    d.awaitInput = false;
    if (seen >= 0) {
      for (let w = 0; w < this.workers; w++) if (w !== this.me) this.waitFor(w, seen + 1);
      // Only worker 0, the I/O node's, reports a halt: one report line to read.
      const o0 = (seen % REPORT_SLOTS) * REPORT_WORDS;
      if (this.v.report[o0 + 1] !== 0) {
        d.stop = true;
        d.halt = true;
        d.exitCode = this.v.report[o0 + 2];
        return d;
      }
      // A hart of this worker was executing at the end of the epoch before last: the machine
      // could neither go idle nor jump then, and not every hart slept, whatever the others
      // report; every other worker decides the same from all the reports, and this one reads
      // none of theirs, each a trip between cores.
      const endSlot = (seen - 1) % REPORT_SLOTS;
      if (d.epoch && seen >= 1 && !this.ownBusy(endSlot)) {
        const end = this.sum(endSlot);
        if (end.running === 0 && end.inFlight === 0) {
          if (end.input === 0) {
            d.stop = true;
            return d;
          }
          d.awaitInput = true;
        }
        d.asleep = end.asleep;
        // Nothing can happen before `next` anywhere: nobody sent anything in that epoch, so every
        // message in flight sits in a queue.
        if (this.idleSkip && end.next >= 0 && end.next !== Infinity && seen > k &&
            this.sentBy((seen - 1 - k) % REPORT_SLOTS) === this.sentBy(endSlot)) {
          d.jumpTo = this.jumpTarget(n, end.next);
          if (d.jumpTo > 0) return d;
        }
      }
    }
    d.end = this.spans ? this.spanEnd(n) : n + 1;
    return d;
  }

  /**
   * After a run cut by maxCycles, once worker 0 has finished `windows` windows, all that hold
   * cycles before the cut: whether a device halted the machine before the cut, and its exit
   * code (in `decision`). A halt in the last K windows comes too late for before() to see; this
   * finds it in worker 0's last report, so that every worker, for any K, ends the run alike.
   */
  haltedBefore(windows: number): Decision {
    const d = this.decision;
    if (this.me !== 0) this.waitFor(0, windows);
    const o = ((Atomics.load(this.v.done, 0) - 1) % REPORT_SLOTS) * REPORT_WORDS;
    d.halt = this.v.report[o + 1] !== 0;
    d.exitCode = this.v.report[o + 2];
    return d;
  }

  /**
   * The window after the longest span from window n: within n's epoch, up to the K-th window
   * after the last one that every other worker has finished, and short of a window that a halt
   * reported K windows before it would stop.
   */
  private spanEnd(n: number): number {
    const k = this.slack;
    let end = n - (n % k) + k;
    for (let w = 0; w < this.workers; w++) {
      if (w === this.me) continue;
      // A count read before may already be far enough: the line is fetched again only if not.
      let done = this.doneSeen[w];
      if (done + k < end) {
        done = Atomics.load(this.v.done, w * LINE);
        this.doneSeen[w] = done;
      }
      if (done > n) return n + 1;
      if (done + k < end) end = done + k;
    }
    for (let j = n + 1 > k ? n + 1 : k; j < end; j++) {
      if (this.v.report[((j - k) % REPORT_SLOTS) * REPORT_WORDS + 1] !== 0) return j;
    }
    return end;
  }

  /** Whether a hart of this worker executed in the window of report slot `slot`. */
  private ownBusy(slot: number): boolean {
    const own = (this.me * REPORT_SLOTS + slot) * REPORT_WORDS;
    return this.v.report[own] > 0 && this.v.reportNext[this.me * REPORT_SLOTS + slot] < 0 &&
      (this.me !== 0 || this.v.report[own + 3] < this.ownNodes);
  }

  /** Every worker's report of slot `slot` together (before(): the end of the epoch before last). */
  private readonly total: Total = { running: 0, asleep: 0, inFlight: 0, next: Infinity, input: 0 };

  private sum(slot: number): Total {
    const s = this.total;
    let running = 0, asleep = 0, inFlight = 0, next = Infinity;
    for (let w = 0; w < this.workers; w++) {
      const o = (w * REPORT_SLOTS + slot) * REPORT_WORDS;
      running += this.v.report[o];
      asleep += this.v.report[o + 3];
      inFlight += this.v.report[o + 4];
      const t = this.v.reportNext[w * REPORT_SLOTS + slot];
      if (t < next) next = t;
    }
    s.running = running; s.asleep = asleep; s.inFlight = inFlight; s.next = next;
    s.input = this.v.report[slot * REPORT_WORDS + 6]; // worker 0's: it has the I/O node
    return s;
  }

  /** Messages sent so far by every worker's nodes, as of report slot `slot` (int32: it wraps). */
  private sentBy(slot: number): number {
    let sent = 0;
    for (let w = 0; w < this.workers; w++) sent = (sent + this.v.report[(w * REPORT_SLOTS + slot) * REPORT_WORDS + 5]) | 0;
    return sent;
  }

  /**
   * The window holding cycle `t`, or an earlier one where the slots that this worker's skip
   * writes (skipped windows from m - 2K - 1 to m - 1) cannot be any that another worker still
   * reads (those of windows n - 3K .. n - 1: a worker at window n - K + 1 reads back to its
   * n - 2K - 1); 0 when that leaves nothing to skip.
   */
  private jumpTarget(n: number, t: number): number {
    let m = windowAt(t, this.lookahead, this.slack);
    const k = this.slack;
    for (;;) {
      if (m <= n) return 0;
      const d = (m - n) % REPORT_SLOTS;
      if (d >= k + 1 && d <= REPORT_SLOTS - 3 * k) return m;
      m--;
    }
  }

  /**
   * Skip windows n .. m - 1, all empty (before() said so): they report as window n - 1 did, down
   * to window m - 2K - 1, the oldest that before(m) reads, where that was skipped too.
   */
  skip(n: number, m: number): void {
    const from = this.me * REPORT_SLOTS + ((n - 1) % REPORT_SLOTS);
    for (let w = Math.max(n, m - 2 * this.slack - 1); w < m; w++) {
      const to = this.me * REPORT_SLOTS + (w % REPORT_SLOTS);
      for (let i = 0; i < REPORT_WORDS; i++) this.v.report[to * REPORT_WORDS + i] = this.v.report[from * REPORT_WORDS + i];
      this.v.reportNext[to] = this.v.reportNext[from];
    }
    this.publishDone(m);
  }

  private waitFor(w: number, count: number): void {
    const v = this.v;
    // Seen far enough ahead already (the reads since then see what it wrote before): no need to
    // fetch the line it writes after every window again.
    if (this.doneSeen[w] >= count) return;
    const first = Atomics.load(v.done, w * LINE);
    this.doneSeen[w] = first;
    if (first >= count) return;
    let spins = 0, sleptAt = 0;
    const start = performance.now();
    for (;;) {
      const now = Atomics.load(v.done, w * LINE);
      this.doneSeen[w] = now;
      if (now >= count) break;
      if (Atomics.load(v.abort, 0) !== 0) throw new AbortedError('another worker failed');
      this.whileWaiting();
      if ((++spins & 31) !== 0 || (sleptAt === 0 && (performance.now() - start) * 1000 < this.spinUs)) continue;
      if (sleptAt === 0) sleptAt = performance.now();
      Atomics.add(v.sleepers, w * LINE, 1);
      if (Atomics.wait(v.done, w * LINE, now, SLEEP_MS) === 'timed-out') this.sleepTimeouts++;
      Atomics.sub(v.sleepers, w * LINE, 1);
      this.sleeps++;
      // Worker 0 waiting for console input is not a worker that is stuck.
      if (Atomics.load(v.inputWait, 0) !== 0) sleptAt = performance.now();
      if (performance.now() - sleptAt > this.watchdogMs) {
        Atomics.store(v.abort, 0, 1);
        throw new Error(`watchdog: worker ${this.me} waited ${this.watchdogMs} ms for worker ${w} to finish window ${count - 1}; it has finished ${now}`);
      }
    }
    if (this.spin.adaptive) this.spinUs = sleptAt !== 0 ? Math.max(1, this.spinUs / 2) : Math.min(this.spin.limitUs, this.spinUs * 2);
  }
}
