// RISC-V semihosting (src/devices/semihosting.ts and the hart's side of it), in process.
//
// The operations are driven the way a guest drives them: a hart's a0/a1 and a parameter block in
// its RAM, then Semihosting.call(). The hart's recognition of the trap sequence runs small
// hand-assembled guests on the board (runFlat): the sequence is a call with semihosting on and
// in M or S mode, and an ordinary breakpoint otherwise (no semihosting, U mode, a compressed
// ebreak, a sequence across a page boundary). The CLI and the picolibc guest: semihost-cli.test.ts.

import { InputWant } from '../src/devices/uart-input.js';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Hart } from '../src/vcpu/hart.js';
import { FlatMemory } from '../src/vcpu/flat-memory.js';
import { Status } from '../src/vcpu/status.js';
import { CaptureConsole } from '../src/devices/htif.js';
import { ERRNO, Semihosting, largestGap, semihostingCmdline } from '../src/devices/semihosting.js';
import { writeElf64 } from '../src/sim/elf.js';
import { RunSession, runFlat } from '../src/sim/run-flat.js';
import { auipc, iOp, iType, rOp, shiftOp, store, OPC } from './difftest/encode.js';

const RAM = 0x8000_0000;
const PARAM = RAM + 0x1000; // parameter block
const BUF = RAM + 0x2000; // buffers and names
const A0 = 10, A1 = 11, T0 = 5, T1 = 6, T2 = 7;

let root = '';
let outside = '';

beforeAll(() => {
  const top = realpathSync(mkdtempSync(join(tmpdir(), 'fd-semihost-')));
  root = join(top, 'root');
  outside = join(top, 'outside.txt');
  mkdirSync(join(root, 'sub'), { recursive: true });
  writeFileSync(outside, 'secret\n');
  writeFileSync(join(root, 'data.txt'), 'inside\n');
  symlinkSync('../outside.txt', join(root, 'out-link'));
  symlinkSync('data.txt', join(root, 'in-link'));
  symlinkSync('../created-outside.txt', join(root, 'dangling'));
  symlinkSync('..', join(root, 'up'));
});

/** A hart in M mode on 1 MiB of flat RAM, and a Semihosting serving it. */
function setup(opts: { cmdline?: string; epoch?: number } = {}) {
  const mem = new FlatMemory({ base: RAM, size: 1 << 20 });
  const hart = new Hart({ port: mem, resetPc: RAM });
  const console = new CaptureConsole();
  const sh = new Semihosting({ root, cmdline: opts.cmdline ?? 'k.elf a b', epoch: opts.epoch ?? 0, cpuHz: 1e9, console });
  sh.attach({ heap: { heapBase: RAM + 0x10000, heapLimit: RAM + 0x80000 }, ramWritten: () => {} });
  const dv = mem.ram.dv;
  const at = (pa: number) => pa - RAM;
  const put = (pa: number, words: Array<number | bigint>) =>
    words.forEach((w, i) => dv.setBigUint64(at(pa) + 8 * i, BigInt.asUintN(64, BigInt(w)), true));
  const word = (pa: number) => dv.getBigInt64(at(pa), true);
  const text = (pa: number, s: string) => mem.ram.u8.set(new TextEncoder().encode(s + '\0'), at(pa));
  const bytes = (pa: number, n: number) => mem.ram.u8.slice(at(pa), at(pa) + n);
  /** One call: op in a0, the block's address in a1; returns a0 as a signed bigint. */
  const call = (op: number, block: Array<number | bigint> | null, a1 = PARAM) => {
    if (block !== null) put(PARAM, block);
    hart.setX(A0, op);
    hart.setX(A1, a1);
    const st = sh.call(hart);
    return { st, a0: BigInt.asIntN(64, hart.getX(A0)) };
  };
  /** SYS_OPEN of `name` in `mode`: the handle or -1. */
  const open = (name: string, mode: number) => {
    text(BUF, name);
    return call(0x01, [BUF, mode, new TextEncoder().encode(name).length]).a0;
  };
  const errno = () => call(0x13, null).a0;
  return { mem, hart, console, sh, put, word, text, bytes, call, open, errno };
}

describe('semihosting operations', () => {
  it('GET_CMDLINE fills the buffer and the length, or fails with E2BIG', () => {
    const t = setup({ cmdline: 'guest/build/x.elf one two' });
    expect(t.call(0x15, [BUF, 26]).a0).toBe(0n);
    expect(new TextDecoder().decode(t.bytes(BUF, 26))).toBe('guest/build/x.elf one two\0');
    expect(t.word(PARAM + 8)).toBe(25n);
    expect(t.call(0x15, [BUF, 25]).a0).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.E2BIG));
  });

  it('the command line is the kernel path and the words of --append, as QEMU makes it', () => {
    expect(semihostingCmdline('k.elf', undefined)).toBe('k.elf');
    expect(semihostingCmdline('dir/k.elf', '  a  b c ')).toBe('dir/k.elf a b c');
  });

  it('WRITEC, WRITE0 and WRITE to :tt go to the console', () => {
    const t = setup();
    t.mem.ram.u8[BUF - RAM] = 0x41;
    expect(t.call(0x03, null, BUF).st).toBe(Status.Event);
    t.text(BUF, 'bc\n');
    t.call(0x04, null, BUF);
    const tt = t.open(':tt', 4);
    expect(tt).toBe(1n);
    t.text(BUF + 0x100, 'de');
    expect(t.call(0x05, [tt, BUF + 0x100, 2]).a0).toBe(0n);
    expect(t.console.text()).toBe('Abc\nde');
    expect(t.call(0x09, [tt]).a0).toBe(1n);
    expect(t.call(0x0a, [tt, 0]).a0).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.ESPIPE));
  });

  it('open modes: r reads, w creates and truncates, a appends, + reads too; 12 is EINVAL', () => {
    const t = setup();
    const w = t.open('modes.txt', 4);
    t.text(BUF + 0x100, 'hello');
    expect(t.call(0x05, [w, BUF + 0x100, 5]).a0).toBe(0n);
    expect(t.call(0x0c, [w]).a0).toBe(5n);
    expect(t.call(0x06, [w, BUF + 0x200, 5]).a0).toBe(5n); // write-only: nothing read
    expect(t.call(0x02, [w]).a0).toBe(0n);
    const a = t.open('modes.txt', 10); // a+
    t.text(BUF + 0x100, '!!');
    t.call(0x0a, [a, 0]);
    expect(t.call(0x05, [a, BUF + 0x100, 2]).a0).toBe(0n); // appends whatever the position
    t.call(0x0a, [a, 3]);
    expect(t.call(0x06, [a, BUF + 0x200, 10]).a0).toBe(6n);
    expect(new TextDecoder().decode(t.bytes(BUF + 0x200, 4))).toBe('lo!!');
    t.call(0x02, [a]);
    expect(readFileSync(join(root, 'modes.txt'), 'utf8')).toBe('hello!!');
    expect(t.open('modes.txt', 12)).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.EINVAL));
    expect(t.open('nothing-here.txt', 0)).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.ENOENT));
  });

  it('handles count from 1 and reuse the lowest free one; a bad handle is EBADF', () => {
    const t = setup();
    expect([t.open('data.txt', 0), t.open('data.txt', 0), t.open(':tt', 0)]).toEqual([1n, 2n, 3n]);
    expect(t.call(0x02, [1]).a0).toBe(0n);
    expect(t.open('data.txt', 1)).toBe(1n);
    for (const h of [0, 9, -1]) {
      expect(t.call(0x02, [h]).a0).toBe(-1n);
      expect(t.errno()).toBe(BigInt(ERRNO.EBADF));
    }
    expect(t.call(0x05, [9, BUF, 7]).a0).toBe(7n); // WRITE: nothing written
    t.sh.closeAll();
    expect(t.sh.stats().openHandles).toBe(0);
  });

  it('a name must end in NUL where its length says', () => {
    const t = setup();
    t.text(BUF, 'data.txt');
    expect(t.call(0x01, [BUF, 0, 4]).a0).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.EINVAL));
  });

  it(':semihosting-features says EXIT_EXTENDED and STDOUT_STDERR, and opens for reading only', () => {
    const t = setup();
    const f = t.open(':semihosting-features', 0);
    expect(t.call(0x0c, [f]).a0).toBe(5n);
    expect(t.call(0x06, [f, BUF + 0x100, 8]).a0).toBe(3n);
    expect([...t.bytes(BUF + 0x100, 5)]).toEqual([0x53, 0x48, 0x46, 0x42, 0x03]);
    expect(t.open(':semihosting-features', 4)).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.EACCES));
  });

  it('files stay inside the root: absolute names, .. and links that lead out are EACCES', () => {
    const t = setup();
    const reads = [outside, '/etc/hostname', '../outside.txt', 'sub/../../outside.txt', 'out-link', 'up/outside.txt'];
    const creates = ['dangling', 'up/new.txt', '../new.txt'];
    for (const [name, mode] of [...reads.map((n) => [n, 0] as const), ...creates.map((n) => [n, 4] as const)]) {
      expect(t.open(name, mode), name).toBe(-1n);
      expect(t.errno(), name).toBe(BigInt(ERRNO.EACCES));
    }
    expect(existsSync(join(root, '..', 'created-outside.txt'))).toBe(false);
    expect(existsSync(join(root, '..', 'new.txt'))).toBe(false);
    for (const name of ['data.txt', 'in-link', 'sub/../data.txt', './data.txt']) {
      const h = t.open(name, 0);
      expect(h, name).toBeGreaterThan(0n);
      expect(t.call(0x06, [h, BUF + 0x100, 7]).a0).toBe(0n);
      expect(new TextDecoder().decode(t.bytes(BUF + 0x100, 7))).toBe('inside\n');
      t.call(0x02, [h]);
    }
    t.text(BUF, 'out-link');
    expect(t.call(0x0e, [BUF, 8]).a0).toBe(-1n); // REMOVE refuses what leads out too
    expect(readFileSync(outside, 'utf8')).toBe('secret\n');
  });

  it('REMOVE and RENAME work inside the root', () => {
    const t = setup();
    t.call(0x02, [t.open('old.txt', 4)]);
    t.text(BUF, 'old.txt');
    t.text(BUF + 0x100, 'sub/new.txt');
    expect(t.call(0x0f, [BUF, 7, BUF + 0x100, 11]).a0).toBe(0n);
    expect(existsSync(join(root, 'sub', 'new.txt'))).toBe(true);
    t.text(BUF + 0x100, '../new.txt');
    expect(t.call(0x0f, [BUF + 0x100, 10, BUF, 7]).a0).toBe(-1n);
    t.text(BUF, 'sub/new.txt');
    expect(t.call(0x0e, [BUF, 11]).a0).toBe(0n);
    expect(t.call(0x0e, [BUF, 11]).a0).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.ENOENT));
  });

  it('ISTTY: 0 and ENOTTY for a file; ISERROR; SYNCCACHE; SYSTEM and TMPNAM refused', () => {
    const t = setup();
    const h = t.open('data.txt', 0);
    expect(t.call(0x09, [h]).a0).toBe(0n);
    expect(t.errno()).toBe(BigInt(ERRNO.ENOTTY));
    expect(t.call(0x08, [-5]).a0).toBe(1n);
    expect(t.call(0x08, [5]).a0).toBe(0n);
    expect(t.call(0x19, [RAM, 16]).a0).toBe(0n);
    t.text(BUF, 'touch /tmp/x');
    expect(t.call(0x12, [BUF, 12]).a0).toBe(-1n);
    expect(t.errno()).toBe(BigInt(ERRNO.EPERM));
    expect(t.call(0x0d, [BUF, 1, 64]).a0).toBe(-1n);
  });

  it('clocks read simulated time: CLOCK centiseconds, ELAPSED cycles, TICKFREQ, TIME from the epoch', () => {
    const t = setup({ epoch: 1_700_000_000 });
    t.hart.idleUntilCycle(2_345_678_901);
    expect(t.call(0x10, null).a0).toBe(234n);
    expect(t.call(0x30, [0]).a0).toBe(0n);
    expect(t.word(PARAM)).toBe(2_345_678_901n);
    expect(t.call(0x31, null).a0).toBe(1_000_000_000n);
    expect(t.call(0x11, null).a0).toBe(1_700_000_002n);
  });

  it('HEAPINFO writes heap base and limit, stack base and limit through the pointer in the block', () => {
    const t = setup();
    expect(t.call(0x16, [BUF]).a0).toBe(0n);
    expect([t.word(BUF), t.word(BUF + 8), t.word(BUF + 16), t.word(BUF + 24)]).toEqual(
      [RAM + 0x10000, RAM + 0x80000, RAM + 0x80000, RAM + 0x10000].map(BigInt),
    );
  });

  it('the heap is the largest stretch of RAM no image occupies', () => {
    expect(largestGap(0, 100, [{ start: 0, end: 10 }, { start: 90, end: 95 }])).toEqual({ heapBase: 10, heapLimit: 90 });
    expect(largestGap(0, 100, [{ start: 40, end: 50 }, { start: 0, end: 45 }])).toEqual({ heapBase: 50, heapLimit: 100 });
  });

  it('EXIT: ApplicationExit gives the subcode, any other reason 1; a bad block is EFAULT', () => {
    const t = setup();
    expect(t.call(0x20, [0x20026, 42]).st).toBe(Status.Halt);
    expect(t.sh.exitCode).toBe(42);
    expect(t.call(0x18, [0x20023, 42]).st).toBe(Status.Halt);
    expect(t.sh.exitCode).toBe(1);
    const u = setup();
    expect(u.call(0x18, null, 0x1000)).toEqual({ st: Status.Event, a0: -1n });
    expect(u.errno()).toBe(BigInt(ERRNO.EFAULT));
    expect(u.sh.exitCode).toBeNull();
  });

  it('READC and READ on :tt wait for console input, then take it; at its end READC gives -1', () => {
    const t = setup();
    t.hart.insnPc = RAM + 0x44;
    t.hart.pc = RAM + 0x48;
    expect(t.call(0x07, null).st).toBe(Status.Event);
    expect(t.hart.waitingForHost).toBe(true);
    expect(t.hart.pc).toBe(RAM + 0x44); // the call runs again
    t.sh.inputBytes([0x68, 0x69, 0x0a]);
    t.hart.resumeFromHost();
    expect(t.call(0x07, null).a0).toBe(0x68n);
    const tt = t.open(':tt', 0);
    expect(t.call(0x06, [tt, BUF + 0x100, 16]).a0).toBe(14n); // "i\n": 2 of 16 read
    expect(new TextDecoder().decode(t.bytes(BUF + 0x100, 2))).toBe('i\n');
    t.call(0x06, [tt, BUF + 0x100, 16]);
    expect(t.hart.waitingForHost).toBe(true);
    t.hart.resumeFromHost();
    t.sh.endOfInput();
    expect(t.call(0x06, [tt, BUF + 0x100, 16]).a0).toBe(16n);
    expect(t.call(0x07, null).a0).toBe(-1n);
    expect(t.hart.waitingForHost).toBe(false);
  });

  it('an unknown operation stops the run as a fault, naming it', () => {
    const t = setup();
    expect(t.call(0x99, null).st).toBe(Status.Halt);
    expect(t.sh.fault).toMatch(/semihosting call 0x99 .* does not provide/);
  });
});

// ---- The trap sequence on the board ----

const SLLI = 0x01f01013, EBREAK = 0x00100073, SRAI = 0x40705013, C_EBREAK = 0x9002, C_NOP = 0x0001;
const MRET = 0x30200073, J_SELF = 0x0000006f;
const csrw = (csr: number, rs1: number) => iType(OPC.SYSTEM, 1, 0, rs1, csr - (csr >= 0x800 ? 0x1000 : 0));
const csrr = (rd: number, csr: number) => iType(OPC.SYSTEM, 2, rd, 0, csr - (csr >= 0x800 ? 0x1000 : 0));
const MTVEC = 0x305, MCAUSE = 0x342, MEPC = 0x341, MSTATUS = 0x300;
const TOHOST = RAM + 0x3000;

/** auipc + addi: rd = the address of the auipc + `off`. */
function la(rd: number, off: number): number[] {
  const hi = (off + 0x800) >> 12;
  return [auipc(rd, hi & 0xfffff), iOp('addi', rd, rd, off - hi * 4096)];
}

/**
 * A guest whose trap handler exits through HTIF with status mcause * 16 + (mepc - entry) / 4.
 * Its code is `body` (words, or [halfword]s) at entry + bodyAt, entered with a0 = SYS_EXIT and
 * a1 = a block [ADP_Stopped_ApplicationExit, 5]: a semihosting call there exits with 5.
 */
function trapGuest(body: Array<number | [number]>, bodyAt = 0x100): Uint8Array {
  const code = new Uint8Array(0x3000);
  const dv = new DataView(code.buffer);
  let pc = 0;
  const emit = (...ws: number[]) => ws.forEach((w) => { dv.setUint32(pc, w, true); pc += 4; });
  emit(...la(T0, 0x40), csrw(MTVEC, T0));
  emit(...la(A1, 0x2010 - pc));
  emit(iOp('addi', A0, 0, 0x18));
  emit(...la(T0, bodyAt - pc), iType(OPC.JALR, 0, 0, T0, 0));
  pc = 0x40; // the handler
  emit(csrr(T1, MCAUSE), shiftOp('slli', T1, T1, 4), csrr(T0, MEPC));
  emit(...la(T2, -pc), rOp('sub', T0, T0, T2), shiftOp('srli', T0, T0, 2), rOp('add', T1, T1, T0));
  emit(shiftOp('slli', T1, T1, 1), iOp('ori', T1, T1, 1));
  emit(...la(T0, 0x3000 - pc), store('sd', T1, T0, 0), J_SELF);
  dv.setBigUint64(0x2010, 0x20026n, true);
  dv.setBigUint64(0x2018, 5n, true);
  pc = bodyAt;
  for (const w of body) {
    if (Array.isArray(w)) {
      dv.setUint16(pc, w[0], true);
      pc += 2;
    } else emit(w);
  }
  return writeElf64({
    entry: RAM,
    segments: [{ vaddr: RAM, data: code, flags: 7 }, { vaddr: TOHOST, data: new Uint8Array(16), flags: 6 }],
    symbols: { tohost: TOHOST, fromhost: TOHOST + 8 },
  });
}

function guestConfig(elf: Uint8Array, semihosting: boolean) {
  const dir = mkdtempSync(join(tmpdir(), 'fd-semihost-guest-'));
  const kernel = join(dir, 'g.elf');
  writeFileSync(kernel, elf);
  return { kernel, console: new CaptureConsole(), maxInsns: 10_000, semihosting: semihosting ? { root: dir, epoch: 0 } : undefined };
}

function runGuest(elf: Uint8Array, semihosting: boolean) {
  const r = runFlat(guestConfig(elf, semihosting));
  return { code: r.exitCode, by: r.by, traps: r.stats.traps };
}

/** The exit status the trap handler gives for a breakpoint at entry + `off`. */
const breakpointAt = (off: number) => 3 * 16 + off / 4;

describe('the semihosting sequence on the hart', () => {
  const sequence = [SLLI, EBREAK, SRAI, J_SELF];

  it('is a call with --semihosting, and an ordinary breakpoint without', () => {
    expect(runGuest(trapGuest(sequence), true)).toEqual({ code: 5, by: 'semihosting', traps: {} });
    expect(runGuest(trapGuest(sequence), false)).toEqual({ code: breakpointAt(0x104), by: 'htif', traps: { breakpoint: 1 } });
  });

  /** mstatus.MPP = `mpp`, mepc = the sequence at 0x120, mret. */
  const inMode = (mpp: number) => [
    iOp('addi', T0, 0, mpp), shiftOp('slli', T0, T0, 11), csrw(MSTATUS, T0),
    ...la(T0, 0x120 - 0x10c), csrw(MEPC, T0), MRET, 0, ...sequence,
  ];

  it('is a call in S mode and a breakpoint in U mode', () => {
    expect(runGuest(trapGuest(inMode(1)), true)).toEqual({ code: 5, by: 'semihosting', traps: {} });
    expect(runGuest(trapGuest(inMode(0)), true)).toEqual({ code: breakpointAt(0x124), by: 'htif', traps: { breakpoint: 1 } });
  });

  it('needs an uncompressed ebreak', () => {
    expect(runGuest(trapGuest([SLLI, [C_EBREAK], [C_NOP], SRAI, J_SELF]), true).code).toBe(breakpointAt(0x104));
  });

  it('needs all three instructions in one page', () => {
    // slli at 0xffc, ebreak at the next page's start
    expect(runGuest(trapGuest(sequence, 0xffc), true).code).toBe(breakpointAt(0x1000));
    expect(runGuest(trapGuest(sequence, 0xff4), true).code).toBe(5);
  });

  it('a call the host does not provide ends the run as a fault', () => {
    const r = runFlat(guestConfig(trapGuest([iOp('addi', A0, 0, 0x99), ...sequence]), true));
    expect([r.reason, r.exitCode, r.by]).toEqual(['fault', 4, 'semihosting']);
    expect(r.message).toMatch(/^hart 0 made semihosting call 0x99 at pc 0x80000108/);
  });

  // READC, then SYS_EXIT with its result as the status
  const readThenExit = trapGuest([
    iOp('addi', A0, 0, 0x07), SLLI, EBREAK, SRAI,
    store('sd', A0, A1, 8), iOp('addi', A0, 0, 0x18), SLLI, EBREAK, SRAI, J_SELF,
  ]);

  it('a hart waiting for console input sleeps until the board hands it some', () => {
    const s = new RunSession(guestConfig(readThenExit, true));
    expect(s.run(1000)).toBe('idle');
    expect(s.board.harts[0]!.waitingForHost).toBe(true);
    expect(s.board.inputWant(s.board.simTime, true, true)).toBe(InputWant.Wait);
    s.board.consoleInput([0x41]);
    while (s.run(1000) !== 'done');
    expect([s.result().exitCode, s.result().by]).toEqual([0x41, 'semihosting']);
  });

  it('and gets the end of input when none will come', () => {
    const r = runFlat(guestConfig(readThenExit, true));
    expect([r.reason, r.exitCode]).toEqual(['exit', -1]);
  });
});
