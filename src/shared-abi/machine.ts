// The shared memory of a FLASH machine run: what each region holds, who writes it, who reads it.
//
//   memory      machine memory, one contiguous home slice per node
//   control     per-node clocks and states, each worker's finished windows and reports, per-worker times
//   mailboxes   one single-producer single-consumer ring per (sending worker, receiving worker)
//   directory   per home line: state, owner, sharers (bit vector up to 64 nodes, pointers beyond)
//   counters    per home page, per requesting node: MAGIC's cache-miss counters
//   input       console input for the I/O node's UART, written by the coordinator
//   pmap        the monitor's guest-physical to machine page maps, one per VM
//
// Only this file computes their sizes; everything else uses the views built here.

import { Layout } from './layout.js';

export function memoryLayout(nodes: number, sliceBytes: number) {
  return new Layout('memory', [
    { name: 'bytes', type: 'u8', count: nodes * sliceBytes, doc: 'guest physical 0x8000_0000 + i; node k is home of [k*slice, (k+1)*slice). Written by a node only while its cache holds the line exclusive (invariant 3).' },
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
