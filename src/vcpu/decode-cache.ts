// The decoded-instruction cache: a direct-mapped table keyed by the RAM offset of an
// instruction, in parallel typed arrays that the run loop reads without a call.
//
// A decoded instruction depends on nothing but its bytes, so harts that run on one thread may
// share one cache (the FLASH worker's nodes do: most run the same code, and one table instead
// of one per hart keeps the host's caches for the rest). What keeps an entry exact is that it is
// dropped whenever its bytes may change. Only a hart that fetches from a page makes entries
// there, and such a hart drops a line's entries when its node lets the line go
// (Hart.dropGrant) and what it overwrites when it stores to the page (Hart.storedRam). Under the
// directory protocol only a node holding a line exclusive writes it, and by then every other
// node has let it go: whichever hart made the line's entries has dropped them before the write,
// or made the write itself.

export class DecodeCache {
  readonly mask: number;
  /** The slot after the last: an instruction that straddles two grant spans, never looked up. */
  readonly span: number;
  readonly tag: Int32Array;
  readonly op: Uint16Array;
  readonly rd: Uint8Array;
  readonly rs1: Uint8Array;
  readonly rs2: Uint8Array;
  readonly imm: Int32Array;
  readonly len: Uint8Array;

  constructor(bits: number) {
    const size = 1 << bits;
    this.mask = size - 1;
    this.span = size;
    this.tag = new Int32Array(size + 1).fill(-1);
    this.op = new Uint16Array(size + 1);
    this.rd = new Uint8Array(size + 1);
    this.rs1 = new Uint8Array(size + 1);
    this.rs2 = new Uint8Array(size + 1);
    this.imm = new Int32Array(size + 1);
    this.len = new Uint8Array(size + 1);
  }

  /** Drop every entry for an instruction that starts in [ramOffset - 2, ramOffset + length). */
  invalidate(ramOffset: number, length: number): void {
    for (let o = (ramOffset & ~1) - 2; o < ramOffset + length; o += 2) {
      const i = (o >>> 1) & this.mask;
      if (this.tag[i] === o) this.tag[i] = -1;
    }
  }

  flush(): void {
    this.tag.fill(-1);
  }
}
