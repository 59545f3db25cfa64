// One virtual machine: its guest-physical memory (pmap over machine memory), its shadow trees and
// its virtual CPUs. The VM's devices are the board's (src/sim/vm-board.ts builds a VM as a virt
// board whose RAM is this VM's and whose harts are its vCPUs).
//
// Owner: the monitor instance of the VM's home node (on the flat board, the one monitor).

import type { MemoryPort } from '../vcpu/port.js';
import type { MonitorCosts } from './costs.js';
import { MachinePort, type MachineMemory } from './machine-memory.js';
import type { Memmap } from './memmap.js';
import { ShadowTables, type ShadowReserve } from './shadow.js';
import { Vcpu, type VcpuHome } from './vcpu.js';
import { VmMemory, type GuestMemory } from './vm-memory.js';

/** What a VM takes from its monitor. */
export interface VmHost {
  readonly machine: MachineMemory;
  readonly memmap: Memmap;
  readonly reserve: ShadowReserve;
  readonly costs: MonitorCosts;
}

export class Vm implements VcpuHome {
  readonly memory: VmMemory;
  readonly shadow: ShadowTables;
  readonly costs: MonitorCosts;
  readonly vcpus: Vcpu[] = [];
  private guestPort: GuestMemory | null = null;
  private machinePort: MachinePort | null = null;

  constructor(readonly id: number, private readonly host: VmHost, readonly bytes: number) {
    this.memory = new VmMemory(id, host.machine, host.memmap, bytes);
    this.shadow = new ShadowTables(host.machine, host.reserve, host.memmap);
    this.costs = host.costs;
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
      memMiB: this.bytes / (1024 * 1024),
      pagesBacked: this.memory.pmap.backed,
      shadow: { trees: this.shadow.count, ...this.shadow.stats },
      vcpus: this.vcpus.map((v) => ({ vcpu: v.hartId, ...v.monitorStats.report() })),
    };
  }
}
