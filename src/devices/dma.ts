// DMA by devices, as a resumable job. A device that reads or writes guest RAM on its own
// (virtio-blk) writes that work as a generator which, before it touches any byte, yields the
// bytes of one line it is about to touch and whether it will write them, and is resumed with
// the RAM offset at which to touch them:
//
//   at = yield { off, len, write }   "I am about to access [off, off + len), within one line"
//   ...access those bytes at [at, at + len) only, then yield again before touching another
//
// `at` is `off` except in the quantum timing mode, where a write the node may not make in place
// goes to its store buffer, and a read of a line the node has stored to reads it there
// (node-actor/quantum-port.ts).
//
// Who runs the job decides what a yield means:
//   - the flat board (no engine): nothing; a device without a DmaEngine never yields and does
//     its work synchronously, inside the register store that started it;
//   - the FLASH I/O node (node-actor/io-node.ts): the job is resumed only while node 0's cache
//     holds the line readable (or exclusive, for a write) through the coherence protocol, so the
//     device obeys DESIGN.md invariant 3 as a hart does. The job never holds a line while it
//     waits for another, which is what keeps it free of deadlock with the hart that shares the
//     cache: it asks again for every line, every time.
// Accesses must not cross a line (lineBytes): jobs split their copies at line boundaries.

/**
 * What a job needs before its next access: the line holding RAM offset `off`; or, with `off`
 * -1, a page of a VM's guest RAM whose place in machine memory the monitor is looking up (the
 * job asks again when the engine resumes it).
 */
export interface DmaNeed {
  off: number;
  /** Bytes from `off` the job will access (within one line). */
  len: number;
  write: boolean;
}

/** Resumed, after a yield of a line, with the RAM offset at which to access `off`. */
export type DmaJob = Generator<DmaNeed, void, number>;

/** Runs a device's DMA jobs coherently (the FLASH I/O node provides one). */
export interface DmaEngine {
  /** The unit of a yield: no access after a yield may cross a boundary of this many bytes. */
  readonly lineBytes: number;
  /** Start `job` now; it runs, step by step, as the lines it names become available. */
  start(job: DmaJob): void;
  /** Abandon the job that is running (a device reset); its pending line requests settle unused. */
  cancel(): void;
}
