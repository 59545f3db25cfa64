// The monitor: one instance per FLASH node (DESIGN.md, src/monitor). This step runs on the flat
// board, where there is one node and so one instance: it owns machine memory (VM pages and its
// reserve for shadow tables), the memmap, the cost table and the VMs.

import { defaultMonitorCosts, monitorCosts, type MonitorCostConfig, type MonitorCosts } from './costs.js';
import { MachineMemory, MAX_MACHINE_BYTES } from './machine-memory.js';
import { Memmap } from './memmap.js';
import { ShadowReserve } from './shadow.js';
import { Vm } from './vm.js';

/** Machine memory the monitor keeps for its shadow page tables, unless told otherwise. */
export const DEFAULT_RESERVE_MIB = 8;
const MiB = 1024 * 1024;

export interface MonitorOptions {
  /** Machine memory for VM pages: the sum of the VMs' memory sizes. */
  vmBytes: number;
  /** The reserve for shadow tables (default DEFAULT_RESERVE_MIB). */
  reserveBytes?: number;
  /** The machine configuration's monitor rows (default: the defaults). */
  costs?: MonitorCostConfig;
}

/** The most guest memory one monitor can give its VMs with a reserve of `reserveBytes`. */
export function maxVmBytes(reserveBytes = DEFAULT_RESERVE_MIB * MiB): number {
  return MAX_MACHINE_BYTES - reserveBytes;
}

export class Monitor {
  readonly machine: MachineMemory;
  readonly memmap: Memmap;
  readonly reserve: ShadowReserve;
  readonly costs: MonitorCosts;
  readonly costConfig: MonitorCostConfig;
  readonly vms: Vm[] = [];
  private vmBytesLeft: number;

  constructor(o: MonitorOptions) {
    const reserveBytes = o.reserveBytes ?? DEFAULT_RESERVE_MIB * MiB;
    this.costConfig = o.costs ?? defaultMonitorCosts();
    this.costs = monitorCosts(this.costConfig);
    this.machine = new MachineMemory(o.vmBytes, reserveBytes);
    this.memmap = new Memmap(this.machine.pages, reserveBytes / 8);
    this.reserve = new ShadowReserve(this.machine);
    this.vmBytesLeft = o.vmBytes;
  }

  /** A VM of `bytes` of guest memory (at most what the machine has left for VMs). */
  createVm(bytes: number): Vm {
    if (bytes > this.vmBytesLeft) throw new RangeError(`a VM of ${bytes} bytes does not fit the ${this.vmBytesLeft} bytes of machine memory left`);
    this.vmBytesLeft -= bytes;
    const vm = new Vm(this.vms.length, this, bytes);
    this.vms.push(vm);
    return vm;
  }

  /** The --stats record: costs, machine memory, and every VM with its vCPUs. */
  report() {
    return {
      costs: this.costConfig,
      machine: {
        pages: this.machine.pages,
        vmPages: this.machine.vmPages,
        vmPagesUsed: this.machine.vmPagesUsed,
        reservePages: this.reserve.count,
        shadowPagesInUse: this.reserve.inUse,
        shadowPagesPeak: this.reserve.peak,
      },
      vms: this.vms.map((vm) => vm.report()),
    };
  }
}
