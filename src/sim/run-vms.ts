// Several VMs at once on the flat board: what `flashdisco run --vms FILE.json` runs
// (docs/monitor.md, "Several VMs").
//
// One monitor (src/monitor) owns the machine memory: every VM's pages, handed out as each VM
// first touches them and never more than its `mem`, and a partition of the reserve per VM for
// its shadow tables. Each VM is a virt board built of the monitor's parts (vm-board.ts,
// vmPlatform), driven through its RunSession (reboots, disk write-back), with its own console
// sink and its own held input (held-input.ts). Everything is built, and so every file read and
// checked, before any VM runs.
//
// Physical CPUs (`cpus`, default one per vCPU) are shared in one of two ways:
//
//   dedicated   cpus >= vCPUs: every vCPU has a CPU of its own. Each board runs its own rounds
//               exactly as it would alone (`flashdisco run --monitor`), skips included, so a VM
//               prints, and counts, what it does alone. The boards take turns a round at a
//               time, the one whose next round starts first in simulated time going next (ties:
//               file order).
//   shared      cpus < vCPUs: time runs in slices of `timeSlice` cycles, the same for every board.
//               At each slice boundary every board opens a round to the slice's end (host input
//               goes in), the scheduler (src/monitor/scheduler.ts) gives the CPUs to vCPUs that
//               want one, the others are held (their clocks move to the slice's end, waiting or
//               asleep), a vCPU loaded onto a CPU that ran another is charged the switch, then
//               every board runs its round. When no vCPU of any VM wants a CPU and
//               all sleep, the next slice starts at the first timer or device event of any VM.
//
// In both the order of everything depends on simulated time alone. A VM whose board stops (its
// guest exits, faults in a way it cannot recover from, runs out of instructions, or sleeps with
// nothing left to wake it) is ended on its own with its outcome; the others go on. A finisher
// reset boots the VM anew in its place (same memory size and reserve partition; its old pages
// given back), its time counting on from where the old boot stopped.

import { performance } from 'node:perf_hooks';
import type { ConsoleSink } from '../devices/htif.js';
import type { MonitorCostConfig } from '../monitor/costs.js';
import { MAX_MACHINE_BYTES } from '../monitor/machine-memory.js';
import { DEFAULT_RESERVE_MIB, Monitor } from '../monitor/monitor.js';
import type { Placement } from '../monitor/placement.js';
import { CpuScheduler } from '../monitor/scheduler.js';
import type { BootFiles } from './boot.js';
import { UserError, EXIT_GUEST_FAULT, EXIT_MAX_INSNS } from './errors.js';
import { HeldInput } from './held-input.js';
import type { Logger } from './log.js';
import { RunSession, type FlatRunResult } from './run-flat.js';
import { BOARD_CPU_HZ, DEFAULT_QUANTUM, MAX_HARTS, type VirtBoard } from './virt-board.js';
import { vmPlatform } from './vm-board.js';

const MiB = 1024 * 1024;

export interface VmRunSpec extends BootFiles {
  name: string;
  vcpus: number;
  memMiB: number;
  placement: Placement;
  maxInsns?: number;
  console: ConsoleSink;
  /** Console input, held and fed as piped input is; null for none. */
  input: Uint8Array | null;
}

export interface VmsRunConfig {
  vms: VmRunSpec[];
  /** Physical CPUs (default: one per vCPU). */
  cpus?: number;
  /**
   * Cycles per time slice when vCPUs share CPUs (default DEFAULT_QUANTUM), and per round of
   * every board (default: the board's); `--time-slice` or the VM file's `timeSlice`.
   */
  timeSlice?: number;
  costs?: MonitorCostConfig;
  /** Each VM's partition of the monitor's reserve, whole pages (default DEFAULT_RESERVE_MIB MiB). */
  reserveBytes?: number;
  log?: Logger;
}

export interface VmOutcome {
  name: string;
  result: FlatRunResult;
  /** Simulated cycles from the VM's start to its end, over every boot. */
  simTime: number;
}

export class VmsRun {
  readonly monitor: Monitor;
  readonly sessions: RunSession[];
  /** The scheduler of the shared mode; null when every vCPU has a CPU of its own. */
  readonly scheduler: CpuScheduler | null;
  readonly cpus: number;
  readonly vcpus: number;
  /** Cycles per time slice in the shared mode. */
  readonly timeSlice: number;
  /** Called when VM i has ended (its outcome is there). */
  onVmEnd: ((i: number) => void) | null = null;
  /** Host seconds spent running (host-dependent, never part of results). */
  runSeconds = 0;

  private readonly inputs: HeldInput[];
  private readonly outcomes: (VmOutcome | null)[];
  /** Simulated time at which VM i's current boot started. */
  private readonly base: Float64Array;
  /** The global number of VM i's vCPU 0. */
  private readonly first: number[];
  private readonly wants: Uint8Array;
  private live: number;
  private readonly givenTimeSlice: number | undefined;
  /** Shared mode: where the next slice starts. */
  private now = 0;

  constructor(cfg: VmsRunConfig) {
    const specs = cfg.vms;
    const reserveBytes = cfg.reserveBytes ?? DEFAULT_RESERVE_MIB * MiB;
    this.vcpus = specs.reduce((n, s) => n + s.vcpus, 0);
    this.cpus = cfg.cpus ?? this.vcpus;
    if (!Number.isInteger(this.cpus) || this.cpus < 1 || this.cpus > MAX_HARTS) {
      throw new UserError(`--harts ${this.cpus}: with --vms, the number of physical CPUs must be a whole number from 1 to ${MAX_HARTS}`);
    }
    if (cfg.timeSlice !== undefined && (!Number.isSafeInteger(cfg.timeSlice) || cfg.timeSlice < 1)) {
      throw new UserError(`--time-slice ${cfg.timeSlice}: give a whole number of cycles per time slice, 1 or more`);
    }
    this.givenTimeSlice = cfg.timeSlice;
    this.timeSlice = cfg.timeSlice ?? DEFAULT_QUANTUM;
    const vmBytes = specs.reduce((n, s) => n + s.memMiB * MiB, 0);
    const machineBytes = vmBytes + specs.length * reserveBytes;
    if (machineBytes > MAX_MACHINE_BYTES) {
      throw new UserError(
        `the VMs need ${machineBytes / MiB} MiB of machine memory (their mem, ${vmBytes / MiB} MiB, and ${reserveBytes / MiB} MiB each for the monitor's shadow tables), ` +
        `but the flat board's machine memory is at most ${MAX_MACHINE_BYTES / MiB} MiB; give them less mem`,
      );
    }
    this.monitor = new Monitor({ vmBytes, reserveBytes: specs.length * reserveBytes, costs: cfg.costs });
    this.inputs = specs.map((s) => {
      const held = new HeldInput();
      if (s.input !== null) held.push(s.input);
      held.end();
      return held;
    });
    this.sessions = specs.map((s, i) => {
      try {
        const session = new RunSession({
          kernel: s.kernel, bios: s.bios, initrd: s.initrd, append: s.append, disk: s.disk, diskWrite: s.diskWrite,
          harts: s.vcpus, memMiB: s.memMiB, maxInsns: s.maxInsns, quantum: cfg.timeSlice,
          console: s.console, log: cfg.log,
          platform: vmPlatform(this.monitor, { reserveBytes, identity: { name: s.name, placement: s.placement } }),
        });
        session.onRound = (idle, stopped) => this.inputs[i]!.round(session.board, idle, stopped);
        return session;
      } catch (e) {
        if (e instanceof UserError) throw new UserError(`VM '${s.name}': ${e.message}`);
        throw e;
      }
    });
    this.outcomes = specs.map(() => null);
    this.base = new Float64Array(specs.length);
    this.first = [];
    let g = 0;
    for (const s of specs) {
      this.first.push(g);
      g += s.vcpus;
    }
    this.wants = new Uint8Array(this.vcpus);
    this.live = specs.length;
    this.scheduler = this.cpus < this.vcpus ? new CpuScheduler(this.cpus, this.vcpus) : null;
  }

  /** Runs for about `hostMs` of host time; 'done' once every VM has ended. */
  run(hostMs = Infinity): 'running' | 'done' {
    const t0 = performance.now();
    const deadline = t0 + hostMs;
    try {
      while (this.live > 0) {
        if (this.scheduler !== null) this.slice(this.scheduler);
        else this.dedicatedRound();
        if (performance.now() >= deadline) break;
      }
    } finally {
      this.runSeconds += (performance.now() - t0) / 1000;
    }
    return this.live > 0 ? 'running' : 'done';
  }

  /** VM i's outcome, once it has ended. */
  outcome(i: number): VmOutcome | null {
    return this.outcomes[i]!;
  }

  private board(i: number): VirtBoard {
    return this.sessions[i]!.board;
  }

  /** Dedicated CPUs: the round of the board whose next round starts first. */
  private dedicatedRound(): void {
    let pick = -1, at = Infinity;
    for (let i = 0; i < this.sessions.length; i++) {
      if (this.outcomes[i] !== null) continue;
      const t = this.base[i]! + this.board(i).roundBoundary;
      if (t < at) {
        at = t;
        pick = i;
      }
    }
    // Sleeping with nothing to wake it: held input goes in at its next round, else it is stuck.
    if (this.board(pick).runRound() === 'idle' && !this.inputs[pick]!.holding) this.sessions[pick]!.stuck();
    this.settle(pick);
  }

  /** Shared CPUs: one time slice of every board (see the header). */
  private slice(sched: CpuScheduler): void {
    const end = this.now + this.timeSlice;
    const n = this.sessions.length;
    for (let i = 0; i < n; i++) {
      if (this.outcomes[i] !== null) continue;
      const b = this.board(i);
      b.openRound(end - this.base[i]!);
      if (b.sleeping && !this.inputs[i]!.holding) {
        this.sessions[i]!.stuck();
        this.settle(i);
      }
    }
    this.wants.fill(0);
    for (let i = 0; i < n; i++) {
      if (this.outcomes[i] !== null) continue;
      const b = this.board(i);
      for (let h = 0; h < b.harts.length; h++) this.wants[this.first[i]! + h] = b.wantsCpu(h) ? 1 : 0;
    }
    const granted = sched.assign(this.wants);
    for (let i = 0; i < n; i++) {
      if (this.outcomes[i] !== null) continue;
      const b = this.board(i);
      const vcpus = this.monitor.vms[i]!.vcpus;
      for (let h = 0; h < b.harts.length; h++) {
        const v = this.first[i]! + h;
        if (sched.cpuOf[v]! < 0) b.hold(h);
        else if (sched.switched[v] !== 0) vcpus[h]!.switchIn();
      }
    }
    let asleep = granted === 0;
    for (let i = 0; i < n; i++) {
      if (this.outcomes[i] !== null) continue;
      this.board(i).runRound();
      this.settle(i);
      if (this.outcomes[i] === null && !this.board(i).allAsleep) asleep = false;
    }
    let next = end;
    if (asleep) {
      // Nothing ran and nothing will until an event: the next slice starts at the first one.
      let wake = Infinity;
      for (let i = 0; i < n; i++) if (this.outcomes[i] === null) wake = Math.min(wake, this.base[i]! + this.board(i).nextWake());
      if (wake !== Infinity && wake > end) next = wake;
    }
    this.now = next;
  }

  /** After VM i's board ran: a reset boots it anew; any other stop ends the VM. */
  private settle(i: number): void {
    const s = this.sessions[i]!;
    const old = s.board;
    if (old.result === null) return;
    if (s.rebootOnReset() && s.board !== old) {
      this.base[i]! += old.simTime;
      return;
    }
    const result = s.result();
    this.outcomes[i] = { name: this.vmName(i), result, simTime: this.base[i]! + s.board.simTime };
    this.live--;
    this.onVmEnd?.(i);
  }

  private vmName(i: number): string {
    return this.monitor.vms[i]!.name;
  }

  /** The --stats record: the run's configuration, the machine, the CPUs, every VM. */
  report() {
    const m = this.monitor.report();
    return {
      config: {
        cpus: this.cpus, vcpus: this.vcpus,
        sharing: this.scheduler !== null ? 'shared' : 'dedicated',
        /** The time slice given (null: none), the cycles per round of every board too (null: each board's default). */
        timeSlice: this.givenTimeSlice ?? null,
        /** Cycles per time slice when shared. */
        slice: this.scheduler !== null ? this.timeSlice : null,
      },
      costs: m.costs,
      machine: m.machine,
      cpus: this.scheduler?.report() ?? null,
      vms: this.outcomes.map((o, i) => {
        if (o === null) return { name: this.vmName(i), exit: null };
        const r = o.result;
        const monitor = r.board.monitor as { vcpus: Array<Record<string, unknown>> };
        const sched = this.scheduler;
        if (sched !== null) monitor.vcpus.forEach((v, h) => (v.scheduling = sched.vcpuReport(this.first[i]! + h)));
        return {
          name: o.name,
          exit: { reason: r.reason, code: r.exitCode, message: r.message, by: r.by },
          simTime: o.simTime,
          instructions: r.instret,
          reboots: r.reboots,
          harts: r.board.harts,
          devices: r.board.devices,
          memory: r.board.memory,
          monitor,
        };
      }),
    };
  }
}

/** The line that reports how a VM ended (the CLI prints it after `flashdisco: `). */
export function vmEndLine(o: VmOutcome): string {
  const r = o.result;
  const at = `${(o.simTime / BOARD_CPU_HZ * 1000).toFixed(6)} ms simulated`;
  if (r.reason === 'exit') return `vm ${o.name}: exit ${r.exitCode} (${r.by}) after ${at}`;
  return `vm ${o.name}: stopped, status ${r.exitCode}, after ${at}: ${r.message}`;
}

/**
 * The process status of a run of several VMs: 0 when every VM exited with 0, else the status of
 * the first VM in file order that did not: its guest's exit status (1 when it does not fit
 * 0..255), or EXIT_MAX_INSNS / EXIT_GUEST_FAULT.
 */
export function vmsStatus(outcomes: readonly VmOutcome[]): number {
  for (const o of outcomes) {
    const r = o.result;
    if (r.reason === 'exit' && r.exitCode === 0) continue;
    if (r.reason === 'exit') return Number.isInteger(r.exitCode) && r.exitCode >= 0 && r.exitCode <= 255 ? r.exitCode : 1;
    if (r.reason === 'max-insns') return EXIT_MAX_INSNS;
    if (r.reason === 'fault') return EXIT_GUEST_FAULT;
  }
  return 0;
}
