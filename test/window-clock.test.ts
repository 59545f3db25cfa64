// The window clock's stop, jump and sleep decisions: every worker must reach the same one for a
// window, whether it reads every worker's report or, while one of its own harts executes, only
// its own and worker 0's.
import { describe, expect, it } from 'vitest';
import { WindowClock } from '../src/node-actor/window-clock.js';
import { controlLayout } from '../src/shared-abi/machine.js';

const WORKERS = 3, NODES_EACH = 2, SLACK = 2, W = 46;

/** A worker's report of one window: finish()'s arguments after the window number. */
interface Report { running: number; halt?: boolean; exitCode?: number; asleep?: number; inFlight?: number; sent?: number; next: number }

/**
 * Every worker finishes windows 0 to 4 with `reports`, then each decides before window 6: an
 * epoch start (K = 2), where the idle, asleep and jump decisions look at window 3, the end of
 * the epoch before last (the jump also at window 1: was anything sent in between?), and the
 * halt decision at window 4. `sending` messages more are sent in windows 2 and 3.
 */
function decide(reports: Report[], sending = 0) {
  const views = controlLayout(WORKERS * NODES_EACH, WORKERS).views(controlLayout(WORKERS * NODES_EACH, WORKERS).allocate());
  const clocks = reports.map((_, me) => new WindowClock(views, me, WORKERS, SLACK, 1000, () => {}, { limitUs: 1, adaptive: true }, W * SLACK, true, NODES_EACH));
  for (let n = 0; n < 5; n++) {
    reports.forEach((r, me) => clocks[me].finish(n, n + 1, r.running, r.halt ?? false, r.exitCode ?? 0, r.asleep ?? 0, r.inFlight ?? 0,
      (r.sent ?? 0) + (n >= 2 ? sending : 0), r.next));
  }
  return clocks.map((c) => ({ ...c.before(6) }));
}

function expectOneDecision(ds: ReturnType<typeof decide>) {
  for (const d of ds.slice(1)) {
    expect({ stop: d.stop, halt: d.halt, exitCode: d.exitCode, jumpTo: d.jumpTo }).toEqual({ stop: ds[0].stop, halt: ds[0].halt, exitCode: ds[0].exitCode, jumpTo: ds[0].jumpTo });
  }
  return ds[0];
}

describe('window clock decisions', () => {
  it('a worker whose hart executes decides as those that read every report: go on', () => {
    const d = expectOneDecision(decide([
      { running: 0, next: 5000, inFlight: 1, sent: 1 },
      { running: 2, next: -1, inFlight: 4, sent: 7 },
      { running: 0, next: 3000 },
    ]));
    expect(d).toMatchObject({ stop: false, halt: false, jumpTo: 0 });
  });

  it('a halt by worker 0 stops every worker with its exit code, busy or not', () => {
    const d = expectOneDecision(decide([
      { running: 1, halt: true, exitCode: 3, next: -1 },
      { running: 2, next: -1 },
      { running: 0, next: 900 },
    ]));
    expect(d).toMatchObject({ stop: true, halt: true, exitCode: 3 });
  });

  it('with no hart executing and nothing sent in the epoch before last, all jump to the same window', () => {
    const idle: Report[] = [
      { running: 1, next: 100_000, inFlight: 2, sent: 9 },
      { running: 0, next: 40_000, inFlight: 1, sent: 4 },
      { running: 2, next: 70_000 },
    ];
    const d = expectOneDecision(decide(idle));
    expect(d.stop).toBe(false);
    expect(d.jumpTo).toBeGreaterThan(6);
    expect(d.jumpTo).toBeLessThanOrEqual(Math.floor(40_000 / W));
    // A message sent in that epoch may still sit in a mailbox, due before any queued one.
    expect(expectOneDecision(decide(idle, 1))).toMatchObject({ stop: false, jumpTo: 0 });
  });

  it('with nothing running and nothing in flight, all stop as idle', () => {
    const d = expectOneDecision(decide([{ running: 0, next: Infinity }, { running: 0, next: Infinity }, { running: 0, next: Infinity }]));
    expect(d).toMatchObject({ stop: true, halt: false });
  });

  it('worker 0 learns that every hart sleeps only when every worker says so', () => {
    const all = decide([
      { running: 2, asleep: 2, next: 8000 },
      { running: 2, asleep: 2, next: 9000 },
      { running: 2, asleep: 2, next: 7000 },
    ]);
    expect(all[0].asleep).toBe(WORKERS * NODES_EACH);
    const notAll = decide([
      { running: 2, asleep: 2, next: 8000 },
      { running: 2, asleep: 1, next: -1 },
      { running: 2, asleep: 2, next: 7000 },
    ]);
    expect(notAll[0].asleep).toBeLessThan(WORKERS * NODES_EACH);
    const ownBusy = decide([
      { running: 2, asleep: 1, next: -1 },
      { running: 2, asleep: 2, next: 9000 },
      { running: 2, asleep: 2, next: 7000 },
    ]);
    expect(ownBusy[0].asleep).toBeLessThan(WORKERS * NODES_EACH);
  });
});

describe('window clock spans', () => {
  const K = 4;
  /** Three workers with K = 4; worker w has finished `done[w]` windows, worker 0's from `haltFrom` on with a halt. */
  function clocks(done: number[], haltFrom = Infinity) {
    const views = controlLayout(WORKERS * NODES_EACH, WORKERS).views(controlLayout(WORKERS * NODES_EACH, WORKERS).allocate());
    const cs = done.map((_, me) => new WindowClock(views, me, WORKERS, K, 1000, () => {}, { limitUs: 1, adaptive: true }, W * K, true, NODES_EACH));
    done.forEach((d, me) => { for (let n = 0; n < d; n++) cs[me].finish(n, n + 1, NODES_EACH, me === 0 && n >= haltFrom, 0, 0, 0, 0, -1); });
    return cs;
  }

  it('reaches the end of the epoch when every other worker has finished the one before', () => {
    const d = clocks([4, 4, 4])[0].before(4);
    expect(d).toMatchObject({ stop: false, jumpTo: 0, end: 8 });
  });

  it('reaches no further than K windows past what every other worker has finished', () => {
    const cs = clocks([8, 6, 7]);
    expect(cs[0].before(8).end).toBe(10);
    // From inside an epoch, no further than its end.
    expect(clocks([6, 6, 6])[1].before(6).end).toBe(8);
  });

  it('is one window long for a worker that another is ahead of, which publishes each window for it', () => {
    const cs = clocks([4, 6, 4]);
    expect(cs[0].before(4).end).toBe(5);
    expect(cs[2].before(4).end).toBe(5);
  });

  it('ends before the window that a halt reported K windows earlier stops', () => {
    const cs = clocks([8, 8, 8], 5);
    const d = cs[1].before(8);
    expect(d).toMatchObject({ stop: false, end: 9 });
    cs[1].finish(8, 9, NODES_EACH, false, 0);
    expect(cs[1].before(9)).toMatchObject({ stop: true, halt: true });
  });
});

describe('window clock sleeping', () => {
  // A worker notifies only when another has registered as asleep on its count; a wake-up lost in
  // that handshake would show as a sleep that runs to its timeout.
  it('wakes a worker asleep on another\'s count when that worker finishes a window', async () => {
    const { Worker } = await import('node:worker_threads');
    const layout = controlLayout(2, 2);
    const sab = layout.allocate();
    const views = layout.views(sab);
    const WINDOWS = 40;
    const clockUrl = new URL('../dist/src/node-actor/window-clock.js', import.meta.url).href;
    const abiUrl = new URL('../dist/src/shared-abi/machine.js', import.meta.url).href;
    // Worker 1 runs windows as the engine does; a 1 us spin makes it sleep almost at once.
    const sleeper = new Worker(`
      const { parentPort, workerData } = require('node:worker_threads');
      (async () => {
        const { WindowClock } = await import(workerData.clockUrl);
        const { controlLayout } = await import(workerData.abiUrl);
        const views = controlLayout(2, 2).views(workerData.sab);
        const clock = new WindowClock(views, 1, 2, ${SLACK}, 120000, () => {}, { limitUs: 1, adaptive: false }, ${W * SLACK}, false, 1, false);
        for (let n = 0; n < workerData.windows; n++) {
          clock.before(n);
          clock.finish(n, n + 1, 1, false, 0, 0, 0, 0, -1);
        }
        parentPort.postMessage({ sleeps: clock.sleeps, timeouts: clock.sleepTimeouts });
      })();
    `, { eval: true, workerData: { sab, clockUrl, abiUrl, windows: WINDOWS + SLACK } });
    const result = new Promise<{ sleeps: number; timeouts: number }>((resolve, reject) => {
      sleeper.once('message', resolve);
      sleeper.once('error', reject);
    });
    // This thread is worker 0: it finishes each window only once worker 1 sleeps waiting for it.
    const main = new WindowClock(views, 0, 2, SLACK, 10000, () => {}, { limitUs: 1, adaptive: false }, W * SLACK, false, 1, false);
    const sleepers = views.sleepers;
    for (let n = 0; n < WINDOWS; n++) {
      // A loaded host may keep this thread off its core for seconds; the time is read before the
      // count, so a long descheduling alone cannot fail the test.
      const t0 = Date.now();
      for (;;) {
        const late = Date.now() - t0 > 60_000;
        if (Atomics.load(sleepers, 0) !== 0) break;
        if (late) throw new Error(`worker 1 never slept before window ${n}`);
      }
      // Give it time to get from registering into Atomics.wait itself.
      const t1 = performance.now();
      while (performance.now() - t1 < 1) { /* spin */ }
      main.finish(n, n + 1, 1, false, 0, 0, 0, 0, -1);
      while (Atomics.load(sleepers, 0) !== 0) { /* until it has woken */ }
    }
    const { sleeps, timeouts } = await result;
    await sleeper.terminate();
    expect(sleeps).toBeGreaterThanOrEqual(WINDOWS);
    // Without the notify every sleep would run to its timeout, since the count changes while it
    // sleeps. With it, the sleep during which this thread finishes the window ends at once: one
    // a window. A sleep may still time out before that, when a loaded host keeps this thread
    // from finishing the window for the whole timeout (the other tests' machines running
    // beside this one), so it is the sleeps that did not time out that tell.
    expect(sleeps - timeouts).toBeGreaterThanOrEqual(WINDOWS / 2);
  });
});
