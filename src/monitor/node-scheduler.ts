// The CPU of a FLASH node as its monitor instance runs it: the vCPUs placed on the node, time-
// sliced on its one processor (docs/monitor.md, "Scheduling").
//
// Each vCPU keeps a real hart of its own (registers, TLB, clock), all on the node's port and
// caches; loading one onto the CPU (FlashNode.loadHart) is the monitor's context switch, charged
// to the vCPU loaded (Vcpu.switchIn). The loaded vCPU keeps the CPU until it waits in wfi, its
// VM ends, or it has run a time slice since it was loaded while another vCPU could run; then the
// next one that can run, in round-robin order, is loaded. A vCPU in wfi can run again once an
// interrupt line rises for it or its Sstc timer is due. A vCPU that stalled on a line, a pmap
// entry or a device keeps the CPU until its instruction has been retried.
//
// Every decision is taken at a cycle fixed by simulated state alone: a run is cut where the next
// one could change (the time slice's end while another vCPU could run, the next timer of one that
// waits), and a message that wakes a vCPU is handled at its own time; so however the engine cuts
// the node's time into windows, the schedule is the same, for any --threads.
//
// Time: a vCPU's clock stands while it is off the CPU; loaded again, it catches up, idle until
// it was woken (if it waited in wfi), waiting for the CPU after. With one vCPU on the node all
// of this reduces to running it.

import type { FlashNode, NodeCpu } from '../node-actor/node.js';
import type { Irq } from '../vcpu/trap.js';
import { Stop } from '../vcpu/status.js';
import type { Hart } from '../vcpu/hart.js';
import type { Vcpu } from './vcpu.js';

/** A vCPU on the node: its VM (device set) and its number in the VM. */
export interface VcpuSlot {
  vcpu: Vcpu;
  vm: number;
  hart: number;
}

/** Monitor work at fixed cycles of the node's CPU (a NUMA scan): due at `nextAt`. */
export interface PeriodicWork {
  nextAt: number;
  /** Due: do it, at `now`, and move nextAt on. */
  run(now: number): void;
}

export class NodeScheduler implements NodeCpu {
  /** Work the loaded vCPU's run stops for, at its cycle. */
  periodic: PeriodicWork | null = null;
  private cur = 0;
  /** When the loaded vCPU was loaded. */
  private loadedAt = 0;
  /** The loaded vCPU stalled: it retries its instruction before anything else. */
  private retry = false;
  private live: number;
  private readonly halted: Uint8Array;
  /** Per vCPU off the CPU in wfi: the cycle an interrupt line rose for it (NaN: none yet). */
  private readonly wokeAt: Float64Array;
  /** Per vCPU: times loaded onto the CPU, and time slices it waited for it (preempted). */
  private readonly loads: Float64Array;
  private readonly preempted: Float64Array;

  constructor(private readonly node: FlashNode, readonly slots: readonly VcpuSlot[], private readonly timeSlice: number) {
    const n = slots.length;
    this.live = n;
    this.halted = new Uint8Array(n);
    this.wokeAt = new Float64Array(n).fill(NaN);
    this.loads = new Float64Array(n);
    this.preempted = new Float64Array(n);
    this.loads[0] = 1;
    node.loadHart(slots[0]!.vcpu.real, slots[0]!.vm);
  }

  run(budget: number, cycleLimit: number): Stop {
    for (;;) {
      const now = this.simTime();
      let limit = cycleLimit;
      if (this.retry && this.halted[this.cur] === 0) {
        // Its stalled instruction first (the node gives it a cycle), whatever the schedule says:
        // an access it made may have been performed already.
        this.retry = false;
      } else {
        this.retry = false;
        if (this.periodic !== null && now >= this.periodic.nextAt) this.periodic.run(now);
        const want = this.choose(now);
        if (want < 0) return this.live === 0 ? Stop.Halt : Stop.Wfi;
        if (want !== this.cur) this.load(want, now);
        if (now >= cycleLimit) return Stop.Budget;
        limit = this.limit(now, cycleLimit);
      }
      const v = this.slots[this.cur]!.vcpu;
      const stop = v.run(budget, limit);
      switch (stop) {
        case Stop.Stall:
          this.retry = true;
          return Stop.Stall;
        case Stop.Halt:
          // A device of its VM ended the VM; the I/O node's HALT_CPU stops its other vCPUs.
          this.stop(this.cur);
          continue;
        case Stop.Wfi:
          continue;
        default:
          if (this.simTime() >= cycleLimit) return Stop.Budget;
      }
    }
  }

  /**
   * The vCPU to run at `now`: the loaded one while it can and its time slice lasts or nobody else
   * can run; else the next that can, round-robin. -1 when none can (every live one waits in wfi,
   * and one of them is loaded to carry the node's clock), or none is left.
   */
  private choose(now: number): number {
    const n = this.slots.length, c = this.cur;
    const mine = this.halted[c] === 0 && this.canRun(c, now);
    if (mine && (n === 1 || now - this.loadedAt < this.timeSlice)) return c;
    for (let k = 1; k < n; k++) {
      const o = (c + k) % n;
      if (this.halted[o] === 0 && this.canRun(o, now)) {
        if (mine) this.preempted[c]++;
        return o;
      }
    }
    if (mine) return c;
    if (this.halted[c] !== 0 && this.live > 0) {
      for (let k = 1; k < n; k++) {
        const o = (c + k) % n;
        if (this.halted[o] === 0) {
          this.load(o, now);
          break;
        }
      }
    }
    return -1;
  }

  private canRun(k: number, now: number): boolean {
    const v = this.slots[k]!.vcpu;
    return !v.inWfi || v.nextTimerCycle() <= now;
  }

  /** Where the loaded vCPU's run must end for the next decision (see the header). */
  private limit(now: number, cycleLimit: number): number {
    let limit = this.periodic !== null && this.periodic.nextAt < cycleLimit ? this.periodic.nextAt : cycleLimit;
    const n = this.slots.length;
    for (let k = 0; k < n; k++) {
      if (k === this.cur || this.halted[k] !== 0) continue;
      const t = this.canRun(k, now) ? this.loadedAt + this.timeSlice : this.slots[k]!.vcpu.nextTimerCycle();
      if (t < limit) limit = t;
    }
    return limit;
  }

  private load(k: number, now: number): void {
    // A stopped vCPU's device access that was answered is never retried.
    this.node.pi.cancelUncached();
    this.wokeAt[this.cur] = NaN;
    const s = this.slots[k]!, v = s.vcpu;
    const woke = v.inWfi ? Math.min(v.nextTimerCycle(), now) : Number.isNaN(this.wokeAt[k]!) ? v.simTime() : this.wokeAt[k]!;
    this.wokeAt[k] = NaN;
    if (woke > v.simTime()) v.idleUntilCycle(woke);
    if (now > v.simTime()) v.waitForCpu(now);
    this.cur = k;
    this.loadedAt = now;
    this.loads[k]++;
    this.node.loadHart(v.real, s.vm);
    v.switchIn();
  }

  /** Monitor work for the node, charged to the vCPU on its CPU. */
  chargeShootdown(cycles: number): void {
    this.slots[this.cur]!.vcpu.chargeShootdown(cycles);
  }

  private stop(k: number): void {
    if (this.halted[k] !== 0) return;
    this.halted[k] = 1;
    this.live--;
    this.slots[k]!.vcpu.requestStop();
  }

  /** vCPU `k` cannot go on (its guest's trap traps to itself): it stops at once. */
  stopVcpu(k: number): void {
    this.stop(k);
  }

  /** VM `vm` ended: its vCPUs here stop. True when no vCPU is left on the node. */
  haltVm(vm: number): boolean {
    this.slots.forEach((s, k) => { if (s.vm === vm) this.stop(k); });
    return this.live === 0;
  }

  simTime(): number {
    return this.slots[this.cur]!.vcpu.simTime();
  }

  idleUntilCycle(time: number): void {
    this.slots[this.cur]!.vcpu.idleUntilCycle(time);
  }

  /**
   * The first Sstc timer of a live vCPU, or periodic work while a vCPU is awake or has a timer
   * (a node asleep wakes for either; one that only an interrupt can wake scans nothing).
   */
  nextTimerCycle(): number {
    let t = Infinity, awake = false;
    for (let k = 0; k < this.slots.length; k++) {
      if (this.halted[k] !== 0) continue;
      const v = this.slots[k]!.vcpu, c = v.nextTimerCycle();
      if (c < t) t = c;
      if (!v.inWfi) awake = true;
    }
    if (this.periodic !== null && (awake || t < Infinity) && this.periodic.nextAt < t) t = this.periodic.nextAt;
    return t;
  }

  setIrq(irq: Irq, level: boolean, vm: number, hart: number): void {
    for (let k = 0; k < this.slots.length; k++) {
      const s = this.slots[k]!;
      if (s.vm !== vm || s.hart !== hart) continue;
      if (level && k !== this.cur && s.vcpu.inWfi && Number.isNaN(this.wokeAt[k]!)) this.wokeAt[k] = this.node.now();
      s.vcpu.setIrq(irq, level);
      return;
    }
  }

  setTimeOffset(ticks: number, vm: number): void {
    for (const s of this.slots) if (s.vm === vm) s.vcpu.setTimeOffset(ticks);
  }

  dropGrant(spanRo: number, dataMayChange: boolean): void {
    for (const s of this.slots) s.vcpu.dropGrant(spanRo, dataMayChange);
  }

  /** The loaded vCPU spins and nobody else could take the CPU before the node's next event. */
  get spinning(): boolean {
    if (!this.slots[this.cur]!.vcpu.spinning) return false;
    const now = this.simTime();
    for (let k = 0; k < this.slots.length; k++) if (k !== this.cur && this.halted[k] === 0 && this.canRun(k, now)) return false;
    return true;
  }

  /** The CPU's figures: its vCPUs' together (one vCPU: its own). */
  stats(): ReturnType<Hart['stats']> {
    if (this.slots.length === 1) return this.slots[0]!.vcpu.stats();
    const all = this.slots.map((s) => s.vcpu.stats());
    const sum = (pick: (x: typeof all[0]) => Record<string, number>) => {
      const out: Record<string, number> = {};
      for (const x of all) for (const [k, v] of Object.entries(pick(x))) out[k] = (out[k] ?? 0) + v;
      return out;
    };
    return { instret: all.reduce((a, x) => a + x.instret, 0), cycle: this.simTime(), traps: sum((x) => x.traps), interrupts: sum((x) => x.interrupts) };
  }

  /** vCPU k's share of the CPU: times loaded, and times it was made to give the CPU up. */
  scheduling(k: number) {
    return { loads: this.loads[k]!, preempted: this.preempted[k]! };
  }
}
