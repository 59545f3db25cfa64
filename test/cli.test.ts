// The built CLI, as a user meets it: bad input gives one line on stderr and a non-zero status
// (no stack trace); a runaway guest stops at --max-insns with status 3; an HTIF guest prints to
// stdout and exits with its own status. Also the HTIF device itself, in process.
//
// The CLI is compiled once into tmp/cli-test-dist (ignored by git), so these tests never run a
// stale dist/ and never race another build of dist/.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeElf64 } from '../src/sim/elf.js';
import { Htif, CaptureConsole, type MmioDevice } from '../src/devices/htif.js';
import { MmioStatus } from '../src/vcpu/port.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const OUT = join(ROOT, 'tmp', 'cli-test-dist');
const CLI = join(OUT, 'src', 'sim', 'cli.js');
const RAM = 0x8000_0000;
let dir = '';

beforeAll(() => {
  execFileSync(process.execPath, [join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', ROOT, '--outDir', OUT], {
    stdio: 'pipe',
  });
  dir = mkdtempSync(join(tmpdir(), 'fd-cli-'));
});

function fixture(name: string, bytes: Uint8Array | string): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Bad input: one `flashdisco: ...` line on stderr, status 2, no stack trace. */
function expectRefusal(r: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(r.status).toBe(2);
  const lines = r.stderr.split('\n').filter((l) => l !== '');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^flashdisco: /);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  expect(r.stdout).toBe('');
}

// ---- RV64 encoders for the tiny guests below ----
const I = (op: number, rd: number, f3: number, rs1: number, imm: number) =>
  (((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op) >>> 0;
const S = (f3: number, rs1: number, rs2: number, imm: number) =>
  ((((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23) >>> 0;
const B = (f3: number, rs1: number, rs2: number, imm: number) =>
  ((((imm >> 12) & 1) << 31) | (((imm >> 5) & 0x3f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) |
    (((imm >> 1) & 0xf) << 8) | (((imm >> 11) & 1) << 7) | 0x63) >>> 0;
const T0 = 5, T1 = 6, T2 = 7;
const auipc = (rd: number, imm20: number) => ((imm20 << 12) | (rd << 7) | 0x17) >>> 0;
const addi = (rd: number, rs1: number, imm: number) => I(0x13, rd, 0, rs1, imm);
const slli = (rd: number, rs1: number, sh: number) => I(0x13, rd, 1, rs1, sh);
const ld = (rd: number, rs1: number, imm: number) => I(0x03, rd, 3, rs1, imm);
const sd = (rs2: number, rs1: number, imm: number) => S(3, rs1, rs2, imm);
const bne = (rs1: number, rs2: number, imm: number) => B(1, rs1, rs2, imm);
const J_SELF = 0x0000006f; // j .

function words(ws: number[]): Uint8Array {
  const b = new Uint8Array(ws.length * 4);
  const dv = new DataView(b.buffer);
  ws.forEach((w, i) => dv.setUint32(i * 4, w, true));
  return b;
}

/** Prints `text` through HTIF putchar (waiting for tohost to clear each time), then exits `code`. */
function htifProgram(text: string, code: number): { elf: Uint8Array; insns: number } {
  const ws = [auipc(T0, 1)]; // t0 = tohost = entry + 0x1000
  for (const ch of Buffer.from(text)) {
    ws.push(addi(T1, 0, 0x101), slli(T1, T1, 48), addi(T1, T1, ch), sd(T1, T0, 0));
    ws.push(ld(T2, T0, 0), bne(T2, 0, -4)); // while (tohost);
  }
  ws.push(addi(T1, 0, (code << 1) | 1), sd(T1, T0, 0), J_SELF);
  const elf = writeElf64({
    entry: RAM,
    segments: [
      { vaddr: RAM, data: words(ws), flags: 5 },
      { vaddr: RAM + 0x1000, data: new Uint8Array(16), flags: 6 },
    ],
    symbols: { tohost: RAM + 0x1000, fromhost: RAM + 0x1008 },
  });
  return { elf, insns: ws.length - 1 }; // everything up to the exiting sd retires
}

const spin = () => writeElf64({ entry: RAM, segments: [{ vaddr: RAM, data: words([J_SELF]) }] });

describe('flashdisco run: bad input', () => {
  it('missing kernel file', () => {
    expectRefusal(cli('run', '--kernel', join(dir, 'nope.elf')), /nope\.elf' does not exist/);
  });

  it('a text file', () => {
    expectRefusal(cli('run', '--kernel', fixture('notes.txt', 'just some text\n')), /notes\.txt' is not an ELF file/);
  });

  it('a 32-bit ELF', () => {
    const b = writeElf64({ entry: RAM, segments: [{ vaddr: RAM, data: words([J_SELF]) }] });
    b[4] = 1;
    expectRefusal(cli('run', '--kernel', fixture('rv32.elf', b)), /32-bit ELF/);
  });

  it('an x86-64 ELF', () => {
    const b = writeElf64({ machine: 62, entry: 0x401000, segments: [{ vaddr: 0x400000, data: words([J_SELF]) }] });
    expectRefusal(cli('run', '--kernel', fixture('x86.elf', b)), /x86-64 .*not RISC-V/);
  });

  it.skipIf(!existsSync('/bin/ls'))('the host /bin/ls', () => {
    expectRefusal(cli('run', '--kernel', '/bin/ls'), /not RISC-V/);
  });

  it('a segment outside memory', () => {
    const b = writeElf64({ entry: RAM, segments: [{ vaddr: RAM, data: words([J_SELF]), memsz: 3 << 20 }] });
    expectRefusal(
      cli('run', '--kernel', fixture('big.elf', b), '--mem', '2'),
      /segment 0 at \[0x80000000, 0x80300000\) lies outside RAM \[0x80000000, 0x80200000\)/,
    );
  });

  it('bad options', () => {
    const k = fixture('spin.elf', spin());
    expectRefusal(cli('run'), /kernel/);
    expectRefusal(cli('run', '--kernel', k, '--mem', '0'), /--mem 0/);
    expectRefusal(cli('run', '--kernel', k, '--max-insns', 'lots'), /--max-insns/);
    expectRefusal(cli('run', '--kernel', k, '--frobnicate'), /frobnicate/);
    expectRefusal(cli('fly'), /fly/);
    expectRefusal(cli('run', '--kernel', k, '--stats', join(dir, 'no', 'such', 'dir.json')), /--stats/);
    // --time-slice is for vCPUs that share a CPU; a hart's turn in a round is --quantum.
    expectRefusal(
      cli('run', '--kernel', k, '--time-slice', '5000'),
      /^flashdisco: --time-slice is the time slice of vCPUs that share a CPU: with --vms FILE\.json, or with --nodes N and --monitor; here every hart has a CPU of its own \(its turn in a round is --quantum N\)$/,
    );
  });
});

describe('flashdisco run: guests', () => {
  it('stops a runaway guest at --max-insns with status 3', () => {
    const r = cli('run', '--kernel', fixture('loop.elf', spin()), '--max-insns', '10000');
    expect(r.status).toBe(3);
    expect(r.stderr.trim()).toMatch(/^flashdisco: the guest did not finish within --max-insns 10000 instructions/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });

  it('shows a sign-extended kernel pc as unsigned 64-bit hex in the stop message and statistics', () => {
    // M-mode maps the gigapage at 0xffff_ffff_8000_0000 onto RAM (Sv39 root entry 510) and
    // mrets to S-mode into a loop there, as a kernel linked high runs.
    const CSRW = (csr: number, rs1: number) => I(0x73, 0, 1, rs1, csr);
    const code = words([
      auipc(T1, 0), ld(T0, T1, 0x400), CSRW(0x180, T0), // satp
      ld(T0, T1, 0x408), CSRW(0x341, T0), // mepc
      (0x1000 | (T0 << 7) | 0x37) >>> 0 /* lui t0, 1 */, addi(T0, T0, -0x800), CSRW(0x300, T0), // mstatus.MPP = S
      0x30200073, // mret
      J_SELF,
    ]);
    const loop = 9 * 4; // J_SELF's offset
    const data = new Uint8Array(16);
    new DataView(data.buffer).setBigUint64(0, (8n << 60n) | BigInt((RAM + 0x1000) / 4096), true);
    new DataView(data.buffer).setBigUint64(8, 0xffff_ffff_8000_0000n + BigInt(loop), true);
    const root = new Uint8Array(4096);
    new DataView(root.buffer).setBigUint64(510 * 8, (BigInt(RAM / 4096) << 10n) | 0xcfn, true); // V R W X A D
    const elf = writeElf64({
      entry: RAM,
      segments: [{ vaddr: RAM, data: code }, { vaddr: RAM + 0x400, data }, { vaddr: RAM + 0x1000, data: root }],
    });
    const stats = join(dir, 'high-pc.json');
    const r = cli('run', '--kernel', fixture('high-pc.elf', elf), '--max-insns', '1000', '--stats', stats);
    expect(r.status).toBe(3);
    expect(r.stderr).toContain(`at pc 0xffffffff80000024)`);
    expect(JSON.parse(readFileSync(stats, 'utf8')).harts[0].pc).toBe('0xffffffff80000024');
  });

  it('stops a guest whose trap handler cannot be fetched with status 4', () => {
    const jumpToZero = writeElf64({ entry: RAM, segments: [{ vaddr: RAM, data: words([0x00000067]) }] }); // jr x0
    const r = cli('run', '--kernel', fixture('trap.elf', jumpToZero), '--max-insns', '1000');
    expect(r.status).toBe(4);
    expect(r.stderr.trim()).toMatch(/^flashdisco: hart 0 cannot fetch its trap handler.*mtvec/);
  });

  it('stops a guest waiting in wfi with nothing to wake it with status 4', () => {
    const wfi = writeElf64({ entry: RAM, segments: [{ vaddr: RAM, data: words([0x10500073, J_SELF]) }] });
    const r = cli('run', '--kernel', fixture('wfi.elf', wfi));
    expect(r.status).toBe(4);
    expect(r.stderr.trim()).toMatch(/^flashdisco: hart 0 waits for an interrupt \(wfi/);
  });

  it('prints HTIF console output and exits with the guest status', () => {
    const { elf, insns } = htifProgram('hi\n', 42);
    const stats = join(dir, 'stats.json');
    const r = cli('run', '--kernel', fixture('hello.elf', elf), '--stats', stats);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('hi\n');
    expect(r.status).toBe(42);
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.exit).toEqual({ reason: 'exit', code: 42, message: null });
    expect(s.instructions).toBe(insns);
    expect(s.cycles).toBeGreaterThanOrEqual(insns);
    expect(s.hart.traps).toEqual({});
    expect(s.htif.consoleBytes).toBe(3);
    expect(typeof s.host.runSeconds).toBe('number');
  });

  it('exits 0 for a passing guest', () => {
    const r = cli('run', '--kernel', fixture('ok.elf', htifProgram('', 0).elf));
    expect([r.status, r.stdout, r.stderr]).toEqual([0, '', '']);
  });
});

describe('HTIF device', () => {
  function bus() {
    const devs: MmioDevice[] = [];
    return { devs, addDevice: (d: MmioDevice) => void devs.push(d) };
  }

  it('exits on a 64-bit store with bit 0 set', () => {
    const h = new Htif(0x1000, 0x1008, new CaptureConsole());
    expect(h.store(0, 8, (7 << 1) | 1, 0)).toBe(MmioStatus.Halt);
    expect(h.exitCode).toBe(7);
  });

  it('acts on the high word of a split 32-bit store, not the low one', () => {
    const h = new Htif(0x1000, 0x1008, new CaptureConsole());
    expect(h.store(0, 4, 1, 0)).toBe(MmioStatus.Ok);
    expect(h.exitCode).toBeNull();
    expect(h.store(4, 4, 0, 0)).toBe(MmioStatus.Halt);
    expect(h.exitCode).toBe(0);
  });

  it('prints a console byte and clears tohost', () => {
    const c = new CaptureConsole();
    const h = new Htif(0x1000, 0x1008, c);
    expect(h.store(0, 8, 0x41, 0x0101_0000)).toBe(MmioStatus.Ok);
    const out = new Int32Array(2);
    h.load(0, 8, out);
    expect([...out]).toEqual([0, 0]);
    expect(c.text()).toBe('A');
  });

  it('stops with a report on a syscall-proxy request', () => {
    const h = new Htif(0x1000, 0x1008, new CaptureConsole());
    expect(h.store(0, 8, 0x8000_1000, 0)).toBe(MmioStatus.Halt);
    expect(h.fault).toMatch(/syscall-proxy/);
  });

  it('keeps fromhost and registers one 16-byte device when the words are adjacent', () => {
    const b = bus();
    const h = new Htif(0x1000, 0x1008, new CaptureConsole());
    h.attach(b);
    expect(b.devs.map((d) => [d.base, d.size])).toEqual([[0x1000, 16]]);
    b.devs[0]!.store(8, 8, 5, 6);
    const out = new Int32Array(2);
    b.devs[0]!.load(8, 8, out);
    expect([...out]).toEqual([5, 6]);
  });

  it('registers two devices when fromhost is elsewhere (riscv-tests layout)', () => {
    const b = bus();
    const h = new Htif(0x1000, 0x1040, new CaptureConsole());
    h.attach(b);
    expect(b.devs.map((d) => [d.base, d.size])).toEqual([[0x1000, 8], [0x1040, 8]]);
    b.devs[1]!.store(0, 4, 9, 0);
    const out = new Int32Array(2);
    h.load(8, 4, out);
    expect(out[0]).toBe(9);
  });

  it('acknowledges and counts unknown commands', () => {
    const warnings: string[] = [];
    const h = new Htif(0x1000, undefined, new CaptureConsole(), (m) => warnings.push(m));
    expect(h.store(0, 8, 1, 0x0500_0000)).toBe(MmioStatus.Ok);
    expect(h.unknownCommands).toBe(1);
    expect(warnings).toHaveLength(1);
  });
});
