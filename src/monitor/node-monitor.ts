// The monitor instance of one FLASH node (DESIGN.md: one instance per node, in its worker).
//
// What a node's instance owns:
//   - its node's VM pages: the first vmPagesPerNode pages of the node's home slice, handed out
//     from the bottom up (those the boot images took first, before the run);
//   - its reserve: the rest of the slice, where it builds the shadow trees of the vCPUs that run
//     on its node (shadow.ts), a partition for each VM with vCPUs here, shared by that VM's
//     vCPUs; no guest ever maps it, and only this node's CPU walks it;
//   - the memmap rows of its pages and of its shadow leaves;
//   - the vCPUs placed on its node, time-sliced on its CPU (node-scheduler.ts), each with a real
//     hart whose port is the node's caches: the real MMU walks the shadow trees through the
//     protocol;
//   - as a VM's home node, that VM's pmap (a region of src/shared-abi), which it alone writes,
//     in the order its MAGIC handles the requests (invariant 6).
//
// A guest page's machine page. Every node keeps its own copy of the pmap entries it has
// learnt (`known`), filled before the run from the boot pmap and then only by PMAP_DONE
// messages, so what a node sees at a simulated cycle never depends on how far another worker
// has run. A page not known here is asked of the VM's home (PMAP_REQ), and the vCPU stalls, as
// on a cache miss, until the answer comes (FlashNode.stallOnMonitor). The home answers from its
// pmap, or backs the page: the placement policy names the node (first-touch: the node that
// asked), which gives one of its own pages (PMAP_ALLOC, PMAP_GIVEN; the home's own at once);
// a node with none left says so and the home asks the next node. Requests for a page already
// being backed wait for it. The home's own vCPU and DMA read the pmap directly, and back a page
// placed on the home's node at once. Each answer leaves the serving node monitorRemoteCycles after its
// MAGIC handler, the monitor's work there, and crosses the mesh as any message.
//
// The I/O node asks the same way for a VM's disk DMA (virtio-blk's paged RAM view: a page not
// known yet stops the job until the answer, io-node.ts).
//
// NUMA moves (docs/numa.md). A hot-page event of this node's MAGIC comes to its instance, which
// holds the page: when one other node has at least numaMigrateShare of the page's misses it asks
// the VM's home to migrate the page there; when nobody wrote it and several nodes read it
// heavily, to give each of them a replica (MIG_REQ); within a budget of numaMovesPerReset per
// counter period, and not twice to one node within numaFreezeCycles. The home marks the entry
// moving (requests for it, and further moves, wait), and every node that may know the entry
// (the VM's vCPUs' nodes and the I/O node) forgets it and shoots down its shadow leaves of the
// page it maps (PMAP_INVAL, PMAP_INVAL_ACK). Then the target copies the page into one of its
// own, line by line through its caches and the protocol (a DMA job of its own, MIG_COPY,
// MIG_DONE). A migration's new page replaces the old in the pmap, and the old page's node
// frees it (PAGE_FREE); a replica joins the entry's replica set, kept by the home, which from
// then on answers each node with its own replica or the master, read-only. A store to a
// read-only entry asks the home to collapse the replicas (MIG_REQ again): every node forgets
// the entry, the replicas are freed, and the master is writable again.

import type { MachineConfig } from '../config/machine.js';
import { Msg } from '../directory/messages.js';
import type { FlashNode, NodeMonitorPort } from '../node-actor/node.js';
import { overlapsDevice, type DeviceRange } from '../node-actor/processor-interface.js';
import { pmapLayout } from '../shared-abi/machine.js';
import { Access, Grant, MmioStatus, type AmoOp, type AtomicPort, type MemoryPort, type RamView } from '../vcpu/port.js';
import { DmaDriver } from '../node-actor/io-node.js';
import type { DmaJob } from '../devices/dma.js';
import { monitorCosts, type MonitorCosts } from './costs.js';
import { PAGE } from './machine-memory.js';
import { Memmap } from './memmap.js';
import type { Placement } from './placement.js';
import { ShadowReserve, ShadowTables, type ReserveUsage } from './shadow.js';
import { NodeScheduler, type VcpuSlot } from './node-scheduler.js';
import { Vcpu } from './vcpu.js';
import { PAGE_PENDING, type GuestPort } from './vm-memory.js';

/** A VM on the FLASH machine, as every worker is told of it. */
export interface FlashVmSpec {
  id: number;
  name: string;
  /** Guest RAM: [base, base + bytes). */
  base: number;
  bytes: number;
  /** Its first entry in the pmap region. */
  pmapAt: number;
  /** The node whose monitor instance owns the VM's pmap. */
  home: number;
  /** vCPU k runs on node cpus[k] (a node may run several, time-sliced). */
  cpus: number[];
  placement: Placement;
  /** What hot-page events of its pages do (docs/numa.md). */
  numa: NumaPolicy;
  /** Where its vCPUs start, and their registers besides a0 = the vCPU's number (a1, a2 of the virt boot). */
  entry: number;
  bootRegs: [number, number][];
  /** Its devices, guest physical: a vCPU's accesses there go to its device set on the I/O node. */
  devices: DeviceRange[];
}

/** What the workers need to run VMs (flash-machine.ts builds it). */
export interface MonitorTask {
  vms: FlashVmSpec[];
  /** pmapLayout(pmapEntries): every VM's pmap, the boot images' pages already in it. */
  pmap: SharedArrayBuffer;
  /**
   * The pmap as booted, a copy: what each node knows at the start. The shared one is the homes'
   * to change from the first cycle, maybe before a slower worker has set its nodes up.
   */
  bootPmap: Int32Array;
  pmapEntries: number;
  /** Pages at the bottom of each node's slice for VMs; the rest of the slice is its reserve. */
  vmPagesPerNode: number;
  /** Pages each node handed out before the run (to the boot images). */
  bootUsed: number[];
  /** Of those, each VM's: [vm][node]. */
  bootPages: number[][];
  /** Cycles a vCPU keeps a node's CPU while another vCPU there could run (its time slice). */
  timeSlice: number;
}

/**
 * none: pages stay where placed; first-touch, round-robin: that placement, pages stay; migrate,
 * replicate, or disco (both): docs/numa.md.
 */
export type NumaPolicy = 'none' | 'first-touch' | 'round-robin' | 'migrate' | 'replicate' | 'disco' | 'auto-numa';
export const NUMA_POLICIES: readonly NumaPolicy[] = ['none', 'first-touch', 'round-robin', 'migrate', 'replicate', 'disco', 'auto-numa'];

export function isNumaPolicy(text: string): text is NumaPolicy {
  return (NUMA_POLICIES as readonly string[]).includes(text);
}

/** The placement a policy that names one stands for (first-touch, round-robin), else null. */
export function numaPlacement(policy: NumaPolicy): Placement | null {
  return policy === 'first-touch' || policy === 'round-robin' ? { policy } : null;
}

const enum MoveKind { Migrate = 0, Replicate = 1, Collapse = 2 }

/** A move the home has under way: its master page, who must still ack, and who waits for the entry. */
interface Move {
  kind: MoveKind;
  old: number;
  target: number;
  acks: number;
  waiters: number[];
  /** Moves of the same page asked meanwhile (kind, target), started when this one ends. */
  queued: Array<[MoveKind, number]>;
  /** When the home started it. */
  started: number;
}

const NOT_KNOWN = -1;
/** `known`: asked of the home, no answer yet. */
const ASKED = -2;

export class NodeMonitor implements NodeMonitorPort {
  readonly cpu: NodeScheduler | null = null;
  /** The shadow tables of each VM with vCPUs here. */
  private readonly shadows = new Map<number, ShadowTables>();
  private readonly usage: ReserveUsage = { inUse: 0, peak: 0 };
  private readonly costs: MonitorCosts;
  private readonly pmap: Int32Array;
  /** Per VM: the machine page of each guest page as this node knows it, NOT_KNOWN or ASKED. */
  private readonly known: Int32Array[];
  private readonly memmap: Memmap;
  private readonly firstPage: number;
  private nextPage: number;
  /** Home duties: pmap index -> the nodes waiting for that page, and the node asked to give it. */
  private readonly waiting = new Map<number, number[]>();
  private readonly asked = new Map<number, number>();
  readonly stats = { pagesGiven: 0, requests: 0, served: 0, allocs: 0, refusals: 0 };
  /** Pages this node gave to each VM, the boot images' included. */
  readonly pagesOfVm: number[];
  /** The home MAGIC's miss counters (counterLayout's `miss`), for hot-page decisions. */
  private readonly miss: Uint16Array;
  /** Pages given back (migrated away), handed out again first. */
  private readonly freePages: number[] = [];
  /** Home duties: pmap index -> the move under way. */
  private readonly moving = new Map<number, Move>();
  /** Per page of this node and node (mp x nodes + n): the cycle until which it does not move to n (n = this node: migrate away). */
  private readonly frozenUntil = new Map<number, number>();
  private movesPeriod = -1;
  private movesLeft = 0;
  /** The engine of this node's page copies, one at a time in the order asked. */
  private copier: DmaDriver | null = null;
  private readonly slicePages: number;
  private readonly ram: RamView;
  readonly numaStats = {
    hotEvents: 0, asked: 0, migrated: 0, replicated: 0, collapsed: 0, dropped: 0, copied: 0, freed: 0, leavesShotDown: 0, scans: 0, hintFaults: 0,
    /** Home: cycles from the start of each migration (replication) done to its remap. */
    migrateCycles: 0, replicateCycles: 0,
    /** Home: replica pages of its VMs now, and at most. */
    replicaPages: 0, replicaPagesPeak: 0,
  };
  /** Home duties: pmap index -> the replicas of a replicated page, by node. */
  private readonly replicas = new Map<number, Map<number, number>>();
  /** Per VM: 1 where the entry this node knows is read-only (replicated). */
  private readonly readOnly: Uint8Array[];
  /** The home MAGIC's write-miss counters (counterLayout's `writes`). */
  private readonly writes: Uint16Array;
  /** auto-numa: the VMs with vCPUs here that it scans, their pages unmapped by the last scan, and where the next scan goes on. */
  private readonly scanned: FlashVmSpec[];
  private readonly hinted: Uint8Array[];
  /** auto-numa, for this node's pages: the node of the last hinting fault on each, or -1. */
  private readonly lastHint: Int16Array;
  private scanFrom = 0;

  constructor(
    private readonly node: FlashNode,
    private readonly cfg: MachineConfig,
    ram: RamView,
    private readonly t: MonitorTask,
    miss: Uint16Array,
    writes: Uint16Array,
  ) {
    this.miss = miss;
    this.writes = writes;
    this.ram = ram;
    const slicePages = (cfg.memPerNodeMiB << 20) / PAGE;
    this.slicePages = slicePages;
    const id = node.id;
    this.costs = monitorCosts(cfg);
    this.pmap = pmapLayout(t.pmapEntries).views(t.pmap).pmap;
    this.known = t.vms.map((vm) => t.bootPmap.slice(vm.pmapAt, vm.pmapAt + vm.bytes / PAGE));
    this.readOnly = t.vms.map((vm) => new Uint8Array(vm.bytes / PAGE));
    this.pagesOfVm = t.vms.map((vm) => t.bootPages[vm.id]![id]!);
    this.firstPage = id * slicePages;
    this.nextPage = this.firstPage + t.bootUsed[id]!;
    const area = { ram, vmPages: this.firstPage + t.vmPagesPerNode, pages: this.firstPage + slicePages };
    const reservePages = slicePages - t.vmPagesPerNode;
    this.memmap = new Memmap(cfg.nodes * slicePages, reservePages * (PAGE / 8));
    // The boot images' pages on this node are its too: their rows as the coordinator backed them.
    for (const vm of t.vms) {
      this.known[vm.id]!.forEach((mp, gpp) => { if (mp >= this.firstPage && mp < this.firstPage + slicePages) this.memmap.assign(mp, vm.id, gpp); });
    }
    const here = t.vms.filter((vm) => vm.cpus.includes(id));
    const share = Math.floor(reservePages / Math.max(1, here.length));
    here.forEach((vm, i) => {
      const reserve = new ShadowReserve(area, area.vmPages + i * share, share, this.usage);
      this.shadows.set(vm.id, new ShadowTables(area, reserve, this.memmap));
    });
    const slots: VcpuSlot[] = [];
    for (const vm of here) {
      const guest = new NodeGuestPort(this, vm, node, vm.devices);
      vm.cpus.forEach((on, k) => {
        if (on !== id) return;
        // The first vCPU takes the node's own hart; the others get harts like it.
        const real = slots.length === 0 ? node.hart : node.newHart(k, vm.entry);
        const vcpu = new Vcpu({ guest, realPort: node.pi, shadow: this.shadows.get(vm.id)!, costs: this.costs }, k, vm.entry, real);
        node.attachHart(vcpu.virt);
        vcpu.setX(10, k);
        for (const [reg, value] of vm.bootRegs) vcpu.setX(reg, value);
        const slot = slots.length;
        // A guest whose trap traps to itself forever is stopped, and its VM with it (the I/O node
        // reports it); the other VMs go on.
        vcpu.machineTrapHook = (h, cause, _tval, pc) => {
          if (!h.trapsToItself(cause, pc)) return false;
          this.cpu!.stopVcpu(slot);
          const hi = Math.floor(pc / 2 ** 32);
          node.send(Msg.VM_FAULT, 0, pc - hi * 2 ** 32, id, vm.id, k, hi, 0);
          return true;
        };
        slots.push({ vcpu, vm: vm.id, hart: k });
      });
    }
    if (slots.length > 0) this.cpu = new NodeScheduler(node, slots, t.timeSlice);
    // auto-numa: every numaScanCycles this node unmaps numaScanPages of the pages its vCPUs map,
    // in turn; the next touch of such a page is a hinting fault (hinted), which the page's node
    // hears of (HINT): a page whose last two hinting faults were one other node's migrates to
    // it, as Linux's NUMA balancing does (its last_cpupid), so that a page many nodes share stays.
    this.scanned = here.filter((vm) => vm.numa === 'auto-numa');
    this.hinted = t.vms.map((vm) => new Uint8Array(this.scanned.includes(vm) ? vm.bytes / PAGE : 0));
    this.lastHint = new Int16Array(t.vms.some((vm) => vm.numa === 'auto-numa') ? slicePages : 0).fill(-1);
    if (this.cpu !== null && this.scanned.length > 0) {
      this.cpu.periodic = { nextAt: cfg.numaScanCycles, run: (now) => this.scan(now) };
    }
  }

  haltVm(vm: number): boolean {
    return this.cpu === null || this.cpu.haltVm(vm);
  }

  /**
   * The machine page of guest page `gpp` of `vm` as this node knows it, or -1: then it has been
   * asked of the VM's home, and the answer's handler tells the node (see the header).
   */
  machinePage(vm: FlashVmSpec, gpp: number): number {
    const k = this.known[vm.id]!;
    const mp = k[gpp]!;
    if (mp >= 0) return mp;
    if (vm.home === this.node.id && mp === NOT_KNOWN) {
      // The home reads its own pmap, and backs a page placed on its own node at once; a page
      // it is moving waits for its new place.
      const key = vm.pmapAt + gpp;
      const move = this.moving.get(key);
      if (move !== undefined) {
        k[gpp] = ASKED;
        move.waiters.push(this.node.id);
        return -1;
      }
      let have = this.pmap[key]!;
      if (have < 0 && !this.waiting.has(key) && this.placeOn(vm, gpp, this.node.id) === this.node.id) {
        have = this.givePage(vm, gpp);
        if (have >= 0) this.pmap[key] = have;
      }
      if (have >= 0) {
        const reps = this.replicas.get(key);
        k[gpp] = reps?.get(this.node.id) ?? have;
        this.readOnly[vm.id]![gpp] = reps === undefined ? 0 : 1;
        return k[gpp];
      }
    }
    if (mp === NOT_KNOWN) {
      k[gpp] = ASKED;
      this.stats.requests++;
      this.node.send(Msg.PMAP_REQ, vm.home, gpp, this.node.id, vm.id, 0, 0, 0);
    }
    return -1;
  }

  handle(type: number, src: number, gpp: number, req: number, v: number, mp: number, c: number): void {
    const vm = this.t.vms[v]!;
    switch (type) {
      case Msg.PMAP_REQ: {
        this.stats.served++;
        const move = this.moving.get(vm.pmapAt + gpp);
        if (move !== undefined) { move.waiters.push(req); return; }
        const have = this.pmap[vm.pmapAt + gpp]!;
        if (have >= 0) { this.answer(vm, gpp, req); return; }
        const key = vm.pmapAt + gpp;
        const w = this.waiting.get(key);
        if (w !== undefined) { w.push(req); return; }
        this.waiting.set(key, [req]);
        this.back(vm, gpp, this.placeOn(vm, gpp, req));
        return;
      }
      case Msg.PMAP_ALLOC:
        this.node.send(Msg.PMAP_GIVEN, src, gpp, req, v, this.givePage(vm, gpp), 0, this.costs.remote);
        return;
      case Msg.PMAP_GIVEN:
        if (mp >= 0) this.backed(vm, gpp, mp);
        else this.back(vm, gpp, this.nextNode(src));
        return;
      case Msg.PMAP_DONE:
        this.known[v]![gpp] = mp;
        this.readOnly[v]![gpp] = c;
        return;
      case Msg.MIG_REQ:
        this.startMove(vm, gpp, mp, c as MoveKind, src);
        return;
      case Msg.PMAP_INVAL: {
        // Forget the entry and drop every leaf of this node that maps the page it names here.
        const k = this.known[v]!, mine = k[gpp]!;
        let dropped = 0;
        if (mine >= 0) {
          dropped = this.shadows.get(v)?.shootDown(mine) ?? 0;
          k[gpp] = NOT_KNOWN;
          this.readOnly[v]![gpp] = 0;
        }
        this.numaStats.leavesShotDown += dropped;
        this.node.send(Msg.PMAP_INVAL_ACK, src, gpp, this.node.id, v, 0, 0, this.costs.remote + dropped * this.costs.shootdown);
        return;
      }
      case Msg.PMAP_INVAL_ACK: {
        const key = vm.pmapAt + gpp, move = this.moving.get(key)!;
        if (--move.acks > 0) return;
        if (move.kind !== MoveKind.Collapse) {
          this.node.send(Msg.MIG_COPY, move.target, gpp, this.node.id, v, move.old, 0, this.costs.remote);
          return;
        }
        const reps = this.replicas.get(key)!;
        for (const [n, r] of reps) this.release(v, n, r);
        this.numaStats.replicaPages -= reps.size;
        this.replicas.delete(key);
        this.numaStats.collapsed++;
        this.endMove(vm, gpp, false);
        return;
      }
      case Msg.MIG_COPY: {
        const to = this.givePage(vm, gpp);
        if (to < 0) { this.node.send(Msg.MIG_DONE, src, gpp, this.node.id, v, -1, 0, this.costs.remote); return; }
        this.copier ??= new DmaDriver(this.node, this.cfg.lineBytes, 0, Msg.COPY_RETRY);
        this.copier.start(this.copyJob(mp, to, () => this.node.send(Msg.MIG_DONE, src, gpp, this.node.id, v, to, 0, this.costs.remote)));
        return;
      }
      case Msg.MIG_DONE: {
        const key = vm.pmapAt + gpp, move = this.moving.get(key)!;
        if (mp < 0) { this.endMove(vm, gpp, true); return; }
        const st = this.numaStats, took = this.node.now() - move.started;
        if (move.kind === MoveKind.Migrate) {
          this.pmap[key] = mp;
          st.migrated++;
          st.migrateCycles += took;
          this.release(v, this.nodeOf(move.old), move.old);
        } else {
          let reps = this.replicas.get(key);
          if (reps === undefined) this.replicas.set(key, (reps = new Map()));
          reps.set(move.target, mp);
          st.replicated++;
          st.replicateCycles += took;
          st.replicaPagesPeak = Math.max(st.replicaPagesPeak, ++st.replicaPages);
        }
        this.endMove(vm, gpp, false);
        return;
      }
      case Msg.PAGE_FREE:
        this.freePage(gpp);
        return;
      case Msg.HINT:
        this.hint(gpp, req);
        return;
    }
  }

  // ---- NUMA: hot pages and their moves (see the header) ----

  hotPage(mp: number, from: number): void {
    const v = this.memmap.vm[mp]!;
    if (v < 0) return;
    const policy = this.t.vms[v]!.numa;
    if (policy !== 'migrate' && policy !== 'replicate' && policy !== 'disco') return;
    this.numaStats.hotEvents++;
    const now = this.node.now();
    const period = this.cfg.missResetCycles > 0 ? Math.floor(now / this.cfg.missResetCycles) : 0;
    if (period !== this.movesPeriod) {
      this.movesPeriod = period;
      this.movesLeft = this.cfg.numaMovesPerReset;
    }
    if (this.movesLeft === 0) return;
    // The page's row: its misses from every node (counterLayout: home page index x nodes).
    const nodes = this.cfg.nodes, row = mp * nodes, me = this.node.id;
    let total = 0, best = from;
    for (let n = 0; n < nodes; n++) {
      const c = this.miss[row + n]!;
      total += c;
      if (c > this.miss[row + best]!) best = n;
    }
    const vm = this.t.vms[v]!, gpp = this.memmap.gpp[mp]!;
    // A page that moved, or that was asked to move to a node, stays put (for that node) a while.
    const frozen = (to: number) => (this.frozenUntil.get(mp * nodes + to) ?? -1) > now;
    const ask = (kind: MoveKind, to: number) => {
      this.movesLeft--;
      this.numaStats.asked++;
      this.frozenUntil.set(mp * nodes + to, now + this.cfg.numaFreezeCycles);
      this.node.send(Msg.MIG_REQ, vm.home, gpp, me, v, to, kind, this.costs.remote);
    };
    if (policy !== 'replicate' && best !== me && this.miss[row + best]! >= this.cfg.numaMigrateShare * total) {
      // Not away again from where it just arrived, nor twice to the same node.
      if (!frozen(me) && !frozen(best)) ask(MoveKind.Migrate, best);
    } else if (policy !== 'migrate' && this.writes[mp] === 0) {
      // Read-shared: a replica for every other node that reads it heavily, the heaviest first.
      const heavy = this.cfg.missThreshold / 2;
      const readers: number[] = [];
      for (let n = 0; n < nodes; n++) if (this.miss[row + n]! >= heavy) readers.push(n);
      if (readers.length < 2) return;
      readers.sort((a, b) => this.miss[row + b]! - this.miss[row + a]! || a - b);
      for (const n of readers) if (n !== me && !frozen(n) && this.movesLeft > 0) ask(MoveKind.Replicate, n);
    }
  }

  /**
   * Home: a move of guest page gpp of vm (see the header): to node `target` (a migration or a
   * replica), or the collapse of its replicas that node `from` needs to write it.
   */
  private startMove(vm: FlashVmSpec, gpp: number, target: number, kind: MoveKind, from: number): void {
    const key = vm.pmapAt + gpp, master = this.pmap[key]!;
    const move = this.moving.get(key), reps = this.replicas.get(key);
    if (kind === MoveKind.Collapse) {
      // The asker waits for a writable entry: after the move under way, or now if there are no
      // replicas (any more).
      if (move !== undefined) { move.waiters.push(from); return; }
      if (reps === undefined) { this.answer(vm, gpp, from); return; }
    } else if (move !== undefined) {
      move.queued.push([kind, target]);
      return;
    } else if (master < 0 || this.waiting.has(key) || this.nodeOf(master) === target) {
      return;
    } else if (kind === MoveKind.Migrate ? reps !== undefined : reps?.has(target) === true) {
      return;
    }
    const nodes = [...new Set([...vm.cpus, 0])];
    this.moving.set(key, { kind, old: master, target, acks: nodes.length, waiters: kind === MoveKind.Collapse ? [from] : [], queued: [], started: this.node.now() });
    for (const n of nodes) this.node.send(Msg.PMAP_INVAL, n, gpp, this.node.id, vm.id, master, 0, this.costs.remote);
  }

  /** Home: the move of gpp is over (`dropped`: nothing came of it); those who waited learn the entry. */
  private endMove(vm: FlashVmSpec, gpp: number, dropped: boolean): void {
    const key = vm.pmapAt + gpp, move = this.moving.get(key)!;
    this.moving.delete(key);
    if (dropped) this.numaStats.dropped++;
    for (const n of move.waiters) this.answer(vm, gpp, n);
    for (const [kind, target] of move.queued) this.startMove(vm, gpp, target, kind, -1);
  }

  /** Home: machine page r of node n, no longer in vm's pmap, is free again. */
  private release(v: number, n: number, r: number): void {
    if (n === this.node.id) this.freePage(r);
    else this.node.send(Msg.PAGE_FREE, n, r, this.node.id, v, 0, 0, this.costs.remote);
  }

  private nodeOf(mp: number): number {
    return Math.floor(mp / this.slicePages);
  }

  /** auto-numa's scan (see the constructor): unmaps the next numaScanPages known pages. */
  private scan(now: number): void {
    let left = this.cfg.numaScanPages, dropped = 0;
    for (const vm of this.scanned) {
      const k = this.known[vm.id]!, shadow = this.shadows.get(vm.id)!, pages = k.length;
      for (let i = 0; i < pages && left > 0; i++) {
        const g = (this.scanFrom + i) % pages;
        if (k[g]! < 0 || this.readOnly[vm.id]![g] !== 0) continue;
        dropped += shadow.shootDown(k[g]!);
        this.hinted[vm.id]![g] = 1;
        left--;
      }
    }
    this.scanFrom += this.cfg.numaScanPages;
    this.numaStats.scans++;
    this.numaStats.leavesShotDown += dropped;
    this.cpu!.chargeShootdown(dropped * this.costs.shootdown);
    this.cpu!.periodic!.nextAt = now - (now % this.cfg.numaScanCycles) + this.cfg.numaScanCycles;
  }

  /** A shadow fill of guest page gpp, in machine page mp: a hinting fault if the scan unmapped it. */
  touched(vm: FlashVmSpec, gpp: number, mp: number): void {
    const hinted = this.hinted[vm.id]!;
    if (hinted.length === 0 || hinted[gpp] === 0) return;
    hinted[gpp] = 0;
    this.numaStats.hintFaults++;
    const owner = this.nodeOf(mp);
    if (owner === this.node.id) this.hint(mp, owner);
    else this.node.send(Msg.HINT, owner, mp, this.node.id, vm.id, 0, 0, this.costs.remote);
  }

  /** The page's node: node `from` took a hinting fault on machine page mp (see the constructor). */
  private hint(mp: number, from: number): void {
    const i = mp - this.firstPage, last = this.lastHint[i]!;
    this.lastHint[i] = from;
    const v = this.memmap.vm[mp]!;
    if (v < 0 || last !== from || from === this.node.id) return;
    this.numaStats.asked++;
    this.node.send(Msg.MIG_REQ, this.t.vms[v]!.home, this.memmap.gpp[mp]!, this.node.id, v, from, MoveKind.Migrate, this.costs.remote);
  }

  /** Whether this node maps guest page gpp of vm read-only (a replicated page). */
  isReadOnly(vm: FlashVmSpec, gpp: number): boolean {
    return this.readOnly[vm.id]![gpp] !== 0;
  }

  /**
   * Asks the home to collapse the replicas of guest page gpp of vm so that it can be written;
   * -1 while that is under way. This node's leaves of its read-only copy go now.
   */
  makeWritable(vm: FlashVmSpec, gpp: number): number {
    const k = this.known[vm.id]!, mine = k[gpp]!;
    if (mine >= 0 && this.readOnly[vm.id]![gpp] === 0) return mine;
    if (mine >= 0) {
      this.numaStats.leavesShotDown += this.shadows.get(vm.id)?.shootDown(mine) ?? 0;
      this.readOnly[vm.id]![gpp] = 0;
      k[gpp] = ASKED;
      this.node.send(Msg.MIG_REQ, vm.home, gpp, this.node.id, vm.id, -1, MoveKind.Collapse, this.costs.remote);
    }
    return -1;
  }

  /**
   * Machine page `from` into `to`, a line at a time: each line of `from` readable, then the same
   * line of `to` exclusive, through this node's caches (the DMA engine's rules, devices/dma.ts).
   * No one maps `to`, and no one writes `from` meanwhile (its mappings are gone, or read-only).
   */
  private *copyJob(from: number, to: number, done: () => void): DmaJob {
    const line = this.cfg.lineBytes, u8 = this.ram.u8, buf = new Uint8Array(line);
    for (let o = 0; o < PAGE; o += line) {
      const src = yield { off: from * PAGE + o, len: line, write: false };
      buf.set(u8.subarray(src, src + line));
      u8.set(buf, yield { off: to * PAGE + o, len: line, write: true });
      this.node.dropLine((to * PAGE + o) / line, true);
    }
    this.numaStats.copied++;
    // A page that arrived here stays (the key `frozen` reads for "to this node").
    this.frozenUntil.set(to * this.cfg.nodes + this.node.id, this.node.now() + this.cfg.numaFreezeCycles);
    done();
  }

  private freePage(mp: number): void {
    const v = this.memmap.vm[mp]!;
    this.memmap.assign(mp, -1, -1);
    this.pagesOfVm[v]--;
    this.numaStats.freed++;
    for (let n = 0; n < this.cfg.nodes; n++) this.frozenUntil.delete(mp * this.cfg.nodes + n);
    this.freePages.push(mp);
  }

  lineSettled(line: number, time: number): void {
    this.copier?.lineSettled(line, time);
  }

  afterHandler(): void {
    this.copier?.afterHandler();
  }

  copyRetry(): void {
    this.copier!.run();
  }

  /** The node whose memory backs a new page under the VM's placement (placement.ts). */
  private placeOn(vm: FlashVmSpec, gpp: number, toucher: number): number {
    const p = vm.placement;
    if (p.policy === 'node') return p.node;
    if (p.policy === 'round-robin') return vm.cpus[gpp % vm.cpus.length]!;
    return toucher;
  }

  private nextNode(n: number): number {
    return (n + 1) % this.cfg.nodes;
  }

  /** Home: asks node `on` for a page for gpp (its own at once). */
  private back(vm: FlashVmSpec, gpp: number, on: number): void {
    const key = vm.pmapAt + gpp;
    const first = this.asked.get(key);
    if (first === undefined) this.asked.set(key, on);
    else if (on === first) throw new Error(`monitor: no node has a free page for ${vm.name}'s guest page ${gpp}; the machine is sized for its VMs, so this is a bug`);
    if (on !== this.node.id) {
      this.stats.allocs++;
      this.node.send(Msg.PMAP_ALLOC, on, gpp, this.node.id, vm.id, 0, 0, this.costs.remote);
      return;
    }
    const mp = this.givePage(vm, gpp);
    if (mp >= 0) this.backed(vm, gpp, mp);
    else this.back(vm, gpp, this.nextNode(on));
  }

  /** Home: gpp now lives in machine page mp; everyone who asked is told. */
  private backed(vm: FlashVmSpec, gpp: number, mp: number): void {
    const key = vm.pmapAt + gpp;
    this.pmap[key] = mp;
    this.asked.delete(key);
    for (const n of this.waiting.get(key)!) this.answer(vm, gpp, n);
    this.waiting.delete(key);
  }

  /** Home: node `to` learns gpp's entry: its own replica if it has one, read-only while there are replicas. */
  private answer(vm: FlashVmSpec, gpp: number, to: number): void {
    const key = vm.pmapAt + gpp, reps = this.replicas.get(key);
    const mp = reps?.get(to) ?? this.pmap[key]!;
    this.node.send(Msg.PMAP_DONE, to, gpp, to, vm.id, mp, reps === undefined ? 0 : 1, this.costs.remote);
  }

  /** One of this node's pages for gpp, or -1 when none is left. */
  private givePage(vm: FlashVmSpec, gpp: number): number {
    let mp = this.freePages.pop() ?? -1;
    if (mp < 0) {
      if (this.nextPage === this.firstPage + this.t.vmPagesPerNode) {
        this.stats.refusals++;
        return -1;
      }
      mp = this.nextPage++;
    }
    this.memmap.assign(mp, vm.id, gpp);
    this.stats.pagesGiven++;
    this.pagesOfVm[vm.id]++;
    return mp;
  }

  /** The --stats record of this node's instance. */
  report() {
    return {
      node: this.node.id,
      ...this.stats,
      pagesOfVm: this.pagesOfVm,
      shadowPagesPeak: this.usage.peak,
      numa: { ...this.numaStats },
      shadow: [...this.shadows].map(([vm, tables]) => ({ vm: this.t.vms[vm]!.name, trees: tables.count, ...tables.stats })),
      vcpus: (this.cpu?.slots ?? []).map((s, k) => ({
        vm: this.t.vms[s.vm]!.name,
        vcpu: s.hart,
        scheduling: this.cpu!.scheduling(k),
        ...s.vcpu.monitorStats.report(),
      })),
    };
  }
}

/**
 * A vCPU's guest-physical memory on a FLASH node: RAM through the pmap entries the node knows
 * (a page it does not know stalls the access until the home answers), then the node's caches;
 * the VM's devices through uncached messages to the I/O node.
 */
class NodeGuestPort implements GuestPort {
  readonly exclusiveGrants = true;
  readonly grantShift: number;
  readonly ram: RamView;
  /** The quantum mode's atomics (quantum-port.ts), at the machine addresses of guest ones. */
  readonly atomics?: AtomicPort;
  private readonly pi: MemoryPort;

  constructor(
    private readonly mon: NodeMonitor,
    private readonly vm: FlashVmSpec,
    private readonly node: FlashNode,
    private readonly devices: readonly DeviceRange[],
  ) {
    this.pi = node.pi;
    this.ram = node.pi.ram;
    this.grantShift = node.pi.grantShift;
    const ap = node.pi.atomics;
    if (ap !== undefined) {
      this.atomics = {
        amo: (paddr: number, size: number, op: AmoOp, lo: number, hi: number, out: Int32Array) => {
          const m = this.writable(paddr, size);
          return m < 0 ? this.failed(m) : ap.amo(m, size, op, lo, hi, out);
        },
        reserve: (paddr: number) => ap.reserve(this.machine(paddr, 1)),
        sc: (paddr: number, size: number, lo: number, hi: number, held: boolean, out: Int32Array) => {
          const m = this.writable(paddr, size);
          return m < 0 ? this.failed(m) : ap.sc(m, size, lo, hi, held, out);
        },
        fence: () => ap.fence(),
      };
    }
  }

  /** The machine address of a store to guest RAM, PAGE_PENDING (stalled), or -1. */
  private writable(paddr: number, size: number): number {
    if (overlapsDevice(this.devices, paddr, size)) return -1;
    const m = this.machine(paddr, size);
    if (m < 0) return m;
    return this.makeWritable(paddr) === PAGE_PENDING ? PAGE_PENDING : m;
  }

  private failed(m: number): MmioStatus {
    return m === PAGE_PENDING ? MmioStatus.Stall : MmioStatus.Fault;
  }

  /** Machine address of guest RAM address paddr, -1 outside RAM, PAGE_PENDING while asked. */
  private machine(paddr: number, size: number): number {
    const off = paddr - this.vm.base;
    if (!(off >= 0 && off + size <= this.vm.bytes)) return -1;
    const mp = this.mon.machinePage(this.vm, Math.floor(off / PAGE));
    if (mp < 0) {
      this.node.stallOnMonitor();
      return PAGE_PENDING;
    }
    return this.ram.base + mp * PAGE + (off % PAGE);
  }

  access(paddr: number, size: number, kind: Access): number {
    if (overlapsDevice(this.devices, paddr, size)) return Grant.Mmio;
    const m = this.machine(paddr, size);
    if (m === PAGE_PENDING) return Grant.Stall;
    if (m < 0) return Grant.Fault;
    if (kind === Access.Store && this.makeWritable(paddr) === PAGE_PENDING) return Grant.Stall;
    return this.pi.access(m, size, kind);
  }

  readOnly(paddr: number): boolean {
    return this.mon.isReadOnly(this.vm, Math.floor((paddr - this.vm.base) / PAGE));
  }

  makeWritable(paddr: number): number {
    const mp = this.mon.makeWritable(this.vm, Math.floor((paddr - this.vm.base) / PAGE));
    if (mp >= 0) return mp * PAGE;
    this.node.stallOnMonitor();
    return PAGE_PENDING;
  }

  pageGrant(): boolean {
    return false;
  }

  mmioLoad(paddr: number, size: number, out: Int32Array): MmioStatus {
    return this.pi.mmioLoad(paddr, size, out);
  }

  mmioStore(paddr: number, size: number, lo: number, hi: number): MmioStatus {
    return this.pi.mmioStore(paddr, size, lo, hi);
  }

  plainRamPage(paddr: number): number {
    const page = paddr - (paddr % PAGE);
    if (overlapsDevice(this.devices, page, PAGE)) return -1;
    const m = this.machine(page, PAGE);
    if (m < 0) return m;
    this.mon.touched(this.vm, (page - this.vm.base) / PAGE, (m - this.ram.base) / PAGE);
    return m - this.ram.base;
  }
}

/**
 * The I/O node's view of a VM's guest RAM for its disk's DMA (virtio-blk's GuestRam): a page's
 * RAM offset in machine memory, or -1 while its pmap entry is asked for.
 */
export function dmaGuestRam(mon: NodeMonitor, vm: FlashVmSpec, ram: RamView) {
  return {
    base: vm.base,
    size: vm.bytes,
    u8: ram.u8,
    pageOffset: (page: number, write: boolean): number => {
      const mp = mon.machinePage(vm, page);
      if (mp < 0 || (write && mon.makeWritable(vm, page) < 0)) return -1;
      return mp * PAGE;
    },
  };
}
