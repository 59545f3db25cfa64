// Machine memory on the flat board, and the port through which real harts reach it.
//
// One buffer holds everything, at machine physical address MACHINE_BASE:
//
//   machine pages [0, vmPages)        VM pages, handed out in the order they are first touched
//                                     (a page a rebooted VM gave back first, zeroed)
//   machine pages [vmPages, pages)    the monitor's reserve: its shadow page tables, one
//                                     partition per VM (shadow.ts)
//
// A real hart addresses machine memory: its satp points at a shadow table in the reserve, and
// every shadow leaf points at a VM page. Its port (MachinePort) grants any machine address, since
// in U-mode the hart reaches only what the shadow tables map; stores and grants are reported to
// the VM's memory port, which keeps decoded instructions and LR reservations exact between the
// VM's harts (src/sim/board-memory.ts, "Several harts").

import { Access, Grant, MmioStatus, type MemoryPort, type RamView } from '../vcpu/port.js';

export const MACHINE_BASE = 0x8000_0000;
export const PAGE = 4096;
/** The PPN of machine page 0. */
export const MACHINE_PPN0 = MACHINE_BASE / PAGE;
/** Machine offsets are int32 RAM offsets for the harts: the whole buffer stays below 2 GiB. */
export const MAX_MACHINE_BYTES = 2048 * 1024 * 1024;

export class MachineMemory {
  readonly ram: RamView;
  readonly pages: number;
  /** Pages for VMs: [0, vmPages). */
  readonly vmPages: number;
  /** The monitor's reserve: [vmPages, pages). */
  readonly reservePages: number;
  private nextVmPage = 0;
  /** VM pages given back (zeroed), handed out again before any new one. */
  private readonly freed: number[] = [];

  constructor(vmBytes: number, reserveBytes: number) {
    const bytes = vmBytes + reserveBytes;
    if (vmBytes % PAGE !== 0 || reserveBytes % PAGE !== 0 || reserveBytes <= 0 || bytes > MAX_MACHINE_BYTES) {
      throw new RangeError(`machine memory of ${vmBytes} + ${reserveBytes} bytes: whole pages, a reserve, at most ${MAX_MACHINE_BYTES} bytes`);
    }
    const buffer = new ArrayBuffer(bytes);
    this.ram = { base: MACHINE_BASE, size: bytes, u8: new Uint8Array(buffer), dv: new DataView(buffer) };
    this.pages = bytes / PAGE;
    this.vmPages = vmBytes / PAGE;
    this.reservePages = reserveBytes / PAGE;
  }

  /** VM pages in use now. */
  get vmPagesUsed(): number {
    return this.nextVmPage - this.freed.length;
  }

  /** A zeroed VM page. The machine is sized for its VMs: running out is a bug. */
  allocVmPage(): number {
    const again = this.freed.pop();
    if (again !== undefined) return again;
    if (this.nextVmPage === this.vmPages) throw new Error(`machine memory: all ${this.vmPages} VM pages are in use`);
    return this.nextVmPage++;
  }

  /** VM page mp is no VM's any more (its VM rebooted): zero it for the next owner. */
  freeVmPage(mp: number): void {
    this.ram.u8.fill(0, mp * PAGE, mp * PAGE + PAGE);
    this.freed.push(mp);
  }
}

/** What a real hart's port tells the memory port of the VM whose virtual CPU it runs. */
export interface GrantKeeper {
  /** A store to RAM offset `ro` is about to happen. */
  storing(ro: number, size: number): void;
  pageGrant(ro: number, kind: Access): boolean;
}

/** The memory port of a real hart: machine memory, no devices (see the header). */
export class MachinePort implements MemoryPort {
  readonly exclusiveGrants = false;
  readonly grantShift = 12;

  constructor(readonly ram: RamView, private readonly keeper: GrantKeeper) {}

  access(paddr: number, size: number, kind: Access): number {
    const off = paddr - this.ram.base;
    if (!(off >= 0 && off + size <= this.ram.size)) return Grant.Fault;
    if (kind === Access.Store) this.keeper.storing(off, size);
    return off;
  }

  pageGrant(spanRo: number, kind: Access): boolean {
    return this.keeper.pageGrant(spanRo, kind);
  }

  mmioLoad(): MmioStatus {
    return MmioStatus.Fault;
  }

  mmioStore(): MmioStatus {
    return MmioStatus.Fault;
  }
}
