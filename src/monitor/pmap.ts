// The pmap of one VM: guest-physical page -> machine page (DESIGN.md: Disco's physical-to-machine
// map). A page is backed on first touch, by whoever touches it first (a virtual CPU, the boot
// loader, a device's DMA), never beyond the VM's memory size, and never unbacked in this step.
//
// Owner: the monitor instance of the VM's home node writes it (on the flat board, the one
// monitor); anyone may read it (invariant 6).

export class Pmap {
  /** machinePage[gpp]: the machine page backing guest page gpp, or -1 while none does. */
  readonly machinePage: Int32Array;
  /** Pages backed so far. */
  backed = 0;

  /** `pages` guest pages; `back(gpp)` gives a machine page for a first touch. */
  constructor(pages: number, private readonly back: (gpp: number) => number) {
    this.machinePage = new Int32Array(pages).fill(-1);
  }

  get pages(): number {
    return this.machinePage.length;
  }

  /** The machine page of guest page `gpp`, backing it now if it has none. */
  backing(gpp: number): number {
    const mp = this.machinePage[gpp]!;
    if (mp >= 0) return mp;
    const m = this.back(gpp);
    this.machinePage[gpp] = m;
    this.backed++;
    return m;
  }
}
