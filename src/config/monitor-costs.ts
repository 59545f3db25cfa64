// The monitor's rows of the machine configuration: the cycles each action of the Disco-style
// monitor (src/monitor) charges to the CPU that runs the vCPU (DESIGN.md invariant 7: all time is
// simulated time). machine.ts holds them in its one table with the FLASH rows, so `--config
// FILE.json` sets them like any other parameter; on the flat board (`run --monitor`, `run --vms`)
// only these rows may be given.
//
// Calibration. The defaults are argued from the measurements of Bugnion, Devine and Rosenblum,
// "Disco: Running Commodity Operating Systems on Scalable Multiprocessors" (SOSP 1997), mostly
// its table of pmake's kernel services under IRIX and under Disco; each row says which. The flat
// board's harts run at 1 GHz, so a cycle is a nanosecond; the paper's machine ran its CPUs "at
// twice the R10000's clock", so its times are taken as they stand. On the FLASH machine (cpuMHz)
// the same cycles are the same monitor work at that clock.
//
// With every row 0 a guest in a VM runs cycle for cycle as it does natively: the trap into the
// monitor then costs the one cycle a trap costs the hart, an emulated instruction the cycle it
// takes on the virtual hart, and nothing else is charged. test/monitor.test.ts relies on that.
//
// Charged today: every row but monitorRemoteCycles (one node: nothing is remote).
// monitorSwitchCycles is charged only where vCPUs share CPUs (`run --vms` with fewer --harts than
// vCPUs): a vCPU with a CPU of its own is never switched.

import type { Param } from './machine.js';

export interface MonitorCostConfig {
  monitorTrapCycles: number;
  monitorCsrCycles: number;
  monitorXretCycles: number;
  monitorWfiCycles: number;
  monitorSfenceCycles: number;
  monitorMprvStepCycles: number;
  monitorReflectCycles: number;
  monitorShadowFillCycles: number;
  monitorWalkLevelCycles: number;
  monitorInterruptCycles: number;
  monitorMmioCycles: number;
  monitorSwitchCycles: number;
  monitorShootdownCycles: number;
  monitorRemoteCycles: number;
}

const cost = (dflt: number, doc: string): Param => ({ type: 'int', default: dflt, min: 0, doc });

export const MONITOR_COST_PARAMS: { readonly [K in keyof MonitorCostConfig]: Param } = {
  // A UTLB miss takes 0.035 us on IRIX and 1.35x that under Disco, whose monitor takes the miss,
  // finds the entry in its second-level TLB and returns: about 0.047 us for the round trip
  // through the monitor, of which the entry and exit get 30 and the fill (below) the rest.
  monitorTrapCycles: cost(30, 'monitor: entering the monitor from direct execution and returning, the hardware trap included'),
  // Pmake's "quick fault" (a page fault served without I/O) takes 5 us on IRIX and 3.17x that
  // under Disco: 10.9 us more, mostly the emulation of the privileged instructions of kernel
  // entry and exit and of TLB writes, on the order of a hundred of them: ~100 ns each. The paper
  // gives no split by instruction, so each class below starts at that mean.
  monitorCsrCycles: cost(100, 'monitor: emulating a CSR read or write (a satp write also picks the shadow tree)'),
  monitorXretCycles: cost(100, 'monitor: emulating mret or sret (the virtual mode and status, and the shadow tree of the new mode)'),
  monitorWfiCycles: cost(100, 'monitor: emulating wfi, before the vCPU idles'),
  monitorSfenceCycles: cost(100, 'monitor: emulating sfence.vma, besides monitorShootdownCycles per shadow tree or leaf dropped'),
  monitorMprvStepCycles: cost(100, 'monitor: each instruction stepped while virtual M-mode has MPRV set (firmware reaching guest memory)'),
  // A system call under Disco: pmake's write takes 12 us on IRIX and 2.14x that under Disco, its
  // read 23 us and 1.53x; reflecting the trap into the guest kernel is a few hundred ns of that.
  monitorReflectCycles: cost(200, 'monitor: delivering an exception to the guest\'s trap vector (ecall, a guest page fault, an illegal instruction)'),
  // The rest of the 0.047 us UTLB round trip above (second-level TLB lookup and refill).
  monitorShadowFillCycles: cost(15, 'monitor: a shadow fault served by a fill (tree, machine page, leaf), beside the walk'),
  // A guest page-table read that hits in the cache; a miss costs 300 ns locally on the paper's
  // machine, which the FLASH machine's caches charge by themselves.
  monitorWalkLevelCycles: cost(10, 'monitor: each level of the guest page table read in a shadow fill'),
  // Disco posts interrupts to virtual CPUs like a reflected trap, after finding the source.
  monitorInterruptCycles: cost(300, 'monitor: posting a virtual interrupt into the guest\'s vector'),
  // Pmake's read and write gain 12-14 us under Disco, mostly in the path from the guest driver
  // through the monitor's virtual device: ~0.5 us for each device register it touches.
  monitorMmioCycles: cost(500, 'monitor: emulating a load or store to a virtual device register'),
  // Not measured in the paper: saving one vCPU's registers and virtual privileged state and
  // loading another's, a few hundred instructions. Disco also flushed the hardware TLB; here the
  // real ASID tags each shadow tree, and the refills after a switch are charged as fills.
  monitorSwitchCycles: cost(500, 'monitor: loading a vCPU onto a CPU that ran another vCPU last, charged to it at the start of its time slice'),
  // Disco's TLB shoot-down flushes a hardware TLB entry and its second-level TLB copy.
  monitorShootdownCycles: cost(50, 'monitor: dropping one shadow tree or leaf'),
  // Disco's monitor instances reach each other by IPI (shoot-down, posting interrupts to virtual
  // CPUs): the far CPU takes an interrupt into its monitor (as monitorInterruptCycles) and
  // updates its tables; the message's own latency is the interconnect's.
  monitorRemoteCycles: cost(500, 'monitor: serving a request of another node\'s monitor instance (not charged yet: FLASH only)'),
};
