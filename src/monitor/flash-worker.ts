// The piscina worker entry of a FLASH machine that runs VMs: the node actors' worker
// (node-actor/worker.ts) with a monitor instance attached to every node it steps.

import type { FlashNode } from '../node-actor/node.js';
import { workerTask } from '../node-actor/worker.js';
import type { WorkerExtension, WorkerTask } from '../node-actor/worker-loop.js';
import type { RamView } from '../vcpu/port.js';
import { dmaGuestRam, NodeMonitor, type MonitorTask } from './node-monitor.js';

export const monitorExtension: WorkerExtension = {
  attach(nodes: readonly FlashNode[], ram: RamView, t: WorkerTask, io: FlashNode | null) {
    const task = t.monitor as MonitorTask;
    const monitors = nodes.map((n) => {
      const m = new NodeMonitor(n, t.config, ram, task);
      n.attachMonitor(m);
      // a0 = the guest's hart id, the vCPU's number in its VM, not the node's.
      m.vcpu?.setX(10, m.vcpu.hartId);
      return m;
    });
    // The I/O node's disk belongs to the first VM.
    const ioRam = io === null ? undefined : dmaGuestRam(monitors[0]!, task.vms[0]!, ram);
    return { ioRam, report: () => monitors.map((m) => m.report()) };
  },
};

export default function task(t: WorkerTask): Uint8Array {
  return workerTask(t, monitorExtension);
}
