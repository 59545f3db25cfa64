// The monitor's NUMA policy on the FLASH machine (docs/numa.md): hot pages migrate to the node
// whose misses dominate them, or are replicated to the nodes that only read them, through the
// pmap's owner, with every mapping shot down and the data copied through the protocol, while
// the guest reads and writes them.
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyConfig, defaultConfig } from '../src/config/machine.js';
import { runFlash, type FlashResult } from '../src/sim/flash-machine.js';
import type { NumaPolicy } from '../src/monitor/node-monitor.js';
import { ROOT, image } from './virt-helpers.js';

type NodeReport = {
  numa: { hotEvents: number; asked: number; migrated: number; replicated: number; collapsed: number; dropped: number; copied: number; freed: number; leavesShotDown: number; scans: number; hintFaults: number };
  vcpus: Array<{ refaults: number }>;
};

// A small L2, so that hart 1's sweeps miss every line, and a threshold the sweeps reach.
function run(threads: number, numa: NumaPolicy, more: Record<string, number> = {}, guest = 'numa-migrate.elf', nodes = 2): Promise<FlashResult> {
  return runFlash({
    config: applyConfig(defaultConfig(), { nodes, l2KiB: 64, missThreshold: 32, ...more }, 'test'),
    threads,
    maxCycles: 1e9,
    echoConsole: false,
    monitor: { placement: { policy: 'first-touch' }, numa },
    virt: { kernel: image(guest) },
  });
}

const nodesOf = (r: FlashResult) => r.sim.monitor!.nodes as NodeReport[];

describe('the NUMA policy (--numa-policy)', () => {
  it('migrate moves the pages hart 1 sweeps to its node while it sweeps, every value kept; faster than none; the same at 1 and 2 threads', async () => {
    const none = await run(1, 'none');
    expect(none.sim.console).toMatch(/numa-migrate: PASS/);
    // First touch: hart 0 filled the array, so it is node 0's, and nothing moves it.
    expect(none.sim.monitor!.vms[0]!.pagesPerNode[1]).toBe(0);
    for (const n of nodesOf(none)) expect(n.numa.asked).toBe(0);

    const one = await run(1, 'migrate');
    expect(one.sim.exitCode, one.sim.console).toBe(0);
    expect(one.sim.console).toMatch(/numa-migrate: PASS \(2 checks\)/);
    const [n0, n1] = nodesOf(one) as [NodeReport, NodeReport];
    // Node 0 held the pages and asked the home (itself) to move them; node 1 copied them, and
    // node 0 freed the old ones. Hart 0's check at the end brings some back.
    expect(n0.numa.asked).toBeGreaterThan(32);
    expect(n1.numa.copied).toBeGreaterThan(32);
    expect(n0.numa.copied + n1.numa.copied).toBe(n0.numa.migrated);
    expect(n0.numa.migrated + n0.numa.dropped).toBe(n0.numa.asked + n1.numa.asked);
    expect(n0.numa.freed).toBeGreaterThan(32);
    expect(n0.numa.leavesShotDown + n1.numa.leavesShotDown).toBeGreaterThan(0);
    expect(one.sim.monitor!.vms[0]!.pagesPerNode[1]).toBeGreaterThan(16);
    // A fault after a shoot-down is a fair one, not a fill that did not take.
    for (const n of nodesOf(one)) for (const v of n.vcpus) expect(v.refaults).toBe(0);
    expect(one.sim.endCycle).toBeLessThan(none.sim.endCycle * 0.8);

    expect((await run(2, 'migrate')).sim).toEqual(one.sim);
  }, 120_000);

  it('migrate moves nothing with a budget of 0 moves per counter period', async () => {
    const r = await run(1, 'migrate', { numaMovesPerReset: 0 });
    expect(r.sim.console).toMatch(/numa-migrate: PASS/);
    const nodes = nodesOf(r);
    expect(nodes[0]!.numa.hotEvents).toBeGreaterThan(0);
    for (const n of nodes) expect(n.numa.asked).toBe(0);
  }, 60_000);

  it('works for several VMs at once (--vms), each VM with its own policy: a\'s pages move to its second node, b\'s stay', () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-numa-vms-'));
    const vm = (name: string, nodes: number[], more: Record<string, unknown> = {}) => ({ name, kernel: image('numa-migrate.elf'), vcpus: 2, nodes, mem: 8, console: `${name}.out`, ...more });
    writeFileSync(join(d, 'vms.json'), JSON.stringify({ vms: [vm('a', [0, 1]), vm('b', [2, 3], { numa: 'none' })] }));
    writeFileSync(join(d, 'machine.json'), JSON.stringify({ l2KiB: 64, missThreshold: 32 }));
    const cli = join(ROOT, 'dist', 'src', 'sim', 'cli.js');
    const p = spawnSync(process.execPath, [cli, 'run', '--nodes', '4', '--threads', '2', '--config', 'machine.json', '--vms', 'vms.json', '--numa-policy', 'migrate', '--stats', 'stats.json'], { cwd: d, encoding: 'utf8' });
    expect(p.status, p.stderr).toBe(0);
    for (const n of ['a', 'b']) expect(readFileSync(join(d, `${n}.out`), 'latin1')).toMatch(/numa-migrate: PASS/);
    const sim = JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8')).sim as FlashResult['sim'];
    const [a, b] = sim.monitor!.vms.map((v) => v.pagesPerNode) as [number[], number[]];
    // a takes the run's policy and moves its pages, on its own nodes only; b's "none" keeps them.
    expect(a[1]).toBeGreaterThan(16);
    expect(a[2]! + a[3]!).toBe(0);
    expect(b[3]).toBe(0);
    expect(b[0]! + b[1]!).toBe(0);
  }, 60_000);

  it('replicate: the table three nodes read gets a copy on each; a write collapses them and every reader sees it; the same at 1 and 2 threads', async () => {
    // A budget large enough for three copies of every page in one counter period.
    const replicate = (threads: number, numa: NumaPolicy) => run(threads, numa, { numaMovesPerReset: 1024 }, 'numa-replicate.elf', 4);
    const none = await replicate(1, 'none');
    expect(none.sim.console).toMatch(/numa-replicate: PASS \(6 checks\)/);
    const one = await replicate(1, 'replicate');
    expect(one.sim.exitCode, one.sim.console).toBe(0);
    expect(one.sim.console).toMatch(/numa-replicate: PASS \(6 checks\)/);
    const nodes = nodesOf(one);
    // The home (node 0, which holds the table) made the copies and collapsed them for hart 2's
    // writes: nodes 1-3 each copied every page of the table and freed it again.
    expect(nodes[0]!.numa.replicated).toBeGreaterThanOrEqual(3 * 64);
    expect(nodes[0]!.numa.collapsed).toBeGreaterThanOrEqual(64);
    expect(nodes[0]!.numa.migrated).toBe(0);
    for (const n of nodes.slice(1)) {
      expect(n.numa.copied).toBeGreaterThanOrEqual(64);
      expect(n.numa.freed).toBeGreaterThanOrEqual(64);
    }
    for (const n of nodes) for (const v of n.vcpus) expect(v.refaults).toBe(0);
    expect(one.sim.endCycle).toBeLessThan(none.sim.endCycle * 0.9);
    expect((await replicate(2, 'replicate')).sim).toEqual(one.sim);
    // Both kinds of move at once keep every value too.
    expect((await replicate(2, 'disco')).sim.console).toMatch(/numa-replicate: PASS \(6 checks\)/);
  }, 120_000);

  it('a page that moved stays put for numaFreezeCycles: frozen for the whole run, none of the swept pages goes back for hart 0\'s check', async () => {
    const frozen = await run(1, 'migrate', { numaFreezeCycles: 1_000_000_000 });
    expect(frozen.sim.console).toMatch(/numa-migrate: PASS/);
    const [f0, f1] = nodesOf(frozen) as [NodeReport, NodeReport];
    expect(f0.numa.migrated).toBeGreaterThan(32);
    expect(f1.numa.asked).toBe(0); // node 1 never asks to send a page back
    expect(f0.numa.copied).toBe(0); // so node 0 never copies one
    expect(frozen.sim.monitor!.vms[0]!.pagesPerNode[1]).toBe(f0.numa.migrated);
    // Unfrozen, hart 0's check at the end pulls some back.
    const loose = await run(1, 'migrate', { numaFreezeCycles: 0 });
    expect(loose.sim.console).toMatch(/numa-migrate: PASS/);
    const [l0, l1] = nodesOf(loose) as [NodeReport, NodeReport];
    expect(l1.numa.asked).toBeGreaterThan(8);
    expect(l0.numa.copied).toBeGreaterThan(8);
  }, 60_000);

  it('auto-numa: no counters; scans unmap pages, and a page a node touched in two scans in a row moves there; the same at 1 and 2 threads', async () => {
    const one = await run(1, 'auto-numa', { numaScanCycles: 1_000_000 });
    expect(one.sim.console).toMatch(/numa-migrate: PASS \(2 checks\)/);
    const nodes = nodesOf(one);
    for (const n of nodes) expect(n.numa.hotEvents).toBe(0);
    expect(nodes[1]!.numa.scans).toBeGreaterThan(5);
    expect(nodes[1]!.numa.hintFaults).toBeGreaterThan(64);
    // The pages' node (0, hart 0 first touched them) heard of node 1's faults and asked.
    expect(nodes[0]!.numa.asked).toBeGreaterThan(32);
    expect(one.sim.monitor!.vms[0]!.pagesPerNode[1]).toBeGreaterThan(32);
    for (const n of nodes) for (const v of n.vcpus) expect(v.refaults).toBe(0);
    expect((await run(2, 'auto-numa', { numaScanCycles: 1_000_000 })).sim).toEqual(one.sim);
  }, 60_000);

  it('auto-numa leaves a table three nodes read where it is: a page moves only when its last two hinting faults were one node\'s', async () => {
    const r = await run(1, 'auto-numa', { numaScanCycles: 1_000_000 }, 'numa-replicate.elf', 4);
    expect(r.sim.console).toMatch(/numa-replicate: PASS/);
    const nodes = nodesOf(r);
    // Harts 1-3 fault on the table's pages scan after scan, by turns...
    for (const n of nodes.slice(1)) expect(n.numa.hintFaults).toBeGreaterThan(400);
    // ...so the pages' node, which hears of every fault (HINT), seldom sees one node twice.
    expect(r.sim.messages.HINT).toBeGreaterThan(1200);
    expect(nodes[0]!.numa.migrated).toBeLessThan(32);
    expect(r.sim.monitor!.vms[0]!.pagesPerNode[0]).toBeGreaterThan(50);
  }, 60_000);

  it('first-touch and round-robin are placements whose pages stay put', async () => {
    const rr = await run(1, 'round-robin');
    expect(rr.sim.console).toMatch(/numa-migrate: PASS/);
    const pages = rr.sim.monitor!.vms[0]!.pagesPerNode;
    expect(Math.abs(pages[0]! - pages[1]!)).toBeLessThanOrEqual(2);
    expect(rr.sim.monitor!.vms[0]!.placement).toBe('round-robin');
    for (const n of nodesOf(rr)) expect(n.numa.asked).toBe(0);
  }, 60_000);

  it('refuses an unknown policy, and a policy without the monitor or off the FLASH machine', () => {
    const cli = join(ROOT, 'dist', 'src', 'sim', 'cli.js');
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-numa-bad-'));
    writeFileSync(join(d, 'bad.json'), JSON.stringify({ vms: [{ kernel: image('hello.elf'), console: 'a.out', numa: 'teleport' }] }));
    writeFileSync(join(d, 'flat.json'), JSON.stringify({ vms: [{ kernel: image('hello.elf'), console: 'a.out', numa: 'migrate' }] }));
    for (const [args, says] of [
      [['--nodes', '2', '--vms', 'bad.json'], /VM 'vm0': numa is "teleport"; give one of none, first-touch, round-robin, migrate, replicate, disco/],
      [['--vms', 'flat.json'], /VM 'vm0': numa moves pages between the FLASH machine's nodes, and the flat board has one/],
    ] as const) {
      const p = spawnSync(process.execPath, [cli, 'run', ...args], { cwd: d, encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(2);
      expect(p.stderr.trim().split('\n')).toHaveLength(1);
      expect(p.stderr).toMatch(says);
    }
    for (const [args, says] of [
      [['--nodes', '2', '--monitor', '--numa-policy', 'teleport'], /--numa-policy teleport: not a policy; give one of none, first-touch, round-robin, migrate, replicate, disco/],
      [['--nodes', '2', '--monitor', '--numa-policy', 'round-robin', '--placement', 'node:1'], /--numa-policy round-robin places pages round-robin and --placement says node:1; give one of them/],
      [['--nodes', '2', '--boot', 'virt', '--numa-policy', 'migrate'], /--numa-policy moves the pages of a VM; add --monitor/],
      [['--monitor', '--numa-policy', 'migrate'], /the flat board has one node/],
      [['--vms', 'none.json', '--numa-policy', 'migrate'], /the flat board has one node/],
    ] as const) {
      const p = spawnSync(process.execPath, [cli, 'run', '--kernel', image('hello.elf'), ...args], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(2);
      expect(p.stderr.trim().split('\n')).toHaveLength(1);
      expect(p.stderr).toMatch(says);
    }
  });
});
