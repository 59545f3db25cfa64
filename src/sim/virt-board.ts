// The QEMU `virt` board on one thread: RAM, N harts and the devices of DESIGN.md's platform
// table, wired as QEMU wires them, booted as QEMU boots them (boot.ts), and run in a fixed,
// deterministic interleaving.
//
//   0x0010_0000  finisher      0x1000_0000  UART (PLIC 10)      0x8000_0000  RAM (--mem MiB)
//   0x0200_0000  CLINT         0x1000_1000 + 0x1000k  virtio-mmio slot k (PLIC 1 + k), k < 8;
//   0x0c00_0000  PLIC                       slot 0 is the --disk block device, if any
//   HTIF on `tohost`/`fromhost` of every ELF image that defines them
//
// Time. Every hart has its own clock, Hart.simTime() in cycles (1 GHz: one cycle per
// instruction plus the extra cycles of slow instructions, traps and waits). The CLINT reads the
// clock of the hart that is running (`now()`), so mtime is 10 MHz = simTime / 100 for that hart,
// and the `time` CSR is the hart's own simTime / 100 (Hart.costs.cyclesPerTick), the same value
// without a call; only if software writes mtime do the harts' time CSRs switch to reading the
// CLINT. Nothing reads host time.
//
// Interleaving. The harts run in rounds of `quantum` cycles: in each round, in hart-id order,
// every hart runs until its clock reaches the round's end (a hart that spends one cycle per
// instruction runs exactly `quantum` instructions). Within its turn a hart's run() calls are
// cut at its next timer event (its mtimecmp, its Sstc stimecmp, a delayed device interrupt),
// where the board raises the line, so timer interrupts arrive at the exact cycle; a CLINT store
// ends the call too, so a new mtimecmp takes effect at once. A hart in wfi sleeps until its next
// timer event or the end of the round; an interrupt that another hart or a device raises wakes
// it at its next turn. When every hart sleeps the board jumps straight to the earliest timer
// event, and with none it reports 'idle': only host input (the UART) can wake the machine. Host
// input enters only between rounds (onRound), which may also hold the machine until a line the
// guest waits for has come (held-input.ts), so the order of everything depends only on
// simulated state and runs are identical run after run; typing on a terminal is the exception.
//
// Between harts, BoardMemory keeps LR reservations and decoded instructions exact (see there).
//
// Semihosting (--semihosting): every hart's ebreak that closes the semihosting sequence is a call
// to the host (devices/semihosting.ts), which the run's Semihosting object serves. A call that
// waits for console input stops the hart as wfi does, and no interrupt wakes it: console input
// (consoleInput) or its end (stuck) does. With semihosting on, all console input goes to the
// semihosting console, none to the UART.
//
// Platform. Natively the board's RAM is one BoardMemory and its harts are Harts. A monitor's VM
// (src/sim/vm-board.ts) is the same board built of other parts (`platform`): RAM paged over
// machine memory and virtual CPUs, which the board drives through BoardHart as it drives Harts.
//
// A run ends when the finisher, HTIF or semihosting stops it (exit status), when --max-insns
// instructions have retired (all harts together), or when the guest can make no progress (a trap
// handler that cannot be fetched, an HTIF request or semihosting call we do not support, every
// hart asleep with nothing to wake it and no more input). A finisher reset ('reset') is handed to the runner, which boots a new
// board on the same disk.

import { performance } from 'node:perf_hooks';
import { openSync, closeSync, writeSync, constants as fsConstants, accessSync } from 'node:fs';
import { DEFAULT_COSTS, Hart, Stop, type CostModel, type MachineTrapHook, type SemihostHook } from '../vcpu/hart.js';
import { trapLoopMessage, type Irq } from '../vcpu/trap.js';
import type { CsrFile } from '../vcpu/csr.js';
import { Clint, CLINT_MTIME, DEFAULT_TIMEBASE_HZ } from '../devices/clint.js';
import { Plic } from '../devices/plic.js';
import { Uart16550, UART_IRQ } from '../devices/uart16550.js';
import { InputWant, UartListener, INPUT_DEADLINE_S } from '../devices/uart-input.js';
import { VirtioBlk, VirtioMmioEmpty, VIRTIO_COUNT, VIRTIO_IRQ, SECTOR } from '../devices/virtio-blk.js';
import { Finisher } from '../devices/finisher.js';
import { Htif, type ConsoleSink, type HtifStats } from '../devices/htif.js';
import { Semihosting, largestGap, semihostingCmdline } from '../devices/semihosting.js';
import type { HartIrqTarget } from '../devices/irq.js';
import { BoardMemory, type MemoryStats, type SharingHart } from './board-memory.js';
import { readUserFile, placeVirtBoot, MiB, type BootImage, type BootFiles } from './boot.js';
import { UserError, GuestFault, EXIT_MAX_INSNS, EXIT_GUEST_FAULT, hex } from './errors.js';
import { rangeText } from './loader.js';
import { silentLogger, type Logger } from './log.js';

export const RAM_BASE = 0x8000_0000;
export const DEFAULT_MEM_MIB = 128;
/** RAM ends below 4 GiB, so every RAM offset fits an int32 and every address a double. */
export const MAX_MEM_MIB = 2048;
/** QEMU virt allows 512; every hart costs about 1.5 MB of decode cache here. */
export const MAX_HARTS = 64;
/** Cycles each hart runs per round when there are several (Spike interleaves 5000 instructions). */
export const DEFAULT_QUANTUM = 10_000;
/** With one hart there is nothing to interleave: rounds only bound how long run() goes uninterrupted. */
export const SINGLE_HART_QUANTUM = 1_000_000;
/** riscv,isa of every hart in the device tree (what misa reports, plus Sstc). */
export const BOARD_ISA = 'rv64imafdc_zicsr_zifencei_sstc';

/** What the board needs of a hart: a Hart, or a virtual CPU of a monitor's VM (src/monitor/vcpu.ts). */
export interface BoardHart extends SharingHart {
  readonly hartId: number;
  readonly pc: number;
  readonly instret: number;
  /** Instructions retired in the current run() call (exact inside a device access). */
  readonly runRetired: number;
  readonly cycle: number;
  readonly costs: CostModel;
  /** The CSRs as the guest sees them (the board reads the Sstc timer). */
  readonly csr: CsrFile;
  machineTrapHook: MachineTrapHook | null;
  semihostHook: SemihostHook | null;
  /** Stopped in a semihosting call that waits for console input (resumeFromHost lets it go on). */
  readonly waitingForHost: boolean;
  resumeFromHost(): void;
  timeSource: (() => number) | null;
  simTime(): number;
  setX(i: number, v: bigint | number): void;
  setIrq(irq: Irq, level: boolean): void;
  requestStop(): void;
  run(budget: number, cycleLimit?: number): Stop;
  idleUntilCycle(time: number): void;
  /** Kept off a physical CPU until `time` while runnable (a monitor's vCPU, when vCPUs share CPUs). */
  waitForCpu?(time: number): void;
  stats(): ReturnType<Hart['stats']>;
}

/** What a board is built of (see the header). */
export interface BoardPlatform {
  /** The memory port of guest RAM [base, base + size); the board adds the devices. */
  memory(base: number, size: number): BoardMemory;
  hart(hartId: number, resetPc: number, mem: BoardMemory): BoardHart;
  /** The platform's own statistics (a monitor's), reported as BoardStats.monitor. */
  stats?(): unknown;
}

const NATIVE: BoardPlatform = {
  memory: (base, size) => new BoardMemory({ base, size }),
  hart: (hartId, resetPc, mem) => new Hart({ port: mem, hartId, resetPc }),
};

export interface VirtBoardConfig extends BootFiles {
  harts?: number;
  memMiB?: number;
  /** Stop after this many instructions, all harts together (undefined: no limit). */
  maxInsns?: number;
  /** Cycles per hart per round (default DEFAULT_QUANTUM, or SINGLE_HART_QUANTUM for one hart). */
  quantum?: number;
  console: ConsoleSink;
  log?: Logger;
  /** Serve RISC-V semihosting calls, files confined to `root`, SYS_TIME counted from `epoch`. */
  semihosting?: { root: string; epoch: number };
  /** Builds the board's parts (default: native); called for every board, so a reboot gets new ones. */
  platform?: () => BoardPlatform;
}

/** Cycles per second of the board's harts: the CLINT's 10 MHz times the harts' cycles per tick. */
export const BOARD_CPU_HZ = DEFAULT_TIMEBASE_HZ * DEFAULT_COSTS.cyclesPerTick;

/** The host side of semihosting for a run of this board configuration (null without it). */
export function newSemihosting(cfg: VirtBoardConfig): Semihosting | null {
  const o = cfg.semihosting;
  if (o === undefined) return null;
  return new Semihosting({ root: o.root, epoch: o.epoch, cmdline: semihostingCmdline(cfg.kernel, cfg.append), cpuHz: BOARD_CPU_HZ, console: cfg.console });
}

export type StopReason = 'exit' | 'max-insns' | 'fault' | 'reset' | 'quit';

export interface BoardResult {
  reason: StopReason;
  /** The guest's exit status for 'exit' (0 for 'reset'); EXIT_MAX_INSNS or EXIT_GUEST_FAULT otherwise. */
  exitCode: number;
  /** One sentence for 'max-insns' and 'fault'. */
  message: string | null;
  /** What stopped it: 'finisher', 'htif', 'semihosting', or null. */
  by: 'finisher' | 'htif' | 'semihosting' | null;
}

/** What run() ended with: still going (host time is up), nothing can happen without input, or done. */
export type RunState = 'running' | 'idle' | 'done';

interface Checked {
  harts: number;
  memMiB: number;
  maxInsns: number;
  quantum: number;
}

function checkConfig(cfg: VirtBoardConfig): Checked {
  const memMiB = cfg.memMiB ?? DEFAULT_MEM_MIB;
  if (!Number.isInteger(memMiB) || memMiB < 1 || memMiB > MAX_MEM_MIB) {
    throw new UserError(`--mem ${memMiB}: RAM size must be a whole number of MiB from 1 to ${MAX_MEM_MIB}`);
  }
  const harts = cfg.harts ?? 1;
  if (!Number.isInteger(harts) || harts < 1 || harts > MAX_HARTS) {
    throw new UserError(`--harts ${harts}: the number of harts must be a whole number from 1 to ${MAX_HARTS}`);
  }
  const maxInsns = cfg.maxInsns ?? Infinity;
  if (maxInsns !== Infinity && (!Number.isSafeInteger(maxInsns) || maxInsns < 1)) {
    throw new UserError(`--max-insns ${maxInsns}: the instruction limit must be a positive whole number`);
  }
  const quantum = cfg.quantum ?? (harts === 1 ? SINGLE_HART_QUANTUM : DEFAULT_QUANTUM);
  if (!Number.isSafeInteger(quantum) || quantum < 1) throw new UserError(`--quantum ${quantum}: give a whole number of cycles per round, 1 or more`);
  return { harts, memMiB, maxInsns, quantum };
}

/** A guest whose trap would trap to itself forever (Hart.trapsToItself) is stopped. */
function stopFetchTrapLoop(h: Hart, cause: number, _tval: bigint, pc: number): boolean {
  if (!h.trapsToItself(cause, pc)) return false;
  throw new GuestFault(trapLoopMessage(h.hartId, pc));
}

/** The disk of slot 0: its bytes, and how guest writes reach the file (only with --disk-write). */
export interface DiskImage {
  path: string;
  bytes: Uint8Array;
  /** Open for writing (--disk-write), or null. */
  fd: number | null;
}

/** Reads --disk and, for --disk-write, opens it for writing; every problem is a UserError. */
export function openDisk(path: string, write: boolean): DiskImage {
  const bytes = readUserFile(path, 'disk image');
  if (bytes.length < SECTOR) {
    throw new UserError(`disk image '${path}' is ${bytes.length} bytes, smaller than one ${SECTOR}-byte sector`);
  }
  let fd: number | null = null;
  if (write) {
    try {
      accessSync(path, fsConstants.W_OK);
      fd = openSync(path, 'r+');
    } catch (e) {
      throw new UserError(`disk image '${path}' cannot be opened for writing (${(e as NodeJS.ErrnoException).code}); drop --disk-write or fix its permissions`);
    }
  }
  return { path, bytes, fd };
}

export function closeDisk(d: DiskImage): void {
  if (d.fd !== null) closeSync(d.fd);
  d.fd = null;
}

export class VirtBoard {
  readonly mem: BoardMemory;
  readonly harts: BoardHart[];
  readonly clint: Clint;
  readonly plic: Plic;
  readonly uart: Uart16550;
  /** The UART as the harts reach it: says when the guest listens for input (uart-input.ts). */
  readonly uartInput: UartListener;
  readonly finisher: Finisher;
  /** Slot 0's block device when a disk is attached. */
  readonly disk: VirtioBlk | null;
  readonly htif: Htif[] = [];
  /** The host side of semihosting (--semihosting), or null: ebreak is then always a breakpoint. */
  readonly semihost: Semihosting | null;
  readonly dtb: Uint8Array;
  readonly dtbAddr: number;
  /** Where every hart starts (the firmware's entry, or the kernel's). */
  readonly entry: number;
  /** The kernel's entry (fw_dynamic_info.next_addr). */
  readonly kernelEntry: number;
  readonly initrd: { start: number; end: number } | null;
  readonly quantum: number;
  readonly maxInsns: number;
  /**
   * Called at the start of every round, with whether every hart is asleep in wfi (`idle`) and
   * whether besides nothing is armed that could wake one (`stopped`): the points where host input
   * may be handed to the UART without making the run depend on host timing (held-input.ts).
   * Returning true holds the machine before the round: run() returns 'idle', and the next run()
   * asks again.
   */
  onRound: ((idle: boolean, stopped: boolean) => boolean) | null = null;

  result: BoardResult | null = null;
  /** Cycles each hart spent asleep in wfi. */
  readonly sleepCycles: Float64Array;
  /** Rounds run, and jumps over time in which every hart slept. */
  rounds = 0;
  skips = 0;
  /** Host seconds spent in run() (host-dependent, never part of results). */
  runSeconds = 0;

  private readonly log: Logger;
  private readonly asleep: Uint8Array;
  /** The clock of the running hart: what the CLINT and devices see as now. */
  private current = 0;
  private roundEnd = 0;
  /** Next hart to run in the current round; harts.length when the round is over. */
  private turn: number;
  private timeFromClint = false;
  private readonly platform: BoardPlatform;

  /**
   * `semihost` carries semihosting state (open files, console input) over from an earlier boot;
   * without it the board makes its own when the configuration asks for semihosting.
   */
  constructor(cfg: VirtBoardConfig, diskImage: DiskImage | null = null, semihost: Semihosting | null = newSemihosting(cfg)) {
    const c = checkConfig(cfg);
    this.log = cfg.log ?? silentLogger();
    this.quantum = c.quantum;
    this.maxInsns = c.maxInsns;
    const n = c.harts;
    this.platform = cfg.platform?.() ?? NATIVE;
    this.mem = this.platform.memory(RAM_BASE, c.memMiB * MiB);
    const ram = this.mem.guestRam;

    // ---- Images (nothing is written to RAM until every check has passed) ----
    const plan = placeVirtBoot({ ...cfg, harts: n, timebaseHz: DEFAULT_TIMEBASE_HZ, isa: BOARD_ISA }, ram);
    this.entry = plan.entry;
    this.kernelEntry = plan.kernelEntry;
    this.initrd = plan.initrd;
    this.dtb = plan.dtb;
    this.dtbAddr = plan.dtbAddr;
    const fwDynAddr = plan.fwDynAddr;
    this.log.info(
      { entry: hex(this.entry), kernel: hex(plan.kernelEntry), dtb: hex(this.dtbAddr), initrd: this.initrd && rangeText(this.initrd.start, this.initrd.end), harts: n, memMiB: c.memMiB },
      'images placed',
    );

    // ---- Harts and devices ----
    this.harts = [];
    for (let h = 0; h < n; h++) {
      const hart = this.platform.hart(h, this.entry, this.mem);
      hart.setX(10, h); // a0 = hart id
      hart.setX(11, this.dtbAddr); // a1 = device tree
      hart.setX(12, fwDynAddr); // a2 = fw_dynamic_info
      hart.machineTrapHook = stopFetchTrapLoop;
      if (semihost !== null) hart.semihostHook = (hh) => semihost.call(hh);
      this.harts.push(hart);
    }
    this.semihost = semihost;
    semihost?.attach({
      heap: largestGap(ram.base, ram.base + ram.size, plan.regions),
      ramWritten: (o, len) => this.mem.ramWritten(o, len),
    });
    this.asleep = new Uint8Array(n);
    this.sleepCycles = new Float64Array(n);
    const targets: HartIrqTarget[] = this.harts.map((hart, h) => ({
      setIrq: (irq: Irq, level: boolean) => {
        if (level) this.asleep[h] = 0; // as the hart's own wfi: any rising line wakes it
        hart.setIrq(irq, level);
      },
    }));
    this.clint = new Clint({
      harts: targets, now: () => this.harts[this.current]!.simTime(), cpuHz: BOARD_CPU_HZ,
      onStore: (off) => this.clintStored(off),
    });
    this.plic = new Plic({ harts: targets });
    this.finisher = new Finisher();
    this.uart = new Uart16550({ irq: this.plic.line(UART_IRQ), sink: cfg.console });
    this.mem.addDevice(this.finisher, 'finisher');
    this.mem.addDevice(this.clint, 'clint');
    this.mem.addDevice(this.plic, 'plic');
    this.uartInput = new UartListener(this.uart, () => this.harts[this.current]!.simTime(), INPUT_DEADLINE_S * BOARD_CPU_HZ);
    this.mem.addDevice(this.uartInput, 'uart');
    this.disk = null;
    for (let k = 0; k < VIRTIO_COUNT; k++) {
      if (k === 0 && diskImage !== null) {
        const fd = diskImage.fd;
        this.disk = new VirtioBlk({
          slot: 0,
          irq: this.plic.line(VIRTIO_IRQ),
          ram,
          onRamWrite: (o, len) => this.mem.ramWritten(o, len),
          disk: diskImage.bytes,
          serial: 'flashdisco-disk0',
          persist: fd === null ? undefined : (img, ranges) => ranges.forEach(([o, len]) => writeSync(fd, img, o, len, o)),
        });
        if (diskImage.bytes.length % SECTOR !== 0) {
          this.log.warn(`disk image '${diskImage.path}' is not a whole number of ${SECTOR}-byte sectors; the guest sees ${this.disk.capacitySectors} sectors`);
        }
        this.mem.addDevice(this.disk, 'virtio0');
      } else {
        this.mem.addDevice(new VirtioMmioEmpty({ slot: k }), `virtio${k}`);
      }
    }
    for (const img of plan.images) this.attachHtif(img, cfg.console);
    this.mem.attachHarts(this.harts);
    this.turn = n;
  }

  private attachHtif(img: BootImage, console: ConsoleSink): void {
    const tohost = img.symbol('tohost');
    if (tohost === undefined) return;
    const ram = this.mem;
    if (tohost < ram.base || tohost + 8 > ram.base + ram.size || tohost % 8 !== 0) {
      throw new UserError(`'${img.path}': symbol tohost at ${hex(tohost)} is not an aligned 64-bit word inside RAM; check the linker script`);
    }
    const htif = new Htif(tohost, img.symbol('fromhost'), console, (msg) => this.log.warn(msg));
    const name = this.htif.length === 0 ? 'htif' : `htif${this.htif.length}`;
    htif.attach({ addDevice: (d) => this.mem.addDevice(d, name) });
    this.htif.push(htif);
    this.log.info({ image: img.path, tohost: hex(tohost) }, 'htif attached');
  }

  /**
   * A CLINT store may move a timer, so the running hart leaves run() and the board recomputes
   * when its next timer fires; a store to mtime makes every hart's time CSR read the CLINT from
   * then on.
   */
  private clintStored(off: number): void {
    if (off >= CLINT_MTIME && !this.timeFromClint) {
      this.timeFromClint = true;
      for (const h of this.harts) h.timeSource = () => this.clint.mtime();
    }
    this.harts[this.current]!.requestStop();
  }

  /**
   * What console input the guest wants at a round boundary (held-input.ts): with semihosting, a
   * line whenever a hart waits in a semihosting console read; else what the UART's listener says.
   */
  inputWant(now: number, idle: boolean, stopped: boolean): InputWant {
    if (this.semihost === null) return this.uartInput.want(now, idle, stopped);
    return this.harts.some((h) => h.waitingForHost) ? InputWant.Wait : InputWant.No;
  }

  /** Instructions retired by all harts. */
  get instret(): number {
    let s = 0;
    for (const h of this.harts) s += h.instret;
    return s;
  }

  /** Simulated time of the machine: the furthest hart clock, in cycles. */
  get simTime(): number {
    let t = 0;
    for (const h of this.harts) t = Math.max(t, h.simTime());
    return t;
  }

  /**
   * Runs rounds until the machine stops ('done'), every hart sleeps with nothing in the machine
   * to wake it or onRound holds it for input ('idle'), or `hostMs` of host time has passed
   * ('running'; checked between turns).
   */
  run(hostMs = Infinity): RunState {
    const t0 = performance.now();
    const deadline = t0 + hostMs;
    let state: RunState = 'running';
    try {
      for (;;) {
        if (this.result !== null) { state = 'done'; break; }
        if (this.turn === this.harts.length && !this.startRound()) { state = this.result !== null ? 'done' : 'idle'; break; }
        this.runTurn(this.turn++);
        if (performance.now() >= deadline) break;
      }
    } finally {
      this.runSeconds += (performance.now() - t0) / 1000;
    }
    return state;
  }

  // ---- Driven by a scheduler of several boards (src/sim/run-vms.ts) ----

  /**
   * Runs the rest of the round under way, or else one whole round as run() does (host input,
   * and the skip when every hart sleeps): 'idle' when every hart sleeps with nothing to wake it.
   */
  runRound(): RunState {
    if (this.result === null && this.turn === this.harts.length && !this.startRound()) return this.result !== null ? 'done' : 'idle';
    while (this.result === null && this.turn < this.harts.length) this.runTurn(this.turn++);
    return this.result !== null ? 'done' : 'running';
  }

  /** Where the next round starts (before a skip): the end of the last one. */
  get roundBoundary(): number {
    return this.roundEnd;
  }

  /**
   * Opens a round that ends at `end`, for a scheduler that shares physical CPUs among boards:
   * host input first, as startRound() does, but no skip (the scheduler skips for every board
   * at once). Then wantsCpu() and hold() for every hart, then runRound() runs the turns.
   */
  openRound(end: number): void {
    const idle = this.rounds > 0 && this.allAsleep;
    this.onRound?.(idle, idle && this.nextWake() === Infinity);
    this.roundEnd = end;
    this.rounds++;
    this.turn = 0;
  }

  /** Whether hart h has use for a CPU in the open round: it is awake, or an event wakes it in time. */
  wantsCpu(h: number): boolean {
    if (this.result !== null || this.harts[h]!.simTime() >= this.roundEnd) return false;
    return this.asleep[h] === 0 || this.nextEvent(h) < this.roundEnd;
  }

  /**
   * Hart h gets no CPU in the open round: its clock moves to the round's end, asleep or
   * waiting for a CPU, and its turn passes at once. What wakes it meanwhile waits for its next
   * round with a CPU.
   */
  hold(h: number): void {
    const hart = this.harts[h]!;
    if (this.asleep[h] !== 0 || hart.waitForCpu === undefined) this.sleep(h, this.roundEnd);
    else hart.waitForCpu(this.roundEnd);
  }

  /** The first timer or device event of any hart, or Infinity: when a sleeping board wakes. */
  nextWake(): number {
    let wake = Infinity;
    for (let h = 0; h < this.harts.length; h++) wake = Math.min(wake, this.nextEvent(h));
    return wake;
  }

  /** Every hart sleeps in wfi. */
  get allAsleep(): boolean {
    return this.asleep.every((s) => s !== 0);
  }

  /** Every hart sleeps and nothing in the machine can wake one: only host input can. */
  get sleeping(): boolean {
    return this.allAsleep && this.nextWake() === Infinity;
  }

  /** Console input from the host: to the semihosting console with --semihosting, else the UART. */
  consoleInput(bytes: Iterable<number> & ArrayLike<number>): void {
    if (this.semihost === null) {
      this.uart.receive(bytes);
      return;
    }
    this.semihost.inputBytes(bytes);
    this.resumeHostWaits();
  }

  /** Harts waiting in a semihosting call run it again at their next turn. */
  private resumeHostWaits(): void {
    this.harts.forEach((h, i) => {
      if (!h.waitingForHost) return;
      h.resumeFromHost();
      this.asleep[i] = 0;
    });
  }

  /**
   * Ends a machine that sleeps with nothing to wake it: no host input is coming any more, or
   * (`inputHeld`) what is left cannot go in, the guest not listening to the UART. Harts waiting in
   * a semihosting console read get the end of input instead, and go on.
   */
  stuck(inputHeld = false): void {
    if (this.result !== null) return;
    if (this.semihost !== null && this.harts.some((h) => h.waitingForHost)) {
      this.semihost.endOfInput();
      this.resumeHostWaits();
      return;
    }
    const ids = this.harts.map((h) => h.hartId).join(', ');
    const pcs = this.harts.map((h) => hex(h.pc)).join(', ');
    const who = this.harts.length === 1 ? `hart ${ids} waits` : `harts ${ids} wait`;
    const input = inputHeld ? 'console input is left but the UART\'s receive interrupts are off' : 'no more console input will come';
    this.finish('fault', EXIT_GUEST_FAULT, `${who} for an interrupt (wfi at pc ${pcs}) and nothing can raise one: no timer is armed and ${input}`);
  }

  /** The user quit (Ctrl-A x): the run ends now, with exit status 0. */
  quit(): void {
    this.finish('quit', 0, 'terminated by the user (Ctrl-A x)');
  }

  /**
   * Starts the next round (after onRound). When every hart slept through the last one and still
   * sleeps, skips to the first timer event; false when there is none, or onRound holds the
   * machine.
   */
  private startRound(): boolean {
    const idle = this.rounds > 0 && this.allAsleep;
    if (this.onRound !== null && this.onRound(idle, idle && this.nextWake() === Infinity)) return false;
    if (idle) {
      if (this.allAsleep) {
        const wake = this.nextWake();
        if (wake === Infinity) return false;
        if (wake > this.roundEnd) {
          for (let h = 0; h < this.harts.length; h++) this.sleep(h, wake);
          this.roundEnd = wake;
          this.skips++;
        }
        // Each hart runs at least once now, so that one whose event is due (an Sstc timer
        // raises no line: the hart sees it only when it runs) takes it.
        this.asleep.fill(0);
      }
    }
    this.roundEnd += this.quantum;
    this.rounds++;
    this.turn = 0;
    return true;
  }

  /**
   * The first cycle after hart h's clock at which a timer or device event is due for it. Makes h
   * the current hart, whose clock the CLINT reads.
   */
  private nextEvent(h: number): number {
    const hart = this.harts[h]!;
    this.current = h;
    let t = this.clint.nextTimerCycle(h);
    const c = hart.csr;
    if (c.stce && c.stimecmp !== Infinity) {
      const s = this.timeFromClint ? this.clint.cycleAtTime(c.stimecmp) : c.stimecmp * hart.costs.cyclesPerTick;
      if (s > hart.simTime() && s < t) t = s;
    }
    if (this.disk !== null) t = Math.min(t, this.disk.nextEventCycle());
    return t;
  }

  private sleep(h: number, until: number): void {
    const hart = this.harts[h]!;
    const before = hart.simTime();
    hart.idleUntilCycle(until);
    this.sleepCycles[h]! += hart.simTime() - before;
  }

  /** Hart h's turn: run it until its clock reaches the round's end. */
  private runTurn(h: number): void {
    const hart = this.harts[h]!;
    const end = this.roundEnd;
    this.mem.watchReservations(h);
    this.current = h;
    this.clint.update();
    while (this.result === null) {
      const now = hart.simTime();
      if (now >= end) return;
      if (this.asleep[h] !== 0) {
        // Asleep since an earlier turn and nothing has woken it: sleep on to its next event.
        const wake = this.nextEvent(h);
        this.sleep(h, Math.min(wake, end));
        this.clint.update();
        this.disk?.update();
        if (wake > end) return;
      }
      const left = this.maxInsns - this.instret;
      if (left <= 0) {
        this.finish('max-insns', EXIT_MAX_INSNS, `the guest did not finish within --max-insns ${this.maxInsns} instructions (stopped with hart 0 at pc ${hex(this.harts[0]!.pc)}); raise the limit or check the guest for a hang`);
        return;
      }
      const limit = Math.max(now + 1, Math.min(end, this.nextEvent(h)));
      let why: Stop;
      try {
        why = hart.run(Math.min(end - now, left), limit);
      } catch (e) {
        if (!(e instanceof GuestFault)) throw e;
        this.finish('fault', EXIT_GUEST_FAULT, e.message);
        return;
      }
      this.asleep[h] = why === Stop.Wfi ? 1 : 0;
      this.clint.update();
      this.disk?.update();
      if (why === Stop.Halt) {
        this.halted();
        return;
      }
      if (why === Stop.Stall) throw new Error(`hart ${h} stalled at pc ${hex(hart.pc)} on the board's memory, which never stalls`);
    }
  }

  /** A device stopped the machine: the finisher or HTIF says how. */
  private halted(): void {
    const fin = this.finisher.outcome;
    if (fin !== null) {
      if (fin.kind === 'reset') this.finish('reset', 0, null, 'finisher');
      else this.finish('exit', fin.exitCode, null, 'finisher');
      return;
    }
    for (const h of this.htif) {
      if (h.fault !== null) return this.finish('fault', EXIT_GUEST_FAULT, h.fault, 'htif');
      if (h.exitCode !== null) return this.finish('exit', h.exitCode, null, 'htif');
    }
    const sh = this.semihost;
    if (sh?.fault != null) return this.finish('fault', EXIT_GUEST_FAULT, sh.fault, 'semihosting');
    if (sh?.exitCode != null) return this.finish('exit', sh.exitCode, null, 'semihosting');
    throw new Error('a hart halted but no device says why');
  }

  private finish(reason: StopReason, exitCode: number, message: string | null, by: BoardResult['by'] = null): void {
    if (this.result === null) this.result = { reason, exitCode, message, by };
  }

  // ---- Statistics ----

  stats(): BoardStats {
    const mmio = this.mem.mmioStats();
    const harts = this.harts.map((h, i) => ({ hart: i, ...h.stats(), sleepCycles: this.sleepCycles[i]!, pc: hex(h.pc) }));
    const dev = (name: string, extra: Record<string, unknown> = {}) => ({ ...mmio[name]!, ...extra });
    const virtio: Record<string, unknown> = {};
    for (let k = 0; k < VIRTIO_COUNT; k++) {
      const name = `virtio${k}`;
      const m = mmio[name]!;
      if (k === 0 && this.disk !== null) {
        virtio[name] = { ...m, device: 'block', capacitySectors: this.disk.capacitySectors, ...this.disk.stats, features: this.disk.negotiated, error: this.disk.lastError };
      } else if (m.loads.some((x) => x > 0) || m.stores.some((x) => x > 0)) {
        virtio[name] = { ...m, device: 'empty' };
      }
    }
    const htif = this.htif.map((h, i) => ({ ...mmio[i === 0 ? 'htif' : `htif${i}`], ...h.stats() }));
    return {
      instructions: this.instret,
      cycles: Math.max(...this.harts.map((h) => h.cycle)),
      simTime: this.simTime,
      rounds: this.rounds,
      skips: this.skips,
      harts,
      devices: {
        clint: dev('clint'),
        plic: dev('plic'),
        uart: dev('uart', { txBytes: this.uart.txBytes, rxBytes: this.uart.rxBytes, inputPending: this.uart.hostPending }),
        finisher: dev('finisher', { outcome: this.finisher.outcome, ignoredStores: this.finisher.ignoredStores }),
        ...virtio,
        ...(htif.length > 0 ? { htif } : {}),
        ...(this.semihost !== null ? { semihosting: this.semihost.stats() } : {}),
      },
      memory: this.mem.stats,
      ...(this.platform.stats !== undefined ? { monitor: this.platform.stats() } : {}),
    };
  }

  /** HTIF statistics of the first HTIF device (the single-image runner's view), or null. */
  htifStats(): HtifStats | null {
    return this.htif.length > 0 ? this.htif[0]!.stats() : null;
  }
}

export interface BoardStats {
  instructions: number;
  cycles: number;
  simTime: number;
  rounds: number;
  skips: number;
  harts: Array<ReturnType<Hart['stats']> & { hart: number; sleepCycles: number; pc: string }>;
  devices: Record<string, unknown>;
  memory: MemoryStats;
  /** The monitor's statistics when the board is a monitor's VM (src/monitor/stats.ts). */
  monitor?: unknown;
}
