// The virt board's devices on the FLASH machine (node 0 is the I/O node, node-actor/io-node.ts):
// our SBI firmware and S-mode kernel boot from a virtio disk on 2 and 4 nodes, run the shell of
// test/virt-kernel.test.ts and power off, with identical results at 1 and 2 threads; IPIs, PLIC
// routing and disk DMA cross nodes as messages; device DMA goes through node 0's caches and the
// coherence protocol; a finisher reset boots the machine again on the same disk; console input
// fed as it comes through a ring shorter than its lines loses nothing.
//
// The 2-thread runs use the compiled worker (dist/), which `npm test` builds first.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { applyConfig, defaultConfig, type MachineConfig } from '../src/config/machine.js';
import { runFlash, type FlashResult, type FlashRunOptions } from '../src/sim/flash-machine.js';
import { FlashConsoleInput, feedConsoleInput } from '../src/sim/flash-input.js';
import { CState } from '../src/directory/cache-controller.js';
import { Msg } from '../src/directory/messages.js';
import { Mesh } from '../src/interconnect/mesh.js';
import { counterLayout, directoryLayout, memoryLayout } from '../src/shared-abi/machine.js';
import { FlashNode, NodeState, lookahead, type Router } from '../src/node-actor/node.js';
import { DmaDriver } from '../src/node-actor/io-node.js';
import type { DmaJob } from '../src/devices/dma.js';
import { MOTD, NUMBERS, SHELL_INPUT, blkWritten, image, kernelDisk, testDisk } from './virt-helpers.js';

let dir = '';
let rootDisk = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-flash-virt-'));
  rootDisk = join(dir, 'root.img');
  writeFileSync(rootDisk, kernelDisk());
});


function config(nodes: number, more: Partial<MachineConfig> = {}): MachineConfig {
  return applyConfig(defaultConfig(), { nodes, ...more } as Record<string, unknown>, 'test');
}

function run(nodes: number, threads: number, o: Partial<FlashRunOptions>): Promise<FlashResult> {
  // The compiled worker even for one thread: vitest's transformed sources run the hart at half speed.
  return runFlash({ config: config(nodes), threads, maxCycles: 2e9, echoConsole: false, watchdogMs: 120_000, ...o });
}

function bootKernel(nodes: number, threads: number, input = SHELL_INPUT.join(''), o: Partial<FlashRunOptions> = {}): Promise<FlashResult> {
  return run(nodes, threads, {
    virt: { bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: rootDisk, append: 'console=ttyS0 root=/dev/vda' },
    input: FlashConsoleInput.of(input),
    ...o,
  });
}

/** The console without the carriage returns the UART line discipline sends. */
function textOf(r: FlashResult): string {
  return r.sim.console.replace(/\r/g, '');
}

/** What every boot of the shell session must print, on any number of nodes. */
function expectShellSession(r: FlashResult, nodes: number): void {
  const s = r.sim;
  const text = textOf(r);
  expect(s.stopped, text).toBe('halt');
  expect(s.outcome).toEqual({ by: 'finisher', kind: 'exit', code: 0, message: null });
  expect(s.exitCode).toBe(0);

  const mib = nodes * 16;
  expect(text).toMatch(new RegExp(`^virt-sbi: SBI v1\\.0 firmware, ${nodes} harts, next stage at 0x80200000 \\(S-mode\\), device tree at 0x[0-9a-f]+$`, 'm'));
  expect(text).toContain(`[kernel] ${mib} MiB RAM at 0x80000000, ${nodes} harts, timebase 10000000 Hz, bootargs "console=ttyS0 root=/dev/vda"`);
  expect(text).toMatch(/\[kernel\] virtio-blk at 0x10001000 \(irq 1\): \d+ sectors/);
  expect(text).toContain('[kernel] FDFS: 3 files');
  for (let h = 1; h < nodes; h++) expect(text).toContain(`[kernel] hart ${h} online`);
  expect(text).toContain(MOTD);
  expect(text).toContain('sieve: 78498 primes below 1000000');
  expect(text).toContain('collatz: longest chain below 200000 starts at 156159 (382 steps)');
  expect(text).toMatch(/\n\$ init: started sieve \(pid 4\) and collatz \(pid 5\) in the background\n[^]*\nls\nvirt-user\nmotd\.txt\nnumbers\.txt\n\$ /);
  expect(text).toContain(`cat motd.txt numbers.txt\n${MOTD}${NUMBERS}$ `);
  expect(text).toContain('echo two  words\ntwo words\n');
  expect(text).toContain('sh: nonsense: unknown command (try help)');
  expect(text).toMatch(/run collatz\ncollatz: longest chain .*\ncollatz: exit status 0\n/);
  expect(text).toMatch(/init: pid 4 exited with status 0\ninit: pid 5 exited with status 0\ninit: all jobs done, powering off/);
  expect(text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);

  // Every hart was woken across the machine: IPIs (CLINT msip on node 0) reach every node.
  for (const n of s.perNode.slice(1)) expect(n.hart.interrupts['machine-software'], `node ${n.id}`).toBeGreaterThan(0);
  // Hart 0 took the UART and the disk through the PLIC; the SBI timer ran through the CLINT.
  expect(s.perNode[0]!.hart.interrupts['supervisor-external']).toBeGreaterThan(0);
  expect(s.perNode.reduce((sum, n) => sum + (n.hart.interrupts['machine-timer'] ?? 0), 0)).toBeGreaterThan(0);
  expect(s.messages.IRQ).toBeGreaterThan(0);
  expect(s.messages.IO_TIMER).toBeGreaterThan(0);
  expect(s.messages.IO_INPUT).toBe(SHELL_INPUT.length);
  // Every access to a device was an uncached message to node 0.
  expect(s.totals.uncachedAccesses).toBe(s.messages.UNC_READ + s.messages.UNC_WRITE);
  const dev = s.devices as Record<string, Record<string, unknown>>;
  expect(dev.uart).toMatchObject({ rxBytes: SHELL_INPUT.join('').length, inputPending: 0 });
  expect(dev.virtio0).toMatchObject({ device: 'block', writes: 0, ioErrors: 0, error: null });
  expect(dev.virtio0!.reads as number).toBeGreaterThan(10);
  const dma = dev.virtio0!.dma as { jobs: number; lines: number; waits: number };
  expect(dma.lines).toBeGreaterThan((dev.virtio0!.bytesRead as number) / 128);
  expect(dma.waits).toBeGreaterThan(0);
}

describe('firmware + S-mode kernel + disk + shell on the FLASH machine', () => {
  it('boots on 2 nodes, runs the shell and powers off, identically at 1 and 2 threads', async () => {
    const one = await bootKernel(2, 1);
    expectShellSession(one, 2);
    const two = await bootKernel(2, 2);
    expect(two.sim.console).toBe(one.sim.console);
    expect(two.sim.memoryHash).toBe(one.sim.memoryHash);
    expect(two.sim).toEqual(one.sim);
  }, 120_000);

  it('boots on 4 nodes, runs the shell and powers off; leaving quiet nodes alone changes nothing', async () => {
    const left = await bootKernel(4, 1);
    expectShellSession(left, 4);
    expect(left.host.nodeWindowsLeft).toBeGreaterThan(0);
    const stepped = await bootKernel(4, 1, undefined, { noQuietSkip: true });
    expect(stepped.sim).toEqual(left.sim);
  }, 120_000);

  it('reboots through SBI SRST and the finisher on the same disk, and goes on with the input', async () => {
    const r = await bootKernel(2, 1, 'echo first boot\nreboot\necho second boot\nexit\n');
    const text = textOf(r);
    expect(r.sim.exitCode, text).toBe(0);
    expect(r.sim.reboots).toBe(1);
    // (the background jobs may print between the prompt and the next command's echo)
    expect(text).toMatch(/\necho first boot\nfirst boot\n\$ [^]*\nreboot\n\[kernel\] restarting\nvirt-sbi: SBI v1\.0 firmware[^]*\necho second boot\nsecond boot\n/);
    expect(text.match(/virt-kernel: booting on hart 0/g)).toHaveLength(2);
  }, 120_000);

  it('ends as idle when the input runs out while the shell waits', async () => {
    const r = await bootKernel(2, 1, 'echo only\n');
    expect(r.sim.stopped).toBe('idle');
    expect(r.sim.outcome).toBeNull();
    expect(textOf(r)).toContain('echo only\nonly\n$ ');
    // It stops at an epoch start, a multiple of the lookahead, whatever the windows and spans.
    expect(r.sim.endCycle % r.sim.lookaheadCycles).toBe(0);
    for (const [threads, windowSlack] of [[1, 2], [1, 3], [2, 4]]) {
      expect((await bootKernel(2, threads, 'echo only\n', { windowSlack })).sim).toEqual(r.sim);
    }
  }, 120_000);

  it('a run cut before its idle end stops at the cut for any windows, and one cut after it ends as idle', async () => {
    const echo = (threads: number, maxCycles: number, more: Partial<FlashRunOptions> = {}) =>
      run(2, threads, { virt: { kernel: image('virt-uart-echo.elf') }, input: FlashConsoleInput.of('only this\n'), maxCycles, ...more });
    const whole = await echo(1, 2e9);
    expect(whole.sim.stopped).toBe('idle');
    const E = whole.sim.endCycle;
    const L = whole.sim.lookaheadCycles;
    // The machine stopped at E on what it found at E - 2L at the latest: cuts after that, and
    // before or at E, used to end as idle past the cut with some windows and not with others.
    for (const d of [-2 * L, -L - 1, -46, 0, 1]) {
      const cut = [];
      for (const [threads, windowSlack, noSpans] of [[1, 1, false], [1, 2, false], [2, 2, false], [2, 3, false], [2, 8, true]] as const) {
        cut.push(await echo(threads, E + d, { windowSlack, noSpans }));
      }
      expect(cut[0].sim.stopped, `cut at E + ${d}`).toBe(d > 0 ? 'idle' : 'max-cycles');
      expect(cut[0].sim.endCycle, `cut at E + ${d}`).toBe(Math.min(E, E + d));
      for (const r of cut.slice(1)) expect(r.sim, `cut at E + ${d}`).toEqual(cut[0].sim);
    }
  }, 120_000);

  it('takes input as it comes through a ring shorter than its lines, every byte of it, the same at 1 and 2 threads', async () => {
    const text = 'hello, this line is longer than the sixteen-byte ring\nand so is this second one, at 41 bytes\nquit\n';
    const echo = async (threads: number) => {
      const input = FlashConsoleInput.live(16);
      const stop = feedConsoleInput(input, Readable.from([Buffer.from(text)]) as unknown as NodeJS.ReadStream);
      try {
        return await run(2, threads, { virt: { kernel: image('virt-uart-echo.elf') }, input });
      } finally {
        stop();
      }
    };
    const one = await echo(1);
    expect(textOf(one)).toContain(`${text.toUpperCase()}virt-uart-echo: ${text.length} bytes, 3 lines`);
    expect(one.sim.devices.uart).toMatchObject({ rxBytes: text.length, inputPending: 0 });
    expect((await echo(2)).sim).toEqual(one.sim);
  }, 120_000);

  it('hands console input over at the same cycles for any window length, so the session is the same', async () => {
    // Input goes to the UART at an epoch start, when the harts slept through the epoch before
    // last or the guest polled the UART: times that do not depend on where windows end.
    const results = [];
    for (const [threads, windowSlack] of [[1, 1], [1, 2], [2, 3], [2, 4]]) results.push(await bootKernel(2, threads, undefined, { windowSlack }));
    expectShellSession(results[0], 2);
    for (const r of results.slice(1)) expect(r.sim).toEqual(results[0].sim);
  }, 240_000);
});

describe('devices of node 0 reached from other nodes', () => {
  it('virt-smp: an IPI ring through the CLINT across 4 nodes, LR/SC, cross-node code, mtime moved by software; identical at 1 and 2 threads', async () => {
    const one = await run(4, 1, { virt: { kernel: image('virt-smp.elf') } });
    expect(one.sim.console).toMatch(/virt-smp: PASS/);
    expect(one.sim.exitCode).toBe(0);
    // Every hart's time CSR followed the store to mtime: the news reached each node by message.
    expect(one.sim.console).toMatch(/mtime set by software\s+ok/);
    expect(one.sim.messages.TIME).toBe(4);
    // 25 turns of the ring each, and the wake-up at the end for harts 1..3
    expect(one.sim.perNode.map((n) => n.hart.interrupts['machine-software'])).toEqual([25, 26, 26, 26]);
    const two = await run(4, 2, { virt: { kernel: image('virt-smp.elf') } });
    expect(two.sim).toEqual(one.sim);
  }, 120_000);

  it('virt-smp: idle time is jumped over alike at any thread count, with messages still in the mailboxes', async () => {
    // Harts that sleep, links so slow that a message spends several windows on the way, one node
    // per worker: workers drift apart, and a queue can hold a message that a worker ahead sent
    // after the reported window while an older one still sits in a mailbox. Jumping because the
    // messages in flight equalled those queued skipped such a message's time here.
    const shape = { lineBytes: 256, l1dKiB: 4, l2KiB: 64, l2Ways: 1, magicCycles: 0, niCycles: 0, hopCycles: 40, linkBytesPerCycle: 0.5, memoryCycles: 0, meshWidth: 1, missResetCycles: 10_000 };
    const runs = [];
    for (const [threads, windowSlack] of [[1, 1], [3, 3], [4, 5], [4, 3]]) {
      runs.push(await runFlash({ config: config(4, shape), threads, windowSlack, maxCycles: 2e9, echoConsole: false, virt: { kernel: image('virt-smp.elf') } }));
    }
    expect(runs[0].sim.console).toMatch(/virt-smp: PASS/);
    expect(runs[0].host.windowsSkipped).toBeGreaterThan(0);
    for (const r of runs.slice(1)) expect(r.sim, `${r.host.threads} threads, K = ${r.host.windowSlack}`).toEqual(runs[0].sim);
  }, 120_000);

  it('virt-smp: an LR reserves the cache line of its word, whatever the line size', async () => {
    for (const lineBytes of [32, 256]) {
      const r = await runFlash({ config: config(4, { lineBytes }), threads: 1, maxCycles: 2e9, echoConsole: false, virt: { kernel: image('virt-smp.elf') } });
      expect(r.sim.console, `${lineBytes}-byte lines`).toMatch(/reservations\s+ok \(4 checks\)/);
      expect(r.sim.console, `${lineBytes}-byte lines`).toMatch(/virt-smp: PASS/);
    }
  }, 120_000);

  it('virt-plic: PLIC priorities and claims from node 0, an external interrupt routed to hart 1 on node 1', async () => {
    const disk = join(dir, 'plic.img');
    writeFileSync(disk, new Uint8Array(4096));
    const r = await run(2, 1, { virt: { kernel: image('virt-plic.elf'), disk } });
    const text = r.sim.console;
    expect(r.sim.exitCode, text).toBe(0);
    for (const section of ['gateway', 'priorities', 'threshold', 'routing to S and to hart 1']) {
      expect(text).toMatch(new RegExp(`^  ${section}\\s+ok`, 'm'));
    }
    expect(r.sim.perNode[1]!.hart.interrupts).toEqual({ 'machine-external': 1 });
  });

  it('an interrupt waits until a device store that was performed retires: hostile-flood\'s software interrupts end when its handler clears msip', async () => {
    // The main code's store raising msip is answered, and the interrupt it raised is pending
    // before the store retires; taken first, its handler's own store to msip would have been
    // answered with the first one's answer, never sent, and msip would stay set.
    const r = await run(1, 1, { virt: { kernel: image('hostile-flood.elf') }, maxCycles: 5e6 });
    expect(r.sim.console).toMatch(/ {2}software {3}2000\n {2}interrupts {15}ok \(2 checks\)/);
    expect(r.sim.console).toContain('hostile-flood: PASS (6 checks)');
  });

  it('virt-blk: every sector read by DMA, a write written back to the file with --disk-write', async () => {
    const bytes = testDisk(64);
    const disk = join(dir, 'blk.img');
    writeFileSync(disk, bytes);
    const r = await run(2, 1, { virt: { kernel: image('virt-blk.elf'), disk, diskWrite: true } });
    const text = r.sim.console;
    expect(r.sim.exitCode, text).toBe(0);
    expect(text).toMatch(/virt-blk: PASS/);
    expect(r.sim.devices.virtio0).toMatchObject({ writes: 1, flushes: 1, ioErrors: 1 });
    const after = readFileSync(disk);
    for (let s = 0; s < 64; s++) {
      for (const i of [0, 511]) {
        expect(after[s * 512 + i], `sector ${s} byte ${i}`).toBe(s >= 10 && s < 14 ? blkWritten(s, i) : bytes[s * 512 + i]);
      }
    }
  });

  it('virt-blk negotiating only the low feature word (no VERSION_1) reads and writes by DMA', async () => {
    const disk = join(dir, 'blk-low.img');
    writeFileSync(disk, testDisk(64));
    const r = await run(2, 1, { virt: { kernel: image('virt-blk.elf'), disk, append: 'lowword' } });
    const text = r.sim.console;
    expect(r.sim.exitCode, text).toBe(0);
    expect(text).toContain('low feature word only');
    expect(text).toMatch(/virt-blk: PASS/);
    expect(r.sim.devices.virtio0).toMatchObject({ features: '0x244', writes: 1, flushes: 1, ioErrors: 1, error: null });
  });

  it('idle time passes in one step: windows where nothing can happen are jumped over, with the results of stepping them', async () => {
    // virt-timer sleeps in wfi between timer interrupts (its own one-tick checks fail on FLASH,
    // where an MMIO read takes longer than a tick: docs/architecture.md; it is the sleeping that
    // matters here). Jumps must agree between workers too.
    const stepped = await run(4, 1, { virt: { kernel: image('virt-timer.elf') }, noIdleSkip: true, noQuietSkip: true });
    const jumped = await run(4, 1, { virt: { kernel: image('virt-timer.elf') } });
    const jumped2 = await run(4, 2, { virt: { kernel: image('virt-timer.elf') } });
    // Harts asleep in wfi with a timer are left alone until it is due (quiet nodes), jumps or not.
    const left = await run(4, 1, { virt: { kernel: image('virt-timer.elf') }, noIdleSkip: true });
    expect(left.host.nodeWindowsLeft).toBeGreaterThan(0);
    expect(left.sim).toEqual(stepped.sim);
    expect(stepped.host.windowsSkipped).toBe(0);
    expect(jumped.host.windowsSkipped).toBeGreaterThan(0.9 * jumped.host.windows);
    expect(jumped.sim).toEqual(stepped.sim);
    expect(jumped2.sim).toEqual(stepped.sim);
  }, 120_000);

  it('quiet nodes: leaving alone the harts that wait or spin gives the results of stepping them', async () => {
    const stepped = await run(4, 1, { virt: { kernel: image('virt-smp.elf') }, noQuietSkip: true });
    const left = await run(4, 1, { virt: { kernel: image('virt-smp.elf') } });
    expect(stepped.host.nodeWindowsLeft).toBe(0);
    expect(left.host.nodeWindowsLeft).toBeGreaterThan(0);
    expect(left.sim).toEqual(stepped.sim);
  }, 120_000);

  it('refuses a virt boot whose clock is not a whole multiple of the timebase', async () => {
    await expect(runFlash({ config: config(2, { cpuMHz: 333.3 }), threads: 1, inProcess: true, maxCycles: 1e6, echoConsole: false, virt: { kernel: image('virt-smp.elf') } }))
      .rejects.toThrow(/whole multiple of timebaseHz/);
  });
});

/** Cache line states by number (cache-controller.ts CState). */
const ST = ['I', 'S', 'E', 'M', 'IS', 'IM', 'SM', 'IS_I'];

describe('device DMA through node 0 and the coherence protocol', () => {
  // Two bare nodes (harts halted) stepped by hand: node 1 dirties a line of node 1's memory,
  // then node 0's DMA engine reads it and writes another; the protocol must move the lines.
  function twoNodes() {
    const cfg = config(2, { memPerNodeMiB: 1 });
    const slice = cfg.memPerNodeMiB << 20;
    const mem = memoryLayout(2, slice).views(memoryLayout(2, slice).allocate()).bytes;
    const ram = { base: 0x8000_0000, size: mem.length, u8: mem, dv: new DataView(mem.buffer) };
    const dir = directoryLayout(2, slice / cfg.lineBytes, cfg.dirPointers).views(directoryLayout(2, slice / cfg.lineBytes, cfg.dirPointers).allocate());
    const ctr = counterLayout(2, slice >>> 12).views(counterLayout(2, slice >>> 12).allocate());
    const mesh = new Mesh(cfg);
    const nodes: FlashNode[] = [];
    const router: Router = { deliver: (time, type, src, dst, addr, req, a, b, c, seq) => nodes[dst]!.enqueue(time, type, src, dst, addr, req, a, b, c, seq) };
    for (let id = 0; id < 2; id++) {
      const n = new FlashNode(id, cfg, ram, { ...dir, ...ctr }, [], mesh, router, 0x8000_0000);
      n.state = NodeState.Halted;
      nodes.push(n);
    }
    const W = Math.floor(lookahead(cfg, mesh) / 2);
    let t = 0;
    const step = (until: () => boolean) => {
      for (let i = 0; i < 10_000 && !until(); i++) {
        t += W;
        for (const n of nodes) n.advance(t);
      }
      expect(until()).toBe(true);
    };
    return { cfg, nodes, ram, step, lineOff: (line: number) => line * cfg.lineBytes };
  }

  it('a DMA read takes a shared copy from the dirty owner; a DMA write invalidates the other copies first', async () => {
    const { cfg, nodes, step, lineOff } = twoNodes();
    const [n0, n1] = nodes as [FlashNode, FlashNode];
    const linesPerNode = (cfg.memPerNodeMiB << 20) / cfg.lineBytes;
    const a = linesPerNode + 5; // homed on node 1
    const b = linesPerNode + 9;
    // Node 1 holds a modified and b clean.
    n1.cache.access(a, 2 /* Access.Store */);
    n1.cache.access(b, 1 /* Access.Load */);
    step(() => n1.cache.stateOf(a) === CState.M && n1.cache.stateOf(b) !== CState.IS);
    const seen: string[] = [];
    const dma = new DmaDriver(n0, cfg.lineBytes);
    n0.attachIo({ event: () => dma.run(), lineSettled: (l, time) => dma.lineSettled(l, time), afterHandler: () => dma.afterHandler() });
    const job = function* (): DmaJob {
      yield { off: lineOff(a), len: 64, write: false };
      seen.push(`read a: node 0 ${ST[n0.cache.stateOf(a)]}, node 1 ${ST[n1.cache.stateOf(a)]}`);
      yield { off: lineOff(b) + 64, len: 64, write: true };
      seen.push(`write b: node 0 ${ST[n0.cache.stateOf(b)]}, node 1 ${ST[n1.cache.stateOf(b)]}`);
    };
    dma.start(job());
    expect(dma.busy).toBe(true); // nothing was there yet: the engine waits for the protocol
    step(() => !dma.busy);
    expect(seen).toEqual(['read a: node 0 S, node 1 S', 'write b: node 0 M, node 1 I']);
    expect(n0.stats.msgsSent[Msg.GETS]).toBe(1);
    expect(n0.stats.msgsSent[Msg.GETX] + n0.stats.msgsSent[Msg.UPGRADE]).toBe(1);
    expect(dma.stats).toMatchObject({ jobs: 1, lines: 2 });
  });
});
