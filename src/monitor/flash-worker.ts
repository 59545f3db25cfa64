// The piscina worker entry of a FLASH machine that runs VMs: the node actors' worker
// (node-actor/worker.ts) with a monitor instance attached to every node it steps.

import type { FlashNode } from '../node-actor/node.js';
import { workerTask } from '../node-actor/worker.js';
import type { WorkerExtension, WorkerTask } from '../node-actor/worker-loop.js';
import type { RamView } from '../vcpu/port.js';
import { counterLayout } from '../shared-abi/machine.js';
import { dmaGuestRam, NodeMonitor, type MonitorTask } from './node-monitor.js';

export const monitorExtension: WorkerExtension = {
  attach(nodes: readonly FlashNode[], ram: RamView, t: WorkerTask, io: FlashNode | null) {
    const task = t.monitor as MonitorTask;
    const ctr = counterLayout(t.config.nodes, (t.config.memPerNodeMiB << 20) >>> 12).views(t.counters);
    const monitors = nodes.map((n) => {
      const m = new NodeMonitor(n, t.config, ram, task, ctr.miss, ctr.writes);
      n.attachMonitor(m);
      // A node no VM has a vCPU on runs nothing; its memory and directory serve the others.
      if (m.cpu === null) n.haltCpu();
      return m;
    });
    // Each VM's disk reaches its guest RAM through node 0's pmap entries.
    const ioRams = io === null ? undefined : task.vms.map((vm) => dmaGuestRam(monitors[0]!, vm, ram));
    return { ioRams, report: () => monitors.map((m) => m.report()) };
  },
};

export default function task(t: WorkerTask): Uint8Array {
  return workerTask(t, monitorExtension);
}
