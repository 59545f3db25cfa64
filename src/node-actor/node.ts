// One FLASH node as an actor: a hart, its caches and their protocol controller, the MAGIC node
// controller (one handler at a time, each occupying it for magicCycles), the directory of its
// home memory, its network interface, and on node 0 the devices.
//
// advance(windowEnd) interleaves the hart with the node's messages in simulated time: the hart
// runs until the next message is due (or the window ends, or it stalls), then MAGIC handles the
// message. A message first passes the network interface's input port and waits for MAGIC to be
// free; either delay puts it back in the queue at its new time, so the order of handling is
// always the order of (time, source, sequence).
//
// Interrupts. A device on the I/O node that changes one of this hart's lines sends an IRQ
// message; MAGIC sets the line when it handles it and wakes a hart asleep in wfi. On the I/O
// node, its devices' own events (IO_TIMER, IO_INPUT) act at their time beside MAGIC, not
// through it, and the DMA engine (IO_DMA, and lines it waits for) runs inside MAGIC's handlers
// (io-node.ts).

import type { MachineConfig } from '../config/machine.js';
import { Hart } from '../vcpu/hart.js';
import type { DecodeCache } from '../vcpu/decode-cache.js';
import { Stop } from '../vcpu/status.js';
import type { RamView } from '../vcpu/port.js';
import { MmioStatus } from '../vcpu/port.js';
import { CacheController, type CacheHost } from '../directory/cache-controller.js';
import { HomeController, type HomeViews } from '../directory/home-controller.js';
import { F_A, F_ADDR, F_B, F_C, F_DST, F_REQ, F_SEQ, F_SRC, F_TYPE, Msg, MSG_COUNT, MSG_WORDS, msgBytes } from '../directory/messages.js';
import { Mesh, NetworkInterface } from '../interconnect/mesh.js';
import { EventQueue } from './event-queue.js';
import { ProcessorInterface, WAIT_ANY, WAIT_UNCACHED, type DeviceRange } from './processor-interface.js';
import type { MmioDevice } from '../vcpu/flat-memory.js';
import type { Irq } from '../vcpu/trap.js';
import { QuantumPort, WAIT_QUANTUM, type QuantumSizes, type QuantumViews } from './quantum-port.js';

export const enum NodeState { Running = 0, Stalled = 1, Wfi = 2, Halted = 3, Idle = 4 }

/**
 * What runs on the node's CPU: its hart, natively, or a monitor's virtual CPU over that hart
 * (src/monitor), which takes the hart's interrupt lines, timer and time offset as the guest's.
 */
export interface NodeCpu {
  run(budget: number, cycleLimit: number): Stop;
  simTime(): number;
  idleUntilCycle(time: number): void;
  nextTimerCycle(): number;
  /** Line `irq` of hart `hart` of device set `set` (a VM's; natively the machine's, 0). */
  setIrq(irq: Irq, level: boolean, set: number, hart: number): void;
  /** The guest time offset of device set `set`'s harts. */
  setTimeOffset(ticks: number, set: number): void;
  dropGrant(spanRo: number, dataMayChange: boolean): void;
  readonly spinning: boolean;
  /** As the guest sees it: instructions, cycles, the traps and interrupts it took. */
  stats(): ReturnType<Hart['stats']>;
}

/** The node's monitor instance (src/monitor/node-monitor.ts), when the node runs VMs. */
export interface NodeMonitorPort {
  /** The virtual CPUs placed on this node, time-sliced on its hart, or null when none is. */
  readonly cpu: NodeCpu | null;
  /** A monitor message (PMAP_*), inside a MAGIC handler. */
  handle(type: number, src: number, addr: number, req: number, a: number, b: number, c: number): void;
  /** VM `vm` ended (HALT_CPU): its vCPUs here stop; true when none is left on the node. */
  haltVm(vm: number): boolean;
  /** A hot-page event of this node's home MAGIC, inside its handler: machine page `mp`. */
  hotPage(mp: number, from: number): void;
  /** A line settled in this node's caches at `time` (the monitor's page copy may wait for it). */
  lineSettled(line: number, time: number): void;
  /** End of a MAGIC handler: the page copy goes on with a line it was woken for. */
  afterHandler(): void;
  /** COPY_RETRY: the page copy asks again for the line a NACK took. */
  copyRetry(): void;
}

/** The stalled CPU waits for its monitor instance's answer (a pmap entry). */
export const WAIT_MONITOR = -4;

/** Where a node's outgoing messages go: its worker routes them to the destination's queue. */
export interface Router {
  deliver(time: number, type: number, src: number, dst: number, addr: number, req: number, a: number, b: number, c: number, seq: number): void;
}

/**
 * The parallel engine's lookahead: the least time from anything a node does to the arrival, at
 * another node, of a message it causes. Every such message passes MAGIC first (a request from
 * the processor waits for MAGIC and occupies it; a handler's messages leave when it ends), then
 * the mesh.
 */
export function lookahead(cfg: MachineConfig, mesh: Mesh): number {
  return cfg.magicCycles + mesh.minLatency();
}

/** The I/O node's devices, as their node calls them (io-node.ts; node 0 only). */
export interface IoPort {
  /** A node-internal event (IO_*) is due; runs inside a handler at its time. */
  event(type: number, a: number): void;
  /** A line settled in this node's caches at `time` (the DMA engine may wait for it). */
  lineSettled(line: number, time: number): void;
  /** End of a MAGIC handler: the DMA engine goes on with a line it was woken for. */
  afterHandler(): void;
  /** This node's monitor instance handled a message: a DMA job may have its pmap entry now. */
  monitorAnswered(): void;
  /**
   * A device of set `space` halted (a finisher, HTIF exit): true when that ends the machine (its
   * last set: the machine's one natively, the last VM's with several), else the set's harts are
   * stopped and the others go on.
   */
  setHalted(space: number): boolean;
  /** vCPU `vcpu` of VM `vm` cannot go on (a trap that traps to itself at `pc`): as setHalted. */
  vmFault(vm: number, vcpu: number, pc: number): boolean;
}

/** Queue flag: the message has passed the input port of the network interface. */
const ARRIVED = 1;
const NOT_WAITING = -3;

export interface NodeStats {
  msgsSent: Float64Array;
  bytesSent: number;
  magicBusyCycles: number;
  niDelayCycles: number;
  magicDelayCycles: number;
  uncachedServed: number;
}

export class FlashNode implements CacheHost {
  /** The hart on the node's CPU now: its own, or the real hart of the vCPU loaded on it. */
  hart: Hart;
  /** What the node runs: the hart, or the vCPU its monitor placed on it. */
  private cpu: NodeCpu;
  private monitor: NodeMonitorPort | null = null;
  readonly cache: CacheController;
  readonly home: HomeController;
  readonly pi: ProcessorInterface;
  /** The quantum timing mode's port (the same object as pi), or null in the exact mode. */
  readonly qport: QuantumPort | null;
  readonly queue = new EventQueue();
  readonly ni = new NetworkInterface();
  state = NodeState.Running;
  readonly stats: NodeStats = { msgsSent: new Float64Array(MSG_COUNT), bytesSent: 0, magicBusyCycles: 0, niDelayCycles: 0, magicDelayCycles: 0, uncachedServed: 0 };

  private seq = 0;
  private magicFree = 0;
  /** Time of the handler now running; NaN when the processor side is sending. */
  private handlerEnd = NaN;
  /** What the stalled hart waits for: a line, WAIT_ANY, WAIT_UNCACHED, or NOT_WAITING. */
  private waiting = NOT_WAITING;
  private readonly lineShift: number;
  private readonly pagesPerNode: number;
  private readonly magicCycles: number;
  /**
   * Devices on this node (node 0 only), by device set: natively one, under the monitor one per
   * VM (io-node.ts); an uncached access names the set it goes to (its REQ field).
   */
  private readonly devices: MmioDevice[][] = [[]];
  /** The device set this node's CPU reaches now: the loaded vCPU's VM's (0 natively). */
  deviceSpace = 0;
  /** Makes harts like the node's own (a monitor's vCPUs that share the CPU, each with its own). */
  private readonly hartOptions: ConstructorParameters<typeof Hart>[0];
  private readonly mmioOut = new Int32Array(2);
  /** Set when a device on this node halted the machine. */
  haltRequested = false;
  /** The cycle at which a device halted the machine (I/O node only; NaN until then). */
  haltCycle = NaN;
  exitCode = 0;
  /** The I/O node's devices (node 0, when it has any beyond plain MMIO). */
  private io: IoPort | null = null;
  /** The hart's last run() ended in wfi (it sleeps until an interrupt or its timer). */
  inWfi = false;
  /**
   * Messages and events this node has sent (to anyone, itself included) and handled: the
   * machine has nothing in flight when the sums over all nodes are equal.
   */
  sentCount = 0;
  handledCount = 0;
  /** A device's own event (IO_TIMER, IO_INPUT) is running, not a MAGIC handler. */
  private inDeviceEvent = false;

  constructor(
    readonly id: number,
    private readonly cfg: MachineConfig,
    ram: RamView,
    homeViews: HomeViews,
    deviceRanges: readonly DeviceRange[],
    private readonly mesh: Mesh,
    private readonly router: Router,
    entry: number,
    skipSpins = true,
    /** Decoded instructions, shared by the nodes of a worker (vcpu/decode-cache.ts); else the hart's own. */
    decodeCache?: DecodeCache,
    /** The quantum timing mode's shared tables (quantum-port.ts); absent in the exact mode. */
    quantum?: { views: QuantumViews; sizes: QuantumSizes },
  ) {
    this.lineShift = Math.log2(cfg.lineBytes);
    this.pagesPerNode = (cfg.memPerNodeMiB << 20) >>> 12;
    this.magicCycles = cfg.magicCycles;
    this.cache = new CacheController(id, cfg, this);
    this.home = new HomeController(id, cfg, homeViews, this);
    const host = {
      stallOn: (w: number) => { this.waiting = w; },
      uncached: (load: boolean, paddr: number, size: number, lo: number, hi: number) =>
        this.send(load ? Msg.UNC_READ : Msg.UNC_WRITE, 0, paddr, this.deviceSpace, size, lo, hi, 0),
      reply: (time: number, type: Msg, src: number, line: number, local: boolean) => {
        this.stats.msgsSent[type]++;
        this.sentCount++;
        this.enqueue(time, type, src, this.id, line, this.id, 0, 0, 0, this.seq++, local ? ARRIVED : 0);
      },
      // In flight until its answer is handled, so that a machine whose only activity is a DMA
      // waiting for the weave neither stops nor jumps over quanta.
      deferred: () => { this.sentCount++; },
    };
    this.qport = quantum === undefined ? null
      : new QuantumPort(ram, this.cache, deviceRanges, cfg, host, id, quantum.views, homeViews, mesh, quantum.sizes);
    this.pi = this.qport ?? new ProcessorInterface(ram, this.cache, deviceRanges, cfg.lineBytes, host);
    this.hartOptions = {
      port: this.pi,
      hartId: id,
      resetPc: entry,
      costs: { mulExtra: cfg.mulExtraCycles, divExtra: cfg.divExtraCycles, cyclesPerTick: cfg.cpuMHz * 1e6 / cfg.timebaseHz },
      // A hart of its own holds as many decoded instructions as the L1 I-cache does.
      decodeCacheBits: Math.log2((cfg.l1iKiB << 10) / 2),
      decodeCache,
      skipSpins,
    };
    this.hart = new Hart(this.hartOptions);
    this.pi.hart = this.hart;
    this.qport?.attachHart(this.hart);
    this.cpu = this.hart;
  }

  /** A hart on this node's port and costs, numbered `hartId`, starting at `resetPc`. */
  newHart(hartId: number, resetPc: number): Hart {
    const h = new Hart({ ...this.hartOptions, hartId, resetPc });
    this.attachHart(h);
    return h;
  }

  /**
   * A hart that reaches memory through this node's port (the monitor's stepping harts too):
   * the quantum mode's store buffer drops its grants and decoded instructions on lines it reuses.
   */
  attachHart(h: Hart): void {
    this.qport?.attachHart(h);
  }

  /**
   * Puts `hart` on the node's CPU (the monitor's switch of vCPUs): the processor interface
   * charges its stalls to it, and its uncached accesses go to device set `space`.
   */
  loadHart(hart: Hart, space: number): void {
    this.hart = hart;
    this.pi.hart = hart;
    this.deviceSpace = space;
  }

  /** The cycle the node's CPU has reached. */
  cpuTime(): number {
    return this.cpu.simTime();
  }

  /** The statistics of what the node runs (its hart's, or its vCPU's as the guest sees them). */
  cpuStats(): ReturnType<Hart['stats']> {
    return this.cpu.stats();
  }

  attachMonitor(m: NodeMonitorPort): void {
    this.monitor = m;
    if (m.cpu !== null) this.cpu = m.cpu;
  }

  /** The CPU stalls until its monitor instance has an answer (handle(PMAP_DONE) wakes it). */
  stallOnMonitor(): void {
    this.waiting = WAIT_MONITOR;
  }

  addDevice(d: MmioDevice, space = 0): void {
    while (this.devices.length <= space) this.devices.push([]);
    this.devices[space]!.push(d);
  }

  /** The node's CPU stops for good (a VM ended, or no vCPU is placed here). */
  haltCpu(): void {
    this.state = NodeState.Halted;
    this.waiting = NOT_WAITING;
    this.retryFirst = false;
    this.inWfi = false;
  }

  attachIo(io: IoPort): void {
    this.io = io;
  }

  /** Queue a node-internal event (IO_*) for `time` (not before now). */
  schedule(time: number, type: Msg, a: number): void {
    this.stats.msgsSent[type]++;
    this.sentCount++;
    this.enqueue(time, type, this.id, this.id, 0, this.id, a, 0, 0, this.seq++, ARRIVED);
  }

  // ---- CacheHost / Outbox ----

  now(): number {
    return Number.isNaN(this.handlerEnd) ? this.cpu.simTime() : this.handlerEnd;
  }

  send(type: Msg, dst: number, addr: number, req: number, a: number, b: number, c: number, delay: number): void {
    let t: number;
    if (Number.isNaN(this.handlerEnd)) {
      // From the processor: a request to another node passes through MAGIC first.
      t = this.hart.simTime();
      if (dst !== this.id) {
        const start = t > this.magicFree ? t : this.magicFree;
        this.magicFree = start + this.magicCycles;
        this.stats.magicBusyCycles += this.magicCycles;
        t = this.magicFree;
      }
    } else {
      t = this.handlerEnd + delay;
      if (this.inDeviceEvent) t += this.magicCycles;
    }
    this.stats.msgsSent[type]++;
    if (this.qport !== null && type <= Msg.PUTX) {
      this.requestNow(type, dst, addr, a, t);
      return;
    }
    this.sentCount++;
    const seq = this.seq++;
    if (dst === this.id) {
      this.enqueue(t, type, this.id, dst, addr, req, a, b, c, seq, ARRIVED);
      return;
    }
    const bytes = msgBytes(type, this.cfg.headerBytes, this.cfg.lineBytes);
    this.stats.bytesSent += bytes;
    const ser = this.mesh.serialization(bytes);
    const depart = this.ni.depart(t, ser);
    this.router.deliver(depart + this.mesh.latency(this.id, dst, bytes), type, this.id, dst, addr, req, a, b, c, seq);
  }

  /**
   * Quantum mode: a request of this node's caches leaves at `t` and is answered at once
   * (QuantumPort.request); a request to this node's own home occupies its MAGIC as the home's
   * handler would.
   */
  private requestNow(type: Msg, home: number, line: number, a: number, t: number): void {
    if (home === this.id) {
      const start = t > this.magicFree ? t : this.magicFree;
      this.magicFree = start + this.magicCycles;
      this.stats.magicBusyCycles += this.magicCycles;
      this.qport!.request(type, line, a, this.magicFree, true);
      return;
    }
    const bytes = msgBytes(type, this.cfg.headerBytes, this.cfg.lineBytes);
    this.stats.bytesSent += bytes;
    this.qport!.request(type, line, a, this.ni.depart(t, this.mesh.serialization(bytes)), false);
  }

  /** Quantum mode: the weave answered what the hart blocked on; it goes on at `time`. */
  resumeBlocked(time: number): void {
    if (this.state !== NodeState.Stalled || this.waiting !== WAIT_QUANTUM) return;
    const now = this.cpu.simTime();
    this.resume(time > now ? time : now);
  }

  /**
   * Quantum mode: the weave NACKed `reads` read and `writes` write requests of this node at busy
   * lines; each was retried, as the exact machine counts it: another L1 and L2 miss and request.
   */
  nacked(reads: number, writes: number): void {
    const c = this.cache.stats, n = reads + writes;
    c.nacksReceived += n;
    c.l2Misses += n;
    c.l1dMisses += n;
    this.stats.msgsSent[Msg.GETS] += reads;
    this.stats.msgsSent[Msg.GETX] += writes;
  }

  /** Quantum mode: a home's answer the weave gave (QuantumPort.request left it to it), due at `time`. */
  answerLater(time: number, type: Msg, src: number, line: number): void {
    this.stats.msgsSent[type]++;
    // The workers' lists come in an order that depends on how homes are spread over them: the
    // line, not the order they are taken in, tells answers from one sender at one cycle apart.
    this.enqueue(time, type, src, this.id, line, this.id, 0, 0, 0, line, src === this.id ? ARRIVED : 0);
  }

  /**
   * Quantum mode: the weave counted a hot-page event of this node's home at `time` (the exact
   * machine's home handler calls hotPage itself): its monitor instance hears of it in a handler.
   */
  hotPageLater(time: number, page: number, from: number): void {
    if (this.monitor === null) return;
    this.sentCount++;
    this.enqueue(time, Msg.HOT_PAGE, this.id, this.id, page, this.id, from, 0, 0, this.seq++, ARRIVED);
  }

  /** Quantum mode: the hart waits for the weave. */
  get blocked(): boolean {
    return this.state === NodeState.Stalled && this.waiting === WAIT_QUANTUM;
  }

  enqueue(time: number, type: number, src: number, dst: number, addr: number, req: number, a: number, b: number, c: number, seq: number, flags = 0): void {
    const q = this.queue;
    const r = q.alloc();
    q.time[r] = time;
    q.first[r] = time;
    q.flags[r] = flags;
    const w = q.words, o = r * MSG_WORDS;
    w[o + F_TYPE] = type; w[o + F_SRC] = src; w[o + F_DST] = dst; w[o + F_ADDR] = addr;
    w[o + F_REQ] = req; w[o + F_A] = a; w[o + F_B] = b; w[o + F_C] = c; w[o + F_SEQ] = seq;
    q.insert(r);
  }

  dropLine(line: number, dataMayChange: boolean): void {
    this.cpu.dropGrant(line << this.lineShift, dataMayChange);
  }

  hotPage(page: number, from: number): void {
    this.monitor?.hotPage(this.id * this.pagesPerNode + page, from);
  }

  wake(line: number, time: number): boolean {
    if (this.io !== null) this.io.lineSettled(line, time);
    if (this.monitor !== null) this.monitor.lineSettled(line, time);
    if (this.state !== NodeState.Stalled) return false;
    if (this.waiting !== line && this.waiting !== WAIT_ANY) return false;
    this.resume(time);
    return true;
  }

  private resume(time: number): void {
    this.waiting = NOT_WAITING;
    // Time asleep in wfi is the CPU's idle time; a stall on memory is the hart's.
    if (this.state === NodeState.Idle) this.cpu.idleUntilCycle(time);
    else this.hart.idleUntilCycle(time);
    this.state = NodeState.Running;
    this.retryFirst = true;
  }

  /**
   * The hart was just woken: it re-executes its stalled instruction before MAGIC handles
   * anything else, or a forward due at the same moment could take the line away again and no
   * node would ever complete (livelock).
   */
  private retryFirst = false;

  // ---- the actor ----

  /** The end of the window (or quantum) the node is being advanced to. */
  horizon = 0;

  /** Simulate this node up to (not including) `windowEnd`. */
  advance(windowEnd: number): void {
    this.horizon = windowEnd;
    const q = this.queue;
    for (;;) {
      if (this.retryFirst && this.state === NodeState.Running) {
        this.retryFirst = false;
        this.runHart(this.cpu.simTime() + 1);
        if (this.cache.postponed >= 0) {
          // Back in the handler that granted the line, as if they had been served there.
          this.handlerEnd = this.cache.postponedAt;
          this.cache.runPostponed();
          if (this.io !== null) this.io.afterHandler();
          this.handlerEnd = NaN;
        }
        continue;
      }
      const te = q.peekTime();
      if (this.state === NodeState.Running) {
        const limit = te < windowEnd ? te : windowEnd;
        if (this.cpu.simTime() < limit) {
          this.runHart(limit);
          continue;
        }
      }
      if (te >= windowEnd) return;
      this.handleNext();
    }
  }

  /**
   * The earliest cycle at which this node can act, as a window ends: -1 while its hart executes;
   * else its next queued message or event, or the timer of a hart asleep in wfi (Infinity: only
   * a message could wake it).
   */
  nextActivity(): number {
    if (this.retryFirst || (this.state === NodeState.Running && !this.inWfi)) return -1;
    return this.state === NodeState.Running ? this.nextEvent() : this.queue.peekTime();
  }

  /** The earlier of the next queued message and the hart's timer. */
  private nextEvent(): number {
    const t = this.queue.peekTime(), timer = this.cpu.nextTimerCycle();
    return timer < t ? timer : t;
  }

  /**
   * Until when, as a window ends, this node would only repeat itself unless a message is queued
   * for it: its hart stalled, halted or asleep with nothing queued before then, or asleep in wfi
   * or spinning in an exact loop (Hart.spinning) with no message and no timer before then; -1
   * when it must be stepped (its hart executes). The worker may leave such a node alone until
   * then (worker-loop.ts): stepping it later over the same cycles gives the same results, since
   * time asleep passes in one step and a spin loop's iterations are all alike. The I/O node's
   * devices act only in its handlers and in events on its queue, like any message; the one event
   * queued from outside a step, console input at an epoch start, wakes it (IoNode.beforeEpoch).
   * `activity` is nextActivity(), when the caller has it already.
   */
  quietUntil(activity = this.nextActivity()): number {
    // A spinning hart executes, so its activity is -1; but it only repeats itself until then.
    if (activity < 0 && !this.retryFirst && this.cpu.spinning) return this.nextEvent();
    return activity;
  }

  private runHart(limit: number): void {
    const h = this.cpu;
    const stop = h.run(1 << 30, limit);
    this.inWfi = stop === Stop.Wfi;
    switch (stop) {
      case Stop.Budget: return;
      case Stop.Stall:
        this.state = NodeState.Stalled;
        return;
      case Stop.Halt:
        this.state = NodeState.Halted;
        return;
      case Stop.Wfi: {
        const t = h.nextTimerCycle();
        // Asleep until an IRQ message comes (an Idle hart runs again only then) or its Sstc timer.
        if (t === Infinity) { this.state = NodeState.Idle; return; }
        if (t < limit) h.idleUntilCycle(t); else h.idleUntilCycle(limit);
        return;
      }
    }
  }

  private handleNext(): void {
    const q = this.queue;
    const r = q.pop();
    const t = q.time[r];
    const w = q.words, o = r * MSG_WORDS;
    const type = w[o + F_TYPE], src = w[o + F_SRC];
    if (type === Msg.IO_TIMER || type === Msg.IO_INPUT) {
      // A device's own event: it acts at its time, beside MAGIC rather than through it; what it
      // sends leaves a MAGIC occupancy later, as every message does (the engine's lookahead).
      const a = w[o + F_A];
      q.release(r);
      this.handledCount++;
      this.handlerEnd = t;
      this.inDeviceEvent = true;
      this.io!.event(type, a);
      this.inDeviceEvent = false;
      this.handlerEnd = NaN;
      return;
    }
    if ((q.flags[r] & ARRIVED) === 0) {
      const ser = this.mesh.serialization(msgBytes(type, this.cfg.headerBytes, this.cfg.lineBytes));
      const d = this.ni.arrive(t, ser);
      q.flags[r] |= ARRIVED;
      if (d > t) { this.stats.niDelayCycles += d - t; q.time[r] = d; q.insert(r); return; }
    }
    if (this.magicFree > t) {
      this.stats.magicDelayCycles += this.magicFree - t;
      q.time[r] = this.magicFree;
      q.insert(r);
      return;
    }
    const end = t + this.magicCycles;
    this.magicFree = end;
    this.stats.magicBusyCycles += this.magicCycles;
    this.handlerEnd = end;
    const addr = w[o + F_ADDR], req = w[o + F_REQ], a = w[o + F_A], b = w[o + F_B], c = w[o + F_C];
    q.release(r);
    this.handledCount++;
    switch (type) {
      case Msg.GETS: case Msg.GETX: case Msg.UPGRADE: case Msg.PUTS: case Msg.PUTE: case Msg.PUTX:
      case Msg.INV_ACK: case Msg.SHARING_WB: case Msg.XFER:
        this.home.handle(type, src, addr, a, end);
        break;
      case Msg.UNC_READ: case Msg.UNC_WRITE:
        this.serveUncached(type, src, req, addr >>> 0, a, b, c);
        break;
      case Msg.UNC_DATA: case Msg.UNC_ACK:
        this.pi.uncachedDone(b, c, a === 1 ? MmioStatus.Halt : a === 2 ? MmioStatus.Fault : MmioStatus.Ok);
        if (this.state === NodeState.Stalled && this.waiting === WAIT_UNCACHED) this.resume(end);
        break;
      case Msg.IRQ:
        this.cpu.setIrq(addr, a !== 0, b, c);
        // A rising line ends wfi (the hart takes the interrupt, or just goes on, as wfi allows).
        if (a !== 0 && this.state === NodeState.Idle) this.resume(end);
        break;
      case Msg.IO_DMA:
        this.io!.event(type, a);
        break;
      case Msg.TIME:
        this.cpu.setTimeOffset((a >>> 0) + b * 2 ** 32, c);
        break;
      case Msg.HALT_CPU:
        if (this.monitor === null || this.monitor.haltVm(a)) this.haltCpu();
        break;
      case Msg.VM_FAULT:
        if (this.io!.vmFault(a, b, (addr >>> 0) + c * 2 ** 32) && !this.haltRequested) {
          this.haltRequested = true;
          this.haltCycle = this.handlerEnd - this.magicCycles;
        }
        break;
      case Msg.PMAP_REQ: case Msg.PMAP_ALLOC: case Msg.PMAP_GIVEN: case Msg.PMAP_DONE:
      case Msg.MIG_REQ: case Msg.PMAP_INVAL: case Msg.PMAP_INVAL_ACK: case Msg.MIG_COPY: case Msg.MIG_DONE: case Msg.PAGE_FREE: case Msg.HINT:
        this.monitor!.handle(type, src, addr, req, a, b, c);
        if (type === Msg.PMAP_DONE && this.state === NodeState.Stalled && this.waiting === WAIT_MONITOR) this.resume(end);
        if (this.io !== null) this.io.monitorAnswered();
        break;
      case Msg.COPY_RETRY:
        this.monitor!.copyRetry();
        break;
      case Msg.HOT_PAGE:
        this.hotPage(addr, a);
        break;
      default:
        this.cache.handle(type, src, addr, req);
    }
    if (this.io !== null) this.io.afterHandler();
    if (this.monitor !== null) this.monitor.afterHandler();
    this.handlerEnd = NaN;
  }

  private serveUncached(type: number, src: number, space: number, paddr: number, size: number, lo: number, hi: number): void {
    this.stats.uncachedServed++;
    const d = this.devices[space]?.find((x) => paddr >= x.base && paddr + size <= x.base + x.size);
    let st: MmioStatus = MmioStatus.Fault;
    let vlo = 0, vhi = 0;
    if (d !== undefined) {
      if (type === Msg.UNC_READ) {
        st = d.load(paddr - d.base, size, this.mmioOut);
        vlo = this.mmioOut[0]; vhi = this.mmioOut[1];
      } else {
        st = d.store(paddr - d.base, size, lo, hi);
      }
    }
    if (st === MmioStatus.Halt && !this.haltRequested && (this.io === null || this.io.setHalted(space))) {
      this.haltRequested = true;
      // The handler's start: within the window that handles the request, whatever its length.
      this.haltCycle = this.handlerEnd - this.magicCycles;
    }
    // A = 1: the device halted the machine; 2: nothing answered (the requester takes an access fault).
    const flag = st === MmioStatus.Halt ? 1 : st === MmioStatus.Fault ? 2 : 0;
    this.send(type === Msg.UNC_READ ? Msg.UNC_DATA : Msg.UNC_ACK, src, paddr, src, flag, vlo, vhi, this.cfg.deviceCycles);
  }
}
