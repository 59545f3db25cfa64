// The memmap: for every machine page, the VM and guest page it backs and every shadow leaf that
// maps it (Disco's memmap), so that a page can be shot down exactly: migration, replication and
// copy-on-write will unmap a page by dropping just these leaves.
//
// A shadow leaf is named by its slot: the index of its 8-byte entry among the monitor's reserve
// (shadow.ts). The leaves of one machine page form a doubly linked list through next/prev; the
// first one's prev holds -2 - page, so a slot can leave its list knowing nothing else.
//
// Owner: the monitor instance whose node holds the page writes its row; anyone may read it.

export class Memmap {
  /** vm[mp]: the VM whose page mp backs, or -1 (free, or the monitor's own). */
  readonly vm: Int16Array;
  /** gpp[mp]: the guest page mp backs (valid when vm[mp] >= 0). */
  readonly gpp: Int32Array;
  private readonly head: Int32Array;
  private readonly next: Int32Array;
  private readonly prev: Int32Array;

  /** `pages` machine pages, `slots` shadow leaf slots. */
  constructor(pages: number, slots: number) {
    this.vm = new Int16Array(pages).fill(-1);
    this.gpp = new Int32Array(pages).fill(-1);
    this.head = new Int32Array(pages).fill(-1);
    this.next = new Int32Array(slots).fill(-1);
    this.prev = new Int32Array(slots).fill(-1);
  }

  assign(mp: number, vm: number, gpp: number): void {
    this.vm[mp] = vm;
    this.gpp[mp] = gpp;
  }

  /** Shadow leaf `slot` now maps machine page mp. */
  link(mp: number, slot: number): void {
    const first = this.head[mp]!;
    this.next[slot] = first;
    this.prev[slot] = -2 - mp;
    if (first >= 0) this.prev[first] = slot;
    this.head[mp] = slot;
  }

  /** Shadow leaf `slot` no longer maps anything. */
  unlink(slot: number): void {
    const p = this.prev[slot]!, n = this.next[slot]!;
    if (p === -1) return;
    if (p <= -2) this.head[-2 - p] = n; else this.next[p] = n;
    if (n >= 0) this.prev[n] = p;
    this.prev[slot] = -1;
    this.next[slot] = -1;
  }

  /** The shadow leaves that map machine page mp, most recent first. */
  leaves(mp: number): number[] {
    const out: number[] = [];
    for (let s = this.head[mp]!; s >= 0; s = this.next[s]!) out.push(s);
    return out;
  }
}
