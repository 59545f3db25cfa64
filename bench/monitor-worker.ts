// One run of a monitor benchmark workload (monitor-overhead.ts), natively or in a VM, in a worker
// thread of its own: every run starts in a fresh V8 isolate, so neither side inherits the
// other's compiled code or the type feedback of the other's memory ports, whichever runs first.
//
// It reports the simulated outcome and where each CPU's time went (Disco's Figure 5):
//   natively  user = cycles in U-mode; kernel = cycles in S- and M-mode less the sleeps (wfi
//             never waits in U-mode); idle = the board's sleeps (Hart.privCycles, sleepCycles)
//   in a VM   the monitor's own split per vCPU (src/monitor/stats.ts): guest user, guest kernel
//             (virtual S and M), idle, and the monitor by category
// and the host seconds spent running the guest (not loading it), of wall time and of the
// process's CPU time (this thread and V8's compiler and collector threads; the main thread only
// waits), which a host shared with other work inflates less.

import { parentPort, workerData } from 'node:worker_threads';
import { CaptureConsole } from '../src/devices/htif.js';
import { Hart } from '../src/vcpu/hart.js';
import { runToEnd } from '../src/sim/run-flat.js';
import type { VirtBoardConfig } from '../src/sim/virt-board.js';
import { monitorPlatform } from '../src/sim/vm-board.js';
import type { Monitor } from '../src/monitor/monitor.js';
import type { MonitorCostConfig } from '../src/monitor/costs.js';

export interface MonitorRunTask {
  board: Omit<VirtBoardConfig, 'console' | 'platform' | 'log'>;
  /** Console lines, each typed when the machine waits (run-flat.ts feedInput). */
  input: string[];
  /** null: natively; otherwise in a VM with these costs. */
  costs: MonitorCostConfig | null;
}

/** CPU cycles, all harts together, by where they went. */
export interface Breakdown {
  total: number;
  idle: number;
  user: number;
  kernel: number;
  monitor: number;
  /** The monitor's cycles by category (stats.ts: trap, emulate, reflect, shadow-fill, ...). */
  monitorBy: Record<string, number>;
}

export type MonitorReport = ReturnType<Monitor['report']>;

export interface MonitorRunResult {
  reason: string;
  exitCode: number;
  message: string | null;
  instructions: number;
  /** Simulated time at the end: the furthest hart's clock, in cycles (1 GHz: nanoseconds). */
  simTime: number;
  console: string;
  breakdown: Breakdown;
  /** The monitor's --stats record (in a VM). */
  monitor: MonitorReport | null;
  /** Host seconds spent running the guest. */
  runSeconds: number;
  /** Host CPU seconds of the process over the run, loading included. */
  cpuSeconds: number;
}

function nativeBreakdown(harts: readonly unknown[], sleeps: readonly number[]): Breakdown {
  const b: Breakdown = { total: 0, idle: 0, user: 0, kernel: 0, monitor: 0, monitorBy: {} };
  harts.forEach((h, i) => {
    if (!(h instanceof Hart)) throw new Error('a native board whose harts are not Harts');
    const p = h.privCycles();
    b.total += p.user + p.supervisor + p.machine;
    b.idle += sleeps[i]!;
    b.user += p.user;
    b.kernel += p.supervisor + p.machine - sleeps[i]!;
  });
  return b;
}

function vmBreakdown(m: MonitorReport): Breakdown {
  const b: Breakdown = { total: 0, idle: 0, user: 0, kernel: 0, monitor: 0, monitorBy: {} };
  for (const vm of m.vms) {
    for (const v of vm.vcpus) {
      b.idle += v.time.idle;
      b.user += v.time.guestUser;
      b.kernel += v.time.guestKernel;
      b.monitor += v.time.monitor;
      for (const [k, c] of Object.entries(v.monitorCycles)) b.monitorBy[k] = (b.monitorBy[k] ?? 0) + c;
    }
  }
  b.total = b.idle + b.user + b.kernel + b.monitor;
  return b;
}

export function runMonitorTask(t: MonitorRunTask): MonitorRunResult {
  const sink = new CaptureConsole();
  const cpu0 = process.cpuUsage();
  const session = runToEnd({
    ...t.board,
    console: sink,
    input: t.input,
    platform: t.costs === null ? undefined : monitorPlatform({ costs: t.costs }),
  });
  const r = session.result();
  const cpu = process.cpuUsage(cpu0);
  const board = r.board;
  const monitor = (board.monitor as MonitorReport | undefined) ?? null;
  return {
    reason: r.reason,
    exitCode: r.exitCode,
    message: r.message,
    instructions: r.instret,
    simTime: board.simTime,
    console: sink.text().replace(/\r/g, ''),
    breakdown: monitor === null ? nativeBreakdown(session.board.harts, board.harts.map((h) => h.sleepCycles)) : vmBreakdown(monitor),
    monitor,
    runSeconds: r.runSeconds,
    cpuSeconds: (cpu.user + cpu.system) / 1e6,
  };
}

if (parentPort !== null && workerData !== undefined) parentPort.postMessage(runMonitorTask(workerData as MonitorRunTask));
