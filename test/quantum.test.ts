// The quantum timing mode (docs/quantum.md): the FLASH workloads, atomics, LR/SC, code written
// by other nodes and devices reached from every node run as in the exact mode; the simulated
// results are identical for any number of worker threads; and simulated time and misses stay
// close to the exact mode's.
//
// The parallel runs use the compiled worker (dist/), which `npm test` builds first.

import { describe, expect, it } from 'vitest';
import { applyConfig, defaultConfig, type MachineConfig } from '../src/config/machine.js';
import { runFlash, type FlashResult, type FlashRunOptions } from '../src/sim/flash-machine.js';
import { readElf } from '../src/sim/elf.js';

const image = (name: string) => readElf(`guest/build/${name}.elf`);

function config(nodes: number): MachineConfig {
  return applyConfig(defaultConfig(), { nodes }, 'test');
}

function run(nodes: number, threads: number, o: Partial<FlashRunOptions>): Promise<FlashResult> {
  return runFlash({ config: config(nodes), threads, maxCycles: 5e8, echoConsole: false, inProcess: threads === 1, watchdogMs: 60_000, timing: 'quantum', ...o });
}

/** |a - b| / b */
const error = (a: number, b: number) => Math.abs(a - b) / b;

describe('the quantum mode', () => {
  it('stencil on 8 nodes: the exact mode\'s answer and memory, time within 3% and misses within 5% of it, identical at 1, 2 and 3 threads', async () => {
    const patch = {};
    const exact = await run(8, 1, { image: image('stencil'), patch, timing: 'exact' });
    const one = await run(8, 1, { image: image('stencil'), patch });
    expect(one.sim.console).toMatch(/OK checksum/);
    expect(one.sim.console).toBe(exact.sim.console);
    expect(one.sim.memoryHash).toBe(exact.sim.memoryHash);
    expect(error(one.sim.endCycle, exact.sim.endCycle)).toBeLessThan(0.03);
    for (const k of ['l2Misses', 'localMisses', 'remoteMisses']) expect(error(one.sim.totals[k], exact.sim.totals[k])).toBeLessThan(0.05);
    expect(one.host.quantum!.quanta).toBeGreaterThan(100);
    expect(one.host.quantum!.weave!.committedLines).toBeGreaterThan(0);
    for (const threads of [2, 3]) {
      const r = await run(8, threads, { image: image('stencil'), patch });
      expect(r.sim).toEqual(one.sim);
    }
  }, 180_000);

  it('radix on 16 nodes: sorted as in the exact mode, the same at 1 and 2 threads, and at a finer quantum in more quanta', async () => {
    const patch = { radix_keys: 65536 };
    const exact = await run(16, 1, { image: image('radix'), patch, timing: 'exact' });
    const one = await run(16, 1, { image: image('radix'), patch });
    expect(one.sim.console).toMatch(/OK checksum/);
    expect(one.sim.console).toBe(exact.sim.console);
    const two = await run(16, 2, { image: image('radix'), patch });
    expect(two.sim).toEqual(one.sim);
    const fine = await run(16, 2, { image: image('radix'), patch, quantumCycles: 1000 });
    expect(fine.sim.console).toBe(exact.sim.console);
    expect(fine.host.quantum!.quanta).toBeGreaterThan(one.host.quantum!.quanta);
  }, 180_000);

  it('atomics under contention: 80,000 accesses and AMOs by 8 nodes on four shared lines, 0 errors, identical at 1, 2 and 3 threads', async () => {
    const o = { image: image('flash-stress'), patch: { stress_ops: 10_000 } };
    const one = await run(8, 1, o);
    expect(one.sim.console).toMatch(/stress: 8 harts, 80000 accesses, \d+ atomic adds, 0 errors/);
    expect(one.sim.exitCode).toBe(0);
    expect(one.host.quantum!.weave!.atomics).toBeGreaterThan(0);
    // Homes spread over the workers in other ways: the weave's parts meet in other orders.
    for (const threads of [2, 3]) expect((await run(8, threads, o)).sim).toEqual(one.sim);
  }, 120_000);

  it('code one node writes and others run, without fence.i (invariant 5), also a hart alone running what it just stored', async () => {
    const four = await run(4, 2, { image: image('flash-smc') });
    expect(four.sim.console).toMatch(/smc: 12 rounds, 4 harts, 0 errors/);
    const alone = await run(1, 1, { image: image('flash-smc') });
    expect(alone.sim.console).toMatch(/smc: 12 rounds, 1 harts, 0 errors/);
  }, 60_000);

  it('virt-smp: IPIs through the CLINT, an LR/SC lock, reservations kept across quanta and broken by another hart\'s store, cross-node code, mtime; identical at 1 and 2 threads', async () => {
    const one = await run(4, 1, { virt: { kernel: 'guest/build/virt-smp.elf' } });
    expect(one.sim.console).toMatch(/virt-smp: PASS/);
    expect(one.sim.exitCode).toBe(0);
    const two = await run(4, 2, { virt: { kernel: 'guest/build/virt-smp.elf' } });
    expect(two.sim).toEqual(one.sim);
  }, 120_000);

  it('refuses what it does not run yet, and a quantum without the mode', async () => {
    await expect(run(2, 1, { image: image('stencil'), quantumCycles: 8 })).rejects.toThrow(/--quantum 8: give the quantum in cycles/);
    await expect(run(2, 1, { image: image('stencil'), timing: 'exact', quantumCycles: 500 })).rejects.toThrow(/add --timing quantum/);
    await expect(run(2, 1, { virt: { kernel: 'guest/build/virt-smp.elf', disk: 'guest/build/virt-smp.elf' } })).rejects.toThrow(/no disk DMA yet/);
  });
});
