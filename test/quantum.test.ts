// The quantum timing mode (docs/quantum.md): the FLASH workloads, atomics, LR/SC, code written
// by other nodes, devices reached from every node and virtio disk DMA through node 0's store
// buffer run as in the exact mode; the simulated
// results are identical for any number of worker threads; and simulated time and misses stay
// close to the exact mode's.
//
// The parallel runs use the compiled worker (dist/), which `npm test` builds first.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyConfig, defaultConfig, type MachineConfig } from '../src/config/machine.js';
import { runFlash, type FlashResult, type FlashRunOptions } from '../src/sim/flash-machine.js';
import { readElf } from '../src/sim/elf.js';
import { FlashConsoleInput } from '../src/sim/flash-input.js';
import { MOTD, SHELL_INPUT, blkWritten, kernelDisk, testDisk } from './virt-helpers.js';

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

  it('virt-blk: every sector read by DMA and a write written back, through a store buffer of 8 lines; identical at 1 and 2 threads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-quantum-'));
    const bytes = testDisk(64);
    const sims = [];
    for (const threads of [1, 2]) {
      const disk = join(dir, `blk-${threads}.img`);
      writeFileSync(disk, bytes);
      const r = await run(2, threads, { virt: { kernel: 'guest/build/virt-blk.elf', disk, diskWrite: true }, quantumBuffer: { slots: 8, logCap: 16 } });
      expect(r.sim.console, r.sim.console).toMatch(/virt-blk: PASS/);
      expect(r.sim.devices.virtio0).toMatchObject({ writes: 1, flushes: 1, ioErrors: 1, error: null });
      const after = readFileSync(disk);
      for (let s = 0; s < 64; s++) {
        for (const i of [0, 511]) expect(after[s * 512 + i], `sector ${s} byte ${i}`).toBe(s >= 10 && s < 14 ? blkWritten(s, i) : bytes[s * 512 + i]);
      }
      sims.push(r.sim);
    }
    expect(sims[1]).toEqual(sims[0]);
  }, 60_000);

  it('firmware, kernel and shell from a virtio disk on 4 nodes, the DMA waiting for quanta when a buffer of 8 lines is full; identical at 1 and 2 threads, time near the exact mode\'s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-quantum-'));
    const disk = join(dir, 'root.img');
    writeFileSync(disk, kernelDisk());
    const boot = (threads: number, o: Partial<FlashRunOptions>) => run(4, threads, {
      virt: { bios: 'guest/build/virt-sbi.elf', kernel: 'guest/build/virt-kernel.elf', disk, append: 'console=ttyS0 root=/dev/vda' },
      input: FlashConsoleInput.of(SHELL_INPUT.join('')), maxCycles: 2e9, ...o,
    });
    const small = { quantumBuffer: { slots: 8, logCap: 16 } };
    const one = await boot(1, small);
    const text = one.sim.console.replace(/\r/g, '');
    expect(one.sim.exitCode, text).toBe(0);
    expect(text).toContain(MOTD);
    expect(text).toContain('sieve: 78498 primes below 1000000');
    expect(text).toMatch(/init: all jobs done, powering off/);
    expect(text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);
    const dma = (r: FlashResult) => (r.sim.devices.virtio0 as { dma: { lines: number; waits: number } }).dma;
    const fullSize = await boot(1, {});
    // A full buffer or log makes the DMA ask again at the next quantum: more waits, as many lines.
    expect(dma(one).lines).toBe(dma(fullSize).lines);
    expect(dma(one).waits).toBeGreaterThan(dma(fullSize).waits);
    const two = await boot(2, small);
    expect(two.sim).toEqual(one.sim);
    const exact = await boot(1, { timing: 'exact' });
    expect(error(fullSize.sim.endCycle, exact.sim.endCycle)).toBeLessThan(0.25);
  }, 240_000);

  it('refuses what it does not run yet, and a quantum without the mode', async () => {
    await expect(run(2, 1, { image: image('stencil'), quantumCycles: 8 })).rejects.toThrow(/--quantum 8: give the quantum in cycles/);
    await expect(run(2, 1, { image: image('stencil'), timing: 'exact', quantumCycles: 500 })).rejects.toThrow(/add --timing quantum/);
  });
});
