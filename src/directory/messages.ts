// The protocol's vocabulary: every message between caches, homes and the I/O node.
//
// Data lives once, in machine memory (DESIGN.md invariant 3), so a "data" message carries
// permission and time, not bytes; its size still counts the line it would carry, for the
// network's serialization. Addresses are line numbers (RAM offset / line size) except for
// uncached accesses, which carry a device's physical address.
//
//   requester -> home   GETS  GETX  UPGRADE  PUTS (replacement hint)  PUTE (clean evict)  PUTX (dirty writeback)
//   home -> requester   DATA_S  DATA_E  DATA_X  UPGRADE_ACK  NACK  WB_ACK
//   home -> sharer      INV                          sharer -> home   INV_ACK
//   home -> owner       FWD_GETS  FWD_GETX           owner -> requester DATA_S / DATA_X (three hops)
//                                                    owner -> home    SHARING_WB  XFER
//   any -> I/O node     UNC_READ  UNC_WRITE          I/O node -> any  UNC_DATA  UNC_ACK
//                       (REQ of a request: the device set it goes to, a VM's under the monitor)
//   I/O node -> any     IRQ (a device changed the level of one of the receiver's interrupt lines)
//                       TIME (software wrote mtime: the harts' time CSRs follow)
//   I/O node -> itself  IO_TIMER  IO_INPUT  IO_DMA (events its devices schedule; never cross the network)
//   monitor instances   PMAP_REQ (a node needs a guest page's machine page: to the VM's home)
//                       PMAP_ALLOC (home -> the node the placement chose: give a page)
//                       PMAP_GIVEN (that node -> home: the page, or none left)
//                       PMAP_DONE (home -> the node that asked: the machine page)
//                       MIG_REQ (a page's node -> the VM's home: move the page to node B, or
//                       copy it there, or collapse its copies)
//                       PMAP_INVAL (home -> every node that may know the entry: forget it,
//                       drop the shadow leaves of the old page) and PMAP_INVAL_ACK back
//                       MIG_COPY (home -> the target: copy the old page into one of yours)
//                       MIG_DONE (target -> home: the new page) and PAGE_FREE (home -> the old
//                       page's node); COPY_RETRY (node-internal: the copy asks for a line again)
//                       HINT (auto-numa: a node's hinting fault on a page -> the page's node)
//                       HOT_PAGE (node-internal, quantum mode: a hot-page event the weave
//                       counted at the node's home, handed to its monitor instance)
//   I/O node -> any     HALT_CPU (a VM with vCPUs there has ended)
//   any -> I/O node     VM_FAULT (a vCPU's guest cannot go on: its VM ends with a report)

export const enum Msg {
  GETS = 0,
  GETX = 1,
  UPGRADE = 2,
  PUTS = 3,
  PUTE = 4,
  PUTX = 5,
  DATA_S = 6,
  DATA_E = 7,
  DATA_X = 8,
  UPGRADE_ACK = 9,
  NACK = 10,
  WB_ACK = 11,
  INV = 12,
  INV_ACK = 13,
  FWD_GETS = 14,
  FWD_GETX = 15,
  SHARING_WB = 16,
  XFER = 17,
  UNC_READ = 18,
  UNC_WRITE = 19,
  UNC_DATA = 20,
  UNC_ACK = 21,
  /** I/O node -> the hart's node: ADDR = the line's mip bit (MSIP, MTIP, SEIP, MEIP), A = level,
   * B = the device set (a VM's), C = the hart in it. */
  IRQ = 22,
  /** I/O node-internal: the CLINT's mtime may have reached a mtimecmp. */
  IO_TIMER = 23,
  /** I/O node-internal: hand the next line of console input to the UART. */
  IO_INPUT = 24,
  /** I/O node-internal: the DMA engine asks again for a line after a NACK's back-off. */
  IO_DMA = 25,
  /** I/O node -> every node: software wrote the CLINT's mtime; A, B = mtime minus the ticks of
   * the cycle count, low word (unsigned) and high word (signed), for the hart's time CSR; C = the
   * device set (a VM's). */
  TIME = 26,
  /** -> the VM's home monitor: ADDR = guest page, A = VM, REQ = the node that needs it. */
  PMAP_REQ = 27,
  /** home -> the node placement chose: ADDR = guest page, A = VM: allocate it a page. */
  PMAP_ALLOC = 28,
  /** that node -> home: ADDR = guest page, A = VM, B = machine page (-1: none left). */
  PMAP_GIVEN = 29,
  /** home -> the node that asked: ADDR = guest page, A = VM, B = machine page, C = 1: read-only (replicated). */
  PMAP_DONE = 30,
  /** I/O node -> a node with vCPUs of VM A, which ended (its finisher): they stop. */
  HALT_CPU = 31,
  /** a vCPU's node -> the I/O node: the VM cannot go on. A = VM, B = vCPU, ADDR/C = pc low/high word. */
  VM_FAULT = 32,
  /** a page's node -> the VM's home: ADDR = guest page, A = VM, B = the node to move it to, C =
   * what: 0 migrate, 1 a replica there, 2 collapse the replicas (B -1: the asker waits). */
  MIG_REQ = 33,
  /** home -> a node: ADDR = guest page, A = VM, B = the machine page it leaves: forget the entry. */
  PMAP_INVAL = 34,
  /** -> home: ADDR = guest page, A = VM. */
  PMAP_INVAL_ACK = 35,
  /** home -> the target: ADDR = guest page, A = VM, B = the machine page to copy. */
  MIG_COPY = 36,
  /** target -> home: ADDR = guest page, A = VM, B = the new machine page (-1: none free). */
  MIG_DONE = 37,
  /** home -> a page's node: ADDR = the machine page, now free. */
  PAGE_FREE = 38,
  /** node-internal: the monitor's page copy asks again for a line after a NACK's back-off. */
  COPY_RETRY = 39,
  /** a node -> a page's node (auto-numa): ADDR = the machine page, REQ = the node that took a hinting fault on it, A = VM. */
  HINT = 40,
  /** node-internal (quantum mode): a hot-page event of its home, which the weave counted: ADDR = page of its slice, A = from. */
  HOT_PAGE = 41,
}

export const MSG_COUNT = 42;

export const MSG_NAMES: readonly string[] = [
  'GETS', 'GETX', 'UPGRADE', 'PUTS', 'PUTE', 'PUTX', 'DATA_S', 'DATA_E', 'DATA_X', 'UPGRADE_ACK', 'NACK',
  'WB_ACK', 'INV', 'INV_ACK', 'FWD_GETS', 'FWD_GETX', 'SHARING_WB', 'XFER', 'UNC_READ', 'UNC_WRITE',
  'UNC_DATA', 'UNC_ACK', 'IRQ', 'IO_TIMER', 'IO_INPUT', 'IO_DMA', 'TIME',
  'PMAP_REQ', 'PMAP_ALLOC', 'PMAP_GIVEN', 'PMAP_DONE', 'HALT_CPU', 'VM_FAULT',
  'MIG_REQ', 'PMAP_INVAL', 'PMAP_INVAL_ACK', 'MIG_COPY', 'MIG_DONE', 'PAGE_FREE', 'COPY_RETRY', 'HINT',
  'HOT_PAGE',
];

export function msgName(t: number): string {
  return MSG_NAMES[t] ?? `MSG_${t}`;
}

/** Messages that carry a cache line. */
const WITH_LINE = new Set<number>([Msg.DATA_S, Msg.DATA_E, Msg.DATA_X, Msg.PUTX, Msg.SHARING_WB]);
/** Messages that carry an 8-byte device value. */
const WITH_WORD = new Set<number>([Msg.UNC_WRITE, Msg.UNC_DATA]);

export function msgBytes(t: number, headerBytes: number, lineBytes: number): number {
  return headerBytes + (WITH_LINE.has(t) ? lineBytes : WITH_WORD.has(t) ? 8 : 0);
}

/**
 * Fields of a message record, as int32 words beside its f64 time (see interconnect/mailbox.ts
 * and node-actor/event-queue.ts, which store records in this shape).
 *   TYPE   a Msg
 *   SRC    sending node          DST   receiving node
 *   ADDR   line number, or device physical address for UNC_*
 *   REQ    the original requester (forwards, invalidations, three-hop data)
 *   A, B   per type: INV ack count for DATA_X/UPGRADE_ACK; access size and value lo/hi for UNC_*;
 *          SHARING_WB: 1 when the owner kept a shared copy; UNC_ACK: 1 when the device halted
 *   SEQ    per-sender sequence number, the last tie-breaker of delivery order
 */
export const F_TYPE = 0, F_SRC = 1, F_DST = 2, F_ADDR = 3, F_REQ = 4, F_A = 5, F_B = 6, F_C = 7, F_SEQ = 8;
export const MSG_WORDS = 9;
