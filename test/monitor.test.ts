// The Disco-style monitor (src/monitor) on the flat board: guests run in a VM whose vCPUs execute
// them directly in real U-mode over shadow page tables, trapping into the monitor for every
// privileged instruction, device access and shadow fault.
//
// With a cost table of zeros the monitor charges nothing but what the hart itself takes, so a
// guest must run exactly as it does natively: the same console to the byte, the same exit
// status, the same instructions and cycles, the same statistics per hart. With the default
// costs the same guests give the same console and exit (but for what measures time), and the
// monitor's time shows in the cycles. Unit tests then look inside: shadow fills, D bits,
// sfence.vma, isolation and device pages, on a small hand-assembled guest.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureConsole } from '../src/devices/htif.js';
import { RunSession } from '../src/sim/run-flat.js';
import { monitorPlatform } from '../src/sim/vm-board.js';
import { BoardMemory } from '../src/sim/board-memory.js';
import { monitorCostConfig } from '../src/config/machine.js';
import { MONITOR_COST_PARAMS } from '../src/config/monitor-costs.js';
import { Monitor } from '../src/monitor/monitor.js';
import { PAGE } from '../src/monitor/machine-memory.js';
import { PTE_R, PTE_V, PTE_W, PTE_X } from '../src/monitor/shadow.js';
import type { Vcpu } from '../src/monitor/vcpu.js';
import { Access, MmioStatus } from '../src/vcpu/port.js';
import { Stop } from '../src/vcpu/hart.js';
import { Irq, Priv } from '../src/vcpu/trap.js';
import type { VirtBoardConfig } from '../src/sim/virt-board.js';
import { ROOT, SHELL_INPUT, MOTD, NUMBERS, blkWritten, image, kernelDisk, runBoard, testDisk } from './virt-helpers.js';

/** A --config of zeros for every monitor cost. */
const ZERO_COSTS = monitorCostConfig(Object.fromEntries(Object.keys(MONITOR_COST_PARAMS).map((k) => [k, 0])), 'zero costs');
const ZERO = monitorPlatform({ costs: ZERO_COSTS });
const PRICED = monitorPlatform();

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-monitor-'));
});

function disk(name: string, bytes: Uint8Array): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

type Cfg = Omit<VirtBoardConfig, 'console'>;

/** The guest natively and in a VM with zero costs: everything simulated must be equal. */
function expectExact(cfg: Cfg, input: string[] = []) {
  const native = runBoard(cfg, input);
  const vm = runBoard({ ...cfg, platform: ZERO }, input);
  expect(vm.text).toBe(native.text);
  expect(vm.result.reason).toBe(native.result.reason);
  expect(vm.result.exitCode).toBe(native.result.exitCode);
  expect(vm.result.instret).toBe(native.result.instret);
  const { monitor, ...board } = vm.result.board;
  expect(board).toEqual(native.result.board);
  expect(monitor).toBeDefined();
  return { native, vm };
}

/** The guest in a VM with the default costs: same console and exit as `native`, more cycles. */
function expectPriced(cfg: Cfg, native: ReturnType<typeof runBoard>, input: string[] = []) {
  const vm = runBoard({ ...cfg, platform: PRICED }, input);
  expect(vm.text).toBe(native.text);
  expect(vm.result.exitCode).toBe(native.result.exitCode);
  expect(vm.result.cycle).toBeGreaterThan(native.result.cycle);
  return vm;
}

interface VcpuReport {
  time: { guestUser: number; guestKernel: number; monitor: number; idle: number };
  monitorCycles: Record<string, number>;
  traps: Record<string, number>;
  emulated: Record<string, number>;
  shadowFills: { fetch: number; load: number; store: number };
  refaults: number;
}
interface MonitorReport {
  vms: Array<{ pagesBacked: number; shadow: { treesMade: number; leavesFilled: number; reserveFlushes: number }; vcpus: VcpuReport[] }>;
}
const report = (r: ReturnType<typeof runBoard>) => r.result.board.monitor as MonitorReport;

describe('guests in a VM, cycle for cycle as natively (zero costs), and with the default costs', () => {
  it('priv-traps: traps, delegation, xRET, TVM/TSR/TW, counters, PMP, satp', () => {
    const { native, vm } = expectExact({ kernel: image('priv-traps.elf'), maxInsns: 5e7 });
    expect(native.text).toMatch(/priv-traps: PASS/);
    const v = report(vm).vms[0]!.vcpus[0]!;
    expect(v.emulated.csr).toBeGreaterThan(100);
    expect(v.emulated.mret).toBeGreaterThan(10);
    expect(v.traps.ecall).toBeGreaterThan(0);
    expect(v.refaults).toBe(0);
    const priced = expectPriced({ kernel: image('priv-traps.elf'), maxInsns: 5e7 }, native);
    const p = report(priced).vms[0]!.vcpus[0]!;
    expect(p.time.monitor).toBeGreaterThan(0);
    expect(p.time.guestKernel + p.time.guestUser + p.time.monitor + p.time.idle).toBe(priced.result.cycle);
  });

  it('priv-sv39: Sv39 from S, U and M (MPRV), A/D, SUM/MXR, sfence.vma', () => {
    const { native, vm } = expectExact({ kernel: image('priv-sv39.elf'), maxInsns: 5e7 });
    expect(native.text).toMatch(/priv-sv39: PASS/);
    const r = report(vm).vms[0]!;
    expect(r.vcpus[0]!.emulated['sfence.vma']).toBeGreaterThan(0);
    expect(r.vcpus[0]!.traps['guest-page-fault']).toBeGreaterThan(20);
    expect(r.shadow.treesMade).toBeGreaterThan(3); // bare, S, S+SUM, U, MXR...
    expectPriced({ kernel: image('priv-sv39.elf'), maxInsns: 5e7 }, native);
  });

  it('hello', () => {
    const { native } = expectExact({ kernel: image('hello.elf'), maxInsns: 1e6 });
    expectPriced({ kernel: image('hello.elf'), maxInsns: 1e6 }, native);
  });

  it('UART echo with receive interrupts (virt-uart-echo)', () => {
    const input = ['hello\n', 'Mixed Case 123\n', 'quit\n'];
    const { native } = expectExact({ kernel: image('virt-uart-echo.elf') }, input);
    expect(native.text).toContain('virt-uart-echo: PASS');
    expectPriced({ kernel: image('virt-uart-echo.elf') }, native, input);
  });

  it('PLIC priorities and routing on two vCPUs (virt-plic)', () => {
    const cfg = { kernel: image('virt-plic.elf'), harts: 2, disk: disk('plic.img', new Uint8Array(4096)) };
    const { native } = expectExact(cfg);
    expect(native.result.exitCode).toBe(0);
    expectPriced(cfg, native);
  });

  it('virtio-blk DMA through the pmap (virt-blk)', () => {
    const cfg = { kernel: image('virt-blk.elf'), disk: disk('blk.img', testDisk(64)) };
    const { native, vm } = expectExact(cfg);
    expect(native.text).toMatch(/virt-blk: PASS/);
    const img = vm.session.board.disk!.image;
    expect(img[10 * 512 + 5]).toBe(blkWritten(10, 5));
    expectPriced(cfg, native);
  });

  it('IPIs, LR/SC and code written by one vCPU run on another (virt-smp, 4 vCPUs)', () => {
    const { native } = expectExact({ kernel: image('virt-smp.elf'), harts: 4 });
    expect(native.text).toMatch(/virt-smp: PASS/);
    expectPriced({ kernel: image('virt-smp.elf'), harts: 4 }, native);
  });

  it('timer interrupts (virt-timer): at their compare values with zero costs; later by the delivery cost with the default ones', () => {
    const { native } = expectExact({ kernel: image('virt-timer.elf') });
    expect(native.text).toMatch(/virt-timer: PASS/);
    // The guest reads the time in its handler, after the monitor has delivered the interrupt
    // and emulated the handler's first CSR and device accesses: that many ticks late, always.
    const vm = runBoard({ kernel: image('virt-timer.elf'), platform: PRICED });
    const lines = [...vm.text.matchAll(/^ {4}(wfi|busy|sstc)\s+\+(\d+)\s+ticks: fired at \+(\d+)$/gm)];
    expect(lines).toHaveLength(17);
    for (const [, how, d, at] of lines) {
      const late = Number(at) - Number(d);
      expect(late, `${how} +${d}`).toBeGreaterThan(1);
      expect(late, `${how} +${d}`).toBeLessThan(30);
    }
  });

  for (const [name, sums] of [
    ['bench-int', ['checksum: 0xe4075c201e5af400', 'bench-int: PASS']],
    ['bench-fp', ['checksum pixels: 0xfe86331d4e35f519', 'checksum fft: 0x1a42b72e5146677a', 'checksum: 0x938b503c1bb79a95', 'bench-fp: PASS']],
  ] as const) {
    it(`${name} runs directly, at the native checksums`, async () => {
      // Long: run in chunks and let the test runner's messages through in between.
      const sink = new CaptureConsole();
      const session = new RunSession({ kernel: image(`${name}.elf`), console: sink, maxInsns: 5e8, platform: PRICED });
      while (session.run(500) === 'running') await new Promise((res) => setImmediate(res));
      const r = session.result();
      expect(r.exitCode, sink.text()).toBe(0);
      for (const s of sums) expect(sink.text()).toContain(s);
      const v = (r.board.monitor as MonitorReport).vms[0]!.vcpus[0]!;
      // nearly all of it directly: the monitor's share is well under 1%
      expect(v.time.monitor).toBeLessThan(r.cycle / 100);
    }, 300_000);
  }
});

describe('firmware + S-mode kernel + disk + shell in a VM of two vCPUs', () => {
  let rootImg = '';
  beforeAll(() => {
    rootImg = disk('root.img', kernelDisk());
  });
  const cfg = () => ({ bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), disk: rootImg, harts: 2, append: 'console=ttyS0 root=/dev/vda' });

  it('boots, runs the shell session and powers off exactly as natively (zero costs)', () => {
    const { vm } = expectExact(cfg(), SHELL_INPUT);
    expect(vm.result.exitCode, vm.text).toBe(0);
    expect(vm.text).toContain(`$ cat motd.txt numbers.txt\n${MOTD}${NUMBERS}$ `);
    const r = report(vm).vms[0]!;
    for (const v of r.vcpus) {
      expect(v.time.guestUser).toBeGreaterThan(0);
      expect(v.emulated.sret).toBeGreaterThan(0);
      expect(v.traps.ecall).toBeGreaterThan(0);
      expect(v.refaults).toBe(0);
    }
  });

  it('still does when the reserve for shadow tables is too small and runs out again and again', () => {
    const native = runBoard(cfg(), SHELL_INPUT);
    const vm = runBoard({ ...cfg(), platform: monitorPlatform({ costs: ZERO_COSTS, reserveBytes: 16 * PAGE }) }, SHELL_INPUT);
    expect(vm.text).toBe(native.text);
    const { monitor, ...board } = vm.result.board;
    expect(board).toEqual(native.result.board);
    const m = monitor as MonitorReport & { machine: { shadowPagesPeak: number } };
    expect(m.machine.shadowPagesPeak).toBeLessThanOrEqual(16);
    expect(m.vms[0]!.shadow.reserveFlushes).toBeGreaterThan(0);
  });

  it('does the same with the default costs, slower, and says where the time went', () => {
    const vm = runBoard({ ...cfg(), platform: PRICED }, SHELL_INPUT);
    expect(vm.result.exitCode, vm.text).toBe(0);
    expect(vm.result.by).toBe('finisher');
    // the session as natively (virt-kernel.test.ts); only the kernel's own scheduling counts at
    // the end depend on time
    expect(vm.text).toContain(MOTD);
    expect(vm.text).toContain('sieve: 78498 primes below 1000000');
    expect(vm.text).toMatch(/\n\$ init: started sieve \(pid 4\) and collatz \(pid 5\) in the background\n[^]*\nls\nvirt-user\nmotd\.txt\nnumbers\.txt\n\$ /);
    expect(vm.text).toContain(`$ cat motd.txt numbers.txt\n${MOTD}${NUMBERS}$ `);
    expect(vm.text).toContain('$ echo two  words\ntwo words\n');
    expect(vm.text).toMatch(/init: pid 4 exited with status 0\ninit: pid 5 exited with status 0\ninit: all jobs done, powering off/);
    expect(vm.text).toMatch(/\[kernel\] free pages: \d+; powering off \(clean\)/);
    const r = report(vm).vms[0]!;
    // The jobs' user time outweighs the monitor's over the VM (the vCPU that runs the shell and
    // takes the disk's and the UART's interrupts spends more in the monitor than in user mode).
    const sum = (k: 'guestUser' | 'monitor') => r.vcpus.reduce((a, v) => a + v.time[k], 0);
    expect(sum('guestUser')).toBeGreaterThan(sum('monitor'));
    for (const v of r.vcpus) {
      expect(v.time.guestUser).toBeGreaterThan(0);
      expect(v.monitorCycles['shadow-fill']).toBeGreaterThan(0);
      expect(v.monitorCycles.emulate).toBeGreaterThan(0);
      expect(v.monitorCycles.interrupt).toBeGreaterThan(0);
    }
  });
});

// ---- Inside the monitor: a hand-assembled guest on one vCPU ----

const I = (op: number, f3: number, rd: number, rs1: number, imm: number) => ((imm & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | op;
const S = (f3: number, rs1: number, rs2: number, imm: number) => (((imm >> 5) & 0x7f) << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | ((imm & 0x1f) << 7) | 0x23;
const lui = (rd: number, imm20: number) => ((imm20 << 12) | (rd << 7) | 0x37) >>> 0;
const auipc = (rd: number) => (rd << 7) | 0x17;
const addi = (rd: number, rs1: number, imm: number) => I(0x13, 0, rd, rs1, imm);
const slli = (rd: number, rs1: number, sh: number) => I(0x13, 1, rd, rs1, sh);
const or = (rd: number, rs1: number, rs2: number) => (rs2 << 20) | (rs1 << 15) | (6 << 12) | (rd << 7) | 0x33;
const ld = (rd: number, rs1: number, imm: number) => I(0x03, 3, rd, rs1, imm);
const sd = (rs1: number, rs2: number, imm: number) => S(3, rs1, rs2, imm);
const csrw = (csr: number, rs1: number) => I(0x73, 1, 0, rs1, csr);
const csrr = (rd: number, csr: number) => I(0x73, 2, rd, 0, csr);
const sfenceVma = (rs1: number) => (0x09 << 25) | (rs1 << 15) | 0x73;
const MRET = 0x30200073, WFI = 0x10500073;
const T0 = 5, T1 = 6, T2 = 7, A0 = 10, A1 = 11, A2 = 12, T3 = 28, T4 = 29, T5 = 30, T6 = 31;

const RAM = 0x8000_0000;
const VM_BYTES = 1 << 20;
const ROOT_TABLE = RAM + 0x1_0000, L1 = RAM + 0x1_1000, L0 = RAM + 0x1_2000;
const PAGE_A = RAM + 0x2_0000, PAGE_B = RAM + 0x2_1000;
const DEVICE = 0x1000_0000;
const VA = 0x4000_0000;
const VAL_A = 0x1111n, VAL_B = 0x2222n, DEVICE_WORD = 0x5eed;
const A = 64, D = 128;
const pte = (pa: number, flags: number) => BigInt(Math.floor(pa / PAGE)) << 10n | BigInt(flags | PTE_V);

// S-mode code at RAM + 0x100, entered by mret from the M-mode prologue at RAM; the M-mode
// trap handler at RAM + 0x80 records mcause in t6 and waits. Each wfi is a stop the test looks at.
const PROLOGUE = [
  addi(T0, 0, 8), slli(T0, T0, 60), lui(T1, 0x80), addi(T1, T1, 0x10), or(T0, T0, T1), csrw(0x180, T0), // satp = Sv39, root
  auipc(T2), addi(T2, T2, 0x80 - 0x18), csrw(0x305, T2), // mtvec = the handler
  lui(T1, 1), addi(T1, T1, -2048), csrw(0x300, T1), // mstatus.MPP = S
  auipc(T2), addi(T2, T2, 0x100 - 0x30), csrw(0x341, T2), MRET, // mepc = the S code
];
const HANDLER = [csrr(T6, 0x342), WFI];
const S_CODE = [
  lui(A0, VA >>> 12),
  ld(T0, A0, 0), WFI, //                                        stop 1: a load from the clean page
  sd(A0, T0, 8), WFI, //                                        stop 2: a store to it
  addi(T4, 0, 1), slli(T4, T4, 31), lui(T3, 0x12), or(T4, T4, T3), // t4 = &L0[0]
  lui(T3, 0x20008), addi(T3, T3, 0x4c7), sd(T4, T3, 0), //      L0[0] = page B, R W A D
  ld(T5, A0, 0), WFI, //                                        stop 3: changed, not fenced
  sfenceVma(A0), ld(T5, A0, 0), WFI, //                         stop 4: fenced
  lui(A2, (VA + 0x2000) >>> 12), ld(T1, A2, 0), ld(T2, A2, 0), WFI, // stop 5: a device page, twice
  lui(A1, (VA + 0x1000) >>> 12), ld(T0, A1, 0), //              a page outside the VM: M handler, stop 6
];

function guestVm() {
  const monitor = new Monitor({ vmBytes: VM_BYTES, costs: ZERO_COSTS });
  const vm = monitor.createVm(VM_BYTES);
  const mem = new BoardMemory({ base: RAM, size: VM_BYTES, paged: vm.memory });
  let deviceLoads = 0;
  mem.addDevice({
    base: DEVICE, size: 0x1000,
    load: (_o, _s, out) => { deviceLoads++; out[0] = DEVICE_WORD; out[1] = 0; return MmioStatus.Ok; },
    store: () => MmioStatus.Ok,
  }, 'probe');
  vm.attach(mem);
  const cpu = vm.addVcpu(0, RAM);
  mem.attachHarts([cpu]);
  const poke64 = (gpa: number, v: bigint) => mem.ram.dv.setBigUint64(mem.access(gpa, 8, Access.Store), v, true);
  const put = (gpa: number, words: number[]) => words.forEach((w, k) => mem.ram.dv.setUint32(mem.access(gpa + 4 * k, 4, Access.Store), w >>> 0, true));
  put(RAM, PROLOGUE);
  put(RAM + 0x80, HANDLER);
  put(RAM + 0x100, S_CODE);
  poke64(ROOT_TABLE + 2 * 8, pte(RAM, PTE_R | PTE_W | PTE_X | A | D)); // RAM, identity gigapage
  poke64(ROOT_TABLE + 1 * 8, pte(L1, 0));
  poke64(L1, pte(L0, 0));
  poke64(L0 + 0 * 8, pte(PAGE_A, PTE_R | PTE_W | A)); //             clean: D not set
  poke64(L0 + 1 * 8, pte(RAM + VM_BYTES, PTE_R | PTE_W | A | D)); // beyond the VM's memory
  poke64(L0 + 2 * 8, pte(DEVICE, PTE_R | PTE_W | A | D));
  poke64(PAGE_A, VAL_A);
  poke64(PAGE_B, VAL_B);
  const peek64 = (gpa: number) => mem.ram.dv.getBigUint64(mem.access(gpa, 8, Access.Load), true);
  /** Runs to the next wfi, then wakes the vCPU for the run after. */
  const toStop = () => {
    expect(cpu.run(10_000)).toBe(Stop.Wfi);
    cpu.setIrq(Irq.MEI, true);
    cpu.setIrq(Irq.MEI, false);
  };
  const machinePage = (gpa: number) => vm.memory.pmap.machinePage[(gpa - RAM) / PAGE]!;
  return { monitor, vm, cpu, toStop, peek64, machinePage, deviceLoads: () => deviceLoads };
}

/** The shadow leaf of `va` in the tree the vCPU walks: machine page and R/W/X, or null. */
function shadowLeaf(vm: ReturnType<typeof guestVm>['vm'], cpu: Vcpu, va: number) {
  const lo = vm.shadow.leaf(cpu.shadowTree!, va);
  if ((lo & PTE_V) === 0) return null;
  return { mp: (lo >>> 10) - RAM / PAGE, perms: lo & (PTE_R | PTE_W | PTE_X) };
}

describe('inside the monitor', () => {
  it('maps a clean page read-only until the guest stores to it, and sets A and D in the guest PTE as hardware does', () => {
    const g = guestVm();
    g.toStop();
    expect(g.cpu.virt.priv).toBe(Priv.S);
    expect(g.cpu.real.priv).toBe(Priv.U);
    expect(g.cpu.real.getX(T0)).toBe(VAL_A);
    expect(shadowLeaf(g.vm, g.cpu, VA)).toEqual({ mp: g.machinePage(PAGE_A), perms: PTE_R });
    expect(Number(g.peek64(L0)) & (A | D)).toBe(A);
    g.toStop();
    expect(shadowLeaf(g.vm, g.cpu, VA)).toEqual({ mp: g.machinePage(PAGE_A), perms: PTE_R | PTE_W });
    expect(Number(g.peek64(L0)) & (A | D)).toBe(A | D);
    expect(g.peek64(PAGE_A + 8)).toBe(VAL_A);
    const st = g.cpu.monitorStats.report();
    expect(st.shadowFills.load).toBeGreaterThanOrEqual(1);
    expect(st.shadowFills.store).toBeGreaterThanOrEqual(1);
    // the memmap knows the leaf that maps the page
    expect(g.monitor.memmap.vm[g.machinePage(PAGE_A)]).toBe(0);
    expect(g.monitor.memmap.gpp[g.machinePage(PAGE_A)]).toBe((PAGE_A - RAM) / PAGE);
    expect(g.monitor.memmap.leaves(g.machinePage(PAGE_A))).toHaveLength(1);
  });

  it('keeps a shadow leaf until the guest fences, then maps the new PTE', () => {
    const g = guestVm();
    g.toStop();
    g.toStop();
    g.toStop(); // the guest changed L0[0] to page B but has not fenced: the old leaf stands
    expect(shadowLeaf(g.vm, g.cpu, VA)!.mp).toBe(g.machinePage(PAGE_A));
    g.toStop(); // sfence.vma VA: the leaf is dropped and filled again from the new PTE
    expect(g.cpu.real.getX(T5)).toBe(VAL_B);
    expect(shadowLeaf(g.vm, g.cpu, VA)).toEqual({ mp: g.machinePage(PAGE_B), perms: PTE_R | PTE_W });
    expect(g.monitor.memmap.leaves(g.machinePage(PAGE_A))).toHaveLength(0);
    expect(g.cpu.monitorStats.report().emulated['sfence.vma']).toBe(1);
  });

  it('never maps a device page: every access goes to the virtual device', () => {
    const g = guestVm();
    for (let k = 0; k < 5; k++) g.toStop();
    expect(g.cpu.real.getX(T1)).toBe(BigInt(DEVICE_WORD));
    expect(g.cpu.real.getX(T2)).toBe(BigInt(DEVICE_WORD));
    expect(g.deviceLoads()).toBe(2);
    expect(shadowLeaf(g.vm, g.cpu, VA + 0x2000)).toBeNull();
    expect(g.cpu.monitorStats.report().traps.device).toBe(2);
  });

  it('isolates: a guest PTE beyond the VM memory faults as on hardware, and reaches no machine page', () => {
    const g = guestVm();
    for (let k = 0; k < 6; k++) g.toStop();
    expect(g.cpu.virt.priv).toBe(Priv.M);
    expect(g.cpu.real.getX(T6)).toBe(5n); // load access fault, in the guest's M-mode handler
    expect(g.cpu.virt.csr.mtvalLo).toBe(VA + 0x1000);
    expect(shadowLeaf(g.vm, g.cpu, VA + 0x1000)).toBeNull();
    // every shadow leaf of every VM page belongs to this VM, and no leaf maps the reserve
    const mm = g.monitor.memmap;
    for (let mp = 0; mp < g.monitor.machine.pages; mp++) {
      if (mm.leaves(mp).length > 0) expect(mm.vm[mp], `machine page ${mp}`).toBe(0);
      if (mp >= g.monitor.machine.vmPages) expect(mm.leaves(mp)).toHaveLength(0);
    }
    // only pages the guest touched are backed
    expect(g.vm.memory.pmap.backed).toBeLessThan(10);
  });

  it('shoots down a machine page: its leaves go, and the next access fills them again', () => {
    const g = guestVm();
    g.toStop();
    const mp = g.machinePage(PAGE_A);
    expect(g.vm.shadow.shootDown(mp)).toBe(1);
    expect(shadowLeaf(g.vm, g.cpu, VA)).toBeNull();
    const before = g.cpu.monitorStats.report().shadowFills.store;
    g.toStop(); // the store refills the leaf
    expect(shadowLeaf(g.vm, g.cpu, VA)).toEqual({ mp, perms: PTE_R | PTE_W });
    expect(g.cpu.monitorStats.report().shadowFills.store).toBe(before + 1);
  });
});

describe('flashdisco run --monitor', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, [join(ROOT, 'dist/src/sim/cli.js'), 'run', ...args], { encoding: 'utf8', timeout: 120_000 });

  it('prints what the native run prints, exits alike, and reports the monitor in --stats', () => {
    const stats = join(dir, 'hello.json');
    const native = cli('--kernel', image('hello.elf'));
    const vm = cli('--monitor', '--kernel', image('hello.elf'), '--stats', stats);
    expect(vm.status).toBe(native.status);
    expect(vm.stdout).toBe(native.stdout);
    const s = JSON.parse(readFileSync(stats, 'utf8'));
    expect(s.config.monitor).toBe(true);
    expect(s.monitor.vms[0].vcpus[0].traps.device).toBeGreaterThan(0);
    expect(s.monitor.costs.monitorTrapCycles).toBeGreaterThan(0);
  });

  it('--config sets the monitor\'s costs: each trap then costs what the file says', () => {
    const run = (costs: Record<string, number>) => {
      const config = join(dir, `costs-${costs.monitorTrapCycles}.json`), stats = join(dir, `stats-${costs.monitorTrapCycles}.json`);
      writeFileSync(config, JSON.stringify(costs));
      const r = cli('--monitor', '--kernel', image('priv-sv39.elf'), '--config', config, '--stats', stats);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/priv-sv39: PASS/);
      return JSON.parse(readFileSync(stats, 'utf8'));
    };
    const a = run({ monitorTrapCycles: 30 }), b = run({ monitorTrapCycles: 130, monitorMmioCycles: 500 });
    expect(b.monitor.costs.monitorTrapCycles).toBe(130);
    expect(b.instructions).toBe(a.instructions);
    const traps = a.monitor.vms[0].vcpus[0].monitorCycles.trap / 30;
    expect(traps).toBeGreaterThan(1000);
    expect(b.cycles - a.cycles).toBe(100 * traps);
  });

  it('refuses a --config key that is not a monitor cost, a bad value, and --config without --monitor, in one line', () => {
    const refused = (costs: unknown, pattern: RegExp, ...more: string[]) => {
      const config = join(dir, 'bad-costs.json');
      writeFileSync(config, JSON.stringify(costs));
      const r = cli(...more, '--kernel', image('hello.elf'), '--config', config);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n'), r.stderr).toHaveLength(1);
      expect(r.stderr.trim()).toMatch(pattern);
    };
    refused({ l2KiB: 64 }, /^flashdisco: .*bad-costs\.json: 'l2KiB' is a parameter of the FLASH machine, which the flat board does not have; with --monitor give only the monitor's costs \(monitorTrapCycles, .*\), or add --nodes N$/, '--monitor');
    refused({ monitorTrapCycle: 3 }, /unknown parameter 'monitorTrapCycle'; the monitor's costs are monitorTrapCycles, monitorCsrCycles, /, '--monitor');
    refused({ monitorMmioCycles: -1 }, /'monitorMmioCycles' must be at least 0 \(got -1\)/, '--monitor');
    refused({ monitorWfiCycles: 2.5 }, /'monitorWfiCycles' must be an integer \(got 2\.5\)/, '--monitor');
    refused({ monitorTrapCycles: '30' }, /'monitorTrapCycles' must be a number/, '--monitor');
    refused({ monitorTrapCycles: 30 }, /--config '.*bad-costs\.json' sets parameters of the FLASH machine \(add --nodes N\) or the monitor's costs \(add --monitor\)/);
  });

  it('refuses --placement: the flat board has one node', () => {
    const r = cli('--monitor', '--placement', 'round-robin', '--kernel', image('hello.elf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('flashdisco: --placement places a VM\'s pages on the nodes of the FLASH machine; the flat board has one node (add --nodes N, or drop --placement)\n');
  });

  it('refuses --time-slice: every vCPU has a CPU of its own (--quantum sets their turns)', () => {
    const r = cli('--monitor', '--harts', '2', '--time-slice', '5000', '--kernel', image('hello.elf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toBe('flashdisco: --time-slice is the time slice of vCPUs that share a CPU: with --vms FILE.json, or with --nodes N and --monitor; here every vCPU has a CPU of its own (its turn in a round is --quantum N)\n');
  });

  it('refuses more memory than the machine has for VMs', () => {
    const r = cli('--monitor', '--mem', '2048', '--kernel', image('hello.elf'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^flashdisco: --mem 2048 with --monitor: at most 2040 MiB/);
  });
});
