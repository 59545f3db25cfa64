// The monitor: one instance per FLASH node (DESIGN.md, src/monitor). On the flat board there is
// one node and so one instance: it owns machine memory (VM pages and its reserve for shadow
// tables), the memmap, the cost table and the VMs. Machine memory is sized for the VMs it will
// hold: their memory, which each gets page by page as it touches it (never more than its size),
// and a partition of the reserve for each.

import { defaultMonitorCosts, monitorCosts, type MonitorCostConfig, type MonitorCosts } from './costs.js';
import { MachineMemory, MAX_MACHINE_BYTES, PAGE } from './machine-memory.js';
import { Memmap } from './memmap.js';
import { ShadowReserve, type ReserveUsage } from './shadow.js';
import { Vm, type VmIdentity } from './vm.js';

/** Machine memory the monitor keeps for its shadow page tables, unless told otherwise. */
export const DEFAULT_RESERVE_MIB = 8;
const MiB = 1024 * 1024;

export interface MonitorOptions {
  /** Machine memory for VM pages: the sum of the VMs' memory sizes. */
  vmBytes: number;
  /** The reserve for shadow tables, all VMs' partitions together (default DEFAULT_RESERVE_MIB). */
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
  readonly costs: MonitorCosts;
  readonly costConfig: MonitorCostConfig;
  readonly vms: Vm[] = [];
  /** Reserve pages in use, every VM's partition together. */
  readonly reserveUsage: ReserveUsage = { inUse: 0, peak: 0 };
  private vmBytesLeft: number;
  private nextReservePage: number;

  constructor(o: MonitorOptions) {
    const reserveBytes = o.reserveBytes ?? DEFAULT_RESERVE_MIB * MiB;
    this.costConfig = o.costs ?? defaultMonitorCosts();
    this.costs = monitorCosts(this.costConfig);
    this.machine = new MachineMemory(o.vmBytes, reserveBytes);
    this.memmap = new Memmap(this.machine.pages, reserveBytes / 8);
    this.vmBytesLeft = o.vmBytes;
    this.nextReservePage = this.machine.vmPages;
  }

  /**
   * A VM of `bytes` of guest memory (at most what the machine has left for VMs), with
   * `reserveBytes` of the reserve for its shadow tables (default: all that is left).
   */
  createVm(bytes: number, o: { reserveBytes?: number; identity?: VmIdentity } = {}): Vm {
    if (bytes > this.vmBytesLeft) throw new RangeError(`a VM of ${bytes} bytes does not fit the ${this.vmBytesLeft} bytes of machine memory left`);
    const left = this.machine.pages - this.nextReservePage;
    const pages = o.reserveBytes === undefined ? left : o.reserveBytes / PAGE;
    if (!Number.isInteger(pages) || pages < 1 || pages > left) throw new RangeError(`a reserve partition of ${pages} pages does not fit the ${left} reserve pages left`);
    this.vmBytesLeft -= bytes;
    const reserve = new ShadowReserve(this.machine, this.nextReservePage, pages, this.reserveUsage);
    this.nextReservePage += pages;
    const id = this.vms.length;
    const vm = new Vm(id, this, bytes, reserve, o.identity ?? { name: `vm${id}`, placement: { policy: 'first-touch' } });
    this.vms.push(vm);
    return vm;
  }

  /**
   * A rebooted VM: `old` gives its pages and shadow tables back, and a new VM of the same size,
   * reserve partition and identity takes its place (and its id).
   */
  rebootVm(old: Vm): Vm {
    if (this.vms[old.id] !== old) throw new Error(`VM ${old.id} (${old.name}) is not this monitor's current VM ${old.id}`);
    old.release();
    const vm = new Vm(old.id, this, old.bytes, old.reserve, old.identity);
    this.vms[old.id] = vm;
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
        reservePages: this.machine.reservePages,
        shadowPagesInUse: this.reserveUsage.inUse,
        shadowPagesPeak: this.reserveUsage.peak,
      },
      vms: this.vms.map((vm) => vm.report()),
    };
  }
}
