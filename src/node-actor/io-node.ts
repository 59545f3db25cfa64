// The I/O node: node 0 of a FLASH machine holds the machine's devices, and every other node
// reaches them by message (DESIGN.md, guest-visible platform).
//
//   mp boot    HTIF on the image's tohost/fromhost only (bare-metal multiprocessor programs)
//   virt boot  the QEMU virt board's devices, at its addresses (src/devices):
//                0x0010_0000 finisher   0x0200_0000 CLINT   0x0c00_0000 PLIC
//                0x1000_0000 UART (PLIC 10)   0x1000_1000 + 0x1000k virtio-mmio k (PLIC 1 + k),
//                slot 0 the disk; and HTIF on the tohost of every image that has one
//
// Register accesses. A hart's access to a device is an uncached message to node 0 (UNC_READ,
// UNC_WRITE); node 0's MAGIC runs the device's load or store in its handler (FlashNode.
// serveUncached) and answers, so devices only ever run inside node 0's handlers, at node 0's
// simulated time.
//
// Interrupts. The CLINT and PLIC drive each hart's lines (MSIP, MTIP, SEIP, MEIP) through a
// proxy per hart that remembers the level it last sent and, on a change, sends an IRQ message
// (ADDR = mip bit, A = level) through node 0's normal send path (MAGIC, NI, mesh latency), to
// node 0 itself too; the receiving node sets the line when it handles the message and wakes a
// hart asleep in wfi. An IRQ that a register access causes leaves before the access's answer
// (no device delay; the answer waits deviceCycles), so a hart that cleared its own MSIP or moved
// its mtimecmp sees the line low before it goes on.
//
// Time. mtime = floor(cycles * timebaseHz / cpuHz) of node 0's clock, the same function of
// simulated time as every hart's own `time` CSR. A timer interrupt must come at the exact cycle
// at which mtime reaches a mtimecmp: after every CLINT store, node 0 schedules an IO_TIMER event
// in its own queue for the CLINT's next due cycle (unless one is already queued at or before
// it); the event updates MTIP at its time, which sends the IRQ, and schedules the next. (A store
// to mtime moves the CLINT's timers, not the harts' time CSRs, which keep counting their cycles.)
//
// DMA (virtio-blk). The device's requests are DMA jobs (devices/dma.ts) that name every line of
// guest RAM before touching it; DmaDriver runs them through node 0's own cache controller, as
// the hart's accesses go: a read needs the line readable, a write exclusive, through the real
// protocol, so a device write invalidates every other node's copy and a device read sees the
// latest writer's data (DESIGN.md invariant 3). The driver asks CacheController.access; on a
// miss it waits until the line settles (FlashNode.wake -> lineSettled; after a NACK, an IO_DMA
// event at the back-off's end) and asks again, and resumes the job only inside a MAGIC handler,
// once access() says the line is there, so no message can take it away before the job's access.
// The job holds no line while it waits for another and re-asks for each one every time, so it
// cannot deadlock with the hart that shares the caches (each waits only for the protocol, which
// never waits for either). Lines the device writes are dropped from the hart's access filter,
// decoded instructions and LR reservation, as another node's write would drop them.
//
// Console. The UART and HTIF write to the run's console (captured; echoed when asked). Input comes
// from the coordinator through a ring in shared memory (consoleInputLayout, sim/flash-input.ts)
// and is handed to the UART a line at a time by an IO_INPUT event at an epoch start (a multiple
// of the lookahead), where the guest wants one (devices/uart-input.ts), judged from simulated
// state alone (the decisions every worker shares, window-clock.ts): it polls the empty receiver;
// or it listens and the machine can do nothing more (no hart ran and nothing was in flight at
// the end of the epoch before last: Decision.awaitInput); or it listens and every hart has slept
// in wfi, with the I/O node idle, for IDLE_US; or it has listened for INPUT_DEADLINE_S. In the
// first two cases, when no line is there yet, this worker waits (Atomics.wait on the ring's
// count) for one or for the end of input, and the other workers wait for it, so the line goes
// in at the same cycle however late it comes, and runs repeat exactly for any --threads and
// --window-slack. The end of input counts only where found so (inputDone), never from whenever
// the coordinator learnt it.

import { writeSync } from 'node:fs';
import type { MachineConfig } from '../config/machine.js';
import { Msg } from '../directory/messages.js';
import { ACCESS_STALL_ANY } from '../directory/cache-controller.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import { trapLoopMessage, type Irq } from '../vcpu/trap.js';
import { Htif, BufferedConsole, type ConsoleSink } from '../devices/htif.js';
import { Clint, CLINT_BASE, CLINT_MTIME, CLINT_SIZE } from '../devices/clint.js';
import { Plic, PLIC_BASE, PLIC_SIZE } from '../devices/plic.js';
import { Uart16550, UART_BASE, UART_IRQ, UART_SIZE } from '../devices/uart16550.js';
import { UartListener, InputWant, INPUT_DEADLINE_S } from '../devices/uart-input.js';
import { VirtioBlk, VirtioMmioEmpty, type GuestRam, VIRTIO_BASE, VIRTIO_COUNT, VIRTIO_IRQ, VIRTIO_SIZE, VIRTIO_STRIDE } from '../devices/virtio-blk.js';
import { Finisher, FINISHER_BASE, FINISHER_SIZE } from '../devices/finisher.js';
import type { HartIrqTarget } from '../devices/irq.js';
import type { DmaEngine, DmaJob, DmaNeed } from '../devices/dma.js';
import { consoleInputLayout } from '../shared-abi/machine.js';
import type { FlashNode, IoPort } from './node.js';
import { AbortedError } from './window-clock.js';
import { DMA_NEXT_QUANTUM, type DeviceRange } from './processor-interface.js';

/** Simulated microseconds every hart must sleep, with the I/O node idle, before input goes in. */
export const IDLE_US = 10;
/** Host milliseconds between two looks at the abort flag while waiting for input. */
const INPUT_WAIT_MS = 100;

export interface HtifWords {
  tohost: number;
  fromhost: number | undefined;
}

/** What the I/O node holds; the same for every worker (all need the device ranges). */
export interface IoTask {
  /** 'virt': the virt board's devices; 'mp': HTIF only. */
  devices: 'virt' | 'mp';
  /** HTIF words of the images that have them. */
  htif: HtifWords[];
  /** virtio slot 0's disk: its bytes and, under --disk-write, the open file to write back. */
  disk: { bytes: Uint8Array; fd: number | null } | null;
  /**
   * Console input (consoleInputLayout of `capacity` bytes) from byte `from` on, or null for none;
   * `complete` when it was all there before the run (so its end is known from the start).
   */
  input: { buffer: SharedArrayBuffer; capacity: number; from: number; complete: boolean } | null;
  /** The node of each hart (a VM's vCPUs under the monitor); by default hart n on node n. */
  nodes?: number[];
  /**
   * Under the monitor with several VMs (virt devices): one device set per VM instead of the
   * machine's one (the four fields above then go unused).
   */
  vms?: IoVmTask[];
}

/** A VM's devices on the I/O node: the virt board's, for the harts on `nodes` (its vCPUs in order). */
export interface IoVmTask extends Pick<IoTask, 'htif' | 'disk' | 'input'> {
  nodes: number[];
  /** Print its console to this thread's stdout as it appears. */
  echo: boolean;
}

/** How a device halted the machine. */
export interface IoOutcome {
  /** The device that ended it, or the monitor (a VM that could not go on). */
  by: 'finisher' | 'htif' | 'monitor';
  /** 'exit' with the guest's status, 'reset' (finisher), or 'fault' (an HTIF request we cannot serve). */
  kind: 'exit' | 'reset' | 'fault';
  code: number;
  message: string | null;
}

export interface IoResult {
  outcome: IoOutcome | null;
  devices: Record<string, unknown>;
  /** Console input taken so far (a reboot goes on from there). */
  inputPos: number;
  /** After a finisher reset: the disk as the guest left it, for the next boot. */
  disk: Uint8Array | null;
  /** With several VMs: each VM's set, its console and the cycle it ended at (NaN: it did not). */
  vms?: (IoResult & { console: number[]; endCycle: number })[];
}

/** The address ranges every node's processor interface sends to node 0 (of one VM's set: `t` its task). */
export function ioDeviceRanges(t: Pick<IoTask, 'devices' | 'htif'>): DeviceRange[] {
  const r: DeviceRange[] = [];
  for (const { tohost, fromhost } of t.htif) {
    if (fromhost === tohost + 8) r.push({ base: tohost, size: 16 });
    else {
      r.push({ base: tohost, size: 8 });
      if (fromhost !== undefined) r.push({ base: fromhost, size: 8 });
    }
  }
  if (t.devices === 'virt') {
    r.push({ base: FINISHER_BASE, size: FINISHER_SIZE }, { base: CLINT_BASE, size: CLINT_SIZE }, { base: PLIC_BASE, size: PLIC_SIZE },
      { base: UART_BASE, size: UART_SIZE });
    for (let k = 0; k < VIRTIO_COUNT; k++) r.push({ base: VIRTIO_BASE + VIRTIO_STRIDE * k, size: VIRTIO_SIZE });
  }
  return r;
}

const NOT_WAITING = -3;
const WAIT_ANY = -1;
const WAIT_PAGE = -4;

const pause = new Int32Array(new SharedArrayBuffer(4));
let stdoutClosed = false;

/**
 * Console bytes straight to fd 1. A worker's process.stdout hands a chunk to the main thread and
 * then waits for its event loop to hear back, which a run never lets it do, so echoed output
 * would stall until the run ends; a full pipe (EAGAIN) is waited out, a closed one (EPIPE)
 * ends the echo.
 */
function writeStdout(bytes: Uint8Array): void {
  for (let off = 0; off < bytes.length && !stdoutClosed;) {
    try {
      off += writeSync(1, bytes, off, bytes.length - off);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') stdoutClosed = true;
      else if (code === 'EAGAIN') Atomics.wait(pause, 0, 0, 1);
      else throw e;
    }
  }
}

/** Runs a device's DMA jobs through node 0's caches (see the header). */
export class DmaDriver implements DmaEngine {
  readonly lineBytes: number;
  /** waits: for a line; of those, full: for room in the quantum mode's buffer or log (the next quantum). */
  readonly stats = { jobs: 0, lines: 0, waits: 0, full: 0 };
  private readonly shift: number;
  private job: DmaJob | null = null;
  private need: DmaNeed | null = null;
  /** The line the job waits for, WAIT_ANY (any line settling), or NOT_WAITING. */
  private waitLine = NOT_WAITING;
  /** Woken during the handler now running: go on when it ends. */
  private woken = false;
  /** A pmap entry came since the job last asked for a page. */
  private pageCame = false;

  /** Jobs started while another ran, in order. */
  private readonly queued: DmaJob[] = [];

  /**
   * `set`: the device set it serves (the retry event's A); `retry`: the node-internal event that
   * asks again after a NACK (IO_DMA for devices; the monitor's page copies have their own).
   */
  constructor(private readonly node: FlashNode, lineBytes: number, private readonly set = 0, private readonly retry: Msg = Msg.IO_DMA) {
    this.lineBytes = lineBytes;
    this.shift = Math.log2(lineBytes);
  }

  get busy(): boolean {
    return this.job !== null;
  }

  start(job: DmaJob): void {
    this.stats.jobs++;
    if (this.job !== null) {
      this.queued.push(job);
      return;
    }
    this.job = job;
    this.resumeJob();
    this.run();
  }

  cancel(): void {
    this.queued.length = 0;
    this.job = null;
    this.need = null;
    this.waitLine = NOT_WAITING;
    this.woken = false;
  }

  /** Inside a MAGIC handler: go on while the caches hold what the job asks for. */
  run(): void {
    while (this.job !== null) {
      const need = this.need!;
      if (need.off < 0) {
        // A page whose pmap entry the monitor has asked for (a VM's disk, dma.ts).
        if (!this.pageCame) {
          this.waitLine = WAIT_PAGE;
          return;
        }
        this.pageCame = false;
        this.resumeJob();
        continue;
      }
      const line = need.off >>> this.shift;
      const r = this.node.pi.dmaLine(need.off, need.len, need.write);
      if (r === DMA_NEXT_QUANTUM) {
        // The quantum mode's buffer or log is full: at the next quantum's start, after the weave.
        this.node.schedule(this.node.horizon, this.retry, this.set);
        this.stats.waits++;
        this.stats.full++;
        return;
      }
      if (r < 0) {
        this.waitLine = r === ACCESS_STALL_ANY ? WAIT_ANY : line;
        this.stats.waits++;
        return;
      }
      this.stats.lines++;
      this.resumeJob(r);
    }
  }

  /** The monitor instance of this node learnt a pmap entry: a job waiting for a page asks again. */
  pageArrived(): void {
    this.pageCame = true;
    if (this.waitLine !== WAIT_PAGE) return;
    this.waitLine = NOT_WAITING;
    this.woken = true;
  }

  lineSettled(line: number, time: number): void {
    if (this.waitLine === NOT_WAITING || (this.waitLine !== line && this.waitLine !== WAIT_ANY)) return;
    this.waitLine = NOT_WAITING;
    // After a NACK the protocol says when to ask again; otherwise at the end of this handler.
    if (time > this.node.now()) this.node.schedule(time, this.retry, this.set);
    else this.woken = true;
  }

  afterHandler(): void {
    if (!this.woken) return;
    this.woken = false;
    this.run();
  }

  /** `at`: where the job accesses the line it asked for (what its yield returns). */
  private resumeJob(at = -1): void {
    const r = this.job!.next(at);
    if (r.done) {
      const next = this.queued.shift();
      this.job = next ?? null;
      this.need = null;
      if (next !== undefined) this.resumeJob();
    } else {
      this.need = r.value;
    }
  }
}

/** One virt board's devices on the I/O node: the machine's, or one VM's (see IoNode). */
class DeviceSet {
  readonly console: number[] = [];
  readonly htif: Htif[] = [];
  readonly clint: Clint | null = null;
  readonly plic: Plic | null = null;
  readonly uart: Uart16550 | null = null;
  readonly finisher: Finisher | null = null;
  readonly disk: VirtioBlk | null = null;
  private readonly listener: UartListener | null = null;
  private readonly dma: DmaDriver | null = null;
  private readonly echo: BufferedConsole | null;
  /** Level last sent for each hart's line: [hart * 16 + mip bit]. */
  private readonly lines: Uint8Array;
  /** Cycles of the IO_TIMER events now queued. */
  private readonly timerEvents: number[] = [];
  /** The node of each of the set's harts, in hart order. */
  private readonly harts: readonly number[];

  // Console input.
  private readonly input: { count: Int32Array; taken: Int32Array; ended: Int32Array; bytes: Uint8Array } | null;
  private readonly inputCapacity: number;
  private inputPos = 0;
  /** Bytes from inputPos on known to hold no newline. */
  private inputScanned = 0;
  private inputQueued = false;
  /** No more input will go in: all of it has, and its end was found where the guest waited for more (or known from the start). */
  private inputDone = true;
  private readonly complete: boolean;
  /** The cycle a device of this set halted it (NaN: running). */
  endCycle = NaN;
  /** Start of the run of epochs in which every hart has slept while the guest listened (NaN otherwise). */
  private idleSince = NaN;
  private readonly idleCycles: number;
  /** The epoch start at which the last line was handed over. */
  private handedAt = -Infinity;

  constructor(private readonly node: FlashNode, cfg: MachineConfig, ram: GuestRam, t: IoVmTask, virt: boolean,
    /** inputWait (set while this worker waits for input) and abort of the control region. */
    private readonly control: { inputWait: Int32Array; abort: Int32Array },
    /** The lookahead L, the length of an epoch. */
    private readonly epochCycles: number,
    /** The set's number: its devices' space on the node, its events' A. */
    private readonly index: number) {
    const echoConsole = t.echo;
    const harts = t.nodes;
    this.harts = harts;
    this.echo = echoConsole ? new BufferedConsole(writeStdout) : null;
    const echo = this.echo;
    const sink: ConsoleSink = { writeByte: (b) => { this.console.push(b); echo?.writeByte(b); } };
    const bus = { addDevice: (d: MmioDevice) => node.addDevice(d, index) };
    for (const w of t.htif) {
      const h = new Htif(w.tohost, w.fromhost, sink);
      h.attach(bus);
      this.htif.push(h);
    }
    this.lines = new Uint8Array(harts.length * 16);
    this.idleCycles = IDLE_US * cfg.cpuMHz;
    this.input = t.input === null ? null : consoleInputLayout(t.input.capacity).views(t.input.buffer);
    this.inputCapacity = t.input?.capacity ?? 0;
    this.inputPos = this.inputScanned = t.input?.from ?? 0;
    this.complete = t.input?.complete ?? true;
    this.inputDone = this.input === null || (this.complete && this.inputPos >= this.input.count[0]!);
    if (!virt) return;

    const lines: HartIrqTarget[] = harts.map((_, h) => ({ setIrq: (irq, level) => this.sendIrq(h, irq, level) }));
    this.finisher = new Finisher();
    // A store may move a timer: the next IO_TIMER event is rescheduled.
    this.clint = new Clint({ harts: lines, now: () => node.now(), cpuHz: cfg.cpuMHz * 1e6, timebaseHz: cfg.timebaseHz, onStore: (off) => this.clintStored(off) });
    this.plic = new Plic({ harts: lines });
    this.uart = new Uart16550({ irq: this.plic.line(UART_IRQ), sink });
    this.listener = new UartListener(this.uart, () => node.now(), INPUT_DEADLINE_S * cfg.cpuMHz * 1e6);
    node.addDevice(this.finisher, index);
    node.addDevice(this.clint, index);
    node.addDevice(this.plic, index);
    node.addDevice(this.listener, index);
    const shift = Math.log2(cfg.lineBytes);
    for (let k = 0; k < VIRTIO_COUNT; k++) {
      if (k === 0 && t.disk !== null) {
        const fd = t.disk.fd;
        this.dma = new DmaDriver(node, cfg.lineBytes, index);
        this.disk = new VirtioBlk({
          slot: 0,
          irq: this.plic.line(VIRTIO_IRQ),
          ram,
          // The device writes only lines node 0 holds exclusive: no other node has a copy to
          // drop, but node 0's own hart may have decoded or reserved there.
          onRamWrite: (o, len) => {
            for (let l = o >>> shift; l <= (o + len - 1) >>> shift; l++) node.dropLine(l, true);
          },
          disk: t.disk.bytes,
          serial: 'flashdisco-disk0',
          persist: fd === null ? undefined : (img, ranges) => ranges.forEach(([o, len]) => writeSync(fd, img, o, len, o)),
          dma: this.dma,
        });
        node.addDevice(this.disk, index);
      } else {
        node.addDevice(new VirtioMmioEmpty({ slot: k }), index);
      }
    }
    this.armTimer();
  }

  // ---- interrupts and the CLINT's timer ----

  private sendIrq(hart: number, irq: Irq, level: boolean): void {
    const i = hart * 16 + irq;
    const v = level ? 1 : 0;
    if (this.lines[i] === v || this.ended) return;
    this.lines[i] = v;
    const to = this.harts[hart]!;
    this.node.send(Msg.IRQ, to, irq, to, v, this.index, hart, 0);
  }

  get ended(): boolean {
    return !Number.isNaN(this.endCycle);
  }

  /** The monitor's report of a VM that could not go on (VM_FAULT), or null. */
  fault: string | null = null;

  /** A device of this set halted it (a VM among several): its harts stop, its timers are dropped. */
  end(): void {
    this.endCycle = this.node.now();
    this.dma?.cancel();
    for (const n of new Set(this.harts)) this.node.send(Msg.HALT_CPU, n, 0, n, this.index, 0, 0, 0);
  }

  /**
   * A store to the CLINT: it may move a timer, and a store to mtime moves every hart's time CSR,
   * which each node computes from its own clock: the new offset goes to every node as a message.
   */
  private clintStored(off: number): void {
    if (off >= CLINT_MTIME && off < CLINT_MTIME + 8) {
      const offset = this.clint!.mtimeOffset;
      const hi = Math.floor(offset / 2 ** 32);
      for (const n of new Set(this.harts)) this.node.send(Msg.TIME, n, 0, n, offset - hi * 2 ** 32, hi, this.index, 0);
    }
    this.armTimer();
  }

  /** Queue an IO_TIMER event for the CLINT's next due cycle, unless one comes at or before it. */
  private armTimer(): void {
    const t = this.clint!.nextTimerCycle();
    if (t === Infinity || this.ended) return;
    for (const e of this.timerEvents) if (e <= t) return;
    this.timerEvents.push(t);
    this.node.schedule(t, Msg.IO_TIMER, this.index);
  }

  // ---- node 0's calls, through IoNode ----

  event(type: number): void {
    if (this.ended) return;
    switch (type) {
      case Msg.IO_TIMER: {
        const now = this.node.now();
        const i = this.timerEvents.indexOf(now);
        if (i >= 0) this.timerEvents.splice(i, 1);
        this.clint!.update();
        this.armTimer();
        return;
      }
      case Msg.IO_INPUT:
        this.handOver();
        return;
      case Msg.IO_DMA:
        this.dma!.run();
        return;
    }
  }

  lineSettled(line: number, time: number): void {
    this.dma?.lineSettled(line, time);
  }

  afterHandler(): void {
    this.dma?.afterHandler();
  }

  monitorAnswered(): void {
    this.dma?.pageArrived();
  }

  // ---- the worker's side: epochs, input, outcome ----

  /** The devices have no work of their own under way (a DMA job). */
  get quiet(): boolean {
    return this.dma === null || !this.dma.busy;
  }

  /**
   * Console input may still go in: the guest listens and its end has not been found. The machine
   * does not stop while it may, but waits for it (worker-loop.ts).
   */
  get inputLeft(): boolean {
    return !this.inputDone && !this.ended && this.listener!.listening;
  }

  /**
   * All the input has gone in and the coordinator has ended it: what the host knows now, before
   * the guest has looked for more (inputDone). Nothing can be handed over any more, so the
   * machine may jump over idle time, which changes no result; only its stopping waits for
   * inputDone.
   */
  get inputSpent(): boolean {
    const v = this.input;
    return v === null || (Atomics.load(v.ended, 0) !== 0 && this.inputPos >= Atomics.load(v.count, 0));
  }

  /**
   * Before the epoch that starts at `start`: `asleep` says whether every hart slept (and the I/O
   * node was idle) at the end of the epoch before last, and `stopped` whether besides nothing ran
   * or was in flight there while input was left (Decision.awaitInput), as the shared decisions
   * found. Hands the next line of input over when the guest wants it (see the header), waiting
   * for it where the guest does: true when it queued that for the node, which the worker must
   * then step even if it had left it alone.
   */
  beforeEpoch(start: number, asleep: boolean, stopped: boolean): boolean {
    const g = this.listener;
    if (asleep || stopped) this.echo?.flush();
    if (g === null) return false;
    // The reports of the epoch before last tell nothing yet of what the last line woke.
    if (start - this.handedAt < 2 * this.epochCycles) asleep = stopped = false;
    if (!asleep || !g.listening) this.idleSince = NaN;
    else if (Number.isNaN(this.idleSince)) this.idleSince = start;
    if (this.inputQueued || this.inputDone || this.ended) return false;
    const want = g.want(start, start - this.idleSince >= this.idleCycles, stopped);
    if (want === InputWant.No) return false;
    if (this.lineEnd() < 0) {
      if (want === InputWant.Offer) return false;
      if (!this.waitForInput()) {
        this.inputDone = true;
        return false;
      }
    }
    this.inputQueued = true;
    this.handedAt = start;
    this.node.schedule(start, Msg.IO_INPUT, this.index);
    return true;
  }

  /**
   * Where the next whole line of input ends (or the rest, once input has ended; or as much as
   * the ring holds, for a line longer than that); -1 when none is there.
   */
  private lineEnd(): number {
    const v = this.input!;
    // The end first: the coordinator ends the input after its last bytes, so a count read after
    // it is the last, and the rest is one line whenever it is read.
    const ended = Atomics.load(v.ended, 0) !== 0;
    const count = Atomics.load(v.count, 0);
    if (this.inputPos >= count) return -1;
    const cap = this.inputCapacity;
    for (let i = this.inputScanned; i < count; i++) if (v.bytes[i % cap] === 0x0a) return i + 1;
    this.inputScanned = count;
    return ended || count - this.inputPos >= cap ? count : -1;
  }

  /**
   * The guest waits for a line that has not come: waits for it, or for the end of input (false),
   * while the other workers wait for this one (their watchdog told by inputWait).
   */
  private waitForInput(): boolean {
    const v = this.input!;
    this.echo?.flush();
    Atomics.store(this.control.inputWait, 0, 1);
    try {
      for (;;) {
        const count = Atomics.load(v.count, 0);
        const ended = Atomics.load(v.ended, 0) !== 0;
        if (this.lineEnd() >= 0) return true;
        if (ended) return false; // and lineEnd, after it, saw every byte there will be
        if (Atomics.load(this.control.abort, 0) !== 0) throw new AbortedError('another worker failed');
        Atomics.wait(v.count, 0, count, INPUT_WAIT_MS);
      }
    } finally {
      Atomics.store(this.control.inputWait, 0, 0);
    }
  }

  private handOver(): void {
    const v = this.input!;
    const end = this.lineEnd();
    const cap = this.inputCapacity;
    const line: number[] = [];
    for (let i = this.inputPos; i < end; i++) line.push(v.bytes[i % cap]!);
    this.uart!.receive(line);
    this.inputPos = this.inputScanned = end;
    Atomics.store(v.taken, 0, end);
    this.inputQueued = false;
    this.listener!.handedOver(this.node.now());
    this.idleSince = NaN;
    if (this.complete && end >= Atomics.load(v.count, 0)) this.inputDone = true;
  }

  /** Why a device halted the machine, once one has. */
  outcome(): IoOutcome | null {
    if (this.fault !== null) return { by: 'monitor', kind: 'fault', code: 0, message: this.fault };
    const fin = this.finisher?.outcome ?? null;
    if (fin !== null) return { by: 'finisher', kind: fin.kind === 'reset' ? 'reset' : 'exit', code: fin.exitCode, message: null };
    for (const h of this.htif) {
      if (h.fault !== null) return { by: 'htif', kind: 'fault', code: 0, message: h.fault };
      if (h.exitCode !== null) return { by: 'htif', kind: 'exit', code: h.exitCode, message: null };
    }
    return null;
  }

  /** At the end of the run: the outcome and the devices' statistics (the console is `console`). */
  finish(): IoResult {
    this.echo?.flush();
    this.disk?.persist();
    const devices: Record<string, unknown> = {};
    if (this.uart !== null) devices.uart = { txBytes: this.uart.txBytes, rxBytes: this.uart.rxBytes, inputPending: this.uart.hostPending };
    if (this.finisher !== null) devices.finisher = { outcome: this.finisher.outcome, ignoredStores: this.finisher.ignoredStores };
    if (this.disk !== null) {
      devices.virtio0 = { device: 'block', capacitySectors: this.disk.capacitySectors, ...this.disk.stats, features: this.disk.negotiated, error: this.disk.lastError, dma: { ...this.dma!.stats } };
    }
    if (this.htif.length > 0) devices.htif = this.htif.map((h) => h.stats());
    const outcome = this.outcome();
    return { outcome, devices, inputPos: this.inputPos, disk: outcome?.kind === 'reset' ? (this.disk?.image ?? null) : null };
  }
}

/**
 * Node 0's devices (see the header): the machine's virt board, or with several VMs one device
 * set per VM, each a virt board for the nodes of its vCPUs. An uncached access goes to the set
 * its message names (FlashNode.deviceSpace); a set's events carry its number. A VM
 * whose device halts (its finisher, HTIF) ends alone: its nodes get HALT_CPU, its timers stop,
 * and the machine halts when the last VM does.
 */
export class IoNode implements IoPort {
  private readonly sets: DeviceSet[];
  private readonly vms: boolean;

  /** `rams`: guest RAM of each set, as its disk's DMA reaches it. */
  constructor(node: FlashNode, cfg: MachineConfig, rams: readonly GuestRam[], t: IoTask, echoConsole: boolean,
    control: { inputWait: Int32Array; abort: Int32Array }, epochCycles: number) {
    const all = Array.from({ length: cfg.nodes }, (_, n) => n);
    const tasks: IoVmTask[] = t.vms ?? [{ nodes: t.nodes ?? all, htif: t.htif, disk: t.disk, input: t.input, echo: echoConsole }];
    this.vms = t.vms !== undefined;
    this.sets = tasks.map((v, i) => new DeviceSet(node, cfg, rams[i]!, v, t.devices === 'virt', control, epochCycles, i));
    node.attachIo(this);
  }

  /** The machine's console (natively; with several VMs, each VM's is in finish()). */
  get console(): number[] {
    return this.vms ? [] : this.sets[0]!.console;
  }

  event(type: number, a: number): void {
    this.sets[a]!.event(type);
  }

  lineSettled(line: number, time: number): void {
    for (const s of this.sets) s.lineSettled(line, time);
  }

  afterHandler(): void {
    for (const s of this.sets) s.afterHandler();
  }

  monitorAnswered(): void {
    for (const s of this.sets) s.monitorAnswered();
  }

  setHalted(space: number): boolean {
    if (!this.vms) return true;
    const set = this.sets[space]!;
    if (!set.ended) set.end();
    return this.sets.every((s) => s.ended);
  }

  vmFault(vm: number, vcpu: number, pc: number): boolean {
    const set = this.sets[vm]!;
    if (set.fault === null && set.outcome() === null) set.fault = trapLoopMessage(vcpu, pc);
    if (!set.ended) set.end();
    return this.sets.every((s) => s.ended);
  }

  get quiet(): boolean {
    return this.sets.every((s) => s.quiet);
  }

  get inputLeft(): boolean {
    return this.sets.some((s) => s.inputLeft);
  }

  get inputSpent(): boolean {
    return this.sets.every((s) => s.inputSpent);
  }

  beforeEpoch(start: number, asleep: boolean, stopped: boolean): boolean {
    let queued = false;
    for (const s of this.sets) if (s.beforeEpoch(start, asleep, stopped)) queued = true;
    return queued;
  }

  /** Why the machine halted: its devices' outcome, or with several VMs the first VM's that failed (else the first's). */
  outcome(): IoOutcome | null {
    if (!this.vms) return this.sets[0]!.outcome();
    const all = this.sets.map((s) => s.outcome());
    return all.find((o) => o !== null && (o.kind !== 'exit' || o.code !== 0)) ?? all[0] ?? null;
  }

  finish(): IoResult {
    if (!this.vms) return this.sets[0]!.finish();
    const vms = this.sets.map((s) => ({ ...s.finish(), console: s.console, endCycle: s.endCycle }));
    return { outcome: this.outcome(), devices: {}, inputPos: 0, disk: null, vms };
  }
}

