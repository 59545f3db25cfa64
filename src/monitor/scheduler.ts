// The vCPU scheduler: which virtual CPUs, of every VM, run on the machine's physical CPUs in
// the next time slice, when there are more vCPUs than CPUs (docs/monitor.md, "Scheduling").
//
// Time is cut into time slices (--time-slice), the same for every CPU. At each slice boundary the
// runner (src/sim/run-vms.ts) says which vCPUs want a CPU for the slice: those not in wfi, and
// those in wfi whose next timer or device event falls inside it (a vCPU in wfi is descheduled
// until something can wake it). assign() picks up to `cpus` of them, in round-robin order over
// all vCPUs (VM by VM, vCPU by vCPU) starting after the last one that got a CPU the last time
// some had to wait, so that every runnable vCPU gets its turn; each picked vCPU keeps the CPU it
// ran on last when that CPU is still free and has run no other vCPU since, and otherwise takes
// the lowest free CPU. Loading a vCPU onto a CPU that ran another last (or none yet) is a
// switch, which the monitor charges the vCPU at the start of its slice (Vcpu.switchIn). A vCPU
// keeps its CPU for the whole slice (if it enters wfi, the CPU idles to the slice's end); one
// left out waits, its clock going on, until a later slice.
//
// Everything here is a function of the `wants` the runner passes, which depend on simulated
// state alone, so the schedule is the same run after run.

export class CpuScheduler {
  /** cpuOf[v]: the CPU vCPU v runs on in the current slice, or -1. */
  readonly cpuOf: Int32Array;
  /** switched[v]: vCPU v is loaded in the current slice onto a CPU that ran another last (or none). */
  readonly switched: Uint8Array;
  /** Slices each CPU ran a vCPU, and the vCPU switches on it (a vCPU loaded other than the last). */
  readonly cpuSlices: Float64Array;
  readonly cpuSwitches: Float64Array;
  /** Per vCPU: slices it ran, slices it waited for a CPU, and the times it was loaded onto one. */
  readonly vcpuSlices: Float64Array;
  readonly vcpuWaits: Float64Array;
  readonly vcpuSwitches: Float64Array;
  /** Slices assigned so far. */
  slices = 0;
  private readonly ranLast: Int32Array;
  private readonly lastCpu: Int32Array;
  private readonly chosen: Uint8Array;
  private readonly busy: Uint8Array;
  private next = 0;

  /** `cpus` physical CPUs for `vcpus` vCPUs, numbered in round-robin order. */
  constructor(readonly cpus: number, readonly vcpus: number) {
    const n = vcpus;
    this.vcpuSlices = new Float64Array(n);
    this.vcpuWaits = new Float64Array(n);
    this.vcpuSwitches = new Float64Array(n);
    this.cpuOf = new Int32Array(n).fill(-1);
    this.switched = new Uint8Array(n);
    this.lastCpu = new Int32Array(n).fill(-1);
    this.chosen = new Uint8Array(n);
    this.ranLast = new Int32Array(cpus).fill(-1);
    this.busy = new Uint8Array(cpus);
    this.cpuSlices = new Float64Array(cpus);
    this.cpuSwitches = new Float64Array(cpus);
  }

  /** Assigns the next slice's CPUs among the vCPUs v with wants[v] != 0; returns how many run. */
  assign(wants: Uint8Array): number {
    const n = this.vcpus;
    const { cpuOf, chosen, busy, switched } = this;
    cpuOf.fill(-1);
    switched.fill(0);
    chosen.fill(0);
    busy.fill(0);
    this.slices++;
    let granted = 0, last = -1, full = false;
    for (let k = 0; k < n; k++) {
      const v = (this.next + k) % n;
      if (wants[v] === 0) continue;
      if (granted === this.cpus) {
        full = true;
        this.vcpuWaits[v]++;
        continue;
      }
      chosen[v] = 1;
      granted++;
      last = v;
    }
    if (full) this.next = (last + 1) % n;
    for (let v = 0; v < n; v++) {
      const c = this.lastCpu[v]!;
      if (chosen[v] !== 0 && c >= 0 && busy[c] === 0 && this.ranLast[c] === v) {
        cpuOf[v] = c;
        busy[c] = 1;
      }
    }
    let free = 0;
    for (let v = 0; v < n; v++) {
      if (chosen[v] === 0) continue;
      if (cpuOf[v] < 0) {
        while (busy[free] !== 0) free++;
        cpuOf[v] = free;
        busy[free] = 1;
      }
      const c = cpuOf[v]!;
      this.vcpuSlices[v]++;
      if (this.ranLast[c] !== v) {
        switched[v] = 1;
        this.vcpuSwitches[v]++;
        this.cpuSwitches[c]++;
      }
      this.ranLast[c] = v;
      this.lastCpu[v] = c;
      this.cpuSlices[c]++;
    }
    return granted;
  }

  vcpuReport(v: number) {
    return { slices: this.vcpuSlices[v]!, waits: this.vcpuWaits[v]!, switches: this.vcpuSwitches[v]! };
  }

  report() {
    return Array.from({ length: this.cpus }, (_, c) => ({ cpu: c, slices: this.cpuSlices[c]!, switches: this.cpuSwitches[c]! }));
  }
}
