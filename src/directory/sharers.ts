// Sharer sets of home lines, over the directory region of shared-abi/machine.ts.
//
// Up to 64 nodes a full bit vector per line. Beyond, FLASH-style scalability with a limited
// number of pointers per line; when they overflow the entry is marked (count 0xffff) and an
// invalidation goes to every node, each of which answers.

export const OVERFLOW = 0xffff;

export interface SharerViews {
  sharerBits: Uint32Array;
  sharerPtrs: Uint16Array;
  sharerCount: Uint16Array;
}

export class Sharers {
  private readonly words: number;

  constructor(private readonly v: SharerViews, private readonly nodes: number, private readonly pointers: number) {
    this.words = nodes <= 64 ? Math.ceil(nodes / 32) : 0;
  }

  count(e: number): number {
    return this.v.sharerCount[e];
  }

  overflowed(e: number): boolean {
    return this.v.sharerCount[e] === OVERFLOW;
  }

  has(e: number, node: number): boolean {
    if (this.words > 0) return ((this.v.sharerBits[e * this.words + (node >>> 5)] >>> (node & 31)) & 1) !== 0;
    const c = this.v.sharerCount[e];
    if (c === OVERFLOW) return true;
    for (let i = 0; i < c; i++) if (this.v.sharerPtrs[e * this.pointers + i] === node) return true;
    return false;
  }

  add(e: number, node: number): void {
    if (this.has(e, node)) return;
    if (this.words > 0) {
      this.v.sharerBits[e * this.words + (node >>> 5)] |= 1 << (node & 31);
      this.v.sharerCount[e]++;
      return;
    }
    const c = this.v.sharerCount[e];
    if (c >= this.pointers) { this.v.sharerCount[e] = OVERFLOW; return; }
    this.v.sharerPtrs[e * this.pointers + c] = node;
    this.v.sharerCount[e] = c + 1;
  }

  /** Remove `node`; an overflowed entry cannot forget anyone and stays as it is. */
  remove(e: number, node: number): void {
    if (!this.has(e, node)) return;
    if (this.words > 0) {
      this.v.sharerBits[e * this.words + (node >>> 5)] &= ~(1 << (node & 31));
      this.v.sharerCount[e]--;
      return;
    }
    const c = this.v.sharerCount[e];
    if (c === OVERFLOW) return;
    const base = e * this.pointers;
    for (let i = 0; i < c; i++) {
      if (this.v.sharerPtrs[base + i] === node) {
        this.v.sharerPtrs[base + i] = this.v.sharerPtrs[base + c - 1];
        this.v.sharerCount[e] = c - 1;
        return;
      }
    }
  }

  clear(e: number): void {
    if (this.words > 0) for (let w = 0; w < this.words; w++) this.v.sharerBits[e * this.words + w] = 0;
    this.v.sharerCount[e] = 0;
  }

  /** Call fn for each sharer other than `except` (every node but `except` after overflow). */
  forEach(e: number, except: number, fn: (node: number) => void): number {
    let n = 0;
    if (this.v.sharerCount[e] === OVERFLOW) {
      for (let k = 0; k < this.nodes; k++) if (k !== except) { fn(k); n++; }
      return n;
    }
    if (this.words > 0) {
      for (let w = 0; w < this.words; w++) {
        let bits = this.v.sharerBits[e * this.words + w];
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          bits &= bits - 1;
          const k = w * 32 + b;
          if (k !== except) { fn(k); n++; }
        }
      }
      return n;
    }
    const c = this.v.sharerCount[e];
    for (let i = 0; i < c; i++) {
      const k = this.v.sharerPtrs[e * this.pointers + i];
      if (k !== except) { fn(k); n++; }
    }
    return n;
  }
}
