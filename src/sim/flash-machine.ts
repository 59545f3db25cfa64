// The coordinator of a FLASH machine run, on the main thread: it allocates the shared regions,
// loads the guest image into machine memory, starts one long-lived task per worker on a piscina
// pool, and gathers the workers' results into the machine's statistics.
//
// Two ways to boot:
//   mp    one bare-metal ELF (`image`) on every node from its entry, with a0 = the node (hart)
//         id, a2 = bytes of home memory per node, a3 = nodes, as guest/lib/mp expects; node 0
//         serves HTIF only. The FLASH workloads (radix, stencil, flash-*, the benchmark).
//   virt  as the QEMU virt board boots (`virt`: --bios, --kernel, --initrd, --append, --disk):
//         the images placed by boot.ts, a device tree for one hart per node and the machine's
//         memory, every hart at the firmware's (or kernel's) entry with a0 = hart id, a1 = the
//         device tree, a2 = fw_dynamic_info; node 0 holds the virt board's devices
//         (node-actor/io-node.ts), the UART's input comes from `input`.

import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { availableParallelism } from 'node:os';
import { Piscina } from 'piscina';
import { unpack } from 'msgpackr';
import type { MachineConfig } from '../config/machine.js';
import { spinPolicy, windowStart } from '../node-actor/window-clock.js';
import { controlLayout, counterLayout, directoryLayout, mailboxLayout, memoryLayout, quantumArena, quantumLayout } from '../shared-abi/machine.js';
import { runQuantumWorker, type QuantumResult } from '../node-actor/quantum-loop.js';
import { Mesh } from '../interconnect/mesh.js';
import { MSG_NAMES } from '../directory/messages.js';
import { lookahead } from '../node-actor/node.js';
import { mergeCostLogs, type CostProfile } from '../node-actor/cost-log.js';
import { runWorker, windowCycles, nodesOf, defaultWindowSlack, RAM_BASE, MAX_WINDOW_SLACK, type WorkerResult, type WorkerTask, type NodeResult, type TraceBlock } from '../node-actor/worker-loop.js';
import type { ElfImage } from './elf.js';
import { loadElf, physAddr } from './loader.js';
import { UserError, hex } from './errors.js';
import { placeVirtBoot, type BootFiles, type BootRam } from './boot.js';
import { BOARD_ISA, DEFAULT_QUANTUM, openDisk, closeDisk } from './virt-board.js';
import type { HtifWords, IoOutcome, IoResult, IoTask, IoVmTask } from '../node-actor/io-node.js';
import { MAX_REBOOTS } from './run-flat.js';
import { FlashConsoleInput } from './flash-input.js';
import { ioDeviceRanges } from '../node-actor/io-node.js';
import { pmapLayout } from '../shared-abi/machine.js';
import { monitorExtension } from '../monitor/flash-worker.js';
import { numaPlacement, type FlashVmSpec, type MonitorTask, type NodeMonitor, type NumaPolicy } from '../monitor/node-monitor.js';
import { placementName, type Placement } from '../monitor/placement.js';
import { PAGE } from '../monitor/machine-memory.js';

/** A virt-style boot: the options of the virt board's `run`. */
export type FlashVirtBoot = BootFiles;

export interface FlashRunOptions {
  config: MachineConfig;
  /** mp boot: this image on every node. */
  image?: ElfImage;
  /** virt boot (instead of `image`). */
  virt?: FlashVirtBoot;
  /** virt boot: console input for the UART. */
  input?: FlashConsoleInput;
  /** virt boot: receives the device tree once the images are placed, before the run. */
  onDeviceTree?: (dtb: Uint8Array) => void;
  threads: number;
  maxCycles: number;
  /** Print console bytes as they appear. */
  echoConsole: boolean;
  /** Run the single worker on this thread instead of a pool (tests, profiling). */
  inProcess?: boolean;
  watchdogMs?: number;
  traceBlock?: number;
  /** 64-bit values written over the image's symbols before the run (workload parameters). */
  patch?: Record<string, number>;
  /** Execute every iteration of spin loops instead of counting exact repeats (default false). */
  noSpinSkip?: boolean;
  /** Microseconds a waiting worker spins before it sleeps, fixed (default: adaptive, window-clock.ts). */
  spinUs?: number;
  /**
   * Windows per lookahead, K (default: defaultWindowSlack, 1 for one thread and 2 for more):
   * shorter windows let workers drift further apart, at more synchronizations. The simulated
   * results are the same for every K.
   */
  windowSlack?: number;
  /**
   * How time is kept: `exact` (the default, the reference) delivers every message at its cycle;
   * `quantum` runs nodes a quantum at a time against frozen memory and settles what crosses
   * nodes at its end (docs/quantum.md).
   */
  timing?: Timing;
  /** The quantum of the quantum mode, in cycles (default DEFAULT_TIMING_QUANTUM). */
  quantumCycles?: number;
  /**
   * The quantum mode's store buffer (lines per node) and miss log (entries per node and quantum):
   * a node, or a DMA engine, that fills either waits for the next quantum. Defaults 256 and 512.
   */
  quantumBuffer?: { slots: number; logCap: number };
  /** Step every window, even those in which nothing can happen (default false). */
  noIdleSkip?: boolean;
  /** Step every node in every window, even one that would only repeat itself (default false). */
  noQuietSkip?: boolean;
  /** Step one window at a time, even where the other workers allow a span of several (default false). */
  noSpans?: boolean;
  /** Keep every node's host time in every window: `costs` in the result (the benchmark's --balance). */
  costLog?: boolean;
  /** Called about once a second with the slowest node's simulated cycle. */
  progress?: (cycle: number, windows: number) => void;
  /** In-process runs only: a checker called after every window with all nodes. */
  onWindow?: WorkerTask['onWindow'];
  /** Workers to run on, kept by the caller between runs (their size must equal `threads`). */
  workers?: FlashWorkers;
  /**
   * virt boot: run the guest in a VM of the monitor (src/monitor/node-monitor.ts), a vCPU on
   * every node, its pages placed by `placement`.
   */
  monitor?: FlashMonitorOptions;
  /** Several VMs in the monitor instead of `image` or `virt` (runFlashVms). */
  vms?: FlashVmOptions[];
}

export interface FlashMonitorOptions {
  placement: Placement;
  /** vCPUs of the VM (default: one per node); vCPU k runs on node k mod nodes. */
  vcpus?: number;
  /** Cycles a vCPU keeps its node's CPU while another there could run (default DEFAULT_QUANTUM). */
  timeSlice?: number;
  /** What the monitor does with hot pages (docs/numa.md; default none). */
  numa?: NumaPolicy;
}

/** One VM of several on the FLASH machine (`--vms` with `--nodes`). */
export interface FlashVmOptions {
  name: string;
  /** Its images, disk and command line, as a virt boot takes them. */
  boot: BootFiles;
  memMiB: number;
  /** vCPU k runs on node cpus[k]; vCPUs on one node share its CPU, time-sliced. */
  cpus: number[];
  placement: Placement;
  /** What the monitor does with its hot pages (default none). */
  numa?: NumaPolicy;
  /** Console input, all of it (a file): handed over a line at a time as the guest waits. */
  input: Uint8Array | null;
  /** Print its console as it appears (the VM whose console is stdio). */
  echo: boolean;
}

/** How one VM of several ended, and what it printed. */
export interface FlashVmResult {
  name: string;
  outcome: IoOutcome | null;
  /** The cycle its finisher or HTIF ended it (NaN: the machine stopped first). */
  endCycle: number;
  console: string;
  devices: Record<string, unknown>;
}

/** Of each node's home memory, what its monitor instance keeps for its shadow tables. */
export const NODE_RESERVE_MIB = 2;

/**
 * A pool of machine workers that outlives one run. A later run on it finds its code already
 * compiled and optimized by V8, as every run of a long-lived simulator would; a fresh pool spends
 * its first second compiling, each worker on its own (the benchmark's repeats measure both).
 */
export class FlashWorkers {
  private readonly pool: Piscina;
  /** `vms`: workers whose nodes have monitor instances (runs with `monitor`). */
  constructor(readonly threads: number, readonly vms = false) {
    const entry = vms ? 'monitor/flash-worker' : 'node-actor/worker';
    this.pool = new Piscina({ filename: workerFile(entry), minThreads: threads, maxThreads: threads, idleTimeout: 1000 });
  }

  run(task: WorkerTask): Promise<Uint8Array> {
    return this.pool.run(task);
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }
}

export interface FlashResult {
  /** Everything simulated: identical for any thread count. */
  sim: {
    nodes: number;
    mesh: string;
    lookaheadCycles: number;
    endCycle: number;
    simulatedSeconds: number;
    halted: boolean;
    exitCode: number;
    /** Why the run ended: a device halted it, no hart could ever run again, or maxCycles. */
    stopped: 'halt' | 'idle' | 'max-cycles';
    /** Which device halted the machine, and how (after MAX_REBOOTS reboots, still 'reset'). */
    outcome: IoOutcome | null;
    /** virt boot: finisher resets that booted the machine again; the rest of `sim` is the last boot's, but the console has all. */
    reboots: number;
    console: string;
    memoryHash: string;
    instructions: number;
    perNode: NodeResult[];
    totals: Record<string, number>;
    messages: Record<string, number>;
    /** The I/O node's devices (virt boot: UART, finisher, the disk and its DMA; HTIF). */
    devices: Record<string, unknown>;
    /** With `monitor`: the VMs (pages on each node) and every node's monitor instance. */
    monitor?: FlashMonitorReport;
    /** With `vms`: each VM's outcome, console and devices. */
    vms?: FlashVmResult[];
  };
  /** The shared regions as the run left them (MAGIC's miss counters), for tests and tools. */
  counters: { miss: Uint16Array; hotEvents: Uint32Array; hotLog: Uint32Array; pagesPerNode: number };
  /** With `costLog`: the host time of every node in every window (a host measurement). */
  costs: CostProfile | null;
  /** Host measurements: differ from run to run. */
  host: {
    threads: number;
    wallSeconds: number;
    mips: number;
    /** Instructions of spin loops counted without being executed (Hart.backEdge). */
    spinSkipped: number;
    /** Windows per lookahead (K), the windows' length in cycles, and how many windows the run took. */
    windowSlack: number;
    windowCycles: number;
    windows: number;
    /** Windows in which nothing could happen, jumped over (window-clock.ts). */
    windowsSkipped: number;
    /** Node-windows in which a node that would only repeat itself was left alone (worker-loop.ts). */
    nodeWindowsLeft: number;
    /**
     * Per worker: its passes over its nodes (spans of one or more windows, window-clock.ts), host
     * time stepping nodes and waiting, and sleeps in Atomics.wait while waiting.
     */
    workers: { worker: number; nodes: number; spans: number; busySeconds: number; waitSeconds: number; sleeps: number; sleepTimeouts: number }[];
    trace: TraceBlock[][];
    /**
     * The quantum mode: its quantum, the quanta stepped and jumped over, node-quanta that ended
     * blocked on the weave, the weave's host time (serial, on worker 0) and its counts.
     */
    quantum: { cycles: number; quanta: number; quantaSkipped: number; blockedNodeQuanta: number; weaveSeconds: number; weave: QuantumResult['weave'] } | null;
  };
}

const MAILBOX_SLOTS_MAX = 16384;

export type Timing = 'exact' | 'quantum';
export const TIMINGS: readonly Timing[] = ['exact', 'quantum'];
/** The quantum mode's default quantum in cycles (docs/quantum.md, "Accuracy"). */
export const DEFAULT_TIMING_QUANTUM = 4000;
/** Store-buffer lines per node, miss-log entries per node and quantum (quantum-port.ts). */
const QUANTUM_SLOTS = 256;
const QUANTUM_LOG = 512;

/** The quantum mode's sizes for this run, or null in the exact mode; refuses what it cannot run. */
function quantumPlan(o: FlashRunOptions): { cycles: number; slots: number; logCap: number; directiveCap: number } | null {
  const timing = o.timing ?? 'exact';
  if (!TIMINGS.includes(timing)) throw new UserError(`--timing ${timing}: give one of ${TIMINGS.join(', ')}`);
  if (timing === 'exact') {
    if (o.quantumCycles !== undefined) throw new UserError('--quantum is the quantum of --timing quantum: add --timing quantum, or drop --quantum');
    return null;
  }
  const cycles = o.quantumCycles ?? DEFAULT_TIMING_QUANTUM;
  if (!(Number.isSafeInteger(cycles) && cycles >= 16)) throw new UserError(`--quantum ${cycles}: give the quantum in cycles, a whole number of 16 or more`);
  if (o.config.lineBytes < 32) throw new UserError(`--timing quantum: lineBytes ${o.config.lineBytes} is below 32, the smallest line its store buffers take; use --timing exact`);
  const { slots, logCap } = o.quantumBuffer ?? { slots: QUANTUM_SLOTS, logCap: QUANTUM_LOG };
  return { cycles, slots, logCap, directiveCap: Math.max(1 << 16, o.config.nodes * 256) };
}

/** The worker entry: the node actors', or with VMs the monitor's (src/monitor/flash-worker.ts). */
function workerFile(entry: string): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), `../${entry}.js`);
  // Running from TypeScript sources (vitest): the pool needs the compiled worker.
  const built = resolve(dirname(here), `../../dist/src/${entry}.js`);
  if (!existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\` first`);
  return built;
}

function slack(o: FlashRunOptions): number {
  return o.windowSlack ?? defaultWindowSlack(o.threads);
}

export function checkWindowSlack(k: number): void {
  if (!Number.isInteger(k) || k < 1 || k > MAX_WINDOW_SLACK) {
    throw new UserError(`--window-slack ${k}: give a whole number of windows per lookahead from 1 to ${MAX_WINDOW_SLACK}`);
  }
}

export function checkThreads(threads: number, nodes: number): void {
  if (!Number.isInteger(threads) || threads < 1) throw new UserError(`--threads must be a positive integer (got ${threads})`);
  if (threads > nodes) throw new UserError(`--threads ${threads} exceeds --nodes ${nodes}: a worker needs at least one node; use --threads ${nodes} or fewer`);
}

export function defaultThreads(nodes: number): number {
  return Math.max(1, Math.min(availableParallelism(), nodes));
}

export async function runFlash(o: FlashRunOptions): Promise<FlashResult> {
  const cfg = o.config;
  checkThreads(o.threads, cfg.nodes);
  if (o.windowSlack !== undefined) checkWindowSlack(o.windowSlack);
  const qp = quantumPlan(o);
  if (o.virt === undefined) {
    const m = machineMemory(cfg, qp);
    return (await runMachine(o, bootMp(o, m.ram, cfg.memPerNodeMiB << 20), m.memory, m.memBytes)).result;
  }
  const v = o.virt;
  if (v.diskWrite && v.disk === undefined) throw new UserError('--disk-write needs --disk FILE');
  const disk = v.disk !== undefined ? openDisk(v.disk, v.diskWrite === true) : null;
  try {
    // A finisher reset boots a fresh machine (memory, caches, devices) on the disk as the guest
    // left it, going on with the console input, as the virt board's runner does.
    let diskBytes = disk?.bytes ?? null;
    let inputFrom = 0;
    let consoleBefore = '';
    for (let reboots = 0; ; reboots++) {
      const m = machineMemory(cfg, qp);
      const mon = o.monitor;
      const cpus = Array.from({ length: mon?.vcpus ?? cfg.nodes }, (_, k) => k % cfg.nodes);
      const vms = mon === undefined ? null : new VmPlan(cfg, [{ name: 'vm0', memMiB: NaN, cpus, placement: mon.placement, numa: mon.numa }], m.ram);
      const boot = bootVirt(o, vms?.guestRam(0) ?? m.ram, disk === null ? null : { bytes: diskBytes!, fd: disk.fd }, inputFrom, reboots === 0, cpus);
      if (vms !== null) boot.monitor = vms.task([{ entry: boot.entry, bootRegs: boot.bootRegs, devices: ioDeviceRanges(boot.io) }], mon!.timeSlice);
      const { result, io } = await runMachine(o, boot, m.memory, m.memBytes);
      result.sim.console = consoleBefore + result.sim.console;
      result.sim.reboots = reboots;
      if (result.sim.outcome?.kind !== 'reset' || reboots === MAX_REBOOTS) return result;
      consoleBefore = result.sim.console;
      diskBytes = io!.disk ?? diskBytes;
      inputFrom = io!.inputPos;
    }
  } finally {
    if (disk !== null) closeDisk(disk);
  }
}

function machineMemory(cfg: MachineConfig, qp: { slots: number } | null = null) {
  const slice = cfg.memPerNodeMiB << 20;
  const layout = memoryLayout(cfg.nodes, slice, qp === null ? 0 : quantumArena(cfg.nodes, qp.slots, cfg.lineBytes));
  const memory = layout.allocate();
  const memBytes = layout.views(memory).bytes;
  const ram = { base: RAM_BASE, size: memBytes.length, u8: memBytes, dv: new DataView(memory) };
  return { memory, memBytes, ram };
}

interface Boot {
  entry: number;
  bootRegs: [number, number][];
  io: IoTask;
  monitor?: MonitorTask;
}

/**
 * The VMs of a FLASH run under the monitor, before it starts: each VM's guest RAM (its `memMiB`,
 * or with NaN every node's memory less its monitor's reserve), its entries in the pmap region,
 * its home (the node of its vCPU 0), and the pages of its boot images, backed here by its
 * placement with the home as the toucher, from the bottom of each node's slice (the workers'
 * monitor instances go on from there).
 */
class VmPlan {
  readonly vmPagesPerNode: number;
  private readonly pmapEntries: number;
  private readonly pmap: SharedArrayBuffer;
  private readonly view: Int32Array;
  private readonly used: number[];
  /** Boot pages of each VM on each node. */
  private readonly bootPages: number[][];
  private readonly specs: Omit<FlashVmSpec, 'entry' | 'bootRegs' | 'devices'>[];
  private readonly slicePages: number;

  constructor(private readonly cfg: MachineConfig, vms: readonly Pick<FlashVmOptions, 'name' | 'memMiB' | 'cpus' | 'placement' | 'numa'>[], private readonly ram: { u8: Uint8Array }) {
    this.slicePages = (cfg.memPerNodeMiB << 20) / PAGE;
    const reservePages = (NODE_RESERVE_MIB << 20) / PAGE;
    if (this.slicePages <= reservePages) {
      throw new UserError(`the monitor keeps ${NODE_RESERVE_MIB} MiB of each node's memory for its shadow tables: give more memory per node (memPerNodeMiB in a --config file; now ${cfg.memPerNodeMiB} MiB)`);
    }
    this.vmPagesPerNode = this.slicePages - reservePages;
    const machinePages = cfg.nodes * this.vmPagesPerNode;
    let at = 0;
    this.specs = vms.map((v, id) => {
      const p = v.placement;
      if (p.policy === 'node' && p.node >= cfg.nodes) {
        throw new UserError(`VM '${v.name}': placement node:${p.node} names a node this machine does not have (it has nodes 0 to ${cfg.nodes - 1})`);
      }
      for (const n of v.cpus) {
        if (!Number.isInteger(n) || n < 0 || n >= cfg.nodes) throw new UserError(`VM '${v.name}': node ${n} for a vCPU is not one of the machine's nodes 0 to ${cfg.nodes - 1}`);
      }
      const pages = Number.isNaN(v.memMiB) ? machinePages : (v.memMiB << 20) / PAGE;
      const spec = { id, name: v.name, base: RAM_BASE, bytes: pages * PAGE, pmapAt: at, home: v.cpus[0]!, cpus: v.cpus, placement: numaPlacement(v.numa ?? 'none') ?? v.placement, numa: v.numa ?? 'none' };
      at += pages;
      return spec;
    });
    if (at > machinePages) {
      const mib = (x: number) => (x * PAGE) >> 20;
      throw new UserError(`the VMs need ${mib(at)} MiB and the machine has ${mib(machinePages)} MiB for VMs (${cfg.nodes} nodes x ${cfg.memPerNodeMiB} MiB, less ${NODE_RESERVE_MIB} MiB each for the monitor); give the VMs less memory (mem) or the nodes more (memPerNodeMiB in --config)`);
    }
    this.pmapEntries = at;
    this.pmap = pmapLayout(at).allocate();
    this.view = pmapLayout(at).views(this.pmap).pmap;
    this.view.fill(-1);
    this.used = new Array<number>(cfg.nodes).fill(0);
    this.bootPages = vms.map(() => new Array<number>(cfg.nodes).fill(0));
  }

  /** VM `id`'s guest RAM as the boot loader fills it: a page is backed when first written. */
  guestRam(id: number): BootRam & { pageOffset(page: number): number } {
    const vm = this.specs[id]!;
    const back = (gpp: number): number => {
      const i = vm.pmapAt + gpp;
      if (this.view[i]! < 0) this.view[i] = this.bootPage(vm, gpp);
      return this.view[i]! * PAGE;
    };
    return { base: vm.base, size: vm.bytes, u8: this.ram.u8, pageOffset: back };
  }

  private bootPage(vm: Omit<FlashVmSpec, 'entry' | 'bootRegs' | 'devices'>, gpp: number): number {
    const p = vm.placement;
    let n = p.policy === 'node' ? p.node : p.policy === 'round-robin' ? vm.cpus[gpp % vm.cpus.length]! : vm.home;
    while (this.used[n] === this.vmPagesPerNode) n = (n + 1) % this.cfg.nodes;
    this.bootPages[vm.id]![n]++;
    return n * this.slicePages + this.used[n]!++;
  }

  /** The workers' task, once every VM is booted: its entry, registers and devices, in VM order. */
  task(booted: Pick<FlashVmSpec, 'entry' | 'bootRegs' | 'devices'>[], timeSlice = DEFAULT_QUANTUM): MonitorTask {
    if (!(Number.isSafeInteger(timeSlice) && timeSlice > 0)) throw new UserError(`--time-slice ${timeSlice}: give the cycles of a vCPU's time slice, a whole number above 0`);
    const vms = this.specs.map((v, i) => ({ ...v, ...booted[i]! }));
    return { vms, pmap: this.pmap, bootPmap: this.view.slice(), pmapEntries: this.pmapEntries, vmPagesPerNode: this.vmPagesPerNode, bootUsed: this.used, bootPages: this.bootPages, timeSlice };
  }
}

export interface FlashMonitorReport {
  vms: { name: string; placement: string; memMiB: number; pagesPerNode: number[] }[];
  /** Every node's monitor instance (node-monitor.ts, report()). */
  nodes: unknown[];
}

function monitorReport(task: MonitorTask, results: WorkerResult[]): FlashMonitorReport {
  const nodes = results.flatMap((r) => (r.monitor ?? []) as ReturnType<NodeMonitor['report']>[]).sort((a, b) => a.node - b.node);
  return {
    vms: task.vms.map((vm) => ({
      name: vm.name,
      placement: placementName(vm.placement),
      memMiB: vm.bytes / (1 << 20),
      pagesPerNode: nodes.map((n) => n.pagesOfVm[vm.id]!),
    })),
    nodes,
  };
}

/** mp boot: the image on every node, a2 = home memory per node, a3 = nodes. */
function bootMp(o: FlashRunOptions, ram: { base: number; size: number; u8: Uint8Array; dv: DataView }, slice: number): Boot {
  if (o.image === undefined) throw new Error('runFlash: give an image (mp boot) or virt options');
  const loaded = loadElf(o.image, ram);
  for (const [name, value] of Object.entries(o.patch ?? {})) {
    const addr = o.image.symbols.get(name);
    if (addr === undefined) throw new UserError(`'${o.image.name}' has no symbol '${name}' to set; the workload's parameters are its globals in section .params`);
    const at = physAddr(o.image, addr) - RAM_BASE;
    ram.dv.setBigUint64(at, BigInt(value), true);
  }
  const tohost = o.image.symbols.get('tohost');
  return {
    entry: loaded.entry,
    // a2 lets a program keep each hart's stack and private data in its own node's memory; a3
    // tells it how many harts take part.
    bootRegs: [[12, slice], [13, o.config.nodes]],
    io: { devices: 'mp', htif: tohost === undefined ? [] : [{ tohost, fromhost: o.image.symbols.get('fromhost') }], disk: null, input: null },
  };
}

/** virt boot: images, device tree and disk as the virt board has them (see the header). */
function bootVirt(o: FlashRunOptions, ram: BootRam, disk: IoTask['disk'], inputFrom: number, first: boolean, nodeOfHart: number[]): Boot {
  const cfg = o.config;
  const moreRam = `give more memory per node (memPerNodeMiB in a --config file; now ${cfg.memPerNodeMiB} MiB x ${cfg.nodes} nodes)`;
  const b = placeBoot(cfg, o.virt!, nodeOfHart.length, ram, moreRam);
  if (first) o.onDeviceTree?.(b.dtb);
  return {
    entry: b.entry,
    bootRegs: b.bootRegs,
    io: {
      devices: 'virt',
      htif: b.htif,
      disk,
      input: o.input === undefined ? null : { buffer: o.input.buffer, capacity: o.input.capacity, from: inputFrom, complete: o.input.complete },
      nodes: nodeOfHart,
    },
  };
}

/** The images, device tree and fw_dynamic_info of a virt boot for `harts` harts, placed in `ram`. */
function placeBoot(cfg: MachineConfig, files: BootFiles, harts: number, ram: BootRam, moreRam: string) {
  const cpuHz = cfg.cpuMHz * 1e6;
  if (!Number.isSafeInteger(cpuHz) || !Number.isSafeInteger(cfg.timebaseHz) || cpuHz % cfg.timebaseHz !== 0) {
    throw new UserError(`cpuMHz ${cfg.cpuMHz} must be a whole multiple of timebaseHz ${cfg.timebaseHz} for a virt boot, so that every hart's time CSR counts as the CLINT's mtime`);
  }
  const plan = placeVirtBoot({ ...files, harts, timebaseHz: cfg.timebaseHz, isa: BOARD_ISA, moreRam }, ram);
  const htif: HtifWords[] = [];
  for (const img of plan.images) {
    const tohost = img.symbol('tohost');
    if (tohost === undefined) continue;
    if (tohost < ram.base || tohost + 8 > ram.base + ram.size || tohost % 8 !== 0) {
      throw new UserError(`'${img.path}': symbol tohost at ${hex(tohost)} is not an aligned 64-bit word inside RAM; check the linker script`);
    }
    htif.push({ tohost, fromhost: img.symbol('fromhost') });
  }
  const bootRegs: [number, number][] = [[11, plan.dtbAddr], [12, plan.fwDynAddr]];
  return { entry: plan.entry, bootRegs, htif, dtb: plan.dtb };
}

/**
 * Several VMs in the monitor on the FLASH machine (`--vms` with `--nodes`): each VM booted in its
 * own guest RAM with its own device set on the I/O node (its disk, its console, its input all
 * there before the run), its vCPUs on its nodes. Each VM ends alone when its finisher or HTIF
 * ends it (a reset too: a VM does not reboot here); the machine halts when the last one does.
 */
export async function runFlashVms(o: FlashRunOptions & { vms: FlashVmOptions[]; timeSlice?: number }): Promise<FlashResult> {
  const cfg = o.config;
  checkThreads(o.threads, cfg.nodes);
  if (o.windowSlack !== undefined) checkWindowSlack(o.windowSlack);
  const disks = o.vms.map((v) => {
    if (v.boot.diskWrite === true && v.boot.disk === undefined) throw new UserError(`VM '${v.name}': diskWrite needs a disk`);
    return v.boot.disk === undefined ? null : openDisk(v.boot.disk, v.boot.diskWrite === true);
  });
  try {
    const m = machineMemory(cfg, quantumPlan(o));
    const plan = new VmPlan(cfg, o.vms, m.ram);
    const vms: IoVmTask[] = [];
    const booted = o.vms.map((v, i) => {
      const b = placeBoot(cfg, v.boot, v.cpus.length, plan.guestRam(i), `give VM '${v.name}' more memory (mem)`);
      const d = disks[i];
      const input = v.input === null ? null : FlashConsoleInput.of(v.input);
      vms.push({
        nodes: v.cpus,
        htif: b.htif,
        disk: d === null ? null : { bytes: d.bytes, fd: d.fd },
        input: input === null ? null : { buffer: input.buffer, capacity: input.capacity, from: 0, complete: true },
        echo: v.echo,
      });
      return { entry: b.entry, bootRegs: b.bootRegs, devices: ioDeviceRanges({ devices: 'virt', htif: b.htif }) };
    });
    const boot: Boot = { entry: booted[0]!.entry, bootRegs: [], io: { devices: 'virt', htif: [], disk: null, input: null, vms }, monitor: plan.task(booted, o.timeSlice) };
    const { result, io } = await runMachine(o, boot, m.memory, m.memBytes);
    result.sim.vms = o.vms.map((v, i) => {
      const r = io!.vms![i]!;
      return { name: v.name, outcome: r.outcome, endCycle: r.endCycle, console: Buffer.from(r.console).toString('latin1'), devices: r.devices };
    });
    return result;
  } finally {
    for (const d of disks) if (d !== null) closeDisk(d);
  }
}

async function runMachine(o: FlashRunOptions, boot: Boot, memory: SharedArrayBuffer, memBytes: Uint8Array): Promise<{ result: FlashResult; io: IoResult | null }> {
  const cfg = o.config;
  const workers = o.threads;
  const slice = cfg.memPerNodeMiB << 20;
  const slots = Math.max(256, Math.min(MAILBOX_SLOTS_MAX, Math.floor((1 << 22) / (workers * workers))));
  const mesh = new Mesh(cfg);
  const qp = quantumPlan(o);
  let quantum: (NonNullable<typeof qp> & { buffer: SharedArrayBuffer }) | undefined;
  if (qp !== null) {
    const layout = quantumLayout(cfg.nodes, workers, qp.slots, cfg.lineBytes, qp.logCap, qp.directiveCap);
    quantum = { ...qp, buffer: layout.allocate() };
    layout.views(quantum.buffer).resLine.fill(-1);
  }
  const base = {
    workers,
    config: cfg,
    memory,
    control: controlLayout(cfg.nodes, workers).allocate(),
    mailboxes: mailboxLayout(workers, slots, 9).allocate(),
    mailboxSlots: slots,
    directory: directoryLayout(cfg.nodes, slice / cfg.lineBytes, cfg.dirPointers).allocate(),
    counters: counterLayout(cfg.nodes, slice >>> 12).allocate(),
    entry: boot.entry,
    bootRegs: boot.bootRegs,
    io: boot.io,
    maxCycles: o.maxCycles,
    skipSpins: o.noSpinSkip !== true,
    idleSkip: o.noIdleSkip !== true,
    quietSkip: o.noQuietSkip !== true,
    spans: o.noSpans !== true,
    watchdogMs: o.watchdogMs ?? 60_000,
    echoConsole: o.echoConsole,
    traceBlock: o.traceBlock ?? 0,
    spin: spinPolicy(workers, availableParallelism(), o.spinUs),
    windowSlack: slack(o),
    costLog: o.costLog === true,
    monitor: boot.monitor,
    quantum,
  };
  // Only node 0's worker needs the disk; the others would only copy it.
  const taskOf = (w: number): WorkerTask => ({ ...base, worker: w, io: w === 0 ? boot.io : { ...boot.io, disk: null, vms: boot.io.vms?.map((v) => ({ ...v, disk: null })) } });
  const started = process.hrtime.bigint();
  let results: WorkerResult[];
  if (o.inProcess && workers === 1) {
    // The worker would wait for input on the thread that feeds it.
    if (o.input !== undefined && !o.input.complete) throw new Error('runFlash: an in-process run needs all its console input before it starts (FlashConsoleInput.of)');
    const ext = boot.monitor === undefined ? undefined : monitorExtension;
    results = [quantum !== undefined ? runQuantumWorker(taskOf(0), ext) : runWorker({ ...taskOf(0), onWindow: o.onWindow }, ext)];
    // The run held this thread's event loop: let what waited for it (a test runner's messages,
    // timers) have a turn before the caller goes on, maybe straight into another run.
    await new Promise((resolve) => setImmediate(resolve));
  } else {
    if (o.workers !== undefined && (o.workers.threads !== workers || o.workers.vms !== (boot.monitor !== undefined))) {
      throw new Error(`runFlash: a pool of ${o.workers.threads} workers${o.workers.vms ? ' for VMs' : ''} for a run on ${workers}${boot.monitor !== undefined ? ' with VMs' : ''}`);
    }
    const pool = o.workers ?? new FlashWorkers(workers, boot.monitor !== undefined);
    const control = controlLayout(cfg.nodes, workers).views(base.control);
    const timer = o.progress === undefined ? undefined : setInterval(() => {
      let w = Infinity;
      for (let i = 0; i < workers; i++) w = Math.min(w, Atomics.load(control.workerWindow, i * 16));
      o.progress!(windowStart(w, lookahead(cfg, mesh), slack(o)), w);
    }, 1000);
    try {
      const tasks = Array.from({ length: workers }, (_, w) => pool.run(taskOf(w)));
      results = (await Promise.all(tasks)).map((r: Uint8Array) => unpack(r) as WorkerResult);
    } finally {
      if (timer !== undefined) clearInterval(timer);
      if (pool !== o.workers) await pool.close();
    }
  }
  const wall = Number(process.hrtime.bigint() - started) / 1e9;
  const ctr = counterLayout(cfg.nodes, slice >>> 12).views(base.counters);
  const costs = o.costLog !== true ? null : mergeCostLogs(cfg.nodes, results.map((r) => ({ ids: nodesOf(r.worker, workers, cfg.nodes), ...r.costs! })));
  const counters = { miss: ctr.miss, hotEvents: ctr.hotEvents, hotLog: ctr.hotLog, pagesPerNode: slice >>> 12 };
  const result = { ...summarize(o, results, mesh, memBytes, wall), counters, costs };
  if (boot.monitor !== undefined) result.sim.monitor = monitorReport(boot.monitor, results);
  return { result, io: results[0].io };
}

/** Field by field sums of the workers' counts. */
function sumStats<S extends object>(all: S[]): S {
  const sum: Record<string, number> = {};
  for (const one of all) for (const [k, v] of Object.entries(one)) sum[k] = (sum[k] ?? 0) + (v as number);
  return sum as S;
}

const HASH_CHUNK = 1 << 16;

/**
 * SHA-256 of machine memory as (index, bytes) of its 64 KiB chunks that are not all zero, then
 * its length: as telling as hashing every byte, and most of a large machine's memory is never
 * written, so comparing a chunk with zeros (memcmp) saves hashing it.
 */
export function memoryHash(mem: Uint8Array): string {
  const h = createHash('sha256');
  const zero = Buffer.alloc(HASH_CHUNK);
  const index = Buffer.alloc(8);
  for (let o = 0; o < mem.length; o += HASH_CHUNK) {
    const chunk = Buffer.from(mem.buffer, mem.byteOffset + o, Math.min(HASH_CHUNK, mem.length - o));
    if (chunk.length === HASH_CHUNK && chunk.equals(zero)) continue;
    index.writeUInt32LE(o / HASH_CHUNK, 0);
    h.update(index);
    h.update(chunk);
  }
  index.writeUInt32LE(mem.length >>> 16, 0);
  index.writeUInt32LE(mem.length & 0xffff, 4);
  h.update(index);
  return h.digest('hex');
}

function summarize(o: FlashRunOptions, results: WorkerResult[], mesh: Mesh, memBytes: Uint8Array, wall: number): Omit<FlashResult, 'counters' | 'costs'> {
  const cfg = o.config;
  const perNode = results.flatMap((r) => r.nodes).sort((a, b) => a.id - b.id);
  const first = results[0];
  const quanta = results.map((r) => (r as WorkerResult & { quantum?: QuantumResult }).quantum);
  const quantum = quanta[0];
  const totals: Record<string, number> = {};
  const add = (k: string, v: number) => { totals[k] = (totals[k] ?? 0) + v; };
  const messages: Record<string, number> = {};
  for (const n of perNode) {
    add('instructions', n.instret);
    for (const [k, v] of Object.entries(n.cache)) add(k, v);
    for (const [k, v] of Object.entries(n.home)) add(`home.${k}`, v);
    add('bytesSent', n.bytesSent);
    add('magicBusyCycles', n.magicBusyCycles);
    add('niDelayCycles', n.niDelayCycles);
    add('magicDelayCycles', n.magicDelayCycles);
    add('uncachedAccesses', n.uncachedAccesses);
    n.msgsSent.forEach((c, t) => { if (c > 0) messages[MSG_NAMES[t]] = (messages[MSG_NAMES[t]] ?? 0) + c; });
  }
  const hash = memoryHash(memBytes);
  const console = Buffer.from(results.flatMap((r) => r.console)).toString('latin1');
  const instructions = totals.instructions ?? 0;
  return {
    sim: {
      nodes: cfg.nodes,
      mesh: `${mesh.width}x${mesh.height}`,
      lookaheadCycles: lookahead(o.config, mesh),
      endCycle: first.endCycle,
      simulatedSeconds: first.endCycle / (cfg.cpuMHz * 1e6),
      halted: results.some((r) => r.halted),
      exitCode: first.exitCode,
      stopped: first.stopped,
      outcome: first.io?.outcome ?? null,
      reboots: 0,
      console,
      memoryHash: hash,
      instructions,
      perNode,
      totals,
      messages,
      devices: first.io?.devices ?? {},
    },
    host: {
      threads: o.threads,
      wallSeconds: wall,
      mips: instructions / wall / 1e6,
      spinSkipped: results.reduce((a, r) => a + r.spinSkipped, 0),
      windowSlack: slack(o),
      windowCycles: windowCycles(cfg, mesh, slack(o)),
      windows: first.windows,
      windowsSkipped: results[0].windowsSkipped,
      nodeWindowsLeft: results.reduce((a, r) => a + r.nodeWindowsLeft, 0),
      workers: results.map((r) => ({ worker: r.worker, nodes: r.nodes.length, spans: r.spans, busySeconds: r.busyNs / 1e9, waitSeconds: r.waitNs / 1e9, sleeps: r.sleeps, sleepTimeouts: r.sleepTimeouts })),
      trace: results.map((r) => r.trace),
      quantum: quantum === undefined ? null : {
        cycles: o.quantumCycles ?? DEFAULT_TIMING_QUANTUM,
        quanta: quantum.quanta,
        quantaSkipped: quantum.quantaSkipped,
        blockedNodeQuanta: quanta.reduce((a, q) => a + q!.blockedNodeQuanta, 0),
        weaveSeconds: Math.max(...quanta.map((q) => q!.weaveNs)) / 1e9,
        weave: sumStats(quanta.map((q) => q!.weave)),
      },
    },
  };
}
