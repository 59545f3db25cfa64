#!/usr/bin/env node
// flashdisco command line.
//
//   flashdisco run --kernel FILE [--bios FILE] [--initrd FILE] [--append ARGS] [--disk FILE]
//                  [--disk-write] [--harts N] [--quantum N] [--mem MiB] [--max-insns N] [--stats FILE.json]
//                  [--dtb-out FILE] [--semihosting [--epoch SECONDS]] [--monitor [--config FILE.json]]
//                  [--log-level LEVEL] [--log-format text|json]
//
// The guest runs on the QEMU-virt-compatible board (virt-board.ts). stdout carries the guest
// console (UART, HTIF and semihosting) and nothing else; logs (pino) and errors go to stderr.
// --semihosting serves RISC-V semihosting calls (devices/semihosting.ts) as QEMU's -semihosting
// does: files confined to the working directory, the command line `--kernel` and `--append`'s
// words, console input to the semihosting console rather than the UART, time simulated. With
// --monitor the guest runs in a VM of the Disco-style monitor instead (vm-board.ts), with
// --harts virtual CPUs, the same console and exit status, and the monitor's statistics under
// `monitor` in --stats; --config then sets the monitor's costs (the monitor rows of the machine
// configuration, src/config/monitor-costs.ts) and refuses every other key.
//
//   flashdisco run --vms FILE.json [--harts CPUS] [--time-slice N] [--max-insns N] [--stats FILE.json]
//                  [--config FILE.json]
//
// runs several VMs at once in the monitor on the flat board (run-vms.ts), as the file lists them
// (vms-file.ts): each VM's console to its file or stdout, one line per VM on stderr as it ends;
// exit status 0 if every VM exited 0, else that of the first VM in the file that did not.
// --config sets the monitor's costs, as with --monitor. Where the VMs' vCPUs outnumber the CPUs
// they take turns in time slices of --time-slice cycles (or the file's timeSlice; default 10000),
// which is also every board's round; --quantum is refused here, and so is --time-slice without
// --vms on the flat board (there every hart has a CPU of its own).
//
//   flashdisco run --nodes N [--threads T] [--config FILE.json] [--max-cycles N] [--boot mp|virt]
//                  --kernel FILE [--bios FILE] [--initrd FILE] [--append ARGS] [--disk FILE]
//                  [--disk-write] [--stats FILE.json] [--dtb-out FILE]
//
// runs on an N-node FLASH machine (flash-machine.ts) instead, booted one of two ways:
//   mp    (the default without the options below) the ELF on every node, a0 = node, a2 = home
//         memory per node, a3 = N; HTIF console and exit: the FLASH workloads
//   virt  (the default with any of --bios, --initrd, --append, --disk, --disk-write, --dtb-out)
//         as the virt board boots, one hart per node, the virt board's devices on node 0
// With a virt boot, console input goes to the UART by the same rule as on the board below, at
// points that depend on simulated state alone (io-node.ts); a file is read before the machine
// starts, a pipe or a terminal (line by line as typed, Ctrl-D ends it) is fed to it as it comes,
// and where the guest waits for a line that has not come the machine waits for it, so a run is
// the same for any --threads; except where the guest listens while other harts keep working, and
// after 0.1 s of listening takes a line that has come (uart-input.ts, Offer): a piped line that
// comes later goes in where it next can, which depends on when it came.
//
//   flashdisco run --nodes N --monitor [--harts VCPUS] [--time-slice N] [--placement P] [virt boot options]
//   flashdisco run --nodes N --vms FILE.json [--time-slice N]
//
// run the virt boot as one VM (VCPUS vCPUs, default one per node; vCPU k on node k mod N), or
// the file's VMs, in the monitor with an instance on every node (src/monitor/node-monitor.ts).
// vCPUs that share a node take turns on its CPU, each for up to --time-slice cycles (or the VM
// file's timeSlice) while another waits (default 10000).
//
//   flashdisco run --nodes N --timing quantum [--quantum CYCLES] ...
//
// keeps time in quanta of CYCLES (default 4000) instead of at every message's cycle: nodes run a
// quantum against frozen memory, their stores buffered, and what crosses nodes is settled at its
// end in a fixed order (docs/quantum.md); results are the same for any --threads. Not yet with
// --monitor, --vms or --disk.
//
// Console input (stdin -> UART receiver):
//   terminal   raw mode; every key goes to the guest as typed. Ctrl-A x quits, Ctrl-A Ctrl-A
//              sends one Ctrl-A, Ctrl-A h prints this help (QEMU's escapes).
//   file, pipe (`< input.txt`, `printf 'ls\n' | ...`, a driver that types after each prompt)
//              input is held until the guest listens (devices/uart-input.ts: receive
//              interrupts on, or polling; a kernel that probes and opens its UART clears the
//              FIFOs, and would drop a line handed over earlier), then handed to the UART a
//              line at a time, each when the guest next waits for it, as if typed at a prompt:
//              when every hart sleeps in wfi, or when it polls an empty receiver; failing
//              both, 0.1 s of simulated listening after the last line. Where it polls, or
//              sleeps with nothing armed that could wake it, and no line has come, the run
//              waits for the next line or the end of input (held-input.ts). Handing over
//              happens only between rounds, at points that depend on simulated state alone, so
//              a run is the same every time, whether its input was written ahead or typed after
//              each prompt (a line that comes while the guest sleeps with a timer armed goes in
//              at the first such point after it comes).
// Once all input is consumed (or what is left cannot go in, the guest not listening), stdin has
// ended and every hart sleeps with no timer armed, the run ends (status 4), since nothing can
// ever wake the guest.
//
// Exit status: the guest's own (test finisher or HTIF exit); 0 after Ctrl-A x; 2 for bad input
// (one line `flashdisco: <message>`, no stack); 3 when --max-insns stops the guest; 4 when the
// guest stops in a way it cannot recover from. A stack trace means a simulator bug.
//
// Options are declared in tables (RUN_OPTIONS), one row per option.

import { closeSync, fstatSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { BufferedConsole } from '../devices/htif.js';
import { UserError, EXIT_USAGE, EXIT_MAX_INSNS, EXIT_GUEST_FAULT } from './errors.js';
import { applyConfig, defaultConfig, monitorCostConfig, type MachineConfig, type MonitorCostConfig } from '../config/machine.js';
import { checkThreads, defaultThreads, runFlash, runFlashVms, DEFAULT_TIMING_QUANTUM, NODE_RESERVE_MIB, type FlashMonitorOptions, type FlashVmOptions, type Timing } from './flash-machine.js';
import { parsePlacement } from '../monitor/placement.js';
import { NUMA_POLICIES, isNumaPolicy, numaPlacement, type NumaPolicy } from '../monitor/node-monitor.js';
import { FlashConsoleInput, feedConsoleInput } from './flash-input.js';
import { HeldInput } from './held-input.js';
import { readElf } from './elf.js';
import { readUserFile, type BootFiles } from './boot.js';
import { createLogger, DEFAULT_LOG_LEVEL, LOG_FORMATS, LOG_LEVELS, type LogFormat, type Logger, type LogLevel } from './log.js';
import { DEFAULT_MEM_MIB, RunSession, type FlatRunResult } from './run-flat.js';
import { monitorPlatform } from './vm-board.js';
import { VmsRun, vmEndLine, vmsStatus } from './run-vms.js';
import { readVmsFile } from './vms-file.js';
import { DEFAULT_QUANTUM, SINGLE_HART_QUANTUM } from './virt-board.js';

const GLOBAL_OPTIONS = {
  'log-level': {
    type: 'string',
    choices: LOG_LEVELS,
    default: DEFAULT_LOG_LEVEL,
    describe: 'how much the simulator logs to stderr',
  },
  'log-format': {
    type: 'string',
    choices: LOG_FORMATS,
    default: 'text',
    describe: 'log records as readable lines or as pino JSON lines',
  },
} as const;

const RUN_OPTIONS = {
  kernel: {
    type: 'string',
    requiresArg: true,
    describe: 'RV64 ELF (or raw *.bin) to run; with --bios, the kernel the firmware starts (raw: at 0x80200000); required but with --vms',
  },
  bios: { type: 'string', requiresArg: true, describe: 'firmware (ELF or raw *.bin at 0x80000000); the harts start in it' },
  initrd: { type: 'string', requiresArg: true, describe: 'initial ramdisk, placed above the kernel and named in /chosen' },
  append: { type: 'string', requiresArg: true, describe: 'kernel command line (/chosen/bootargs)' },
  disk: { type: 'string', requiresArg: true, describe: 'raw disk image for virtio-blk slot 0 (guest writes stay in memory)' },
  'disk-write': { type: 'boolean', default: false, describe: 'write guest changes back to the --disk file' },
  harts: { type: 'number', requiresArg: true, describe: 'number of harts (interleaved deterministically on one thread; default 1); with --vms, physical CPUs (default: one per vCPU); with --nodes and --monitor, the VM\'s vCPUs (default: one per node)' },
  quantum: {
    type: 'number',
    requiresArg: true,
    describe: `flat board, alone or with --monitor: cycles each hart runs per round (default ${DEFAULT_QUANTUM}, one hart alone ${SINGLE_HART_QUANTUM}); with --nodes and --timing quantum: the timing quantum (default ${DEFAULT_TIMING_QUANTUM}); not with --vms (the vCPUs' time slice is --time-slice)`,
  },
  timing: { type: 'string', requiresArg: true, describe: `with --nodes: how simulated time is kept: exact (default; every message at its cycle) or quantum (nodes run --quantum cycles at a time, what crosses nodes settled at each quantum's end; docs/quantum.md)` },
  'time-slice': {
    type: 'number',
    requiresArg: true,
    describe: `with --vms, or with --nodes and --monitor: cycles of a vCPU's time slice where vCPUs share a CPU (default: the VM file's timeSlice, else ${DEFAULT_QUANTUM}); on the flat board also every VM board's round`,
  },
  mem: { type: 'number', requiresArg: true, describe: `RAM size in MiB, at 0x80000000 (default ${DEFAULT_MEM_MIB}; with --nodes: nodes x memPerNodeMiB of --config)` },
  'max-insns': {
    type: 'number',
    requiresArg: true,
    describe: 'stop the guest after N instructions, all harts together (exit status 3)',
  },
  stats: { type: 'string', requiresArg: true, describe: 'write run statistics as JSON to this file' },
  'dtb-out': { type: 'string', requiresArg: true, describe: 'write the generated device tree (DTB) to this file' },
  semihosting: {
    type: 'boolean',
    default: false,
    describe: 'serve RISC-V semihosting calls (console, files in the working directory, clock, command line, exit), as QEMU -semihosting',
  },
  epoch: { type: 'number', requiresArg: true, describe: 'with --semihosting: SYS_TIME at simulated time 0, seconds since 1970 (default 0)' },
  monitor: { type: 'boolean', default: false, describe: 'run the guest in a VM of the Disco-style monitor (virtual CPUs by direct execution, shadow page tables); with --nodes, a vCPU on every node and a monitor instance per node' },
  placement: { type: 'string', requiresArg: true, describe: 'with --nodes and --monitor: which node backs a guest page first touched: first-touch (default), round-robin, node:N' },
  'numa-policy': { type: 'string', requiresArg: true, describe: 'with --nodes and --monitor or --vms: what the monitor does with hot pages: none (default: pages stay where placed), first-touch or round-robin (that placement, pages stay), migrate (to the node whose misses dominate), replicate (read-only copies for the nodes that only read them), disco (both), auto-numa (scans and hinting faults, as Linux); docs/numa.md' },
  vms: { type: 'string', requiresArg: true, describe: 'run several VMs at once on the flat board, in the monitor, as FILE.json lists them (see README)' },
  nodes: { type: 'number', requiresArg: true, describe: 'run on an N-node FLASH machine (caches, directory, mesh) instead of the flat board, one hart per node (see --boot)' },
  threads: { type: 'number', requiresArg: true, describe: 'with --nodes: worker threads (default: cores, at most N)' },
  config: { type: 'string', requiresArg: true, describe: 'with --nodes: JSON file of machine parameters (src/config/machine.ts); with --monitor or --vms on the flat board: of the monitor\'s costs (monitor*Cycles, src/config/monitor-costs.ts)' },
  'max-cycles': { type: 'number', default: 2e10, requiresArg: true, describe: 'with --nodes: stop after this many simulated cycles (exit status 3)' },
  boot: {
    type: 'string',
    choices: ['mp', 'virt'],
    requiresArg: true,
    describe: 'with --nodes: mp = the ELF on every node (a0 = node, a2 = memory per node, a3 = N); virt = as the flat board boots, devices on node 0 (default with --bios/--initrd/--append/--disk/--dtb-out)',
  },
} as const;

const CTRL_A = 0x01;
/** Host milliseconds of simulation between two looks at stdin. */
const CHUNK_MS = 20;

function fail(message: string, status = EXIT_USAGE): never {
  process.stderr.write(`flashdisco: ${message}\n`);
  process.exit(status);
}

function parseArgs(args: string[]) {
  return yargs(args)
    .scriptName('flashdisco')
    .usage('$0 <command> [options]')
    .options(GLOBAL_OPTIONS)
    .command('run', 'run a kernel on the QEMU-virt-compatible board (flat memory, no caches), or with --nodes on a FLASH machine', (y) => y.options(RUN_OPTIONS))
    .demandCommand(1, 'name a command: run')
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      fail(`${msg} (see flashdisco --help)`);
    })
    .parseSync();
}

/** Writes an empty file now, so an unwritable output path is refused before the run. */
function checkWritable(option: string, path: string): void {
  try {
    writeFileSync(path, '');
  } catch (e) {
    throw new UserError(`${option} '${path}' cannot be written (${(e as NodeJS.ErrnoException).code}); choose a writable path`);
  }
}

interface RunArgs extends BootFiles {
  harts: number;
  quantum?: number;
  memMiB: number;
  maxInsns?: number;
  semihosting?: { root: string; epoch: number };
  monitor: boolean;
}

function bootFiles(argv: Record<string, unknown>): BootFiles {
  return {
    kernel: argv.kernel as string,
    bios: argv.bios as string | undefined,
    initrd: argv.initrd as string | undefined,
    append: argv.append as string | undefined,
    disk: argv.disk as string | undefined,
    diskWrite: argv['disk-write'] as boolean,
  };
}

function statsRecord(a: RunArgs, r: FlatRunResult) {
  return {
    kernel: a.kernel,
    bios: a.bios ?? null,
    initrd: a.initrd ?? null,
    disk: a.disk ?? null,
    config: {
      memMiB: a.memMiB, harts: a.harts, quantum: a.quantum ?? null, maxInsns: a.maxInsns ?? null, append: a.append ?? null, diskWrite: a.diskWrite,
      semihosting: a.semihosting !== undefined, epoch: a.semihosting?.epoch ?? null, monitor: a.monitor,
    },
    exit: { reason: r.reason, code: r.exitCode, message: r.message },
    instructions: r.instret,
    cycles: r.cycle,
    reboots: r.reboots,
    /** Hart 0 (kept for single-hart scripts; every hart is under `harts`). */
    hart: r.stats,
    harts: r.board.harts,
    devices: r.board.devices,
    memory: r.board.memory,
    rounds: r.board.rounds,
    htif: r.htif,
    ...(r.board.monitor !== undefined ? { monitor: r.board.monitor } : {}),
    // Host measurements: they vary from run to run and host to host, unlike everything above.
    host: { runSeconds: r.runSeconds, mips: r.runSeconds > 0 ? r.instret / r.runSeconds / 1e6 : null },
  };
}

/** Maps a guest exit status to a process exit status (0..255; a larger one becomes 1). */
function processStatus(code: number, warn: (msg: string) => void): number {
  if (Number.isInteger(code) && code >= 0 && code <= 255) return code;
  warn(`guest exit status ${code} does not fit a process exit status; exiting with 1`);
  return 1;
}

type StdinKind = 'tty' | 'file' | 'pipe' | 'none';

function stdinKind(): StdinKind {
  if (process.stdin.isTTY) return 'tty';
  try {
    const st = fstatSync(0);
    if (st.isFile()) return 'file';
    return st.isFIFO() || st.isSocket() ? 'pipe' : 'none';
  } catch {
    return 'none';
  }
}

/**
 * stdin as the UART's host side (see the header). `wait()` resolves when something arrives or
 * stdin ends.
 */
class ConsoleInput {
  quit = false;
  /** A file's or pipe's bytes, handed over a line at a time (held-input.ts). */
  readonly held = new HeldInput();
  private escape = false;
  private wake: (() => void) | null = null;
  private readonly kind: StdinKind;

  constructor(private readonly session: RunSession) {
    this.kind = stdinKind();
    // A terminal's keys go to the UART as they come, and nothing holds the board for them.
    if (this.kind !== 'tty') session.onRound = (idle, stopped) => this.held.round(session.board, idle, stopped);
    if (this.kind === 'file') {
      this.held.push(readFileSync(0));
      this.held.end();
      return;
    }
    if (this.kind === 'none') {
      this.held.end();
      return;
    }
    if (this.kind === 'tty') process.stdin.setRawMode(true);
    process.stdin.on('data', (b: Buffer) => this.arrived(b));
    process.stdin.on('end', () => this.finished());
    process.stdin.on('error', () => this.finished());
  }

  /** No more input will come. */
  get ended(): boolean {
    return this.held.ended;
  }

  /** Resolves at the next input, end of input or quit. */
  wait(): Promise<void> {
    if (this.held.ended || this.quit) return Promise.resolve();
    return new Promise((r) => (this.wake = r));
  }

  get holding(): boolean {
    return this.held.holding;
  }

  close(): void {
    if (this.kind === 'tty') process.stdin.setRawMode(false);
    if (this.kind === 'tty' || this.kind === 'pipe') {
      process.stdin.removeAllListeners('data');
      process.stdin.destroy();
    }
  }

  private arrived(b: Buffer): void {
    if (this.kind === 'pipe') this.held.push(b);
    else this.session.board.consoleInput(this.ttyKeys(b));
    this.kick();
  }

  private finished(): void {
    this.held.end();
    this.kick();
  }

  /** QEMU's Ctrl-A escapes on a terminal. */
  private ttyKeys(b: Buffer): number[] {
    const out: number[] = [];
    for (const x of b) {
      if (this.escape) {
        this.escape = false;
        if (x === 0x78 /* x */) this.quit = true;
        else if (x === CTRL_A) out.push(CTRL_A);
        else if (x === 0x68 /* h */) process.stderr.write('\r\nflashdisco: Ctrl-A x  quit\r\nflashdisco: Ctrl-A Ctrl-A  send Ctrl-A\r\n');
      } else if (x === CTRL_A) {
        this.escape = true;
      } else {
        out.push(x);
      }
    }
    return out;
  }

  private kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}

/** --numa-policy, checked (default none). */
function numaPolicy(argv: ReturnType<typeof parseArgs>): NumaPolicy {
  const numa = (argv['numa-policy'] as string | undefined) ?? 'none';
  if (!isNumaPolicy(numa)) throw new UserError(`--numa-policy ${numa}: not a policy; give one of ${NUMA_POLICIES.join(', ')}`);
  return numa;
}

/** Options that ask for a virt boot on the FLASH machine. */
const VIRT_BOOT_OPTIONS = ['bios', 'initrd', 'append', 'disk', 'disk-write', 'dtb-out'] as const;

/**
 * `run --nodes N`: an N-node FLASH machine, booted as --boot says (see the header). Devices: HTIF
 * on node 0 (mp); the virt board's devices on node 0 (virt).
 */
async function runFlashCommand(argv: ReturnType<typeof parseArgs>): Promise<number> {
  const given = (opt: string) => argv[opt] !== undefined && argv[opt] !== false;
  if (argv['max-insns'] !== undefined) throw new UserError('--max-insns is for the flat board; with --nodes, limit simulated time with --max-cycles N');
  if (argv.semihosting === true) {
    throw new UserError('--semihosting runs on the flat board only (the FLASH machine\'s harts run on worker threads, away from the console and files it serves); drop --nodes');
  }
  const vmsOrMonitor = argv.vms !== undefined || argv.monitor === true;
  if (argv.quantum !== undefined && argv.timing !== 'quantum') {
    throw new UserError(vmsOrMonitor
      ? '--quantum: on the FLASH machine the time slice of the vCPUs of --monitor and --vms is --time-slice N; --quantum with --nodes is the timing quantum of --timing quantum'
      : '--quantum with --nodes is the timing quantum of --timing quantum: add --timing quantum, or drop --quantum');
  }
  if (argv['time-slice'] !== undefined && !vmsOrMonitor) throw new UserError('--time-slice is the time slice of vCPUs that share a node\'s CPU; add --monitor or --vms FILE.json (without them every node runs its one hart alone)');
  if (argv.harts !== undefined && argv.monitor !== true) throw new UserError('--harts is for the flat board, or the vCPUs of --monitor; with --nodes every node has one hart');
  if (argv.mem !== undefined) throw new UserError('--mem is for the flat board; with --nodes, RAM is nodes x memPerNodeMiB (give memPerNodeMiB in a --config file)');
  const boot = (argv.boot as 'mp' | 'virt' | undefined) ?? (VIRT_BOOT_OPTIONS.some(given) || argv.monitor === true ? 'virt' : 'mp');
  if (boot === 'mp' && argv.monitor === true) throw new UserError('--monitor runs a guest of the virt board in a VM; drop --boot mp');
  if (argv.placement !== undefined && argv.monitor !== true) throw new UserError('--placement places the pages of a VM; add --monitor');
  if (argv['numa-policy'] !== undefined && argv.monitor !== true && argv.vms === undefined) throw new UserError('--numa-policy moves the pages of a VM; add --monitor');
  if (boot === 'mp') {
    const opt = VIRT_BOOT_OPTIONS.find(given);
    if (opt !== undefined) throw new UserError(`--${opt} needs a virt boot; --boot mp runs one ELF on every node with HTIF only`);
  }
  const nodes = argv.nodes as number;
  if (!Number.isInteger(nodes) || nodes < 1) throw new UserError(`--nodes ${nodes}: give a whole number of nodes, 1 or more`);
  const overrides = argv.config !== undefined ? readJsonObject(argv.config as string) : {};
  const config = applyConfig(defaultConfig(), { ...overrides, nodes }, (argv.config as string | undefined) ?? '--nodes');
  const threads = (argv.threads as number | undefined) ?? defaultThreads(nodes);
  checkThreads(threads, nodes);
  if (argv.vms !== undefined) return runFlashVmsCommand(argv, config, threads);
  const statsPath = argv.stats as string | undefined;
  const dtbOut = argv['dtb-out'] as string | undefined;
  if (statsPath !== undefined) checkWritable('--stats', statsPath);
  if (dtbOut !== undefined) checkWritable('--dtb-out', dtbOut);
  const maxCycles = argv['max-cycles'] as number;
  let monitor: FlashMonitorOptions | undefined;
  if (argv.monitor === true) {
    const numa = numaPolicy(argv);
    const named = numaPlacement(numa);
    if (named !== null && argv.placement !== undefined && argv.placement !== named.policy) {
      throw new UserError(`--numa-policy ${numa} places pages ${numa} and --placement says ${argv.placement as string}; give one of them`);
    }
    const p = parsePlacement((argv.placement as string | undefined) ?? 'first-touch', nodes);
    if (typeof p === 'string') throw new UserError(`--placement: ${p}`);
    const vcpus = argv.harts as number | undefined;
    if (vcpus !== undefined && !(Number.isSafeInteger(vcpus) && vcpus >= 1)) throw new UserError(`--harts ${vcpus}: give the VM's number of vCPUs, 1 or more`);
    monitor = { placement: p, vcpus, timeSlice: argv['time-slice'] as number | undefined, numa };
  }
  const timing = argv.timing as Timing | undefined;
  const common = { config, threads, maxCycles, echoConsole: true, monitor, timing, quantumCycles: argv.quantum as number | undefined };
  let r: Awaited<ReturnType<typeof runFlash>>;
  if (boot === 'mp') {
    r = await runFlash({ ...common, image: readElf(argv.kernel as string) });
  } else {
    const virt = bootFiles(argv);
    const input = flashInput();
    try {
      r = await runFlash({ ...common, virt, input: input.input, onDeviceTree: dtbOut === undefined ? undefined : (dtb) => writeFileSync(dtbOut, dtb) });
    } finally {
      input.close();
    }
  }
  if (statsPath !== undefined) writeFileSync(statsPath, JSON.stringify({ config, sim: r.sim, host: r.host }, null, 2) + '\n');
  const say = (msg: string) => process.stderr.write(`flashdisco: ${msg}\n`);
  const s = r.sim;
  switch (s.stopped) {
    case 'max-cycles':
      say(`the guest did not finish within --max-cycles ${maxCycles}`);
      return EXIT_MAX_INSNS;
    case 'idle':
      say('every hart waits for an interrupt (wfi) and nothing can raise one: no timer is armed, no message is on its way and no more console input will come');
      return EXIT_GUEST_FAULT;
    case 'halt': {
      const out = s.outcome;
      if (out?.kind === 'fault') {
        say(out.message ?? 'the guest made a request the machine cannot serve');
        return EXIT_GUEST_FAULT;
      }
      if (out?.kind === 'reset') {
        say(`the guest rebooted ${s.reboots + 1} times; stopping`);
        return EXIT_GUEST_FAULT;
      }
      return processStatus(s.exitCode, say);
    }
  }
}

/**
 * `--vms FILE --nodes N`: several VMs in the monitor on the FLASH machine (runFlashVms). Each
 * VM's vCPUs take the nodes its `nodes` names, or the next free ones; its memory is its `mem`,
 * or an equal share of what the machine has for VMs. The stdio VM prints as it runs; the other
 * consoles are written when the machine stops. A line per VM goes to stderr, and the status is
 * that of the first VM in file order that did not exit 0.
 */
async function runFlashVmsCommand(argv: ReturnType<typeof parseArgs>, config: MachineConfig, threads: number): Promise<number> {
  for (const [opt, why] of NOT_WITH_VMS) if (argv[opt] !== undefined && argv[opt] !== false) throw new UserError(why);
  if (argv.boot === 'mp') throw new UserError('--vms boots each VM as the virt board does; drop --boot mp');
  const file = readVmsFile(argv.vms as string, config.nodes);
  for (const vm of file.vms) if (vm.maxInsns !== undefined) throw new UserError(`VM '${vm.name}': maxInsns is for the flat board; with --nodes, limit simulated time with --max-cycles N`);
  const statsPath = argv.stats as string | undefined;
  if (statsPath !== undefined) checkWritable('--stats', statsPath);
  // vCPUs without nodes go where the fewest run already (the lowest such node), so free nodes
  // fill first and then the nodes' CPUs are shared evenly.
  const load = new Array<number>(config.nodes).fill(0);
  for (const vm of file.vms) for (const n of vm.nodes ?? []) load[n]++;
  const free = (): number => {
    const n = load.indexOf(Math.min(...load));
    load[n]++;
    return n;
  };
  const vmMiB = config.nodes * (config.memPerNodeMiB - NODE_RESERVE_MIB);
  const unsized = file.vms.filter((vm) => !vm.memGiven).length;
  const given = file.vms.reduce((n, vm) => n + (vm.memGiven ? vm.memMiB : 0), 0);
  const share = unsized === 0 ? 0 : Math.floor((vmMiB - given) / unsized / 2) * 2;
  const stdin = file.vms.some((vm) => vm.console === 'stdio' && vm.input === null) ? await stdinBytes(stdinKind()) : null;
  const runNuma = numaPolicy(argv);
  const vms: FlashVmOptions[] = file.vms.map((vm) => ({
    name: vm.name,
    boot: { kernel: vm.kernel, bios: vm.bios, initrd: vm.initrd, append: vm.append, disk: vm.disk, diskWrite: vm.diskWrite },
    memMiB: vm.memGiven ? vm.memMiB : share,
    cpus: vm.nodes ?? Array.from({ length: vm.vcpus }, free),
    placement: vm.placement,
    numa: vm.numa ?? runNuma,
    input: vm.input !== null ? readUserFile(vm.input, `VM '${vm.name}': input`, true) : vm.console === 'stdio' ? stdin : null,
    echo: vm.console === 'stdio',
  }));
  for (const vm of vms) if (!(vm.memMiB > 0)) throw new UserError(`VM '${vm.name}' is left no memory: the machine has ${vmMiB} MiB for VMs; give the VMs less (mem) or the nodes more (memPerNodeMiB in --config)`);
  for (const vm of file.vms) if (vm.console !== 'stdio') checkWritable(`VM '${vm.name}': console`, vm.console);
  const r = await runFlashVms({
    config, threads, maxCycles: argv['max-cycles'] as number, echoConsole: false, vms, timeSlice: (argv['time-slice'] as number | undefined) ?? file.timeSlice,
    timing: argv.timing as Timing | undefined, quantumCycles: argv.quantum as number | undefined,
  });
  const cpuHz = config.cpuMHz * 1e6;
  let status = 0;
  file.vms.forEach((vm, i) => {
    const v = r.sim.vms![i]!;
    if (vm.console !== 'stdio') writeFileSync(vm.console, v.console, 'latin1');
    const out = v.outcome;
    const at = `${((Number.isNaN(v.endCycle) ? r.sim.endCycle : v.endCycle) / cpuHz * 1000).toFixed(6)} ms simulated`;
    let code: number;
    if (out !== null && out.kind === 'exit') {
      process.stderr.write(`flashdisco: vm ${vm.name}: exit ${out.code} (${out.by}) after ${at}\n`);
      code = Number.isInteger(out.code) && out.code >= 0 && out.code <= 255 ? out.code : 1;
    } else {
      const why = out === null ? (r.sim.stopped === 'max-cycles' ? `--max-cycles ${argv['max-cycles']} reached` : 'every vCPU waits and nothing can wake one') : out.kind === 'reset' ? 'it rebooted, which a VM on the FLASH machine does not do yet' : out.message ?? 'a request the machine cannot serve';
      code = out === null && r.sim.stopped === 'max-cycles' ? EXIT_MAX_INSNS : EXIT_GUEST_FAULT;
      process.stderr.write(`flashdisco: vm ${vm.name}: stopped, status ${code}, after ${at}: ${why}\n`);
    }
    if (status === 0 && code !== 0) status = code;
  });
  if (statsPath !== undefined) writeFileSync(statsPath, JSON.stringify({ vmsFile: file.path, config, sim: r.sim, host: r.host }, null, 2) + '\n');
  return status;
}

/** All of stdin, read to its end, when it is a file or a pipe; else null. */
async function stdinBytes(kind: StdinKind): Promise<Uint8Array | null> {
  if (kind === 'file') return readFileSync(0);
  if (kind !== 'pipe') return null;
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

/**
 * stdin as the FLASH machine's console input: a file all there before the run, a pipe or a
 * terminal fed to the machine as it comes (the I/O node waits for it where the guest does),
 * nothing otherwise.
 */
function flashInput(): { input: FlashConsoleInput; close(): void } {
  const kind = stdinKind();
  if (kind === 'file') return { input: FlashConsoleInput.of(readFileSync(0)), close() {} };
  if (kind === 'none') return { input: FlashConsoleInput.of(new Uint8Array(0)), close() {} };
  const input = FlashConsoleInput.live();
  const stop = feedConsoleInput(input, process.stdin);
  return {
    input,
    close() {
      stop();
      process.stdin.destroy();
    },
  };
}

function readJsonObject(path: string): Record<string, unknown> {
  let v: unknown;
  try {
    v = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new UserError(`--config '${path}' cannot be read as JSON; give a file of parameter names and numbers`);
  }
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new UserError(`--config '${path}' must hold a JSON object`);
  return v as Record<string, unknown>;
}

/** --semihosting and --epoch: files confined to the working directory. */
function semihostingArgs(argv: ReturnType<typeof parseArgs>): RunArgs['semihosting'] {
  const epoch = argv.epoch as number | undefined;
  if (argv.semihosting !== true) {
    if (epoch !== undefined) throw new UserError('--epoch sets the clock that semihosting\'s SYS_TIME reads; add --semihosting');
    return undefined;
  }
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 0)) {
    throw new UserError(`--epoch ${epoch}: give whole seconds since 1970, 0 or more`);
  }
  return { root: process.cwd(), epoch: epoch ?? 0 };
}

/** Options of one VM, which --vms takes from its file, and options --vms has no use for. */
const NOT_WITH_VMS: ReadonlyArray<readonly [string, string]> = [
  ...['kernel', 'bios', 'initrd', 'append', 'disk', 'disk-write', 'mem'].map((o) => [o, `--${o} is a VM's: with --vms, give it in the VM file ("${o === 'disk-write' ? 'diskWrite' : o}")`] as const),
  ['monitor', '--vms runs every VM in the monitor; drop --monitor'],
  ['placement', '--placement is a VM\'s: with --vms, give it in the VM file ("placement")'],
  ['semihosting', '--semihosting is not served to VMs; drop it with --vms'],
  ['epoch', '--epoch sets the semihosting clock, which VMs do not have; drop it with --vms'],
  ['dtb-out', '--dtb-out writes one device tree; with --vms every VM has its own: drop it'],
];

/**
 * `run --vms FILE.json`: several VMs at once on the flat board (run-vms.ts), on one monitor with
 * the costs of --config. Each VM's console goes to its file or stdout; a line per VM on stderr
 * says how it ended, as it ends.
 */
async function runVmsCommand(argv: ReturnType<typeof parseArgs>, costs: MonitorCostConfig | undefined, log: Logger): Promise<number> {
  for (const [opt, why] of NOT_WITH_VMS) if (argv[opt] !== undefined && argv[opt] !== false) throw new UserError(why);
  if (argv.quantum !== undefined) throw new UserError('--quantum is a hart\'s turn in a round on the flat board; with --vms the time slice of the VMs\' vCPUs is --time-slice N (or "timeSlice" in the VM file)');
  const file = readVmsFile(argv.vms as string);
  const statsPath = argv.stats as string | undefined;
  if (statsPath !== undefined) checkWritable('--stats', statsPath);
  const maxInsns = argv['max-insns'] as number | undefined;
  const fds: Array<number | null> = file.vms.map(() => null);
  const sinks = file.vms.map((vm, i) => new BufferedConsole(vm.console === 'stdio' ? (b) => process.stdout.write(b) : (b) => writeSync(fds[i]!, b)));
  const stdin = file.vms.some((vm) => vm.console === 'stdio' && vm.input === null) ? await stdinBytes(stdinKind()) : null;
  const run = new VmsRun({
    vms: file.vms.map((vm, i) => ({
      ...vm,
      maxInsns: vm.maxInsns ?? maxInsns,
      console: sinks[i]!,
      input: vm.input !== null ? readUserFile(vm.input, `VM '${vm.name}': input`, true) : vm.console === 'stdio' ? stdin : null,
    })),
    cpus: argv.harts as number | undefined,
    timeSlice: (argv['time-slice'] as number | undefined) ?? file.timeSlice,
    costs,
    log,
  });
  try {
    file.vms.forEach((vm, i) => {
      if (vm.console === 'stdio') return;
      try {
        fds[i] = openSync(vm.console, 'w');
      } catch (e) {
        throw new UserError(`VM '${vm.name}': console '${vm.console}' cannot be written (${(e as NodeJS.ErrnoException).code}); choose a writable path`);
      }
    });
    run.onVmEnd = (i) => {
      sinks[i]!.flush();
      process.stderr.write(`flashdisco: ${vmEndLine(run.outcome(i)!)}\n`);
    };
    while (run.run(CHUNK_MS) !== 'done') {
      for (const sink of sinks) sink.flush();
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    for (const sink of sinks) sink.flush();
    for (const fd of fds) if (fd !== null) closeSync(fd);
  }
  if (statsPath !== undefined) {
    const instret = file.vms.reduce((n, _, i) => n + run.outcome(i)!.result.instret, 0);
    const host = { runSeconds: run.runSeconds, mips: run.runSeconds > 0 ? instret / run.runSeconds / 1e6 : null };
    writeFileSync(statsPath, JSON.stringify({ vmsFile: file.path, ...run.report(), host }, null, 2) + '\n');
  }
  return vmsStatus(file.vms.map((_, i) => run.outcome(i)!));
}

async function runCommand(argv: ReturnType<typeof parseArgs>): Promise<number> {
  if (argv.nodes !== undefined) return runFlashCommand(argv);
  for (const flashOnly of ['threads', 'boot']) {
    if (argv[flashOnly] !== undefined) throw new UserError(`--${flashOnly} is for the FLASH machine; add --nodes N`);
  }
  const configPath = argv.config as string | undefined;
  const monitorOption = argv.vms !== undefined ? '--vms' : argv.monitor === true ? '--monitor' : null;
  if (configPath !== undefined && monitorOption === null) {
    throw new UserError(`--config '${configPath}' sets parameters of the FLASH machine (add --nodes N) or the monitor's costs (add --monitor); the flat board alone has none`);
  }
  const costs = configPath !== undefined ? monitorCostConfig(readJsonObject(configPath), configPath, monitorOption!) : undefined;
  const log = createLogger(argv['log-level'] as LogLevel, argv['log-format'] as LogFormat);
  if (argv['numa-policy'] !== undefined) throw new UserError('--numa-policy moves a VM\'s pages between the nodes of the FLASH machine; the flat board has one node (add --nodes N, or drop --numa-policy)');
  if (argv.vms !== undefined) return runVmsCommand(argv, costs, log);
  if (argv.placement !== undefined) throw new UserError('--placement places a VM\'s pages on the nodes of the FLASH machine; the flat board has one node (add --nodes N, or drop --placement)');
  if (argv.timing !== undefined) throw new UserError('--timing keeps time on the FLASH machine: add --nodes N');
  if (argv['time-slice'] !== undefined) {
    throw new UserError(`--time-slice is the time slice of vCPUs that share a CPU: with --vms FILE.json, or with --nodes N and --monitor; here every ${argv.monitor === true ? 'vCPU' : 'hart'} has a CPU of its own (its turn in a round is --quantum N)`);
  }
  if (argv.kernel === undefined) throw new UserError('give --kernel FILE, the image to run (or --vms FILE.json for several VMs)');
  const a: RunArgs = {
    ...bootFiles(argv),
    harts: (argv.harts as number | undefined) ?? 1,
    quantum: argv.quantum as number | undefined,
    memMiB: (argv.mem as number | undefined) ?? DEFAULT_MEM_MIB,
    maxInsns: argv['max-insns'] as number | undefined,
    semihosting: semihostingArgs(argv),
    monitor: argv.monitor as boolean,
  };
  const statsPath = argv.stats as string | undefined;
  const dtbOut = argv['dtb-out'] as string | undefined;
  if (a.diskWrite && a.disk === undefined) throw new UserError('--disk-write needs --disk FILE');
  if (statsPath !== undefined) checkWritable('--stats', statsPath);
  if (dtbOut !== undefined) checkWritable('--dtb-out', dtbOut);

  const sink = new BufferedConsole((bytes) => process.stdout.write(bytes));
  const session = new RunSession({ ...a, console: sink, log, platform: a.monitor ? monitorPlatform({ costs }) : undefined });
  if (dtbOut !== undefined) writeFileSync(dtbOut, session.board.dtb);
  const input = new ConsoleInput(session);
  try {
    for (;;) {
      if (input.quit) session.board.quit();
      const state = session.run(CHUNK_MS);
      sink.flush();
      if (state === 'done') break;
      if (state === 'idle') {
        // Every hart sleeps and nothing in the machine can wake them, or the guest waits for a
        // line that has not come: only input can go on. At the end of input, held input went in
        // at the round that found the machine so (unless the guest does not listen), and
        // another line may wake it where the last did not.
        if (!input.ended) await input.wait();
        else if (!input.held.takeHanded()) session.stuck(input.held.holding);
        continue;
      }
      await new Promise((r) => setImmediate(r));
    }
  } finally {
    input.close();
  }
  const result = session.result();
  sink.flush();
  log.info(
    { reason: result.reason, exitCode: result.exitCode, instret: result.instret, cycle: result.cycle, runSeconds: result.runSeconds },
    'run finished',
  );
  if (statsPath !== undefined) writeFileSync(statsPath, JSON.stringify(statsRecord(a, result), null, 2) + '\n');
  if (result.reason === 'quit') {
    process.stderr.write(`\r\nflashdisco: ${result.message}\n`);
    return 0;
  }
  if (result.reason !== 'exit') {
    process.stderr.write(`flashdisco: ${result.message}\n`);
    return result.exitCode;
  }
  return processStatus(result.exitCode, (msg) => process.stderr.write(`flashdisco: ${msg}\n`));
}

async function main(): Promise<void> {
  // A closed stdout (`flashdisco run ... | head`) ends the run quietly, as other tools do.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  try {
    const argv = parseArgs(hideBin(process.argv));
    switch (argv._[0]) {
      case 'run':
        process.exitCode = await runCommand(argv);
        return;
      default:
        fail(`unknown command '${String(argv._[0])}' (see flashdisco --help)`);
    }
  } catch (e) {
    if (e instanceof UserError) fail(e.message);
    throw e;
  }
}

void main();
