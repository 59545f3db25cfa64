import { describe, expect, it } from 'vitest';
import { LineMap } from '../src/directory/line-map.js';

describe('LineMap', () => {
  it('agrees with a Map over random inserts, deletes and lookups, growing past its capacity', () => {
    const m = new LineMap(4);
    const ref = new Map<number, number>();
    let seed = 1;
    for (let i = 0; i < 200_000; i++) {
      seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff;
      // Keys in a few dense runs, so that probe chains collide and deletions must shift entries.
      const k = (seed % 600) + ((seed >>> 20) & 1) * 1_000_000;
      switch ((seed >>> 10) % 3) {
        case 0: m.set(k, i); ref.set(k, i); break;
        case 1: expect(m.delete(k)).toBe(ref.delete(k)); break;
        default: expect(m.get(k)).toBe(ref.has(k) ? ref.get(k) : NaN); expect(m.has(k)).toBe(ref.has(k));
      }
      expect(m.size).toBe(ref.size);
    }
    for (const [k, v] of ref) expect(m.get(k)).toBe(v);
  });
});
