// `flashdisco run --monitor`: the guest runs in a VM of the Disco-style monitor (src/monitor)
// instead of on the board itself. The VM is a virt board (virt-board.ts) built of the monitor's
// parts: its RAM is paged over the monitor's machine memory through the VM's pmap, and its harts
// are virtual CPUs. Boot, rounds, timers, devices, console and exit are the board's, so the
// guest sees the machine it sees natively. With `--vms` several such boards share one monitor
// (vmPlatform; run-vms.ts runs them).

import { BoardMemory } from './board-memory.js';
import type { BoardPlatform } from './virt-board.js';
import { UserError } from './errors.js';
import type { MonitorCostConfig } from '../monitor/costs.js';
import { DEFAULT_RESERVE_MIB, Monitor, maxVmBytes } from '../monitor/monitor.js';
import { MAX_MACHINE_BYTES } from '../monitor/machine-memory.js';
import type { Vm, VmIdentity } from '../monitor/vm.js';

const MiB = 1024 * 1024;

export interface MonitorRunOptions {
  /** The machine configuration's monitor rows (src/config/monitor-costs.ts; default: the defaults). */
  costs?: MonitorCostConfig;
  /** Bytes of machine memory for shadow page tables, whole pages (default DEFAULT_RESERVE_MIB MiB). */
  reserveBytes?: number;
}

/** A platform factory for VirtBoardConfig.platform: each board gets a new monitor with one VM. */
export function monitorPlatform(o: MonitorRunOptions = {}): () => BoardPlatform {
  const reserveBytes = o.reserveBytes ?? DEFAULT_RESERVE_MIB * MiB;
  return () => {
    let monitor: Monitor | null = null;
    let vm: BoardPlatform | null = null;
    return {
      memory(base, size) {
        if (size > maxVmBytes(reserveBytes)) {
          throw new UserError(`--mem ${size / MiB} with --monitor: at most ${maxVmBytes(reserveBytes) / MiB} MiB (the monitor keeps ${reserveBytes / MiB} MiB of the machine's ${MAX_MACHINE_BYTES / MiB} MiB for shadow page tables)`);
        }
        monitor = new Monitor({ vmBytes: size, reserveBytes, costs: o.costs });
        vm = vmPlatform(monitor, { reserveBytes, identity: { name: 'vm0', placement: { policy: 'first-touch' } } })();
        return vm.memory(base, size);
      },
      hart: (hartId, resetPc, mem) => vm!.hart(hartId, resetPc, mem),
      stats: () => monitor!.report(),
    };
  };
}

/**
 * A platform factory for one VM of several on `monitor`: the first board makes the VM, with
 * `reserveBytes` of the reserve for its shadow tables; a reboot's board gets the VM anew, its
 * old pages and tables given back. Statistics are the VM's own.
 */
export function vmPlatform(monitor: Monitor, o: { reserveBytes: number; identity: VmIdentity }): () => BoardPlatform {
  let vm: Vm | null = null;
  return () => ({
    memory(base, size) {
      vm = vm === null ? monitor.createVm(size, o) : monitor.rebootVm(vm);
      const mem = new BoardMemory({ base, size, paged: vm.memory });
      vm.attach(mem);
      return mem;
    },
    hart: (hartId, resetPc) => vm!.addVcpu(hartId, resetPc),
    stats: () => vm!.report(),
  });
}
