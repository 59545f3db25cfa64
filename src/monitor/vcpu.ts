// A virtual CPU: a real hart that runs the guest directly and a virtual hart that holds the
// guest's view of the CPU (docs/monitor.md, "Two harts per virtual CPU").
//
//   real hart      always in U-mode, satp = the shadow tree for the guest's address space and
//                  mode (shadow.ts), medeleg = mideleg = mie = 0, so every trap it takes comes to
//                  onTrap below; mstatus.FS and the counter enables are the guest's, so FP and
//                  counter reads run directly where the guest's mode allows them
//   virtual hart   the guest's privilege, CSRs and satp; its port is the VM's guest-physical
//                  memory (vm-memory.ts). It is only ever stepped, one instruction at a time.
//
// A trap of the real hart is one of:
//   page fault     the virtual hart's MMU walks the guest's table (setting A, and D for a store);
//                  when that succeeds and lands on plain RAM, the pmap gives the machine page,
//                  the shadow leaf is filled and the instruction runs again directly (a shadow
//                  fill); otherwise it is stepped, which reflects the guest's fault or hands the
//                  access to a virtual device
//   anything else  stepped: a privileged instruction, an ecall, a breakpoint run with the guest's
//                  semantics on the virtual hart (Hart.run(1)), which takes the guest's own traps
//                  through its delegation
// A step copies the registers and pc to the virtual hart and back. After it the real hart's
// context is derived again (applyContext) and a virtual interrupt that is now pending and
// enabled is taken; the same happens before every stretch of direct execution.
//
// Time. The real hart's clock is the vCPU's. A stepped instruction's cycles and instructions
// are added to it, and every monitor action charges its cost-table cycles there too (costs.ts),
// so the guest's time, cycle and instret count them as they would count a slower CPU. Where the
// time goes is kept in VcpuStats: direct execution by the guest mode it ran in, the monitor by
// category (a switch onto a shared CPU included), idle (wfi), waiting for a physical CPU while
// another vCPU runs there (scheduler.ts).
//
// Virtual M-mode with mstatus.MPRV set and translation in MPP cannot be one shadow mapping
// (fetches are bare, data translated): such a vCPU runs on the virtual hart alone, stepped,
// until MPRV is cleared.

import { Hart, Stop, type CostModel, type MachineTrapHook, type SemihostHook } from '../vcpu/hart.js';
import { Access, type MemoryPort } from '../vcpu/port.js';
import { Cause, Priv, type Irq } from '../vcpu/trap.js';
import { FS_DIRTY, MSTATUS, type CsrFile } from '../vcpu/csr.js';
import { translate, TranslateFault, untranslated } from '../vcpu/mmu.js';
import { DecodeCache } from '../vcpu/decode-cache.js';
import type { MonitorCosts } from './costs.js';
import { MACHINE_PPN0, PAGE } from './machine-memory.js';
import { SHADOW_BARE, SHADOW_MXR, SHADOW_S, SHADOW_S_SUM, SHADOW_U, PTE_R, PTE_W, PTE_X, ShadowTables, shadowPerms, type ShadowTree } from './shadow.js';
import { Charge, CHARGE_COUNT, Emulated, TimeIn, TrapClass, VcpuStats } from './stats.js';
import { VirtualPort, PAGE_PENDING, type GuestPort } from './vm-memory.js';

/** What a virtual CPU needs of its VM. */
export interface VcpuHome {
  /** The VM's memory port (guest physical). */
  readonly guest: GuestPort;
  /** The port of the VM's real harts (machine memory). */
  readonly realPort: MemoryPort;
  readonly shadow: ShadowTables;
  readonly costs: MonitorCosts;
}

const enum Fill {
  /** The shadow leaf is there: run the instruction again directly. */
  Done,
  /** Plain RAM is not there (a device, no memory): step it. */
  NotRam,
  /** The guest's own tables fault: step it, which reflects the fault. */
  GuestFault,
  /**
   * A line of the guest's table, or the pmap entry of the page, is not here yet (FLASH): the
   * real hart stalls and runs the instruction again once it comes.
   */
  Stall,
}

const enum StepResult { Retired, Trapped, Stalled }

const ACCESS_OF_CAUSE: Record<number, Access> = {
  [Cause.FetchPageFault]: Access.Fetch,
  [Cause.LoadPageFault]: Access.Load,
  [Cause.StorePageFault]: Access.Store,
};

/** The instruction behind an illegal-instruction trap of the real hart, from its bits. */
function emulatedClass(bits: number): Emulated {
  if ((bits & 0x7f) !== 0x73) return Emulated.Illegal;
  const f3 = (bits >>> 12) & 7;
  if (f3 !== 0 && f3 !== 4) return Emulated.Csr;
  if (bits === 0x30200073) return Emulated.Mret;
  if (bits === 0x10200073) return Emulated.Sret;
  if (bits === 0x10500073) return Emulated.Wfi;
  if (f3 === 0 && (bits >>> 25) === 0x09 && ((bits >>> 7) & 31) === 0) return Emulated.SfenceVma;
  return Emulated.Illegal;
}

export class Vcpu {
  readonly hartId: number;
  readonly real: Hart;
  readonly virt: Hart;
  readonly monitorStats = new VcpuStats();
  private readonly price: MonitorCosts;
  private readonly guest: GuestPort;
  private readonly shadow: ShadowTables;

  // The real hart's context (applyContext).
  private tree: ShadowTree | null = null;
  private treeKey = -1;
  private generation = -1;
  private mode = SHADOW_BARE;
  /** MPRV with translation in virtual M: run on the virtual hart alone. */
  private stepping = false;

  /** How run() ends, when not by budget (a device halted the machine). */
  private stopWith = Stop.Budget;
  /** The board asked run() to end (requestStop). */
  private stopAsked = false;
  /** real.simTime() up to which time has been accounted to stats.time / stats.monitor. */
  private mark = 0;
  /** The last shadow fill: a trap for the same access right after it means the fill did not take. */
  private lastFillPc = NaN;
  private lastFillVa = NaN;
  private lastFillKind = -1;
  /** The shadow tables' generation at the last fill: a shoot-down since makes a new fault fair. */
  private lastFillGen = -1;
  /**
   * A page-fault trap that stalled: its cause, address and pc, and the tables' generation then.
   * The retry serves the trap again without running the instruction up to it: the real hart
   * would fault the same way while nothing dropped a leaf, but its shadow walk needs lines of
   * its own, which could evict, retry after retry, the line the trap waits for (the guest walk's
   * and the shadow walk's lines together can be more than an L2 set holds).
   */
  private stalledCause = -1;
  private stalledTval = 0n;
  private stalledPc = NaN;
  private stalledGen = -1;
  /**
   * What the trap now being served has charged, by Charge: taken back if it stalls, since the
   * instruction traps again once the line or the pmap entry it waits for comes.
   */
  private readonly trapCharged = new Float64Array(CHARGE_COUNT);

  /**
   * `real`: the physical CPU's hart to run on (a FLASH node's, whose port is its caches); by
   * default one of its own on the VM's real port.
   */
  constructor(home: VcpuHome, hartId: number, resetPc: number, real?: Hart) {
    this.hartId = hartId;
    this.price = home.costs;
    this.guest = home.guest;
    this.shadow = home.shadow;
    const vport = new VirtualPort(home.guest);
    this.real = real ?? new Hart({ port: home.realPort, hartId, resetPc });
    this.real.pc = resetPc;
    // The same clock rates: the guest's time CSR counts as the real hart's cycles do.
    this.virt = new Hart({ port: vport, hartId, resetPc, decodeCache: new DecodeCache(0), skipSpins: false, costs: this.real.costs });
    vport.real = this.real;
    this.real.setPriv(Priv.U);
    this.real.machineTrapHook = this.onTrap;
    this.applyContext();
  }

  // ---- What the board sees (virt-board.ts, BoardHart) ----

  get pc(): number {
    return this.real.pc;
  }

  get instret(): number {
    return this.real.instret;
  }

  get runRetired(): number {
    return this.real.runRetired;
  }

  get cycle(): number {
    return this.real.cycle;
  }

  get costs(): CostModel {
    return this.real.costs;
  }

  get csr(): CsrFile {
    return this.virt.csr;
  }

  get reservation(): number {
    return this.real.reservation;
  }

  set reservation(r: number) {
    this.real.reservation = r;
    this.virt.reservation = r;
  }

  get machineTrapHook(): MachineTrapHook | null {
    return this.virt.machineTrapHook;
  }

  /** Called when the guest's trap would enter virtual M-mode (the board's fetch-loop check). */
  set machineTrapHook(hook: MachineTrapHook | null) {
    this.virt.machineTrapHook = hook;
  }

  get timeSource(): (() => number) | null {
    return this.real.timeSource;
  }

  set timeSource(t: (() => number) | null) {
    this.real.timeSource = t;
    this.virt.timeSource = t;
  }

  simTime(): number {
    return this.real.simTime();
  }

  setX(i: number, v: bigint | number): void {
    this.real.setX(i, v);
  }

  setIrq(irq: Irq, level: boolean): void {
    this.virt.setIrq(irq, level);
  }

  // Semihosting is served on the virtual hart: a guest's semihosting ebreak traps on the real
  // hart (U-mode never takes it) and is stepped there, in the guest's own mode.
  get semihostHook(): SemihostHook | null {
    return this.virt.semihostHook;
  }

  set semihostHook(hook: SemihostHook | null) {
    this.virt.semihostHook = hook;
  }

  /** The guest waits in wfi: it runs again once an interrupt line rises or its Sstc timer is due. */
  get inWfi(): boolean {
    return this.virt.waiting;
  }

  get waitingForHost(): boolean {
    return this.virt.waitingForHost;
  }

  resumeFromHost(): void {
    this.virt.resumeFromHost();
  }

  requestStop(): void {
    this.stopAsked = true;
    this.real.requestStop();
  }

  idleUntilCycle(time: number): void {
    this.pass(time, TimeIn.Idle);
  }

  /** No physical CPU is free for this runnable vCPU until `time`: its clock goes on, waiting. */
  waitForCpu(time: number): void {
    this.pass(time, TimeIn.Waiting);
  }

  /**
   * A CPU that ran another vCPU last (or none) takes this one for a slice (scheduler.ts): the
   * monitor saves the other's state and loads this one's, at the start of the slice.
   */
  switchIn(): void {
    this.account();
    this.charge(Charge.Switch, this.price.vcpuSwitch);
  }

  private pass(time: number, as: TimeIn): void {
    this.account();
    const before = this.real.simTime();
    this.real.idleUntilCycle(time);
    const passed = this.real.simTime() - before;
    this.monitorStats.time[as] += passed;
    this.mark += passed;
  }

  invalidateRam(ramOffset: number, length: number): void {
    this.real.invalidateRam(ramOffset, length);
    this.virt.invalidateRam(ramOffset, length);
  }

  dropGrant(spanRo: number, dataMayChange: boolean): void {
    this.real.dropGrant(spanRo, dataMayChange);
    this.virt.dropGrant(spanRo, dataMayChange);
  }

  /** The guest's view: every instruction retired, and the traps and interrupts the guest took. */
  stats(): ReturnType<Hart['stats']> {
    const v = this.virt.stats();
    return { instret: this.real.instret, cycle: this.real.cycle, traps: v.traps, interrupts: v.interrupts };
  }

  /**
   * Runs the guest for up to `budget` instructions and not past cycle `cycleLimit`: directly on
   * the real hart, which traps to onTrap, or stepped (MPRV).
   */
  run(budget: number, cycleLimit = Infinity): Stop {
    const r = this.real;
    this.stopWith = Stop.Budget;
    this.stopAsked = false;
    this.account();
    const start = r.instret;
    const pc = r.pc;
    if (this.stalledPc === pc && this.stalledGen === this.shadow.generation && !this.stepping) {
      this.stalledPc = NaN;
      // An interrupt that came meanwhile goes first, as it would before the instruction ran again.
      this.deliverInterrupt();
      if (r.pc === pc) {
        // As if the instruction had trapped again; the trap's first cycle is the run loop's.
        this.onTrap(r, this.stalledCause, this.stalledTval, pc);
        r.extraCycles++;
        if ((this.stopWith as Stop) === Stop.Stall) return Stop.Stall;
      }
    }
    this.stalledPc = NaN;
    // Another vCPU's fence may have dropped trees (this one's included) since the last run.
    if (this.generation !== this.shadow.generation) this.applyContext();
    while (this.stopWith === Stop.Budget && !this.stopAsked) {
      const left = budget - (r.instret - start);
      if (left <= 0 || r.simTime() >= cycleLimit) break;
      this.deliverInterrupt();
      if (this.virt.waiting) {
        this.stopWith = Stop.Wfi;
        break;
      }
      if (this.stepping) {
        this.beginTrap();
        this.charge(Charge.Emulate, this.price.mprvStep);
        if (this.step(r.pc) === StepResult.Stalled) {
          this.takeBack();
          break;
        }
        this.settle();
        continue;
      }
      // Direct execution stops at the guest's Sstc timer, as a native hart's run does.
      const timer = this.virt.nextTimerCycle();
      if (r.run(left, timer > r.simTime() && timer < cycleLimit ? timer : cycleLimit) === Stop.Stall) this.stopWith = Stop.Stall;
      this.account();
    }
    return this.stopWith;
  }

  // ---- What a FLASH node sees (node-actor/node.ts, NodeCpu) ----

  /** The guest wrote mtime: both harts' time CSRs follow. */
  setTimeOffset(ticks: number): void {
    this.real.setTimeOffset(ticks);
    this.virt.setTimeOffset(ticks);
  }

  /** The cycle of the guest's Sstc timer, or Infinity. */
  nextTimerCycle(): number {
    return this.virt.nextTimerCycle();
  }

  get spinning(): boolean {
    return this.real.spinning;
  }

  // ---- Traps of the real hart ----

  private readonly onTrap: MachineTrapHook = (_h, cause, tval, pc) => {
    this.account();
    this.beginTrap();
    this.charge(Charge.Trap, this.price.trap);
    const kind = ACCESS_OF_CAUSE[cause];
    if (kind !== undefined) this.pageFault(kind, tval, pc);
    else this.trapped(cause, tval, pc);
    if (this.stopWith === Stop.Stall) {
      // Nothing of the instruction happened: it traps again once what it waits for comes.
      this.takeBack();
      this.real.pc = pc;
      this.real.requestStop();
      if (kind !== undefined) {
        this.stalledCause = cause;
        this.stalledTval = tval;
        this.stalledPc = pc;
        this.stalledGen = this.shadow.generation;
      }
    }
    // The run loop charges the trap's first cycle once this returns; `trap` includes it.
    this.real.extraCycles--;
    this.mark = this.real.simTime() + 1;
    return true;
  };

  private pageFault(kind: Access, tval: bigint, pc: number): void {
    const r = this.real;
    const va = Number(tval);
    const outcome = this.fill(kind, va, pc);
    if (outcome === Fill.Done) {
      r.pc = pc;
      return;
    }
    if (outcome === Fill.Stall) {
      this.stopWith = Stop.Stall;
      return;
    }
    this.lastFillPc = NaN;
    const device = outcome === Fill.NotRam;
    const stepped = this.step(pc);
    if (stepped === StepResult.Stalled) return;
    this.monitorStats.traps[device ? TrapClass.Device : TrapClass.GuestPageFault]++;
    if (device && stepped === StepResult.Retired) this.charge(Charge.Mmio, this.price.mmio);
    else this.charge(Charge.Reflect, this.price.reflect);
    this.settle();
  }

  /** A trap other than a page fault: the instruction is stepped on the virtual hart. */
  private trapped(cause: number, tval: bigint, pc: number): void {
    this.lastFillPc = NaN;
    let em = -1;
    let fenceVa: number | null = null, fenceAsid: number | null = null;
    if (cause === Cause.IllegalInstruction) {
      const bits = Number(BigInt.asUintN(32, tval));
      em = emulatedClass(bits);
      if (em === Emulated.SfenceVma) {
        const rs1 = (bits >>> 15) & 31, rs2 = (bits >>> 20) & 31;
        if (rs1 !== 0) fenceVa = Number(BigInt.asIntN(64, this.real.getX(rs1)));
        if (rs2 !== 0) fenceAsid = this.real.xl[rs2]! & 0xffff;
      }
    }
    const stepped = this.step(pc);
    if (stepped === StepResult.Stalled) return;
    if (cause === Cause.IllegalInstruction) this.monitorStats.traps[em === Emulated.Illegal ? TrapClass.Other : TrapClass.Privileged]++;
    else this.monitorStats.traps[cause === Cause.EcallU ? TrapClass.Ecall : cause === Cause.Breakpoint ? TrapClass.Ebreak : TrapClass.Other]++;
    if (em >= 0 && em !== Emulated.Illegal && stepped === StepResult.Retired) {
      this.monitorStats.emulated[em]++;
      this.charge(Charge.Emulate, this.price.emulate[em]!);
      if (em === Emulated.SfenceVma) {
        const dropped = this.shadow.fence(fenceVa, fenceAsid);
        this.charge(Charge.Shootdown, dropped * this.price.shootdown);
      }
    } else {
      if (em === Emulated.Illegal) this.monitorStats.emulated[em]++;
      this.charge(Charge.Reflect, this.price.reflect);
    }
    this.settle();
  }

  /** The shadow fill of a page fault at `va` for `kind` (see the header). */
  private fill(kind: Access, va: number, pc: number): Fill {
    const v = this.virt;
    if (pc === this.lastFillPc && va === this.lastFillVa && kind === this.lastFillKind && this.lastFillGen === this.shadow.generation) {
      this.monitorStats.refaults++;
      return Fill.NotRam;
    }
    const p = kind === Access.Fetch ? v.priv : v.dataPriv();
    let gpa: number, perms: number, superpage = false;
    if (untranslated(v, p)) {
      if (!(va >= 0)) return Fill.NotRam;
      gpa = va;
      perms = PTE_R | PTE_W | PTE_X;
    } else {
      gpa = translate(v, va, kind, p);
      if (gpa === TranslateFault.Stall) return Fill.Stall;
      if (gpa < 0) return Fill.GuestFault;
      this.charge(Charge.Walk, (3 - v.leafLevel) * this.price.walkLevel);
      perms = shadowPerms(v.leafPte, this.mode);
      superpage = v.leafLevel > 0;
    }
    const ro = this.guest.plainRamPage(gpa);
    if (ro === PAGE_PENDING) return Fill.Stall;
    if (ro < 0) return Fill.NotRam;
    if ((perms & PTE_W) !== 0 && this.guest.readOnly?.(gpa) === true) {
      // A replicated page: mapped read-only; a store first has the replicas collapsed.
      if (kind !== Access.Store) perms &= ~PTE_W;
      else if (this.guest.makeWritable!(gpa) === PAGE_PENDING) return Fill.Stall;
    }
    if (!this.shadow.fill(this.tree!, va, ro / PAGE, perms, superpage)) {
      // The reserve is used up: start again with empty trees; the access faults once more and
      // fills the new tree.
      this.shadow.dropAll();
      this.applyContext();
      return Fill.Done;
    }
    this.charge(Charge.ShadowFill, this.price.shadowFill);
    this.monitorStats.traps[TrapClass.ShadowFill]++;
    this.monitorStats.fills[kind]++;
    this.lastFillPc = pc;
    this.lastFillVa = va;
    this.lastFillKind = kind;
    this.lastFillGen = this.shadow.generation;
    return Fill.Done;
  }

  // ---- Stepping ----

  /**
   * Runs the instruction at `pc` on the virtual hart, with the real hart's registers: it
   * retired, or trapped (or let an interrupt in first), or stalled on a line or a pmap entry
   * (FLASH), changing nothing.
   */
  private step(pc: number): StepResult {
    const r = this.real, v = this.virt;
    this.toVirtual(pc);
    const i0 = v.instret, e0 = v.extraCycles;
    // A device access that was performed (FLASH) retires before any interrupt it raised is taken.
    v.interruptsHeld = r.interruptsHeld;
    const why = v.run(1);
    v.interruptsHeld = r.interruptsHeld;
    if (why === Stop.Stall) {
      // The virtual hart's port charged the lines it found: they count when the instruction runs.
      v.extraCycles = e0;
      this.stopWith = Stop.Stall;
      return StepResult.Stalled;
    }
    const retired = v.instret - i0, extra = v.extraCycles - e0;
    r.instret += retired;
    r.extraCycles += extra;
    this.monitorStats.stepped++;
    this.monitorStats.monitor[Charge.Stepped] += retired + extra;
    this.mark += retired + extra;
    this.toReal();
    if (why === Stop.Halt) this.stopWith = Stop.Halt;
    return retired > 0 ? StepResult.Retired : StepResult.Trapped;
  }

  /**
   * After a step: the real hart's context, a pending virtual interrupt, and whether the real
   * hart must leave run() (a halt, wfi, or a context it cannot run: MPRV).
   */
  private settle(): void {
    this.applyContext();
    this.deliverInterrupt();
    if (this.stopWith !== Stop.Budget || this.virt.waiting || this.stepping) this.real.requestStop();
  }

  /** Time, FS and the other state the real hart changes by itself, onto the virtual hart. */
  private pull(): void {
    const r = this.real, v = this.virt;
    v.instret = r.instret + r.runRetired;
    v.extraCycles = r.extraCycles;
    if ((r.csr.mstatus & MSTATUS.FS) === FS_DIRTY) v.csr.mstatus |= FS_DIRTY;
  }

  private toVirtual(pc: number): void {
    const r = this.real, v = this.virt;
    this.pull();
    v.xl.set(r.xl); v.xh.set(r.xh);
    v.fl.set(r.fl); v.fh.set(r.fh);
    v.frm = r.frm; v.fflags = r.fflags;
    v.reservation = r.reservation;
    v.reservationLo = r.reservationLo; v.reservationHi = r.reservationHi;
    v.pc = pc;
  }

  private toReal(): void {
    const r = this.real, v = this.virt;
    r.xl.set(v.xl); r.xh.set(v.xh);
    r.fl.set(v.fl); r.fh.set(v.fh);
    r.frm = v.frm; r.fflags = v.fflags;
    r.reservation = v.reservation;
    r.reservationLo = v.reservationLo; r.reservationHi = v.reservationHi;
    r.cycleOffset = v.cycleOffset;
    r.instretOffset = v.instretOffset;
    r.pc = v.pc;
  }

  /** Takes a pending, enabled virtual interrupt, if there is one, at the real hart's pc. */
  private deliverInterrupt(): void {
    const r = this.real, v = this.virt;
    // A device access of the guest's was performed (FLASH): its instruction retires first.
    if (r.interruptsHeld) return;
    this.pull();
    v.pc = r.pc;
    if (!v.takeInterrupt()) return;
    this.monitorStats.interrupts++;
    this.charge(Charge.Interrupt, this.price.interrupt);
    r.pc = v.pc;
    this.applyContext();
  }

  /** Derives the real hart's satp, FS and counter enables from the virtual hart (see the header). */
  private applyContext(): void {
    const v = this.virt, r = this.real, c = v.csr, rc = r.csr;
    const s = c.mstatus;
    const enabled = v.priv === Priv.M ? -1 : v.priv === Priv.S ? c.mcounteren : c.mcounteren & c.scounteren;
    rc.mcounteren = enabled;
    rc.scounteren = enabled;
    rc.mstatus = s & MSTATUS.FS;
    const translated = c.satpMode === 8;
    this.stepping = v.priv === Priv.M && (s & MSTATUS.MPRV) !== 0 && ((s >>> 11) & 3) !== Priv.M && translated;
    if (this.stepping) return;
    let mode = SHADOW_BARE;
    if (v.priv !== Priv.M && translated) {
      mode = v.priv === Priv.U ? SHADOW_U : (s & MSTATUS.SUM) !== 0 ? SHADOW_S_SUM : SHADOW_S;
      if ((s & MSTATUS.MXR) !== 0) mode |= SHADOW_MXR;
    }
    const key = ShadowTables.key(mode, c.satpAsid, c.satpPpn);
    if (key === this.treeKey && this.generation === this.shadow.generation) return;
    const asid = mode === SHADOW_BARE ? 0 : c.satpAsid;
    let tree = this.shadow.tree(key, mode, asid);
    if (tree === null) {
      this.shadow.dropAll();
      tree = this.shadow.tree(key, mode, asid)!;
    }
    this.tree = tree;
    this.treeKey = key;
    this.mode = mode;
    this.generation = this.shadow.generation;
    rc.satpMode = 8;
    rc.satpAsid = tree.asid;
    rc.satpPpn = MACHINE_PPN0 + tree.root;
    r.flushTlb();
  }

  // ---- Time ----

  /** Direct execution since the last mark goes to the guest mode it ran in. */
  private account(): void {
    const now = this.real.simTime();
    this.monitorStats.time[this.virt.priv === Priv.U ? TimeIn.GuestUser : TimeIn.GuestKernel] += now - this.mark;
    this.mark = now;
  }

  private charge(what: Charge, cycles: number): void {
    this.real.extraCycles += cycles;
    this.monitorStats.monitor[what] += cycles;
    this.trapCharged[what] += cycles;
    this.mark += cycles;
  }

  private beginTrap(): void {
    this.trapCharged.fill(0);
  }

  /** The trap stalled: what it charged is taken back (see trapCharged). */
  private takeBack(): void {
    const c = this.trapCharged;
    for (let k = 0; k < c.length; k++) {
      this.real.extraCycles -= c[k]!;
      this.monitorStats.monitor[k] -= c[k]!;
      this.mark -= c[k]!;
    }
    this.monitorStats.stalls++;
  }

  /** Monitor work done for this vCPU's node outside a trap (a NUMA scan's shoot-down). */
  chargeShootdown(cycles: number): void {
    this.account();
    this.real.extraCycles += cycles;
    this.monitorStats.monitor[Charge.Shootdown] += cycles;
    this.mark += cycles;
  }

  /** The shadow tree the real hart walks now (tests). */
  get shadowTree(): ShadowTree | null {
    return this.tree;
  }
}
