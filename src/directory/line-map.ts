// A map from line number (>= 0) to a number, for the few lines a controller has in flight.
// Open addressing with linear probing and backward-shift deletion in typed arrays: a JS Map
// allocates when it shrinks after deletes, and lines enter and leave these maps on every
// transaction, in the simulator's hot path.

const EMPTY = -1;

export class LineMap {
  private keys: Int32Array;
  private vals: Float64Array;
  private mask: number;
  private count = 0;

  constructor(capacity = 16) {
    let cap = 16;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Int32Array(cap).fill(EMPTY);
    this.vals = new Float64Array(cap);
    this.mask = cap - 1;
  }

  get size(): number {
    return this.count;
  }

  private slot(line: number): number {
    let i = Math.imul(line, 0x9e3779b1) >>> 0 & this.mask;
    while (this.keys[i] !== EMPTY && this.keys[i] !== line) i = (i + 1) & this.mask;
    return i;
  }

  has(line: number): boolean {
    return this.keys[this.slot(line)] === line;
  }

  /** The value of `line`, or NaN when absent. */
  get(line: number): number {
    const i = this.slot(line);
    return this.keys[i] === line ? this.vals[i] : NaN;
  }

  set(line: number, value: number): void {
    const i = this.slot(line);
    if (this.keys[i] !== line) {
      if ((this.count + 1) * 2 > this.keys.length) { this.grow(); this.set(line, value); return; }
      this.keys[i] = line;
      this.count++;
    }
    this.vals[i] = value;
  }

  /** Remove `line`; whether it was there. */
  delete(line: number): boolean {
    let i = this.slot(line);
    if (this.keys[i] !== line) return false;
    this.count--;
    // Backward shift: pull later entries of the probe run into the hole so lookups never stop
    // early at it.
    for (let j = (i + 1) & this.mask; this.keys[j] !== EMPTY; j = (j + 1) & this.mask) {
      const home = Math.imul(this.keys[j], 0x9e3779b1) >>> 0 & this.mask;
      const between = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!between) {
        this.keys[i] = this.keys[j];
        this.vals[i] = this.vals[j];
        i = j;
      }
    }
    this.keys[i] = EMPTY;
    return true;
  }

  private grow(): void {
    const keys = this.keys, vals = this.vals;
    this.keys = new Int32Array(keys.length * 2).fill(EMPTY);
    this.vals = new Float64Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.count = 0;
    for (let i = 0; i < keys.length; i++) if (keys[i] !== EMPTY) this.set(keys[i], vals[i]);
  }
}
