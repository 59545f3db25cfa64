// The NUMA experiment's workloads (guest/virt-user: engineering.c, raytrace.c, pmake.c) on the
// project's kernel (guest/virt-kernel), which knows nothing of NUMA: what they need of it
// (System V shared memory, a page cache that shares program text, more processes than harts,
// init's arguments from the command line), natively on the virt board and in a VM of the
// monitor on the FLASH machine whose pages the NUMA policy moves.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyConfig, defaultConfig } from '../src/config/machine.js';
import { runFlash, type FlashResult } from '../src/sim/flash-machine.js';
import type { NumaPolicy } from '../src/monitor/node-monitor.js';
import { numaDiskFiles, pmakeSources } from '../bench/numa-disk.js';
import { BUILD, fdfsImage, image, runBoard } from './virt-helpers.js';

let dir = '';
let disk = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-numa-work-'));
  disk = join(dir, 'numa.img');
  writeFileSync(disk, fdfsImage(numaDiskFiles(BUILD, 12)));
});

function native(command: string, harts = 4, diskPath = disk) {
  return runBoard({ bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: diskPath, harts, append: `console=ttyS0 -- ${command}` });
}

const checksum = (text: string) => /checksum (0x[0-9a-f]+)/.exec(text)?.[1];

describe('the workloads on virt-kernel, natively', () => {
  it('engineering: six logic and cache simulators on four harts, each checked', () => {
    const { result, text } = native('engineering -p 6');
    expect(text).toContain('init: engineering exited with status 0');
    expect(text).toContain('engineering: 6 processes (3 logicsim, 3 cachesim), scale 1');
    expect(text).toMatch(/engineering: PASS/);
    expect(result.exitCode, text).toBe(0);
    expect(text.match(/^logicsim \d+: 64x64 multiplier, .* 0 wrong/gm)).toHaveLength(3);
    expect(text.match(/^cachesim \d+: .* (\d+) misses \(closed form \1\)/gm)).toHaveLength(3);
  });

  it('raytrace: workers render one picture through shared memory, bit for bit what one process renders alone', () => {
    const par = native('raytrace -p 3');
    const alone = native('raytrace -p 0', 1);
    for (const r of [par, alone]) {
      expect(r.text).toMatch(/raytrace: PASS/);
      expect(r.result.exitCode, r.text).toBe(0);
    }
    expect(par.text).toContain('raytrace: 3 workers, 96x72 pixels, 1 rays a pixel, 16384 spheres (1072 KiB scene), 0 unwritten, 0 of 96 pixels rendered again wrong');
    expect(checksum(par.text)).toBeDefined();
    expect(checksum(par.text)).toBe(checksum(alone.text));
  });

  it('pmake: short cc processes read their sources from the disk and share virt-user\'s text through the page cache', () => {
    const { result, text } = native('pmake -j 4 -n 12');
    expect(text).toMatch(/pmake: PASS/);
    expect(result.exitCode, text).toBe(0);
    const cache = /\[kernel\] page cache: (\d+) pages, mapped (\d+) times/.exec(text);
    expect(cache, text).not.toBeNull();
    // init, pmake and twelve cc processes each mapped every cached page.
    const [pages, maps] = [Number(cache![1]), Number(cache![2])];
    expect(pages).toBeGreaterThan(2);
    expect(maps).toBeGreaterThanOrEqual(14 * pages);
  });

  it('pmake: a source that does not match its check line fails the build', () => {
    const files = numaDiskFiles(BUILD, 4);
    const [name, src] = files.find(([n]) => n === pmakeSources(4)[2]![0])!;
    const text = new TextDecoder().decode(src);
    const bad = text.replace('/* check:', 'extra;\n/* check:'); // two tokens more
    expect(bad).not.toBe(text);
    const badDisk = join(dir, 'bad.img');
    writeFileSync(badDisk, fdfsImage(files.map(([n, d]) => [n, n === name ? new TextEncoder().encode(bad) : d] as [string, Uint8Array])));
    const r = native('pmake -j 2 -n 4', 2, badDisk);
    expect(r.text).toMatch(/pmake: FAIL/);
    expect(r.text).toContain('init: pmake exited with status 1');
    expect(r.result.exitCode).not.toBe(0);
  });
});

describe('the workloads in a VM on the FLASH machine, pages placed round-robin and moved by the NUMA policy', () => {
  function run(nodes: number, threads: number, command: string, numa: NumaPolicy): Promise<FlashResult> {
    return runFlash({
      config: applyConfig(defaultConfig(), { nodes, l2KiB: 64, missThreshold: 32, missResetCycles: 1_000_000 }, 'test'),
      threads,
      maxCycles: 2e9,
      echoConsole: false,
      monitor: { placement: { policy: 'round-robin' }, numa },
      virt: { bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk, append: `console=ttyS0 -- ${command}` },
    });
  }
  const numaSum = (r: FlashResult, k: string) => (r.sim.monitor!.nodes as { numa: Record<string, number> }[]).reduce((a, n) => a + n.numa[k]!, 0);

  it('raytrace under disco: the scene is replicated to its readers, the picture is the serial one, the same at 1 and 2 threads', async () => {
    const alone = native('raytrace -p 0', 1);
    const one = await run(4, 1, 'raytrace -p 4', 'disco');
    expect(one.sim.console).toMatch(/raytrace: PASS/);
    expect(one.sim.exitCode, one.sim.console).toBe(0);
    expect(checksum(one.sim.console)).toBe(checksum(alone.text));
    expect(numaSum(one, 'replicated')).toBeGreaterThan(20);
    expect(numaSum(one, 'replicaPagesPeak')).toBeGreaterThan(20);
    const two = await run(4, 2, 'raytrace -p 4', 'disco');
    expect(two.sim).toEqual(one.sim);
  }, 240_000);

  it('engineering, three processes a vCPU, under migrate: every process checked while its pages move', async () => {
    // Twelve processes on four vCPUs switch address spaces often: the shadow walk and the guest
    // walk of a fill then compete for L2 sets, which once made a fill wait for ever.
    const r = await run(4, 2, 'engineering -p 12', 'migrate');
    expect(r.sim.console).toMatch(/engineering: PASS/);
    expect(r.sim.exitCode, r.sim.console).toBe(0);
    expect(numaSum(r, 'migrated')).toBeGreaterThan(100);
    // The kernel's scheduler keeps a process on its hart while it can, and moves some.
    const moved = [...r.sim.console.matchAll(/(logicsim|cachesim) status 0, \d+ preemptions, (\d+) migrations/g)].map((m) => Number(m[2]));
    expect(moved).toHaveLength(12);
    expect(moved.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
  }, 240_000);
});
