// Statistics of one virtual CPU, split as Disco's Figure 5: where its time went (guest user,
// guest kernel, the monitor by category, idle, waiting for a physical CPU), which traps took it
// into the monitor, which instructions the monitor emulated, and the shadow faults it served.
// How the scheduler ran it, when vCPUs share CPUs, is the scheduler's (scheduler.ts). Everything is simulated
// (cycles and counts), so two runs of one guest give the same figures.

/** Why the real hart trapped into the monitor. */
export const enum TrapClass {
  /** A page fault that a shadow fill served; the instruction ran again directly. */
  ShadowFill,
  /** A privileged instruction or CSR access, emulated or reflected. */
  Privileged,
  /** A load or store that reached a virtual device (or no memory at all). */
  Device,
  /** A page fault the guest's own tables give: reflected to the guest. */
  GuestPageFault,
  Ecall,
  Ebreak,
  /** Anything else: an illegal instruction, FP while FS is off, a misaligned atomic. */
  Other,
}
const TRAP_CLASSES = ['shadow-fill', 'privileged', 'device', 'guest-page-fault', 'ecall', 'ebreak', 'other'];

/** The instruction the monitor stepped on the virtual hart for a privileged-instruction trap. */
export const enum Emulated {
  Csr,
  Mret,
  Sret,
  Wfi,
  SfenceVma,
  /** An FP instruction with mstatus.FS off, or an instruction no guest mode may run. */
  Illegal,
}
const EMULATED = ['csr', 'mret', 'sret', 'wfi', 'sfence.vma', 'illegal'];

/** Where the monitor's cycles went (the cost table's rows, and the stepped instructions). */
export const enum Charge {
  Trap,
  Emulate,
  Reflect,
  ShadowFill,
  Walk,
  Interrupt,
  Mmio,
  /** Loading the vCPU onto a CPU that ran another vCPU last (vCPUs sharing CPUs). */
  Switch,
  Shootdown,
  /** The guest instructions that ran on the virtual hart, their own cycles. */
  Stepped,
}
const CHARGES = ['trap', 'emulate', 'reflect', 'shadow-fill', 'walk', 'interrupt', 'mmio', 'switch', 'shootdown', 'stepped'];
/** How many Charge categories there are. */
export const CHARGE_COUNT = CHARGES.length;

export const enum TimeIn {
  GuestUser,
  GuestKernel,
  Idle,
  /** Runnable, but every physical CPU ran another vCPU. */
  Waiting,
}

function named(names: readonly string[], counts: Float64Array): Record<string, number> {
  const out: Record<string, number> = {};
  names.forEach((n, i) => { if (counts[i]! > 0) out[n] = counts[i]!; });
  return out;
}

export class VcpuStats {
  readonly traps = new Float64Array(TRAP_CLASSES.length);
  readonly emulated = new Float64Array(EMULATED.length);
  readonly monitor = new Float64Array(CHARGES.length);
  readonly time = new Float64Array(4);
  /** Shadow fills by access: fetch, load, store. */
  readonly fills = new Float64Array(3);
  /** Traps served by stepping although a fill had just mapped the page (must stay 0). */
  refaults = 0;
  /** Instructions the virtual hart executed, one by one (MPRV) or for a trap. */
  stepped = 0;
  /** Traps served again because a step or a shadow fill waited for a line or a pmap entry (FLASH). */
  stalls = 0;
  /** Virtual interrupts delivered. */
  interrupts = 0;

  report() {
    let monitor = 0;
    for (const c of this.monitor) monitor += c;
    return {
      time: { guestUser: this.time[TimeIn.GuestUser]!, guestKernel: this.time[TimeIn.GuestKernel]!, monitor, idle: this.time[TimeIn.Idle]!, waiting: this.time[TimeIn.Waiting]! },
      monitorCycles: named(CHARGES, this.monitor),
      traps: named(TRAP_CLASSES, this.traps),
      emulated: named(EMULATED, this.emulated),
      shadowFills: { fetch: this.fills[0]!, load: this.fills[1]!, store: this.fills[2]! },
      stepped: this.stepped,
      stalls: this.stalls,
      interrupts: this.interrupts,
      refaults: this.refaults,
    };
  }
}

export type VcpuReport = ReturnType<VcpuStats['report']>;
