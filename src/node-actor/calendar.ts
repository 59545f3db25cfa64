// When a resource (a home's MAGIC, a network interface's port) is busy, as a set of intervals,
// for the quantum mode's weave: requests reach a home in cycle order within a weave, but a node
// that waited for the weave (a miss another node's line answered) comes back with a cycle before
// what the home has already served, and must find the gaps the others left then, not queue
// behind them.

export class Calendar {
  private start = new Float64Array(16);
  private end = new Float64Array(16);
  private count = 0;

  /** Occupy the first `length` cycles free at or after `t`; returns where they begin. */
  reserve(t: number, length: number): number {
    const s = this.start, e = this.end;
    // The first interval that ends after t.
    let lo = 0, hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (e[mid] <= t) lo = mid + 1; else hi = mid;
    }
    let i = lo, at = t;
    while (i < this.count && s[i] < at + length) {
      if (e[i] > at) at = e[i];
      i++;
    }
    if (length === 0) return at;
    // [at, at + length) lies between interval i - 1 and interval i: join what it touches.
    const joinsBefore = i > 0 && e[i - 1] === at;
    const joinsAfter = i < this.count && s[i] === at + length;
    if (joinsBefore && joinsAfter) {
      e[i - 1] = e[i];
      this.remove(i);
    } else if (joinsBefore) {
      e[i - 1] = at + length;
    } else if (joinsAfter) {
      s[i] = at;
    } else {
      this.insert(i, at, at + length);
    }
    return at;
  }

  /** Forget the intervals that end before `t`: nothing will be asked of them again. */
  forget(t: number): void {
    let k = 0;
    while (k < this.count && this.end[k] < t) k++;
    if (k === 0) return;
    this.start.copyWithin(0, k, this.count);
    this.end.copyWithin(0, k, this.count);
    this.count -= k;
  }

  private insert(i: number, from: number, to: number): void {
    if (this.count === this.start.length) {
      const s = new Float64Array(this.count * 2), e = new Float64Array(this.count * 2);
      s.set(this.start); e.set(this.end);
      this.start = s; this.end = e;
    }
    this.start.copyWithin(i + 1, i, this.count);
    this.end.copyWithin(i + 1, i, this.count);
    this.start[i] = from;
    this.end[i] = to;
    this.count++;
  }

  private remove(i: number): void {
    this.start.copyWithin(i, i + 1, this.count);
    this.end.copyWithin(i, i + 1, this.count);
    this.count--;
  }
}
