// Instructions in the last halfword of a grant span (an L1 line on a FLASH node): a compressed
// one lies in the span, a 32-bit one runs into the next. Once both spans are in the hart's fetch
// filter, executing them again asks the port nothing, and when the protocol takes a span back
// and its bytes change, the hart executes the new instruction, not a stale decode.

import { describe, expect, it } from 'vitest';
import { Hart } from '../src/vcpu/hart.js';
import { Access, Grant, MmioStatus, type MemoryPort, type RamView } from '../src/vcpu/port.js';

const RAM = 0x8000_0000;
const SPAN = 128;

/** RAM granted in 128-byte spans, every one at once, counting the fetches it is asked for. */
class LinePort implements MemoryPort {
  readonly grantShift = 7;
  readonly exclusiveGrants = true;
  fetches = 0;
  constructor(readonly ram: RamView) {}
  access(paddr: number, size: number, kind: Access): number {
    if (kind === Access.Fetch) this.fetches++;
    const ro = paddr - this.ram.base;
    return ro >= 0 && ro + size <= this.ram.size ? ro : Grant.Fault;
  }
  pageGrant(): boolean { return true; }
  mmioLoad(): MmioStatus { return MmioStatus.Fault; }
  mmioStore(): MmioStatus { return MmioStatus.Fault; }
}

const addi = (rd: number, rs1: number, imm: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
const jal0 = (off: number) =>
  (((off >> 20) & 1) << 31) | (((off >> 1) & 0x3ff) << 21) | (((off >> 11) & 1) << 20) | (((off >> 12) & 0xff) << 12) | 0x6f;
/** blt rs1, rs2, off */
const blt = (rs1: number, rs2: number, off: number) =>
  (((off >> 12) & 1) << 31) | (((off >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (4 << 12) | (((off >> 1) & 0xf) << 8) | (((off >> 11) & 1) << 7) | 0x63;
/** c.addi rd, imm (imm 1..31) */
const cAddi = (rd: number, imm: number) => (rd << 7) | (imm << 2) | 1;
const X6 = 6, X7 = 7;

/**
 * x7 = 9, then a loop at span offset 126 that adds `step` to x6 until x6 >= x7: the adding
 * instruction (compressed or not) at 126, the branch back right after it.
 */
function machine(compressed: boolean) {
  const size = 1 << 16;
  const u8 = new Uint8Array(size);
  const dv = new DataView(u8.buffer);
  const port = new LinePort({ base: RAM, size, u8, dv });
  dv.setUint32(0, addi(X7, 0, 9), true);
  dv.setUint32(4, jal0(SPAN - 2 - 4) >>> 0, true);
  const branchAt = compressed ? SPAN : SPAN + 2;
  if (compressed) dv.setUint16(SPAN - 2, cAddi(X6, 1), true);
  else dv.setUint32(SPAN - 2, addi(X6, X6, 1), true);
  dv.setUint32(branchAt, blt(X6, X7, SPAN - 2 - branchAt) >>> 0, true);
  dv.setUint32(branchAt + 4, jal0(0), true); // done: spin here
  return { port, dv, hart: new Hart({ port, resetPc: RAM, skipSpins: false }), branchAt };
}

describe('instructions at the end of a grant span', () => {
  for (const compressed of [false, true]) {
    const kind = compressed ? 'a compressed instruction' : 'a 32-bit instruction running into the next span';
    it(`${kind}: asks the port once, and executes new bytes after the span is taken back`, () => {
      const { port, dv, hart } = machine(compressed);
      hart.run(2 + 2 * 9 + 10);
      expect(hart.getX(X6)).toBe(9n);
      // Two spans, each asked for once or twice (the filter fills on the second look at most).
      expect(port.fetches).toBeLessThanOrEqual(4);

      // Another node writes the instruction: the protocol takes the span that holds the changed
      // bytes back first (for the 32-bit one, the next span: its immediate is in the upper half).
      if (compressed) {
        hart.dropGrant(0, true);
        dv.setUint16(SPAN - 2, cAddi(X6, 2), true);
      } else {
        hart.dropGrant(SPAN, true);
        dv.setUint32(SPAN - 2, addi(X6, X6, 2), true);
      }
      hart.setX(X6, 0);
      hart.pc = RAM + SPAN - 2;
      hart.run(2 * 5 + 10);
      expect(hart.getX(X6)).toBe(10n);
    });
  }
});

describe('the time of a fetch', () => {
  // A fetch that misses in a FLASH node's caches sends its request at the hart's time; the
  // time must be that of the instruction fetched, wherever the run loop stands. It once was
  // one cycle early inside a run and exact at its start, so results moved with window lengths.
  it('is the count of instructions retired before the fetched one, at a run\'s start and inside it', () => {
    const size = 1 << 16;
    const u8 = new Uint8Array(size);
    const dv = new DataView(u8.buffer);
    const fetchTimes: number[] = [];
    let hart: Hart | null = null;
    class TimingPort extends LinePort {
      override pageGrant(): boolean { return false; } // every new span asks the port again
      override access(paddr: number, size: number, kind: Access): number {
        if (kind === Access.Fetch && (paddr - RAM) % SPAN === 0) fetchTimes.push(hart!.simTime());
        return super.access(paddr, size, kind);
      }
    }
    const port = new TimingPort({ base: RAM, size, u8, dv });
    const perSpan = SPAN / 4;
    for (let k = 0; k < 3 * perSpan; k++) dv.setUint32(4 * k, addi(X6, X6, 1), true);
    hart = new Hart({ port, resetPc: RAM, skipSpins: false });
    hart.run(3 * perSpan);
    expect(hart.getX(X6)).toBe(BigInt(3 * perSpan));
    expect(fetchTimes).toEqual([0, perSpan, 2 * perSpan]);
  });
});
