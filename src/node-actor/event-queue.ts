// A node's pending messages, ordered by (time, first time, source node, source sequence
// number): the delivery order DESIGN.md invariant 2 prescribes, independent of which worker sent
// what when. `first` is the time a record was first queued; a record put back later (waiting for
// MAGIC) keeps it, so messages that wait together are served in the order they arrived rather
// than by source number, which would starve the high-numbered nodes under a flood of retries.
//
// Records live in a pool of parallel typed arrays (time, flags, and the int32 fields of
// directory/messages.ts) with a free list, under a binary heap of pool indices; after warm-up
// nothing is allocated.

import { F_SEQ, F_SRC, MSG_WORDS } from '../directory/messages.js';

export class EventQueue {
  time: Float64Array;
  first: Float64Array;
  words: Int32Array;
  /** Per-record flags owned by the node (e.g. "input port already passed"). */
  flags: Uint8Array;
  private heap: Int32Array;
  private size = 0;
  /**
   * The first record's time, or Infinity: kept beside the size, since a node asks for it several
   * times a window, and reading it through the heap and time arrays touches two more host lines.
   */
  private head = Infinity;
  private free: Int32Array;
  private freeTop: number;

  constructor(capacity = 64) {
    this.time = new Float64Array(capacity);
    this.first = new Float64Array(capacity);
    this.words = new Int32Array(capacity * MSG_WORDS);
    this.flags = new Uint8Array(capacity);
    this.heap = new Int32Array(capacity);
    this.free = new Int32Array(capacity);
    for (let i = 0; i < capacity; i++) this.free[i] = capacity - 1 - i;
    this.freeTop = capacity;
  }

  get length(): number {
    return this.size;
  }

  peekTime(): number {
    return this.head;
  }

  /** A free record to fill; then call insert(record). */
  alloc(): number {
    if (this.freeTop === 0) this.grow();
    return this.free[--this.freeTop];
  }

  insert(r: number): void {
    if (this.size === this.heap.length) this.grow();
    let i = this.size++;
    const heap = this.heap;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.before(r, heap[parent])) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = r;
    if (i === 0) this.head = this.time[r];
  }

  /** Remove and return the first record (the caller frees it with release). */
  pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.size];
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= this.size) break;
      const r = l + 1;
      const c = r < this.size && this.before(heap[r], heap[l]) ? r : l;
      if (!this.before(heap[c], last)) break;
      heap[i] = heap[c];
      i = c;
    }
    if (this.size > 0) heap[i] = last;
    this.head = this.size > 0 ? this.time[heap[0]] : Infinity;
    return top;
  }

  release(r: number): void {
    this.free[this.freeTop++] = r;
  }

  private before(a: number, b: number): boolean {
    const ta = this.time[a], tb = this.time[b];
    if (ta !== tb) return ta < tb;
    const fa = this.first[a], fb = this.first[b];
    if (fa !== fb) return fa < fb;
    const w = this.words;
    const sa = w[a * MSG_WORDS + F_SRC], sb = w[b * MSG_WORDS + F_SRC];
    if (sa !== sb) return sa < sb;
    return w[a * MSG_WORDS + F_SEQ] < w[b * MSG_WORDS + F_SEQ];
  }

  private grow(): void {
    const cap = this.time.length, n = cap * 2;
    const time = new Float64Array(n); time.set(this.time); this.time = time;
    const first = new Float64Array(n); first.set(this.first); this.first = first;
    const words = new Int32Array(n * MSG_WORDS); words.set(this.words); this.words = words;
    const flags = new Uint8Array(n); flags.set(this.flags); this.flags = flags;
    const heap = new Int32Array(n); heap.set(this.heap); this.heap = heap;
    const free = new Int32Array(n);
    free.set(this.free.subarray(0, this.freeTop));
    for (let i = cap; i < n; i++) free[this.freeTop++] = n - 1 - (i - cap);
    this.free = free;
  }
}
