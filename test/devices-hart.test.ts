// The virt devices with a real hart (src/vcpu/hart.ts) over flat memory, wired as the board will
// wire them: the CLINT's machine timer wakes a hart from wfi at the programmed mtime, and a byte
// from the host reaches the hart through UART -> PLIC -> MEIP.

import { describe, expect, it } from 'vitest';
import { Clint, CLINT_MTIMECMP } from '../src/devices/clint.js';
import { Finisher, FINISHER_BASE } from '../src/devices/finisher.js';
import { CaptureConsole } from '../src/devices/htif.js';
import { Plic } from '../src/devices/plic.js';
import { Uart16550, UART_IRQ } from '../src/devices/uart16550.js';
import { FlatMemory } from '../src/vcpu/flat-memory.js';
import { Hart, Stop } from '../src/vcpu/hart.js';
import { load } from './devices-helpers.js';

// A few RV64 encodings, enough for these programs.
const SYSTEM = 0x73;
const i = (op: number, f3: number, rd: number, rs1: number, imm: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const s = (f3: number, rs1: number, rs2: number, imm: number) => (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23;
const lui = (rd: number, imm20: number) => (imm20 << 12) | (rd << 7) | 0x37;
const addi = (rd: number, rs1: number, imm: number) => i(0x13, 0, rd, rs1, imm);
const ld = (rd: number, rs1: number, imm: number) => i(0x03, 3, rd, rs1, imm);
const lw = (rd: number, rs1: number, imm: number) => i(0x03, 2, rd, rs1, imm);
const lbu = (rd: number, rs1: number, imm: number) => i(0x03, 4, rd, rs1, imm);
const sd = (rs1: number, rs2: number, imm: number) => s(3, rs1, rs2, imm);
const sw = (rs1: number, rs2: number, imm: number) => s(2, rs1, rs2, imm);
const sb = (rs1: number, rs2: number, imm: number) => s(0, rs1, rs2, imm);
const csrrw = (rd: number, csr: number, rs1: number) => i(SYSTEM, 1, rd, rs1, csr);
const csrrs = (rd: number, csr: number, rs1: number) => i(SYSTEM, 2, rd, rs1, csr);
const auipc = (rd: number) => (rd << 7) | 0x17;
const jal0 = (offset: number) => (((offset >> 20) & 1) << 31) | (((offset >> 1) & 0x3ff) << 21) | (((offset >> 11) & 1) << 20) | (((offset >> 12) & 0xff) << 12) | 0x6f;
const WFI = 0x10500073;
const MTVEC = 0x305, MIE = 0x304, MSTATUS = 0x300, MCAUSE = 0x342;
const T0 = 5, T1 = 6, T2 = 7, T3 = 28, T4 = 29, A0 = 10, A1 = 11, A2 = 12, A3 = 13, A4 = 14;

const RAM = 0x8000_0000;

/** One hart over flat memory with the program loaded at RAM; `handler` is the index of its trap handler. */
function machine(prog: number[]) {
  const mem = new FlatMemory({ base: RAM, size: 1 << 20 });
  const hart = new Hart({ port: mem, resetPc: RAM });
  prog.forEach((w, k) => mem.ram.dv.setUint32(4 * k, w >>> 0, true));
  const now = () => hart.instret + hart.runRetired + hart.extraCycles;
  const clint = new Clint({ harts: [hart], now, cpuHz: 1_000_000_000 });
  const fin = new Finisher();
  mem.addDevice(clint);
  mem.addDevice(fin);
  hart.timeSource = () => clint.mtime();
  return { mem, hart, now, clint, fin };
}

/** Prologue: mtvec = the instruction at index `handler` (uses t3; 2 instructions at `at`). */
const setMtvec = (at: number, handler: number) => [auipc(T3), addi(T3, T3, (handler - at) * 4), csrrw(0, MTVEC, T3)];
/** finisher pass (a1, a2) */
const pass = [lui(A1, FINISHER_BASE >>> 12), lui(A2, 5), addi(A2, A2, 0x555), sw(A1, A2, 0)];

describe('virt devices with a real hart', () => {
  it('wakes a hart in wfi with the machine timer interrupt at the programmed mtime', () => {
    const prog = [
      lui(T0, 0x2004), //            t0 = &mtimecmp[0]
      lui(T2, 0x200c), //            t2 = 0x0200_c000; mtime is at -8
      ld(T1, T2, -8),
      addi(T1, T1, 500), //          500 ticks = 50_000 cycles from now
      sd(T0, T1, 0),
      ...setMtvec(5, 14),
      addi(T4, 0, 0x80), csrrs(0, MIE, T4), // MTIE
      addi(T4, 0, 8), csrrs(0, MSTATUS, T4), // MIE
      WFI, jal0(-4),
      // 14: handler: a3 = mcause, a4 = mtime, pass
      csrrs(A3, MCAUSE, 0), ld(A4, T2, -8), ...pass,
    ];
    const { hart, now, clint, fin } = machine(prog);
    let stop: Stop = Stop.Budget;
    let wfis = 0;
    for (let round = 0; round < 100 && stop !== Stop.Halt; round++) {
      stop = hart.run(Math.max(1, Math.min(10_000, clint.nextTimerCycle(0) - now())));
      if (stop === Stop.Wfi) {
        wfis++;
        hart.idleUntilCycle(clint.nextTimerCycle(0));
      }
      clint.update();
    }
    expect(stop).toBe(Stop.Halt);
    expect(wfis).toBe(1);
    expect(fin.outcome).toEqual({ kind: 'pass', exitCode: 0, value: 0x5555 });
    expect(hart.getX(A3)).toBe((1n << 63n) | 7n);
    const cmp = Number(load(clint, CLINT_MTIMECMP, 8));
    expect(Number(hart.getX(A4))).toBeGreaterThanOrEqual(cmp);
    expect(Number(hart.getX(A4))).toBeLessThan(cmp + 2);
  });

  it('delivers a host byte through UART -> PLIC -> MEIP and echoes it', () => {
    const prog = [
      lui(T0, 0xc000), addi(T1, 0, 1), sw(T0, T1, 4 * UART_IRQ), //     priority[10] = 1
      lui(T0, 0xc002), addi(T1, 0, 1 << UART_IRQ), sw(T0, T1, 0), //   enable ctx 0 (hart 0 M) bit 10
      lui(T2, 0xc200), sw(T2, 0, 0), //                                 threshold ctx 0 = 0
      lui(A0, 0x10000), addi(T1, 0, 1), sb(A0, T1, 1), //               UART IER = RDI
      ...setMtvec(11, 20),
      addi(T4, 0, 0x800), csrrs(0, MIE, T4), //                         MEIE
      addi(T4, 0, 8), csrrs(0, MSTATUS, T4), //                         MIE
      WFI, jal0(-4),
      // 20: handler: a3 = mcause, a4 = claim, read RBR, complete, echo, pass
      csrrs(A3, MCAUSE, 0), lw(A4, T2, 4), lbu(T1, A0, 0), sw(T2, A4, 4), sb(A0, T1, 0), ...pass,
    ];
    const { mem, hart, fin } = machine(prog);
    const plic = new Plic({ harts: [hart] });
    const tty = new CaptureConsole();
    const uart = new Uart16550({ irq: plic.line(UART_IRQ), sink: tty });
    mem.addDevice(plic);
    mem.addDevice(uart);
    let stop = hart.run(10_000);
    expect(stop).toBe(Stop.Wfi);
    uart.receive([0x78]); // the host types 'x' while the hart waits
    stop = hart.run(10_000);
    expect(stop).toBe(Stop.Halt);
    expect(fin.outcome?.kind).toBe('pass');
    expect(hart.getX(A3)).toBe((1n << 63n) | 11n);
    expect(hart.getX(A4)).toBe(BigInt(UART_IRQ));
    expect(tty.text()).toBe('x');
    expect(plic.isPending(UART_IRQ)).toBe(false);
  });
});
