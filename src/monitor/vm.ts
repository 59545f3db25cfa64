// One virtual machine: its guest-physical memory (pmap over machine memory), its shadow trees in
// its own partition of the monitor's reserve, and its virtual CPUs. The VM's devices are the
// board's (src/sim/vm-board.ts builds a VM as a virt board whose RAM is this VM's and whose harts
// are its vCPUs).
//
// Owner: the monitor instance of the VM's home node (on the flat board, the one monitor).

import type { MemoryPort } from '../vcpu/port.js';
import type { MonitorCosts } from './costs.js';
import { MachinePort, type MachineMemory } from './machine-memory.js';
import type { Memmap } from './memmap.js';
import { placementName, type Placement } from './placement.js';
import { ShadowTables, type ShadowReserve } from './shadow.js';
import { Vcpu, type VcpuHome } from './vcpu.js';
import { VmMemory, type GuestMemory } from './vm-memory.js';

/** What a VM takes from its monitor. */
export interface VmHost {
  readonly machine: MachineMemory;
  readonly memmap: Memmap;
  readonly costs: MonitorCosts;
}

/** What a VM is, beside its memory size. */
export interface VmIdentity {
  /** The name in reports (default "vmN"). */
  readonly name: string;
  readonly placement: Placement;
}

export class Vm implements VcpuHome {
  readonly memory: VmMemory;
  readonly shadow: ShadowTables;
  readonly costs: MonitorCosts;
  readonly vcpus: Vcpu[] = [];
  private guestPort: GuestMemory | null = null;
  private machinePort: MachinePort | null = null;

  constructor(
    readonly id: number,
    private readonly host: VmHost,
    readonly bytes: number,
    readonly reserve: ShadowReserve,
    readonly identity: VmIdentity,
  ) {
    this.memory = new VmMemory(id, host.machine, host.memmap, bytes);
    this.shadow = new ShadowTables(host.machine, reserve, host.memmap);
    this.costs = host.costs;
  }

  get name(): string {
    return this.identity.name;
  }

  /** Gives the VM's machine pages and shadow tables back to the monitor (it rebooted). */
  release(): void {
    this.shadow.release();
    this.memory.release();
  }

  /** The VM's memory port, built over `memory` with its devices; before any vCPU. */
  attach(guest: GuestMemory): void {
    this.guestPort = guest;
    this.machinePort = new MachinePort(this.host.machine.ram, guest);
  }

  get guest(): GuestMemory {
    return this.guestPort!;
  }

  get realPort(): MemoryPort {
    return this.machinePort!;
  }

  addVcpu(hartId: number, resetPc: number): Vcpu {
    if (this.guestPort === null) throw new Error(`VM ${this.id}: a vCPU before the memory port`);
    const v = new Vcpu(this, hartId, resetPc);
    this.vcpus.push(v);
    return v;
  }

  report() {
    return {
      vm: this.id,
      name: this.name,
      memMiB: this.bytes / (1024 * 1024),
      placement: placementName(this.identity.placement),
      pagesBacked: this.memory.pmap.backed,
      shadow: { trees: this.shadow.count, ...this.shadow.stats, reservePages: this.reserve.count, pagesPeak: this.reserve.peak },
      vcpus: this.vcpus.map((v) => ({ vcpu: v.hartId, ...v.monitorStats.report() })),
    };
  }
}
