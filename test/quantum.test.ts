// The quantum timing mode (docs/quantum.md): the FLASH workloads, atomics, LR/SC, code written
// by other nodes, devices reached from every node, virtio disk DMA through node 0's store buffer,
// and the monitor's VMs run as in the exact mode; the simulated
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
import { counterLayout, directoryLayout, memoryLayout, quantumArena, quantumLayout } from '../src/shared-abi/machine.js';
import { Mesh } from '../src/interconnect/mesh.js';
import { FlashNode, NodeState, type Router } from '../src/node-actor/node.js';
import { DMA_NEXT_QUANTUM } from '../src/node-actor/processor-interface.js';
import { DmaDriver } from '../src/node-actor/io-node.js';
import type { DmaJob } from '../src/devices/dma.js';

const image = (name: string) => readElf(`guest/build/${name}.elf`);

function config(nodes: number): MachineConfig {
  return applyConfig(defaultConfig(), { nodes }, 'test');
}

function run(nodes: number, threads: number, o: Partial<FlashRunOptions>): Promise<FlashResult> {
  // On the workers even alone: a run of tens of seconds in this thread (on a loaded host) would
  // keep vitest from hearing from it.
  return runFlash({ config: config(nodes), threads, maxCycles: 5e8, echoConsole: false, watchdogMs: 60_000, timing: 'quantum', ...o });
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

  it('firmware, kernel and shell from a virtio disk on 4 nodes, with a store buffer of 8 lines; identical at 1 and 2 threads, time near the exact mode\'s', async () => {
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
    const dma = (r: FlashResult) => (r.sim.devices.virtio0 as { dma: { lines: number } }).dma;
    const fullSize = await boot(1, {});
    // The harts wait for the weave at every full buffer; the DMA moves as many lines.
    expect(dma(one).lines).toBe(dma(fullSize).lines);
    expect(one.host.quantum!.blockedNodeQuanta).toBeGreaterThan(fullSize.host.quantum!.blockedNodeQuanta);
    const two = await boot(2, small);
    expect(two.sim).toEqual(one.sim);
    const exact = await boot(1, { timing: 'exact' });
    expect(error(fullSize.sim.endCycle, exact.sim.endCycle)).toBeLessThan(0.25);
  }, 240_000);

  it('the monitor: firmware, kernel and shell from a disk in a VM on 4 nodes, pages placed on first touch; identical at 1 and 2 threads, as in the exact mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fd-quantum-'));
    const disk = join(dir, 'root.img');
    writeFileSync(disk, kernelDisk());
    const boot = (threads: number, timing: 'exact' | 'quantum') => run(4, threads, {
      virt: { bios: 'guest/build/virt-sbi.elf', kernel: 'guest/build/virt-kernel.elf', disk, append: 'console=ttyS0 root=/dev/vda' },
      input: FlashConsoleInput.of(SHELL_INPUT.join('')), maxCycles: 4e9, timing, monitor: { placement: { policy: 'first-touch' } },
    });
    const one = await boot(1, 'quantum');
    const text = one.sim.console.replace(/\r/g, '');
    expect(one.sim.exitCode, text).toBe(0);
    for (let h = 1; h < 4; h++) expect(text).toContain(`[kernel] hart ${h} online`);
    expect(text).toContain(`cat motd.txt numbers.txt\n${MOTD}`);
    expect(text).toContain('sieve: 78498 primes below 1000000');
    expect(text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);
    const pages = one.sim.monitor!.vms[0]!.pagesPerNode;
    for (let n = 0; n < 4; n++) expect(pages[n], `node ${n}`).toBeGreaterThan(0);
    expect(one.sim.messages.PMAP_REQ).toBeGreaterThan(0);
    const two = await boot(2, 'quantum');
    expect(two.sim).toEqual(one.sim);
    const exact = await boot(1, 'exact');
    expect(exact.sim.monitor!.vms[0]!.pagesPerNode.reduce((a, b) => a + b, 0)).toBe(pages.reduce((a, b) => a + b, 0));
    // Each pmap request and answer waits for a quantum's end (docs/quantum.md, "Known errors").
    expect(error(one.sim.endCycle, exact.sim.endCycle)).toBeLessThan(0.4);
  }, 240_000);

  it('the monitor: virt-smp\'s 4 vCPUs take turns on 2 nodes\' CPUs (LR/SC and AMOs of vCPUs not loaded, IPIs between VMs\' harts); identical at 1 and 2 threads', async () => {
    const vm = (threads: number) => run(2, threads, { virt: { kernel: 'guest/build/virt-smp.elf' }, monitor: { placement: { policy: 'round-robin' }, vcpus: 4 } });
    const one = await vm(1);
    expect(one.sim.console).toMatch(/virt-smp: PASS/);
    expect(one.sim.exitCode).toBe(0);
    expect((await vm(2)).sim).toEqual(one.sim);
  }, 120_000);

  it('the NUMA policies: hot-page events the weave counts move pages (migrate, faster than none), copy a read table to its readers and collapse the copies for a write (replicate), every value kept; identical at 1 and 2 threads', async () => {
    type Numa = { asked: number; copied: number; migrated: number; replicated: number; collapsed: number };
    const numaOf = (r: FlashResult) => (r.sim.monitor!.nodes as Array<{ numa: Numa }>).map((n) => n.numa);
    const policy = (guest: string, nodes: number, threads: number, numa: 'none' | 'migrate' | 'replicate', more: Record<string, number> = {}) => runFlash({
      config: applyConfig(defaultConfig(), { nodes, l2KiB: 64, missThreshold: 32, ...more }, 'test'), threads, maxCycles: 1e9, echoConsole: false,
      timing: 'quantum', monitor: { placement: { policy: 'first-touch' }, numa }, virt: { kernel: `guest/build/${guest}.elf` },
    });
    const none = await policy('numa-migrate', 2, 1, 'none');
    const migrate = await policy('numa-migrate', 2, 1, 'migrate');
    expect(migrate.sim.console).toMatch(/numa-migrate: PASS \(2 checks\)/);
    expect(numaOf(migrate)[1]!.copied).toBeGreaterThan(32);
    expect(migrate.sim.monitor!.vms[0]!.pagesPerNode[1]).toBeGreaterThan(16);
    expect(migrate.sim.endCycle).toBeLessThan(none.sim.endCycle * 0.8);
    expect((await policy('numa-migrate', 2, 2, 'migrate')).sim).toEqual(migrate.sim);

    const replicate = await policy('numa-replicate', 4, 1, 'replicate', { numaMovesPerReset: 1024 });
    expect(replicate.sim.console).toMatch(/numa-replicate: PASS \(6 checks\)/);
    expect(numaOf(replicate)[0]!.replicated).toBeGreaterThanOrEqual(3 * 64);
    expect(numaOf(replicate)[0]!.collapsed).toBeGreaterThanOrEqual(64);
    expect((await policy('numa-replicate', 4, 2, 'replicate', { numaMovesPerReset: 1024 })).sim).toEqual(replicate.sim);
  }, 120_000);

  it('refuses a quantum below 16 cycles, and a quantum without the mode', async () => {
    await expect(run(2, 1, { image: image('stencil'), quantumCycles: 8 })).rejects.toThrow(/--quantum 8: give the quantum in cycles/);
    await expect(run(2, 1, { image: image('stencil'), timing: 'exact', quantumCycles: 500 })).rejects.toThrow(/add --timing quantum/);
  });
});

describe('DMA through the quantum mode\'s port (QuantumPort.dmaLine)', () => {
  it('writes a line the node did not own at the quantum\'s start into its buffer and reads it there, an owned line in place; a full buffer waits for the next quantum', () => {
    const cfg = applyConfig(defaultConfig(), { nodes: 2, memPerNodeMiB: 1 }, 'test');
    const slice = cfg.memPerNodeMiB << 20, lb = cfg.lineBytes, slots = 2, logCap = 16;
    const memory = memoryLayout(2, slice, quantumArena(2, slots, lb)).allocate();
    const u8 = new Uint8Array(memory);
    const ram = { base: 0x8000_0000, size: 2 * slice, u8, dv: new DataView(memory) };
    const dirLayout = directoryLayout(2, slice / lb, cfg.dirPointers), ctrLayout = counterLayout(2, slice >>> 12);
    const dir = dirLayout.views(dirLayout.allocate());
    const qLayout = quantumLayout(2, 1, slots, lb, logCap, 1024, 2 * slice / lb);
    const router: Router = { deliver: () => { throw new Error('a message between nodes'); } };
    const n = new FlashNode(0, cfg, ram, { ...dir, ...ctrLayout.views(ctrLayout.allocate()) }, [], new Mesh(cfg), router, 0x8000_0000, true, undefined,
      { views: qLayout.views(qLayout.allocate()), sizes: { slots, logCap, arenaBase: 2 * slice } });
    n.state = NodeState.Halted;
    n.qport!.beginQuantum();
    let t = 0;
    /** The DMA's access to 8 bytes of `line`, once the caches hold it. */
    const dmaLine = (line: number, write: boolean): number => {
      for (let i = 0; i < 50; i++) {
        const r = n.pi.dmaLine(line * lb + 8, 8, write);
        if (r >= 0 || r === DMA_NEXT_QUANTUM) return r;
        n.advance(t += 200);
      }
      throw new Error(`line ${line} never came`);
    };
    const slot = (s: number) => 2 * slice + s * lb + 8;
    expect(dmaLine(5, true)).toBe(slot(0));
    u8.set([1, 2, 3, 4, 5, 6, 7, 8], slot(0));
    expect(dmaLine(5, false)).toBe(slot(0));
    expect(u8[5 * lb + 8]).toBe(0); // memory waits for the weave
    expect(dmaLine(6, true)).toBe(slot(1));
    expect(dmaLine(7, true)).toBe(DMA_NEXT_QUANTUM);
    // A line the directory gave the node before the quantum began: in place.
    dir.state[8] = 2; // DirState.EX
    dir.owner[8] = 0;
    expect(dmaLine(8, true)).toBe(8 * lb + 8);

    // The engine asks again at the quantum's end, after the weave has emptied the buffer.
    const dma = new DmaDriver(n, lb);
    n.attachIo({ event: () => dma.run(), lineSettled: (l, time) => dma.lineSettled(l, time), afterHandler: () => dma.afterHandler() });
    const wrote: number[] = [];
    dma.start((function* (): DmaJob {
      for (const line of [9, 10]) wrote.push(yield { off: line * lb, len: 8, write: true });
    })());
    n.advance(t += 4000);
    expect(dma.stats.full).toBeGreaterThan(0);
    expect(dma.busy).toBe(true);
    n.qport!.beginQuantum();
    n.advance(t += 4000);
    expect(dma.busy).toBe(false);
    expect(wrote).toEqual([2 * slice, 2 * slice + lb]);
  });
});
