// The monitor on the FLASH machine (src/monitor/node-monitor.ts): one VM with a vCPU on every
// node, each node's monitor instance in its worker, shadow trees in each node's reserve walked
// through the caches, the pmap owned by node 0 and learnt by message, pages placed by the VM's
// policy, the VM's devices on the I/O node. Guests print what they print natively, and every
// run is identical at 1 and 2 threads.
//
// The runs use the compiled workers (dist/), which `npm test` builds first.

import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyConfig, defaultConfig } from '../src/config/machine.js';
import { writeElf64 } from '../src/sim/elf.js';
import { runFlash, NODE_RESERVE_MIB, type FlashResult, type FlashRunOptions } from '../src/sim/flash-machine.js';
import { FlashConsoleInput } from '../src/sim/flash-input.js';
import type { Placement } from '../src/monitor/placement.js';
import { MOTD, NUMBERS, ROOT, SHELL_INPUT, blkWritten, image, kernelDisk, testDisk } from './virt-helpers.js';

let dir = '';
let rootDisk = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-flash-monitor-'));
  rootDisk = join(dir, 'root.img');
  writeFileSync(rootDisk, kernelDisk());
});

const FIRST_TOUCH: Placement = { policy: 'first-touch' };

function run(nodes: number, threads: number, o: Partial<FlashRunOptions>, placement: Placement | null = FIRST_TOUCH): Promise<FlashResult> {
  return runFlash({
    config: applyConfig(defaultConfig(), { nodes }, 'test'),
    threads,
    maxCycles: 4e9,
    echoConsole: false,
    watchdogMs: 120_000,
    monitor: placement === null ? undefined : { placement },
    ...o,
  });
}

type NodeReport = {
  node: number;
  requests: number;
  served: number;
  allocs: number;
  pagesGiven: number;
  vcpus: Array<{ vm: string; vcpu: number; time: Record<string, number>; traps: Record<string, number>; shadowFills: Record<string, number>; interrupts: number; refaults: number; scheduling: { loads: number; preempted: number } }>;
  shadow: Array<{ vm: string; trees: number; treesMade: number }>;
};

function nodesOf(r: FlashResult): NodeReport[] {
  return r.sim.monitor!.nodes as NodeReport[];
}

/** Guest memory per node under the monitor: the node's memory less its reserve. */
const vmMiB = (nodes: number) => nodes * (16 - NODE_RESERVE_MIB);

describe('one VM on the FLASH machine, a vCPU per node', () => {
  it('runs the SBI firmware, kernel and shell from its disk on 4 nodes as natively, identically at 1 and 2 threads', async () => {
    const virt = { bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: rootDisk, append: 'console=ttyS0 root=/dev/vda' };
    const input = () => FlashConsoleInput.of(SHELL_INPUT.join(''));
    const one = await run(4, 1, { virt, input: input() });
    const text = one.sim.console.replace(/\r/g, '');
    expect(one.sim.stopped, text).toBe('halt');
    expect(one.sim.outcome).toEqual({ by: 'finisher', kind: 'exit', code: 0, message: null });
    expect(text).toContain(`[kernel] ${vmMiB(4)} MiB RAM at 0x80000000, 4 harts, timebase 10000000 Hz, bootargs "console=ttyS0 root=/dev/vda"`);
    for (let h = 1; h < 4; h++) expect(text).toContain(`[kernel] hart ${h} online`);
    expect(text).toContain('[kernel] FDFS: 3 files');
    expect(text).toContain('sieve: 78498 primes below 1000000');
    expect(text).toContain(`cat motd.txt numbers.txt\n${MOTD}${NUMBERS}$ `);
    expect(text).toContain('sh: nonsense: unknown command (try help)');
    expect(text).toMatch(/init: all jobs done, powering off/);
    expect(text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);

    // Every vCPU ran its guest on its own node, directly and through the monitor.
    const nodes = nodesOf(one);
    expect(nodes.map((n) => n.vcpus.map((v) => v.vcpu))).toEqual([[0], [1], [2], [3]]);
    for (const n of nodes) {
      const v = n.vcpus[0]!;
      // Alone on its node: loaded once, never made to give the CPU up.
      expect(v.scheduling).toEqual({ loads: 1, preempted: 0 });
      expect(v.time.waiting).toBe(0);
      expect(v.traps['shadow-fill'], `node ${n.node}`).toBeGreaterThan(0);
      expect(v.traps.privileged, `node ${n.node}`).toBeGreaterThan(0);
      expect(v.interrupts, `node ${n.node}`).toBeGreaterThan(0);
      expect(v.refaults).toBe(0);
      // Asleep in wfi counts as idle, not as the guest kernel's time.
      expect(v.time.idle, `node ${n.node}`).toBeGreaterThan(0);
    }
    // The guest's view of each node's CPU: IPIs reached every vCPU, in virtual M-mode.
    for (const n of one.sim.perNode.slice(1)) expect(n.hart.interrupts['machine-software'], `node ${n.id}`).toBeGreaterThan(0);
    // Nodes 1-3 learnt pmap entries from node 0, the VM's home, by message; every page backed
    // is counted on the node that gave it.
    for (const n of nodes.slice(1)) expect(n.requests, `node ${n.node}`).toBeGreaterThan(0);
    expect(nodes[0]!.served).toBe(nodes.reduce((s, n) => s + n.requests, 0));
    expect(one.sim.messages.PMAP_REQ).toBe(nodes[0]!.served);
    expect(one.sim.messages.PMAP_DONE).toBe(nodes[0]!.served);
    const vm = one.sim.monitor!.vms[0]!;
    expect(vm.memMiB).toBe(vmMiB(4));
    // Backed as used: the kernel, its processes and its buffers, not its free pages (its
    // allocator keeps the free list outside them, so a page is first touched when handed out).
    const backed = vm.pagesPerNode.reduce((a, b) => a + b, 0);
    expect(backed).toBeGreaterThan(300);
    expect(backed).toBeLessThan((vmMiB(4) << 20) / 4096 / 4);
    // The disk's DMA went through the pmap into the VM's pages.
    expect((one.sim.devices.virtio0 as { reads: number }).reads).toBeGreaterThan(10);

    const two = await run(4, 2, { virt, input: input() });
    expect(two.sim).toEqual(one.sim);
  }, 240_000);

  it('virt-smp on 8 nodes: the same run at 1 and 8 threads', async () => {
    const one = await run(8, 1, { virt: { kernel: image('virt-smp.elf') } });
    expect(one.sim.console).toMatch(/virt-smp: PASS/);
    expect(nodesOf(one).filter((n) => n.vcpus.length === 1)).toHaveLength(8);
    expect((await run(8, 8, { virt: { kernel: image('virt-smp.elf') } })).sim).toEqual(one.sim);
  }, 240_000);

  it('virt-smp and the privileged tests print what they print natively', async () => {
    for (const guest of ['virt-smp.elf', 'priv-traps.elf', 'priv-sv39.elf']) {
      const native = await run(4, 1, { virt: { kernel: image(guest) } }, null);
      const vm = await run(4, 1, { virt: { kernel: image(guest) } });
      expect(vm.sim.exitCode, vm.sim.console).toBe(0);
      expect(vm.sim.console, guest).toBe(native.sim.console);
    }
  }, 240_000);

  it('places pages as the policy says: first touch on the toucher\'s node, round-robin over the VM\'s nodes, node:N on N; the same at 2 threads', async () => {
    const virt = { kernel: image('virt-smp.elf') };
    const first = await run(4, 1, { virt });
    const pages = first.sim.monitor!.vms[0]!.pagesPerNode;
    // The boot image is node 0's (the loader touched it there); each hart's first touches land on its own node.
    for (let n = 0; n < 4; n++) expect(pages[n], `node ${n}`).toBeGreaterThan(0);
    expect(pages[0]).toBeGreaterThan(pages[1]!);
    expect((await run(4, 2, { virt })).sim).toEqual(first.sim);

    const rr = await run(4, 1, { virt }, { policy: 'round-robin' });
    const spread = rr.sim.monitor!.vms[0]!.pagesPerNode;
    expect(Math.max(...spread) - Math.min(...spread)).toBeLessThanOrEqual(4);
    // Node 0, the home, asked the other nodes for their pages.
    expect(nodesOf(rr)[0]!.allocs).toBeGreaterThan(0);
    expect(rr.sim.messages.PMAP_ALLOC).toBe(rr.sim.messages.PMAP_GIVEN);
    expect(rr.sim.console).toBe(first.sim.console);

    const on2 = await run(4, 1, { virt }, { policy: 'node', node: 2 });
    const all2 = on2.sim.monitor!.vms[0]!.pagesPerNode;
    expect(all2[0]! + all2[1]! + all2[3]!).toBe(0);
    expect(all2[2]).toBe(pages.reduce((a, b) => a + b, 0));
    expect((await run(4, 2, { virt }, { policy: 'node', node: 2 })).sim).toEqual(on2.sim);
  }, 240_000);

  it('virt-blk: the disk reads and writes by DMA through the pmap', async () => {
    const bytes = testDisk(64);
    const disk = join(dir, 'blk.img');
    writeFileSync(disk, bytes);
    const r = await run(2, 1, { virt: { kernel: image('virt-blk.elf'), disk, diskWrite: true } }, { policy: 'node', node: 1 });
    expect(r.sim.exitCode, r.sim.console).toBe(0);
    expect(r.sim.console).toMatch(/virt-blk: PASS/);
    expect(r.sim.devices.virtio0).toMatchObject({ writes: 1, flushes: 1, ioErrors: 1 });
    const after = readFileSync(disk);
    for (let s = 10; s < 14; s++) expect(after[s * 512 + 7], `sector ${s}`).toBe(blkWritten(s, 7));
    // Every page, the DMA buffers' too, is node 1's, as the policy says.
    expect(r.sim.monitor!.vms[0]!.pagesPerNode[0]).toBe(0);
  }, 120_000);

  it('contains a guest that maps every machine address it can name', async () => {
    const r = await run(4, 2, { virt: { kernel: image('hostile-ptes.elf') } });
    expect(r.sim.exitCode, r.sim.console).toBe(0);
    expect(r.sim.console).toMatch(/PASS/);
  }, 120_000);

  it('more vCPUs than nodes: virt-smp\'s 4 vCPUs take turns on 2 nodes\' CPUs, print what they print natively, the same at 1 and 2 threads', async () => {
    const virt = { kernel: image('virt-smp.elf') };
    const native = await run(4, 1, { virt }, null);
    const one = await run(2, 1, { virt, monitor: { placement: FIRST_TOUCH, vcpus: 4, timeSlice: 5000 } });
    expect(one.sim.exitCode, one.sim.console).toBe(0);
    expect(one.sim.console).toBe(native.sim.console);
    const nodes = nodesOf(one);
    // vCPU k on node k mod 2; each was loaded many times, was made to wait for its node's CPU,
    // and was charged the switches.
    expect(nodes.map((n) => n.vcpus.map((v) => v.vcpu))).toEqual([[0, 2], [1, 3]]);
    for (const v of nodes.flatMap((n) => n.vcpus)) {
      expect(v.scheduling.loads, `vCPU ${v.vcpu}`).toBeGreaterThan(10);
      expect(v.scheduling.preempted, `vCPU ${v.vcpu}`).toBeGreaterThan(0);
      expect(v.time.waiting, `vCPU ${v.vcpu}`).toBeGreaterThan(0);
      expect((v as unknown as { monitorCycles: Record<string, number> }).monitorCycles.switch, `vCPU ${v.vcpu}`).toBeGreaterThan(0);
    }
    // One shadow partition per node for the VM, shared by its two vCPUs there.
    expect(nodes.map((n) => n.shadow.map((t) => t.vm))).toEqual([['vm0'], ['vm0']]);
    expect((await run(2, 2, { virt, monitor: { placement: FIRST_TOUCH, vcpus: 4, timeSlice: 5000 } })).sim).toEqual(one.sim);
  }, 120_000);

  it('refuses a placement on a node the machine lacks, --placement without --monitor, --quantum, and --time-slice without --monitor', () => {
    const cli = join(ROOT, 'dist', 'src', 'sim', 'cli.js');
    for (const [args, says] of [
      [['--monitor', '--placement', 'node:4'], /node:4 names a node this machine does not have/],
      [['--placement', 'round-robin', '--boot', 'virt'], /--placement places the pages of a VM; add --monitor/],
      [['--monitor', '--boot', 'mp'], /--monitor runs a guest of the virt board in a VM; drop --boot mp/],
      [['--harts', '2'], /--harts is for the flat board, or the vCPUs of --monitor/],
      [['--monitor', '--harts', '0'], /--harts 0: give the VM's number of vCPUs, 1 or more/],
      [['--monitor', '--time-slice', '0'], /^flashdisco: --time-slice 0: give the cycles of a vCPU's time slice, a whole number above 0$/m],
      // --quantum is kept for the timing quantum of --timing quantum; the vCPU time slice is --time-slice.
      [['--monitor', '--quantum', '5000'], /^flashdisco: --quantum: on the FLASH machine the time slice of the vCPUs of --monitor and --vms is --time-slice N; --quantum with --nodes is the timing quantum of --timing quantum/],
      [['--quantum', '5000'], /^flashdisco: --quantum with --nodes is the timing quantum of --timing quantum: add --timing quantum/],
      [['--time-slice', '5000'], /--time-slice is the time slice of vCPUs that share a node's CPU; add --monitor or --vms FILE.json/],
    ] as const) {
      const p = spawnSync(process.execPath, [cli, 'run', '--nodes', '4', '--kernel', image('hello.elf'), ...args], { encoding: 'utf8' });
      expect(p.status, p.stderr).toBe(2);
      expect(p.stderr.trim().split('\n')).toHaveLength(1);
      expect(p.stderr).toMatch(says);
    }
  });
});

describe('several VMs on the FLASH machine (--vms with --nodes)', () => {
  const cli = join(ROOT, 'dist', 'src', 'sim', 'cli.js');
  /** The CLI in a child process, waited for without blocking this one (the runs take seconds). */
  const flashdisco = (cwd: string, ...args: string[]): Promise<{ status: number | null; stderr: string }> =>
    new Promise((done, fail) => {
      const p = spawn(process.execPath, [cli, 'run', ...args], { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      p.stderr.setEncoding('utf8').on('data', (c: string) => { stderr += c; });
      p.on('error', fail);
      p.on('close', (status) => done({ status, stderr }));
    });

  it('two firmware + kernel + shell VMs, each with its own disk, input and console, on 4 nodes; also in the quantum timing mode', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-vms-'));
    const vms = ['a', 'b'].map((name) => {
      writeFileSync(join(d, `${name}.img`), kernelDisk());
      writeFileSync(join(d, `${name}.in`), SHELL_INPUT.join(''));
      return { name, bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: `${name}.img`, append: 'console=ttyS0 root=/dev/vda', vcpus: 2, input: `${name}.in`, console: `${name}.out` };
    });
    writeFileSync(join(d, 'vms.json'), JSON.stringify({ vms }));
    const p = await flashdisco(d, '--nodes', '4', '--threads', '1', '--vms', 'vms.json', '--stats', 'stats.json');
    expect(p.status, p.stderr).toBe(0);
    expect(p.stderr).toMatch(/^flashdisco: vm a: exit 0 \(finisher\) after [\d.]+ ms simulated\nflashdisco: vm b: exit 0 \(finisher\) after [\d.]+ ms simulated\n$/);
    for (const n of ['a', 'b']) {
      const text = readFileSync(join(d, `${n}.out`), 'latin1').replace(/\r/g, '');
      // Each VM has 2 harts and half the machine's memory for VMs.
      expect(text).toContain(`[kernel] 28 MiB RAM at 0x80000000, 2 harts, timebase 10000000 Hz, bootargs "console=ttyS0 root=/dev/vda"`);
      expect(text).toContain(`cat motd.txt numbers.txt\n${MOTD}${NUMBERS}$ `);
      expect(text).toContain('sieve: 78498 primes below 1000000');
      expect(text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);
    }
    const sim = JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8')).sim as FlashResult['sim'];
    // vCPUs on nodes 0, 1 (a) and 2, 3 (b); each VM's home is its first vCPU's node.
    expect((sim.monitor!.nodes as NodeReport[]).map((n) => n.vcpus.map((v) => v.vm))).toEqual([['a'], ['a'], ['b'], ['b']]);
    expect((sim.monitor!.nodes as NodeReport[])[2]!.served).toBeGreaterThan(0);
    for (const v of sim.vms!) expect((v.devices.virtio0 as { reads: number }).reads, v.name).toBeGreaterThan(10);

    // The same VMs in the quantum timing mode.
    const q = await flashdisco(d, '--nodes', '4', '--threads', '1', '--vms', 'vms.json', '--timing', 'quantum', '--quantum', '8000', '--stats', 'quantum.json');
    expect(q.status, q.stderr).toBe(0);
    for (const n of ['a', 'b']) expect(readFileSync(join(d, `${n}.out`), 'latin1').replace(/\r/g, '')).toMatch(/sieve: 78498 primes below 1000000[^]*powering off \(clean\)/);
    expect(JSON.parse(readFileSync(join(d, 'quantum.json'), 'utf8')).host.quantum).toMatchObject({ cycles: 8000 });
  }, 240_000);

  it('eight VMs on 16 nodes, hostile ones among them, each as alone: the same at 1 and 2 threads', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-vms8-'));
    const vm = (name: string, elf: string, more: Record<string, unknown> = {}) => ({ name, kernel: image(elf), console: `${name}.out`, mem: 16, ...more });
    const vms = [
      vm('smp', 'virt-smp.elf', { vcpus: 4, placement: 'round-robin' }),
      vm('blk', 'virt-blk.elf', { disk: 'blk.img', diskWrite: true, nodes: [15] }),
      vm('ptes', 'hostile-ptes.elf'),
      // Away from the I/O node: its disk's DMA asks node 14 for the pages.
      vm('virtio', 'hostile-virtio.elf', { disk: 'hv.img', diskWrite: true, nodes: [14] }),
      vm('traps', 'priv-traps.elf'),
      vm('sv39', 'priv-sv39.elf', { placement: 'node:9' }),
      vm('hello', 'hello.elf'),
      vm('plic', 'virt-plic.elf'),
    ];
    writeFileSync(join(d, 'vms.json'), JSON.stringify({ vms }));
    const runs = [];
    for (const threads of ['1', '2']) {
      // The disks as they were: each run writes them back.
      writeFileSync(join(d, 'blk.img'), testDisk(64));
      writeFileSync(join(d, 'hv.img'), testDisk(64));
      const p = await flashdisco(d, '--nodes', '16', '--threads', threads, '--vms', 'vms.json', '--stats', 'stats.json');
      runs.push({ p, sim: JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8')).sim as FlashResult['sim'], out: vms.map((v) => readFileSync(join(d, v.console), 'latin1')) });
    }
    const [one, two] = runs as [typeof runs[0], typeof runs[0]];
    // virt-plic finds no disk and says so with status 1: the first VM that did not exit 0.
    expect(one.p.status, one.p.stderr).toBe(1);
    expect(one.p.stderr.trim().split('\n')).toHaveLength(8);
    expect(one.out[0]).toMatch(/virt-smp: PASS/);
    expect(one.out[1]).toMatch(/virt-blk: PASS/);
    expect(one.out[2]).toMatch(/PASS/);
    expect(one.out[3]).toMatch(/hostile-virtio: PASS/);
    expect(one.out[4]).toMatch(/PASS/);
    expect(one.out[5]).toMatch(/priv-sv39: PASS/);
    expect(one.out[6]).toMatch(/^hello from flashdisco guest/);
    expect(one.out[7]).toMatch(/no block device in virtio slot 0/);
    expect(readFileSync(join(d, 'blk.img'))[10 * 512 + 7]).toBe(blkWritten(10, 7));
    const pages = one.sim.monitor!.vms.map((v) => v.pagesPerNode);
    expect(pages[5]!.filter((n, node) => n > 0 && node !== 9)).toEqual([]);
    expect(pages[0]!.filter((n) => n > 0)).toHaveLength(4);
    expect(two.out).toEqual(one.out);
    expect(two.sim).toEqual(one.sim);
  }, 240_000);

  it('a VM that floods traps and interrupts and then cannot fetch its trap handler is stopped with a report, and the others go on; alone, such a VM ends the run with status 4', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-vms-loop-'));
    writeFileSync(join(d, 'vms.json'), JSON.stringify({ vms: [
      { name: 'flood', kernel: image('hostile-flood.elf'), console: 'flood.out', mem: 8 },
      { name: 'hello', kernel: image('hello.elf'), console: 'hello.out', mem: 8 },
    ] }));
    const p = await flashdisco(d, '--nodes', '2', '--vms', 'vms.json');
    expect(p.status, p.stderr).toBe(4);
    expect(p.stderr).toMatch(/^flashdisco: vm flood: stopped, status 4, after [\d.]+ ms simulated: hart 0 cannot fetch its trap handler: a fetch fault at 0x0 traps to mtvec = 0x0/);
    expect(p.stderr).toMatch(/\nflashdisco: vm hello: exit 0 \(htif\) after [\d.]+ ms simulated\n$/);
    expect(readFileSync(join(d, 'hello.out'), 'latin1')).toMatch(/^hello from flashdisco guest/);
    // Each flood was taken and counted; a device store that raised an interrupt retired first.
    expect(readFileSync(join(d, 'flood.out'), 'latin1')).toMatch(/timer +2000\n +software +2000\n[^]*hostile-flood: PASS \(6 checks\)\n/);
    // jr x0: to address 0, where mtvec (0) points too, so the fetch fault traps to itself.
    const loop = writeElf64({ entry: 0x8000_0000, segments: [{ vaddr: 0x8000_0000, data: new Uint8Array([0x67, 0, 0, 0]) }] });
    writeFileSync(join(d, 'loop.elf'), loop);
    const alone = await flashdisco(d, '--nodes', '2', '--monitor', '--kernel', 'loop.elf');
    expect(alone.status).toBe(4);
    expect(alone.stderr).toMatch(/^flashdisco: hart 0 cannot fetch its trap handler/);
  });

  it('VMs that share nodes take turns on their CPUs; one that ends or is stopped leaves its node to the others; the same at 1 and 2 threads', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-vms-shared-'));
    const vm = (name: string, elf: string, more: Record<string, unknown> = {}) => ({ name, kernel: image(elf), console: `${name}.out`, mem: 6, ...more });
    // 7 vCPUs on 2 nodes: hello, smp's vCPUs 0-3, traps and flood take turns. (hostile-flood's
    // address spaces need 8 MiB.)
    const vms = [vm('hello', 'hello.elf', { nodes: [0] }), vm('smp', 'virt-smp.elf', { vcpus: 4 }), vm('traps', 'priv-traps.elf'), vm('flood', 'hostile-flood.elf', { nodes: [1], mem: 8 })];
    // The time slice from the file at 1 thread, from --time-slice at 2: the same run.
    writeFileSync(join(d, 'vms.json'), JSON.stringify({ timeSlice: 20000, vms }));
    writeFileSync(join(d, 'vms-bare.json'), JSON.stringify({ vms }));
    const runs = [];
    for (const [threads, slice] of [['1', ['--vms', 'vms.json']], ['2', ['--vms', 'vms-bare.json', '--time-slice', '20000']]] as const) {
      const p = await flashdisco(d, '--nodes', '2', '--threads', threads, ...slice, '--stats', 'stats.json');
      runs.push({ p, sim: JSON.parse(readFileSync(join(d, 'stats.json'), 'utf8')).sim as FlashResult['sim'], out: vms.map((v) => readFileSync(join(d, v.console), 'latin1')) });
    }
    const [one, two] = runs as [typeof runs[0], typeof runs[0]];
    expect(one.p.status, one.p.stderr).toBe(4);
    expect(one.out[0]).toMatch(/^hello from flashdisco guest/);
    expect(one.out[1]).toMatch(/virt-smp: PASS/);
    expect(one.out[2]).toMatch(/priv-traps: PASS/);
    expect(one.out[3]).toMatch(/timer +2000\n +software +2000\n[^]*hostile-flood: PASS/);
    expect(one.p.stderr).toMatch(/vm flood: stopped, status 4, after [\d.]+ ms simulated: hart 0 cannot fetch its trap handler/);
    // Unpinned vCPUs go to the least loaded node, the lowest first (hello is pinned on 0, flood on 1).
    const nodes = one.sim.monitor!.nodes as NodeReport[];
    expect(nodes.map((n) => n.vcpus.map((v) => `${v.vm}${v.vcpu}`))).toEqual([['hello0', 'smp0', 'smp2', 'traps0'], ['smp1', 'smp3', 'flood0']]);
    // Each VM has its own part of a node's shadow reserve.
    expect(nodes.map((n) => n.shadow.map((t) => t.vm))).toEqual([['hello', 'smp', 'traps'], ['smp', 'flood']]);
    for (const v of nodes.flatMap((n) => n.vcpus)) expect(v.scheduling.loads, `${v.vm} ${v.vcpu}`).toBeGreaterThan(1);
    expect(two.out).toEqual(one.out);
    expect(two.sim).toEqual(one.sim);
  }, 120_000);

  it('refuses VMs that do not fit the machine, and a file key the flat board has no use for', async () => {
    const d = mkdtempSync(join(tmpdir(), 'fd-flash-vms-bad-'));
    const write = (vms: unknown[]) => writeFileSync(join(d, 'vms.json'), JSON.stringify({ vms }));
    const refused = async (args: string[], says: RegExp) => {
      const p = await flashdisco(d, ...args, '--vms', 'vms.json');
      expect(p.status, p.stderr).toBe(2);
      expect(p.stderr.trim().split('\n')).toHaveLength(1);
      expect(p.stderr).toMatch(says);
    };
    write([{ kernel: image('hello.elf'), console: 'a.out', nodes: [4] }]);
    await refused(['--nodes', '4'], /nodes is \[4\]; give one node from 0 to 3 for each of its 1 vCPUs/);
    write([{ kernel: image('hello.elf'), console: 'a.out', mem: 64 }]);
    await refused(['--nodes', '4'], /the VMs need 64 MiB and the machine has 56 MiB for VMs/);
    write([{ kernel: image('hello.elf'), console: 'a.out', nodes: [0] }]);
    await refused([], /nodes places vCPUs on the FLASH machine's nodes/);
    // Four vCPUs a node, at least 64: 17 nodes take 68, not 72.
    write(Array.from({ length: 9 }, (_, i) => ({ kernel: image('hello.elf'), console: `v${i}.out`, vcpus: 8, mem: 4, name: `v${i}` })));
    await refused(['--nodes', '17'], /the VMs have 72 vCPUs in all; at most 68 run at once/);
    write(Array.from({ length: 65 }, (_, i) => ({ kernel: image('hello.elf'), console: `v${i}.out`, mem: 4, name: `v${i}` })));
    await refused(['--nodes', '2'], /names 65 VMs; at most 64 run at once on 2 nodes/);
    // The vCPU time slice is --time-slice (the file's timeSlice); --quantum is kept for --timing quantum.
    write([{ kernel: image('hello.elf'), console: 'a.out' }]);
    await refused(['--nodes', '2', '--quantum', '5000'], /^flashdisco: --quantum: on the FLASH machine the time slice of the vCPUs of --monitor and --vms is --time-slice N; --quantum with --nodes is the timing quantum of --timing quantum/);
    writeFileSync(join(d, 'vms.json'), JSON.stringify({ quantum: 20000, vms: [{ kernel: image('hello.elf'), console: 'a.out' }] }));
    await refused(['--nodes', '2'], /^flashdisco: --vms 'vms.json': the key 'quantum' is now 'timeSlice' \(the cycles of a vCPU's time slice\); rename it in the file$/m);
  });
});
