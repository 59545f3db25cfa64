// A set-associative array of cache tags and states (no data: invariant 3), with LRU replacement.
// Lines are named by their line number (RAM offset / line size).

export class CacheArray {
  readonly sets: number;
  readonly ways: number;
  /** Line number held by each way, or -1. */
  readonly tag: Int32Array;
  /** Per-way state, meaning chosen by the owner (L1: 1 readable, 2 writable; L2: CacheState). */
  readonly state: Uint8Array;
  private readonly stamp: Float64Array;
  private clock = 0;

  constructor(bytes: number, lineBytes: number, ways: number) {
    const lines = Math.max(ways, Math.floor(bytes / lineBytes));
    this.ways = Math.min(ways, lines);
    this.sets = Math.max(1, Math.floor(lines / this.ways));
    this.tag = new Int32Array(this.sets * this.ways).fill(-1);
    this.state = new Uint8Array(this.sets * this.ways);
    this.stamp = new Float64Array(this.sets * this.ways);
  }

  /** Way index holding `line`, or -1. */
  find(line: number): number {
    const base = (line % this.sets) * this.ways;
    for (let w = base; w < base + this.ways; w++) if (this.tag[w] === line) return w;
    return -1;
  }

  touch(way: number): void {
    this.stamp[way] = ++this.clock;
  }

  /**
   * The way to fill for `line`: an empty one, else the least recently used one that `evictable`
   * allows; -1 when none may be evicted.
   */
  victim(line: number, evictable: (way: number) => boolean): number {
    const base = (line % this.sets) * this.ways;
    let best = -1;
    for (let w = base; w < base + this.ways; w++) {
      if (this.tag[w] === -1) return w;
      if (evictable(w) && (best < 0 || this.stamp[w] < this.stamp[best])) best = w;
    }
    return best;
  }

  fill(way: number, line: number, state: number): void {
    this.tag[way] = line;
    this.state[way] = state;
    this.touch(way);
  }

  clear(way: number): void {
    this.tag[way] = -1;
    this.state[way] = 0;
  }
}
