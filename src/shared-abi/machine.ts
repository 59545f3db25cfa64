// The shared memory of a FLASH machine run: what each region holds, who writes it, who reads it.
//
//   memory      machine memory, one contiguous home slice per node
//   control     per-node clocks and states, each worker's finished windows and reports, per-worker times
//   mailboxes   one single-producer single-consumer ring per (sending worker, receiving worker)
//   directory   per home line: state, owner, sharers (bit vector up to 64 nodes, pointers beyond)
//   counters    per home page, per requesting node: MAGIC's cache-miss counters
//   input       console input for the I/O node's UART, written by the coordinator
//   pmap        the monitor's guest-physical to machine page maps, one per VM
//   quantum     the quantum timing mode's store buffers' tables, miss logs, blocked requests,
//               the weave's answers and the phase barrier (docs/quantum.md)
//
// Only this file computes their sizes; everything else uses the views built here.

import { Layout } from './layout.js';

/** `arenaBytes`: the quantum mode's store-buffer lines, right after machine memory (quantumArena). */
export function memoryLayout(nodes: number, sliceBytes: number, arenaBytes = 0) {
  return new Layout('memory', [
    { name: 'bytes', type: 'u8', count: nodes * sliceBytes, doc: 'guest physical 0x8000_0000 + i; node k is home of [k*slice, (k+1)*slice). Written by a node only while its cache holds the line exclusive (invariant 3); in the quantum mode only by the weave, which commits the store buffers' },
    { name: 'arena', type: 'u8', count: arenaBytes, doc: 'quantum mode: node k\'s store-buffer slot s at (k * slots + s) * lineBytes, a copy of its line with the node\'s stores of the quantum over it; written by the node in its bound phase, read by the weave. It follows machine memory in one buffer so that the hart reaches both at RAM offsets' },
  ] as const);
}

/** Bytes of the store-buffer arena after machine memory (memoryLayout). */
export function quantumArena(nodes: number, slots: number, lineBytes: number): number {
  return nodes * slots * lineBytes;
}

/** Words of a miss-log entry besides its time: message type, line, flags (quantum-port.ts). */
export const LOG_WORDS = 3;
/** Words of a blocked request besides its time and address: kind, size, AMO op, value lo, value hi. */
export const BLOCK_WORDS = 5;
/** Words of an answer of the weave: node, message type, sender, line (weave.ts). */
export const REPLY_WORDS = 4;
/** Words of a directive of the weave: node, line, what it may keep (weave.ts). */
export const DIRECTIVE_WORDS = 3;
/** Words of each worker's quantum report: see quantumLayout. */
export const QREPORT_WORDS = 9;

export function quantumLayout(nodes: number, workers: number, slots: number, lineBytes: number, logCap: number, directiveCap: number) {
  return new Layout('quantum', [
    { name: 'slotLine', type: 'i32', count: nodes * slots, doc: 'the line each store-buffer slot holds, in the order the node first stored to them; written by the node, read by the weave' },
    { name: 'slotCount', type: 'i32', count: nodes, doc: 'slots each node used in this quantum; written by the node (reset at its quantum start), read by the weave' },
    { name: 'slotMask', type: 'u32', count: nodes * slots * (lineBytes / 32), doc: 'per slot, one bit per byte of the line the node stored to; written by the node, read by the weave' },
    { name: 'logCount', type: 'i32', count: nodes, doc: 'entries in each node\'s miss log this quantum; written by the node, read by the weave' },
    { name: 'logTime', type: 'f64', count: nodes * logCap, doc: 'per entry: the cycle its request reaches the home; written by the node' },
    { name: 'logWords', type: 'i32', count: nodes * logCap * LOG_WORDS, doc: 'per entry: request type (GETS, GETX, UPGRADE, PUTS, PUTE, PUTX), line, flags (1: instruction fetch, 2: granted exclusive, 4: left for the weave to answer); written by the node' },
    { name: 'blockTime', type: 'f64', count: nodes, doc: 'the cycle at which a node blocked (NaN: it did not); written by the node, read by the weave of the worker of the line\'s home' },
    { name: 'blockAddr', type: 'f64', count: nodes, doc: 'the physical address of a blocked atomic; written by the node' },
    { name: 'block', type: 'i32', count: nodes * BLOCK_WORDS, doc: 'the blocked request: kind (quantum-port.ts Block), size, AMO op, value lo, hi; written by the node, read by the weave' },
    { name: 'resLine', type: 'i32', count: nodes, doc: 'the line of each node\'s LR reservation, or -1; written by the node at an LR, reset by the weave at its SC' },
    { name: 'resOk', type: 'i32', count: nodes, doc: '1 while no other node has stored to the reserved line since the LR; set by the node at its LR, cleared by the weave' },
    { name: 'resume', type: 'f64', count: nodes, doc: 'the cycle a blocked node goes on at; written by the weave, read by the node\'s worker' },
    { name: 'result', type: 'i32', count: nodes * 2, doc: 'a blocked atomic\'s answer: the old value lo, hi (AMO), or 0 stored / 1 failed (SC); written by the weave' },
    { name: 'delay', type: 'f64', count: workers * nodes, doc: 'per weaving worker, the contention cycles its homes charge each node for its misses of the quantum ([worker * nodes + node]); written by that worker\'s weave, summed by the node\'s worker' },
    { name: 'missDelay', type: 'f64', count: workers * nodes * 2, doc: 'per weaving worker, the part of each node\'s delay its local and remote misses waited at the homes ([(worker * nodes + node) * 2 + (0 local, 1 remote)]), for the miss latencies\' statistics; written by that worker\'s weave' },
    { name: 'nacks', type: 'i32', count: workers * nodes * 2, doc: 'per weaving worker, the NACKs its homes gave each node\'s reads and writes ([(worker * nodes + node) * 2 + (0 read, 1 write)]); each is a retry the node\'s worker counts as another miss; written by that worker\'s weave' },
    { name: 'directiveCount', type: 'i32', count: workers, doc: 'directives each worker\'s weave wrote last' },
    { name: 'directives', type: 'i32', count: workers * directiveCap * DIRECTIVE_WORDS, doc: 'per weaving worker, what a node\'s caches may keep of a line its homes settled: node, line, 0 nothing / 1 a shared copy; read by every worker for its nodes' },
    { name: 'replyCount', type: 'i32', count: workers, doc: 'answers each worker\'s weave wrote last' },
    { name: 'replyTime', type: 'f64', count: workers * directiveCap, doc: 'per weaving worker, the cycle each answer it wrote reaches its node' },
    { name: 'replies', type: 'i32', count: workers * directiveCap * REPLY_WORDS, doc: 'per weaving worker, the answers of its homes to requests the bound phase could not answer (a line another node owned): node, message type, sender, line; read by every worker for its nodes' },
    { name: 'committedCount', type: 'i32', count: workers, doc: 'lines each worker\'s weave wrote to memory last' },
    { name: 'committed', type: 'i32', count: workers * (nodes * slots + nodes), doc: 'per weaving worker, the lines it wrote (store buffers, then atomics); read by every worker to drop decoded instructions' },
    { name: 'pushed', type: 'i32', count: 2 * workers * workers, doc: 'records each worker had pushed into its ring to each worker when it arrived at the barrier, by the parity of its arrival count ([(arrivals & 1) * workers^2 + src * workers + dst]); written by src before it arrives, read by dst, which takes no more than that in the next quantum (a source that went on writes the other parity)' },
    { name: 'phase', type: 'i32', count: workers, ownLine: true, doc: 'phases each worker has finished: 2k + 1 once its bound phase of quantum k is done, 2k + 2 once its part of the weave is; Atomics.store and notify by that worker, waited on by all' },
    { name: 'report', type: 'f64', count: workers * QREPORT_WORDS, doc: 'per worker, after its bound phase: CPUs not halted or idle, CPUs asleep in wfi, messages in flight from its nodes, the earliest cycle one of its nodes can act (-1 while one executes), console input it waits for; worker 0 also: halt requested, exit code, halting cycle; then the clock of its CPU furthest behind (not halted or idle). Every worker decides from them alike' },
  ] as const);
}

/**
 * Windows of reports each worker keeps: the decisions read back 2K + 1 windows, and workers
 * drift up to K - 1 windows apart (window-clock.ts).
 */
export const REPORT_SLOTS = 64;
/**
 * A report: harts still running, halt requested, exit code, harts asleep in wfi, messages sent
 * minus messages handled by the worker's nodes (their sum over workers is what is in flight),
 * messages its nodes have sent so far, and (worker 0) whether console input may still go in.
 */
export const REPORT_WORDS = 8;

export function controlLayout(nodes: number, workers: number) {
  return new Layout('control', [
    { name: 'clock', type: 'f64', count: nodes, ownLine: true, doc: 'simulated cycle each node has reached at its last window end; written by its worker, read by the coordinator' },
    { name: 'nodeState', type: 'i32', count: nodes, ownLine: true, doc: 'NodeState of each node (running, stalled, wfi, halted); written by its worker' },
    { name: 'done', type: 'i32', count: workers, ownLine: true, doc: 'windows each worker has finished; written by that worker with Atomics.store, waited on by the others' },
    { name: 'sleepers', type: 'i32', count: workers, ownLine: true, doc: 'workers asleep in Atomics.wait on each worker\'s done count; a waiter adds itself (Atomics.add) before it sleeps and leaves after; the worker notifies only when it is nonzero' },
    { name: 'report', type: 'i32', count: workers * REPORT_SLOTS * REPORT_WORDS, doc: 'per worker, per window (mod REPORT_SLOTS): running harts, halt, exit code, sleeping harts, messages in flight, messages sent so far by its nodes (int32, wrapping), console input left that the guest listens for (worker 0); written by that worker before it publishes done' },
    { name: 'reportNext', type: 'f64', count: workers * REPORT_SLOTS, doc: 'per worker, per window (mod REPORT_SLOTS): the earliest cycle at which one of its nodes can act, or -1 while a hart executes; written with report' },
    { name: 'workerWindow', type: 'i32', count: workers, ownLine: true, doc: 'window each worker is in, for progress reports' },
    { name: 'workerBusyNs', type: 'f64', count: workers, ownLine: true, doc: 'host time each worker spent stepping nodes; written by that worker' },
    { name: 'workerWaitNs', type: 'f64', count: workers, ownLine: true, doc: 'host time each worker spent waiting for the others; written by that worker' },
    { name: 'abort', type: 'i32', count: 1, ownLine: true, doc: 'nonzero when a worker failed; every worker leaves its loop' },
    { name: 'haltCycle', type: 'f64', count: 1, ownLine: true, doc: 'the cycle at which a device halted the machine (the start of node 0\'s handler); written by worker 0 before it publishes that window, read by every worker when it stops' },
    { name: 'inputWait', type: 'i32', count: 1, ownLine: true, doc: '1 while worker 0 waits for console input that the guest waits for (io-node.ts); the others\' watchdog does not count that time' },
  ] as const);
}

/** Ring header words: head is written by the consumer, tail by the producer. */
export function mailboxLayout(workers: number, slots: number, words: number) {
  const rings = workers * workers;
  return new Layout('mailboxes', [
    { name: 'head', type: 'i32', count: rings, ownLine: true, doc: 'records consumed, per ring (src worker * workers + dst worker); written by the consumer' },
    { name: 'tail', type: 'i32', count: rings, ownLine: true, doc: 'records published, per ring; written by the producer with Atomics.store at the end of each window and when the ring fills' },
    { name: 'time', type: 'f64', count: rings * slots, doc: 'delivery time of each record' },
    { name: 'words', type: 'i32', count: rings * slots * words, doc: 'the int32 fields of each record (directory/messages.ts F_*)' },
  ] as const);
}

export function directoryLayout(nodes: number, linesPerNode: number, pointers: number) {
  const bitWords = nodes <= 64 ? Math.ceil(nodes / 32) : 0;
  return new Layout('directory', [
    { name: 'state', type: 'u8', count: nodes * linesPerNode, doc: 'DirState of each home line; written only by its home node' },
    { name: 'owner', type: 'i32', count: nodes * linesPerNode, doc: 'exclusive owner, or the requester of a busy line; written by its home node' },
    { name: 'sharerBits', type: 'u32', count: nodes * linesPerNode * bitWords, doc: 'full bit vector of sharers (machines up to 64 nodes); written by the home node' },
    { name: 'sharerPtrs', type: 'u16', count: nodes <= 64 ? 0 : nodes * linesPerNode * pointers, doc: 'limited sharer pointers (beyond 64 nodes); written by the home node' },
    { name: 'sharerCount', type: 'u16', count: nodes * linesPerNode, doc: 'number of sharers; 0xffff marks pointer overflow (broadcast on invalidation)' },
  ] as const);
}

/** Hot-page events each home keeps for the monitor. */
export const HOT_LOG = 256;

export function counterLayout(nodes: number, pagesPerNode: number) {
  return new Layout('counters', [
    { name: 'miss', type: 'u16', count: nodes * pagesPerNode * nodes, doc: 'misses to home page p of node h by node r at [(h*pages + p)*nodes + r]; written by the home MAGIC, read by the monitor; saturates at 65535' },
    { name: 'writes', type: 'u16', count: nodes * pagesPerNode, doc: 'write misses (GETX, UPGRADE) to home page p of node h from every node together, at h*pages + p; written by the home MAGIC, cleared with miss; saturates at 65535' },
    { name: 'hotEvents', type: 'u32', count: nodes, doc: 'hot-page events raised by each home MAGIC' },
    { name: 'hotLog', type: 'u32', count: nodes * HOT_LOG * 2, doc: 'the last HOT_LOG events of each home: (page within the home, requesting node) pairs, slot = event number mod HOT_LOG; written by the home MAGIC, for the monitor' },
  ] as const);
}

/** Console input for the I/O node: a ring of `capacity` bytes, read once in order. */
export function consoleInputLayout(capacity: number) {
  return new Layout('input', [
    { name: 'count', type: 'i32', count: 1, ownLine: true, doc: 'bytes written so far (byte i at i mod capacity); the coordinator stores the bytes, then the count with Atomics.store and notifies; the worker of the I/O node reads it, and waits on it for input' },
    { name: 'taken', type: 'i32', count: 1, ownLine: true, doc: 'bytes the I/O node has handed to the UART; written by its worker with Atomics.store; the coordinator writes only below taken + capacity' },
    { name: 'ended', type: 'i32', count: 1, ownLine: true, doc: '1 once no more input will come (stdin ended); written by the coordinator, which then notifies on count' },
    { name: 'bytes', type: 'u8', count: capacity, doc: 'the input in arrival order, byte i at i mod capacity; written by the coordinator, at most capacity bytes ahead of taken' },
  ] as const);
}

/** The monitor's pmaps: every VM's guest pages, one after another (src/monitor/node-monitor.ts). */
export function pmapLayout(entries: number) {
  return new Layout('pmap', [
    { name: 'pmap', type: 'i32', count: entries, doc: 'per VM from its first entry: guest page -> machine page (from RAM base), or -1 while unbacked; written before the run by the coordinator (the boot images), then only by the VM\'s home node\'s monitor instance, in the order its MAGIC handles requests (invariant 6); other nodes learn entries by message, never by reading here' },
  ] as const);
}
