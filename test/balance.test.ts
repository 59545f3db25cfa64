// The benchmark's balance analysis (bench/balance.ts): the replay of per-node, per-window costs
// through the window rule on made-up profiles whose answer is known, and a real run's cost log
// (node-actor/cost-log.ts) as the coordinator merges it from its workers.

import { describe, expect, it } from 'vitest';
import { applyConfig, defaultConfig } from '../src/config/machine.js';
import { runFlash } from '../src/sim/flash-machine.js';
import { readElf } from '../src/sim/elf.js';
import type { CostProfile } from '../src/node-actor/cost-log.js';
import { PLACEMENTS, balance, replay, replayStealing, uninterrupted } from '../bench/balance.js';
import { COST_UNIT_NS } from '../src/node-actor/cost-log.js';

/** A profile from cost(window, node). */
function profile(nodes: number, windows: number, cost: (w: number, i: number) => number, rest = 0): CostProfile {
  const node = new Uint16Array(nodes * windows);
  for (let w = 0; w < windows; w++) for (let i = 0; i < nodes; i++) node[w * nodes + i] = cost(w, i);
  return { nodes, windows, node, rest: new Float64Array(windows).fill(rest), clockNs: 0 };
}

const { contiguous, interleaved } = PLACEMENTS;

describe('balance: the replay of a run\'s costs for T workers', () => {
  it('even work divides by T; the window\'s rest is shared by node count', () => {
    const p = profile(8, 100, () => 10, 8);
    for (const t of [1, 2, 4, 8]) expect(replay(p, t, 2, contiguous)).toBeCloseTo((100 * (80 + 8)) / t, 9);
  });

  it('work that only one node does does not divide', () => {
    const p = profile(8, 100, (_w, i) => (i === 5 ? 7 : 0));
    for (const t of [1, 2, 8]) expect(replay(p, t, 2, contiguous)).toBe(700);
  });

  it('drift: work that alternates between two workers needs K = 2 to overlap', () => {
    // Window n's work is on node n % 2 only. In lock-step (K = 1) every window waits for the
    // busy worker; with K = 2 each worker runs its window while the other runs the next.
    const p = profile(2, 1000, (w, i) => (w % 2 === i ? 1 : 0));
    expect(replay(p, 2, 1, contiguous)).toBe(1000);
    expect(replay(p, 2, 2, contiguous)).toBe(500);
  });

  it('places every T-th node on a worker, as the engine does, or contiguous blocks', () => {
    // Nodes 0 and 1 work: one block holds both, interleaving splits them.
    const p = profile(4, 10, (_w, i) => (i < 2 ? 5 : 0));
    expect(replay(p, 2, 2, contiguous)).toBe(100);
    expect(replay(p, 2, 2, interleaved)).toBe(50);
    const b = balance(p, [1, 2], 2);
    expect(b.rows[0].speedup).toEqual({ contiguous: 1, interleaved: 1 });
    expect(b.rows[1].speedup).toEqual({ contiguous: 1, interleaved: 2 });
    expect(b.nodeSeconds).toBeCloseTo((100 * 10) / 1e9, 15);
  });
});

describe('balance: work stealing', () => {
  it('shares a window\'s nodes between all workers, whatever the placement', () => {
    // Nodes 0 and 2 work: interleaving puts both on worker 0; any worker may take either.
    const p = profile(4, 10, (_w, i) => (i === 0 || i === 2 ? 5 : 0));
    expect(replay(p, 2, 2, interleaved)).toBe(100);
    expect(replayStealing(p, 2, 2)).toBe(50);
    expect(balance(p, [2], 2).rows[0].stealing).toBe(2);
  });

  it('cannot split one node\'s window, nor run a node\'s windows side by side', () => {
    const p = profile(8, 100, (_w, i) => (i === 5 ? 7 : 0));
    for (const t of [1, 2, 8]) expect(replayStealing(p, t, 2)).toBe(700);
  });

  it('drifts as the engine does: K = 1 waits for every window, K = 2 overlaps the next', () => {
    const p = profile(2, 1000, (w, i) => (w % 2 === i ? 1 : 0));
    expect(replayStealing(p, 2, 1)).toBe(1000);
    expect(replayStealing(p, 2, 2)).toBe(500);
  });

  it('even work and the window\'s rest divide by T', () => {
    const p = profile(8, 100, () => 10, 8);
    for (const t of [1, 2, 4, 8]) expect(replayStealing(p, t, 2)).toBeCloseTo((100 * (80 + 8)) / t, 9);
  });

  it('steps a worker\'s own nodes first, and takes another\'s last node only when it has none left', () => {
    // Even work: nobody steals, so nothing moves, and each node stepped costs one claim.
    const even = profile(8, 100, () => 10);
    expect(replayStealing(even, 2, 2, { claim: 1, move: 1000 })).toBe((100 * 4 * 11));
    // Nodes 0 and 2 (both worker 0's) work: worker 1 takes node 2 in every window, and node 2
    // has moved only once, in the first.
    const p = profile(4, 10, (_w, i) => (i === 0 || i === 2 ? 5 : 0));
    expect(replayStealing(p, 2, 2, { claim: 0, move: 3 })).toBe(10 * 5 + 3);
  });

  it('moving a node costs each time it changes worker, which can make stealing lose', () => {
    // Window n's work is on node 0 in even windows, node 2 in odd ones, both worker 0's, and
    // K = 1: one node a window, so nobody ever steals: 5 a window, plus a claim.
    const alone = profile(4, 100, (w, i) => (i === 2 * (w % 2) ? 5 : 0));
    expect(replayStealing(alone, 2, 1, { claim: 1, move: 50 })).toBe(100 * 6);
    // Three nodes of worker 0 work in every window: worker 1 takes the last, which then moves
    // back and forth: a move costs more than the work it shares.
    const three = profile(6, 100, (_w, i) => (i % 2 === 0 ? 10 : 0));
    expect(replayStealing(three, 2, 2)).toBeLessThan(replay(three, 2, 2, interleaved));
    expect(replayStealing(three, 2, 2, { claim: 0, move: 30 })).toBeGreaterThan(replay(three, 2, 2, interleaved));
  });

  it('reports stealing at the measured costs beside free stealing', () => {
    const p = profile(16, 1000, (w, i) => ((w * 7 + i * 3) % 5 === 0 ? 100 : 1));
    const row = balance(p, [4], 2).rows[0];
    expect(row.stealingCosted).toBeLessThan(row.stealing);
    expect(row.stealingCosted).toBeCloseTo(replay(p, 1, 2, interleaved) / replayStealing(p, 4, 2, { claim: 50 / COST_UNIT_NS, move: 500 / COST_UNIT_NS }), 9);
  });
});

describe('balance: the host\'s interruptions', () => {
  it('cuts a node\'s window to 20 us, so that one interruption of the 1-thread run does not read as work nobody could share', () => {
    // Two nodes, even work, and one window in which node 0 was descheduled for 600 us.
    const p = profile(2, 100, (w, i) => (w === 50 && i === 0 ? 60_000 : 100));
    expect(uninterrupted(p).node[50 * 2]).toBe(2000);
    expect(uninterrupted(p).node[50 * 2 + 1]).toBe(100);
    const b = balance(p, [2], 2);
    // Worker 1 may run one window ahead of worker 0, no more: the 600 us are nearly all wall time.
    expect(b.rows[0].speedup.interleaved).toBeCloseTo((99 * 200 + 60_100) / (99 * 100 + 60_000), 9);
    expect(b.rows[0].uninterrupted).toBeCloseTo((99 * 200 + 2100) / (99 * 100 + 2000), 9);
    expect(b.interruptedSeconds).toBeCloseTo(((60_000 - 2000) * 10) / 1e9, 15);
  });
});

describe('balance: the cost log of a run', () => {
  it('keeps every node\'s time in every window stepped, merged from all workers', async () => {
    const config = applyConfig(defaultConfig(), { nodes: 8 }, 'test');
    const image = readElf('guest/build/radix.elf', 'radix');
    for (const threads of [1, 2]) {
      const r = await runFlash({ config, image, threads, maxCycles: 2e9, echoConsole: false, patch: { radix_keys: 4096 }, costLog: true });
      const p = r.costs!;
      expect(p.nodes).toBe(8);
      expect(p.windows).toBe(r.host.windows - r.host.windowsSkipped);
      expect(p.node).toHaveLength(8 * p.windows);
      // Every node ran its share of the sort: each has time of its own.
      for (let i = 0; i < 8; i++) {
        let sum = 0;
        for (let w = 0; w < p.windows; w++) sum += p.node[w * 8 + i];
        expect(sum, `node ${i}`).toBeGreaterThan(0);
      }
      expect(p.clockNs).toBeGreaterThan(0);
    }
    const plain = await runFlash({ config, image, threads: 1, maxCycles: 2e9, echoConsole: false, patch: { radix_keys: 4096 } });
    expect(plain.costs).toBeNull();
  });
});
