// Several VMs at once on the flat board (`flashdisco run --vms FILE.json`, src/sim/run-vms.ts):
// one monitor, one machine memory, each VM with its own disk, console and input.
//
// With a CPU for every vCPU a VM runs exactly as it does alone (`run --monitor`), so its console
// must equal, to the byte, what it prints alone: two firmware + kernel + shell VMs, then eight
// VMs of every kind. With fewer CPUs than vCPUs the vCPUs are time-sliced; a VM's output is then
// the same but for what measures time, and a run is the same run after run. Hostile guests
// (guest/hostile-*) must be contained, their accesses faulting inside their VM or the VM
// stopped with a report, while a neighbour runs on; the monitor's tables must show that no
// shadow leaf of one VM maps another VM's page. Bad VM files are refused before anything runs.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CaptureConsole } from '../src/devices/htif.js';
import { MONITOR_COST_PARAMS } from '../src/config/monitor-costs.js';
import { defaultMonitorCosts } from '../src/monitor/costs.js';
import { CpuScheduler } from '../src/monitor/scheduler.js';
import { PAGE } from '../src/monitor/machine-memory.js';
import { UserError } from '../src/sim/errors.js';
import { VmsRun, type VmRunSpec } from '../src/sim/run-vms.js';
import { readVmsFile } from '../src/sim/vms-file.js';
import { monitorPlatform } from '../src/sim/vm-board.js';
import { ROOT, blkWritten, finisherFail, finisherPass, finisherReset, image, kernelDisk, runBoard, testDisk } from './virt-helpers.js';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fd-vms-'));
  for (const n of ['a', 'b']) writeFileSync(join(dir, `${n}.img`), kernelDisk());
  for (const n of ['blk', 'blk2', 'hv']) writeFileSync(join(dir, `${n}.img`), testDisk(64));
  writeFileSync(join(dir, 'a.in'), 'ls\ncat motd.txt\nexit\n');
  writeFileSync(join(dir, 'b.in'), 'echo hello from b\nexit\n');
  writeFileSync(join(dir, 'echo.in'), 'hello\nMixed Case 123\nquit\n');
  writeFileSync(join(dir, 'pass.bin'), finisherPass());
  writeFileSync(join(dir, 'fail42.bin'), finisherFail(42));
  writeFileSync(join(dir, 'fail7.bin'), finisherFail(7));
  writeFileSync(join(dir, 'reset.bin'), finisherReset());
});

const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, [join(ROOT, 'dist/src/sim/cli.js'), 'run', ...args], { encoding: 'utf8', input, timeout: 120_000 });

/** A VM of the file: paths relative to the test folder (where the file is). */
interface Vm {
  name: string;
  kernel: string;
  bios?: string;
  append?: string;
  disk?: string;
  diskWrite?: boolean;
  mem?: number;
  maxInsns?: number;
  vcpus?: number;
  placement?: string;
  console: string;
  input?: string;
}

const kernelVm = (name: string, vcpus: number, placement = 'first-touch'): Vm => ({
  name, bios: image('virt-sbi.elf'), kernel: image('virt-kernel.elf'), append: 'console=ttyS0', disk: `${name}.img`,
  vcpus, mem: 64, placement, console: `${name}.out`, input: `${name}.in`,
});

function vmsFile(name: string, vms: Vm[], extra: Record<string, unknown> = {}): string {
  const p = join(dir, name);
  writeFileSync(p, JSON.stringify({ ...extra, vms }));
  return p;
}

const consoleOf = (vm: Vm) => readFileSync(join(dir, vm.console), 'utf8');
/** The console as the guest means it: the UART's line ends are CR LF. */
const lines = (text: string) => text.replace(/\r/g, '');

/** What the VM prints alone: `run --monitor` with its options and its input piped in. */
const aloneCache = new Map<string, { stdout: string; status: number | null }>();
function alone(vm: Vm) {
  const args = ['--monitor', '--kernel', vm.kernel, '--mem', String(vm.mem ?? 128), '--harts', String(vm.vcpus ?? 1)];
  if (vm.bios !== undefined) args.push('--bios', vm.bios);
  if (vm.append !== undefined) args.push('--append', vm.append);
  if (vm.disk !== undefined) args.push('--disk', join(dir, vm.disk));
  if (vm.maxInsns !== undefined) args.push('--max-insns', String(vm.maxInsns));
  const input = vm.input === undefined ? '' : readFileSync(join(dir, vm.input), 'utf8');
  const key = JSON.stringify([args, input]);
  let r = aloneCache.get(key);
  if (r === undefined) {
    const run = cli(args, input);
    r = { stdout: run.stdout, status: run.status };
    aloneCache.set(key, r);
  }
  return r;
}

/** The per-VM lines on stderr, by VM name. */
function endLines(stderr: string): Map<string, string> {
  const lines = stderr.split('\n').filter((l) => l !== '');
  const out = new Map<string, string>();
  for (const l of lines) {
    const m = /^flashdisco: vm ([\w.-]+): (.*)$/.exec(l);
    expect(m, `a line that is not a VM's: ${l}`).not.toBeNull();
    out.set(m![1]!, m![2]!);
  }
  return out;
}

const EXIT0 = /^exit 0 \((finisher|htif)\) after \d+\.\d{6} ms simulated$/;
/** The virt-kernel's counts of preemptions, switches and interrupts measure time. */
const timeless = (text: string) => text.split('\n').filter((l) => !/preemptions|switches/.test(l)).join('\n');

interface VmReport {
  name: string;
  exit: { reason: string; code: number; message: string | null };
  simTime: number;
  monitor: {
    placement: string;
    memMiB: number;
    pagesBacked: number;
    shadow: { reserveFlushes: number; reservePages: number };
    vcpus: Array<{ time: Record<string, number>; monitorCycles: Record<string, number>; scheduling?: { slices: number; waits: number; switches: number } }>;
  };
}
interface Report {
  config: { cpus: number; vcpus: number; sharing: string; timeSlice: number | null; slice: number | null };
  machine: { vmPages: number; vmPagesUsed: number; reservePages: number };
  cpus: Array<{ cpu: number; slices: number; switches: number }> | null;
  vms: VmReport[];
}

describe('several VMs, a CPU for every vCPU: each runs as it does alone', () => {
  it('two firmware + kernel + shell VMs, each with its own disk, input and console file', () => {
    const vms = [kernelVm('a', 2), kernelVm('b', 1)];
    const stats = join(dir, 'two.json.stats');
    const r = cli(['--vms', vmsFile('two.json', vms), '--stats', stats]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const ends = endLines(r.stderr);
    expect([...ends.keys()].sort()).toEqual(['a', 'b']);
    for (const vm of vms) {
      expect(ends.get(vm.name)).toMatch(EXIT0);
      const own = alone(vm);
      expect(own.status).toBe(0);
      expect(consoleOf(vm)).toBe(own.stdout);
    }
    expect(lines(consoleOf(vms[0]!))).toContain('ls\nvirt-user\nmotd.txt\nnumbers.txt\n$ cat motd.txt\nWelcome to virt-kernel');
    expect(lines(consoleOf(vms[0]!))).toContain('2 harts');
    expect(lines(consoleOf(vms[1]!))).toContain('echo hello from b\nhello from b\n');
    const s = JSON.parse(readFileSync(stats, 'utf8')) as Report;
    expect(s.config).toMatchObject({ cpus: 3, vcpus: 3, sharing: 'dedicated' });
    expect(s.machine.vmPages).toBe(128 * 256);
    expect(s.machine.vmPagesUsed).toBe(s.vms[0]!.monitor.pagesBacked + s.vms[1]!.monitor.pagesBacked);
    expect(s.vms.map((v) => v.monitor.vcpus.length)).toEqual([2, 1]);
  });

  it('eight VMs of every kind: consoles as alone, the disk written back, the first failing status', () => {
    const small = (name: string, kernel: string, more: Partial<Vm> = {}): Vm => ({ name, kernel: image(kernel), mem: 16, console: `${name}.out`, ...more });
    const vms: Vm[] = [
      kernelVm('a', 2),
      kernelVm('b', 1, 'round-robin'),
      small('blk', 'virt-blk.elf', { disk: 'blk.img', diskWrite: true, placement: 'node:0' }),
      small('echo', 'virt-uart-echo.elf', { input: 'echo.in' }),
      small('smp', 'virt-smp.elf', { vcpus: 4 }),
      small('hello', 'hello.elf', { console: 'stdio' }),
      small('traps', 'priv-traps.elf'),
      small('bench', 'bench-int.elf', { maxInsns: 2_000_000 }),
    ];
    const stats = join(dir, 'eight.json.stats');
    for (const vm of vms) alone(vm); // before blk's disk is written back
    const r = cli(['--vms', vmsFile('eight.json', vms), '--stats', stats]);
    // bench-int is stopped by its instruction limit: the only VM that fails, so its status
    expect(r.status, r.stderr).toBe(3);
    const ends = endLines(r.stderr);
    expect(ends.size).toBe(8);
    for (const vm of vms) {
      const own = alone(vm);
      const got = vm.console === 'stdio' ? r.stdout : consoleOf(vm);
      expect(got, vm.name).toBe(own.stdout);
      if (vm.name === 'bench') {
        expect(own.status).toBe(3);
        expect(ends.get('bench')).toMatch(/^stopped, status 3, after \d+\.\d+ ms simulated: the guest did not finish within --max-insns 2000000 instructions/);
      } else {
        expect(own.status, vm.name).toBe(0);
        expect(ends.get(vm.name), vm.name).toMatch(EXIT0);
      }
    }
    expect(lines(consoleOf(vms[3]!))).toContain('virt-uart-echo: PASS');
    expect(consoleOf(vms[4]!)).toContain('virt-smp: PASS');
    const img = readFileSync(join(dir, 'blk.img'));
    expect(img[12 * 512 + 7]).toBe(blkWritten(12, 7));
    const s = JSON.parse(readFileSync(stats, 'utf8')) as Report;
    expect(s.config).toMatchObject({ cpus: 12, vcpus: 12, sharing: 'dedicated' });
    expect(s.vms.map((v) => v.monitor.placement)).toEqual(['first-touch', 'round-robin', 'node:0', 'first-touch', 'first-touch', 'first-touch', 'first-touch', 'first-touch']);
    let used = 0;
    for (const v of s.vms) {
      expect(v.monitor.pagesBacked, v.name).toBeLessThanOrEqual(v.monitor.memMiB * 256);
      expect(v.monitor.shadow.reserveFlushes).toBe(0);
      used += v.monitor.pagesBacked;
    }
    expect(s.machine.vmPagesUsed).toBe(used);
    expect(s.machine.reservePages).toBe(8 * 2048);
  });
});

describe('more vCPUs than CPUs: time slices', () => {
  it('seven vCPUs on two CPUs: every VM right, its clock waiting while others run', () => {
    // b as in the runs above (its disk and input), its console elsewhere
    const vms: Vm[] = [
      { ...kernelVm('b', 1), console: 'b-s.out' },
      { name: 'smp', kernel: image('virt-smp.elf'), vcpus: 4, mem: 16, console: 'smp-s.out' },
      { name: 'echo', kernel: image('virt-uart-echo.elf'), mem: 16, console: 'echo-s.out', input: 'echo.in' },
      { name: 'traps', kernel: image('priv-traps.elf'), mem: 16, console: 'traps-s.out' },
    ];
    const stats = join(dir, 'sliced.json.stats');
    // --time-slice wins over the file's timeSlice
    const r = cli(['--vms', vmsFile('sliced.json', vms, { timeSlice: 20_000 }), '--harts', '2', '--time-slice', '5000', '--stats', stats]);
    expect(r.status, r.stderr).toBe(0);
    for (const l of endLines(r.stderr).values()) expect(l).toMatch(EXIT0);
    // what does not measure time is as alone
    expect(timeless(consoleOf(vms[0]!))).toBe(timeless(alone(vms[0]!).stdout));
    expect(lines(consoleOf(vms[0]!))).toContain('echo hello from b\nhello from b\n');
    expect(consoleOf(vms[1]!)).toContain('virt-smp: PASS');
    for (const vm of vms.slice(2)) expect(consoleOf(vm)).toBe(alone(vm).stdout);
    const s = JSON.parse(readFileSync(stats, 'utf8')) as Report;
    expect(s.config).toMatchObject({ cpus: 2, vcpus: 7, sharing: 'shared', timeSlice: 5000, slice: 5000 });
    expect(s.cpus).toHaveLength(2);
    for (const c of s.cpus!) {
      expect(c.slices).toBeGreaterThan(100);
      expect(c.switches).toBeGreaterThan(10);
    }
    for (const v of s.vms) {
      for (const c of v.monitor.vcpus) {
        expect(c.scheduling!.slices, v.name).toBeGreaterThan(0);
        expect(c.time.waiting, v.name).toBeGreaterThan(0);
      }
    }
  });

  it('is the same run every time: consoles and statistics', () => {
    const run = () => {
      const sinks = [new CaptureConsole(), new CaptureConsole(), new CaptureConsole()];
      const v = new VmsRun({
        vms: [
          spec('smp', image('virt-smp.elf'), sinks[0]!, { vcpus: 4 }),
          spec('echo', image('virt-uart-echo.elf'), sinks[1]!, { input: readFileSync(join(dir, 'echo.in')) }),
          spec('traps', image('priv-traps.elf'), sinks[2]!),
        ],
        cpus: 1,
        timeSlice: 3000,
      });
      expect(v.run()).toBe('done');
      return { text: sinks.map((k) => k.text()), report: v.report() };
    };
    const one = run();
    expect(one.text[0]).toContain('virt-smp: PASS');
    expect(one.report.config.sharing).toBe('shared');
    expect(run()).toEqual(one);
  });

  it('a CPU that switches to another vCPU charges it monitorSwitchCycles at the start of its slice', () => {
    const costs = { ...defaultMonitorCosts(), monitorSwitchCycles: 777 };
    const run = (c = costs) => {
      const sinks = [new CaptureConsole(), new CaptureConsole()];
      const v = new VmsRun({
        vms: [spec('traps', image('priv-traps.elf'), sinks[0]!), spec('sv39', image('priv-sv39.elf'), sinks[1]!)],
        cpus: 1,
        timeSlice: 3000,
        costs: c,
      });
      expect(v.run()).toBe('done');
      expect(sinks[1]!.text()).toMatch(/priv-sv39: PASS/);
      return { text: sinks.map((k) => k.text()), report: v.report() as unknown as Report };
    };
    const one = run();
    for (const vm of one.report.vms) {
      const v = vm.monitor.vcpus[0]!;
      expect(v.scheduling!.switches, vm.name).toBeGreaterThan(2);
      expect(v.monitorCycles.switch, vm.name).toBe(v.scheduling!.switches * 777);
      // the switch is the vCPU's simulated time, counted as the monitor's
      const t = v.time;
      expect(t.guestUser! + t.guestKernel! + t.monitor! + t.idle! + t.waiting!, vm.name).toBe(vm.simTime);
    }
    expect(run()).toEqual(one);
    // free switches charge nothing
    for (const vm of run({ ...costs, monitorSwitchCycles: 0 }).report.vms) expect(vm.monitor.vcpus[0]!.monitorCycles.switch).toBeUndefined();
  });
});

describe('the monitor\'s costs (--config)', () => {
  const ZERO = Object.fromEntries(Object.keys(MONITOR_COST_PARAMS).map((k) => [k, 0]));
  const configFile = (name: string, costs: Record<string, unknown>) => {
    const p = join(dir, name);
    writeFileSync(p, JSON.stringify(costs));
    return p;
  };

  it('apply to the VMs\' monitor: every trap costs what the file says, and --stats shows the costs', () => {
    const vms: Vm[] = [
      { name: 'sv39', kernel: image('priv-sv39.elf'), mem: 16, console: 'sv39-c.out' },
      { name: 'hello', kernel: image('hello.elf'), mem: 16, console: 'hello-c.out' },
    ];
    const file = vmsFile('costs.json', vms);
    const run = (name: string, costs: Record<string, number> | null) => {
      const stats = join(dir, `${name}.stats`);
      const r = cli(['--vms', file, '--stats', stats, ...(costs !== null ? ['--config', configFile(`${name}.json`, costs)] : [])]);
      expect(r.status, r.stderr).toBe(0);
      expect(consoleOf(vms[0]!)).toMatch(/priv-sv39: PASS/);
      return JSON.parse(readFileSync(stats, 'utf8')) as Report & { costs: Record<string, number> };
    };
    const dflt = run('costs-default', null), zero = run('costs-zero', ZERO), trap = run('costs-trap', { ...ZERO, monitorTrapCycles: 100 });
    expect(dflt.costs).toEqual(defaultMonitorCosts());
    expect(zero.costs).toEqual(ZERO);
    expect(trap.costs.monitorTrapCycles).toBe(100);
    for (let i = 0; i < vms.length; i++) {
      const name = vms[i]!.name;
      expect(zero.vms[i]!.simTime, name).toBeLessThan(dflt.vms[i]!.simTime);
      // the same instructions; only each trap's price differs
      const traps = trap.vms[i]!.monitor.vcpus[0]!.monitorCycles.trap! / 100;
      expect(traps, name).toBeGreaterThan(0);
      expect(trap.vms[i]!.simTime - zero.vms[i]!.simTime, name).toBe(100 * traps);
    }
  });

  it('refuses a FLASH parameter, and any other key that is not a monitor cost, in one line with status 2', () => {
    const ok = { name: 'x', kernel: image('hello.elf'), console: 'never-c.out' };
    const refused = (costs: Record<string, unknown>) => {
      const r = cli(['--vms', vmsFile('refused.json', [ok]), '--config', configFile('bad-costs.json', costs)]);
      const lines = r.stderr.split('\n').filter((l) => l !== '');
      expect(lines, r.stderr).toHaveLength(1);
      expect(r.status).toBe(2);
      expect(r.stdout).toBe('');
      return lines[0]!;
    };
    expect(refused({ l2KiB: 64 })).toMatch(/^flashdisco: .*bad-costs\.json: 'l2KiB' is a parameter of the FLASH machine, which the flat board does not have; with --vms give only the monitor's costs \(monitorTrapCycles, .*, monitorRemoteCycles\)$/);
    expect(refused({ monitorTrapCycle: 3 })).toMatch(/unknown parameter 'monitorTrapCycle'; the monitor's costs are monitorTrapCycles, /);
    expect(refused({ monitorMmioCycles: -1 })).toMatch(/'monitorMmioCycles' must be at least 0 \(got -1\)/);
    expect(existsSync(join(dir, 'never-c.out'))).toBe(false);
  });
});

/** A VM for VmsRun in process. */
function spec(name: string, kernel: string, console: CaptureConsole, more: Partial<VmRunSpec> = {}): VmRunSpec {
  return { name, kernel, vcpus: 1, memMiB: 16, placement: { policy: 'first-touch' }, console, input: null, diskWrite: false, ...more };
}

/** No shadow leaf of one VM maps a machine page another VM owns (each VM has its own reserve partition). */
function expectIsolated(v: VmsRun): void {
  const m = v.monitor;
  const owner = (slot: number) => {
    const page = m.machine.vmPages + Math.floor(slot * 8 / PAGE);
    return m.vms.findIndex((vm) => page >= vm.reserve.first && page < vm.reserve.first + vm.reserve.count);
  };
  let leaves = 0;
  for (let mp = 0; mp < m.machine.vmPages; mp++) {
    for (const slot of m.memmap.leaves(mp)) {
      expect(owner(slot), `machine page ${mp}`).toBe(m.memmap.vm[mp]);
      leaves++;
    }
  }
  expect(leaves).toBeGreaterThan(10);
  for (const vm of m.vms) {
    for (const mp of vm.memory.pmap.machinePage) if (mp >= 0) expect(m.memmap.vm[mp]).toBe(vm.id);
  }
}

describe('hostile guests are contained; their neighbours run on', () => {
  it('page-table entries and virtio descriptors past RAM fault or are refused inside their VM, sharing one CPU with a neighbour', () => {
    const sinks = [new CaptureConsole(), new CaptureConsole(), new CaptureConsole()];
    const hvDisk = readFileSync(join(dir, 'hv.img'));
    const v = new VmsRun({
      vms: [
        spec('ptes', image('hostile-ptes.elf'), sinks[0]!),
        spec('virtio', image('hostile-virtio.elf'), sinks[1]!, { disk: join(dir, 'hv.img'), diskWrite: true }),
        spec('blk', image('virt-blk.elf'), sinks[2]!, { disk: join(dir, 'blk2.img') }),
      ],
      cpus: 1,
    });
    expect(v.run()).toBe('done');
    const text = sinks.map((k) => k.text().replace(/\r/g, ''));
    expect(text[0]).toMatch(/hostile-ptes: (\d+) loads and stores past RAM, \1 faulted in the guest\nhostile-ptes: PASS/);
    expect(text[1]).toMatch(/hostile-virtio: 17 requests and queues outside RAM refused\nhostile-virtio: PASS/);
    expect(readFileSync(join(dir, 'hv.img'))).toEqual(hvDisk);
    const own = runBoard({ kernel: image('virt-blk.elf'), memMiB: 16, disk: join(dir, 'blk2.img'), platform: monitorPlatform() });
    expect(text[2]).toBe(own.text);
    expect(text[2]).toMatch(/virt-blk: PASS/);
    for (let i = 0; i < 3; i++) expect(v.outcome(i)!.result).toMatchObject({ reason: 'exit', exitCode: 0 });
    expectIsolated(v);
  });

  it('a flood of traps, interrupts and address spaces, then a trap it cannot take: its VM alone is stopped, with a report', () => {
    const vms: Vm[] = [
      { name: 'flood', kernel: image('hostile-flood.elf'), mem: 16, console: 'flood.out' },
      { name: 'traps', kernel: image('priv-traps.elf'), mem: 16, console: 'stdio' },
    ];
    const stats = join(dir, 'flood.json.stats');
    const r = cli(['--vms', vmsFile('flood.json', vms), '--harts', '1', '--stats', stats]);
    expect(r.status, r.stderr).toBe(4);
    const ends = endLines(r.stderr);
    expect(ends.get('flood')).toMatch(/^stopped, status 4, after \d+\.\d+ ms simulated: hart 0 cannot fetch its trap handler: a fetch fault at 0x0 traps to mtvec = 0x0/);
    expect(ends.get('traps')).toMatch(EXIT0);
    expect(consoleOf(vms[0]!)).toMatch(/hostile-flood: PASS \(6 checks\)\nhostile-flood: and now a trap handler that cannot be fetched\n$/);
    expect(r.stdout).toBe(alone(vms[1]!).stdout);
    const s = JSON.parse(readFileSync(stats, 'utf8')) as Report;
    expect(s.vms[0]!.exit).toMatchObject({ reason: 'fault', code: 4 });
    // the flood used up its own shadow reserve again and again; the neighbour's was untouched
    expect(s.vms[0]!.monitor.shadow.reserveFlushes).toBeGreaterThan(0);
    expect(s.vms[1]!.monitor.shadow.reserveFlushes).toBe(0);
  });
});

describe('VM lifetimes and the run\'s status', () => {
  it('a VM that reboots gets its memory anew in its place; the others are not disturbed', () => {
    const sinks = [new CaptureConsole(), new CaptureConsole()];
    const v = new VmsRun({ vms: [spec('reset', join(dir, 'reset.bin'), sinks[0]!), spec('hello', image('hello.elf'), sinks[1]!)] });
    expect(v.run()).toBe('done');
    const reset = v.outcome(0)!;
    expect(reset.result.reboots).toBe(16);
    expect(reset.result.message).toBe('the guest rebooted 17 times; stopping');
    expect(v.monitor.vms[0]!.id).toBe(0);
    expect(v.monitor.vms[0]!.memory.pmap.backed).toBeGreaterThan(0);
    // the pages of the boots before were given back and used again
    expect(v.monitor.machine.vmPagesUsed).toBe(v.monitor.vms[0]!.memory.pmap.backed + v.monitor.vms[1]!.memory.pmap.backed);
    expect(sinks[1]!.text()).toMatch(/^hello from flashdisco guest/);
    expect(v.outcome(1)!.result.exitCode).toBe(0);
  });

  it('exits with the status of the first VM in file order that did not exit 0', () => {
    const vms: Vm[] = [
      { name: 'ok', kernel: 'pass.bin', console: 'ok.out' },
      { name: 'forty-two', kernel: 'fail42.bin', console: 'f42.out' },
      { name: 'seven', kernel: 'fail7.bin', console: 'f7.out' },
    ];
    const r = cli(['--vms', vmsFile('status.json', vms)]);
    expect(r.status).toBe(42);
    const ends = endLines(r.stderr);
    expect(ends.get('ok')).toMatch(/^exit 0 \(finisher\) after 0\.000\d{3} ms simulated$/);
    expect(ends.get('forty-two')).toMatch(/^exit 42 \(finisher\)/);
    expect(ends.get('seven')).toMatch(/^exit 7 \(finisher\)/);
  });
});

describe('bad VM files are refused before anything runs', () => {
  const refuse = (name: string, body: unknown, args: string[] = []) => {
    const p = join(dir, name);
    writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
    const r = cli(['--vms', p, ...args]);
    const lines = r.stderr.split('\n').filter((l) => l !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe('');
    return lines[0]!;
  };
  const ok = { name: 'x', kernel: image('hello.elf'), console: 'never.out' };

  it('through the CLI: one line, status 2, no console file written', () => {
    expect(refuse('bad-key.json', { vms: [{ ...ok, kernal: 'x' }] })).toMatch(/^flashdisco: --vms '.*bad-key\.json': VM 'x': unknown key 'kernal'; the keys are name, kernel, /);
    expect(refuse('missing.json', { vms: [{ ...ok, kernel: 'nowhere.elf' }] })).toMatch(/^flashdisco: VM 'x': kernel '.*\/nowhere\.elf' does not exist; check the path$/);
    expect(refuse('big.json', { vms: Array.from({ length: 8 }, (_, i) => ({ ...ok, name: `v${i}`, console: `v${i}.out`, mem: 256 })) }))
      .toMatch(/^flashdisco: the VMs need 2112 MiB of machine memory \(their mem, 2048 MiB, and 8 MiB each for the monitor's shadow tables\), but the flat board's machine memory is at most 2048 MiB; give them less mem$/);
    expect(refuse('node1.json', { vms: [{ ...ok, placement: 'node:1' }] })).toMatch(/VM 'x': placement node:1 names a node this machine does not have \(it has one node, node:0\)$/);
    expect(refuse('stdio2.json', { vms: [{ ...ok, console: 'stdio' }, { ...ok, name: 'y', console: 'stdio' }] })).toMatch(/VMs 'x' and 'y' both have the console "stdio"; one VM at most writes to stdout/);
    expect(refuse('with-kernel.json', { vms: [ok] }, ['--kernel', image('hello.elf')])).toBe('flashdisco: --kernel is a VM\'s: with --vms, give it in the VM file ("kernel")');
    expect(refuse('harts0.json', { vms: [ok] }, ['--harts', '0'])).toMatch(/^flashdisco: --harts 0: with --vms, the number of physical CPUs must be a whole number from 1 to 64$/);
    // The vCPUs' time slice was --quantum and the file's quantum: now --time-slice and timeSlice.
    expect(refuse('old-quantum.json', { quantum: 5000, vms: [ok] }))
      .toMatch(/^flashdisco: --vms '.*old-quantum\.json': the key 'quantum' is now 'timeSlice' \(the cycles of a vCPU's time slice\); rename it in the file$/);
    expect(refuse('quantum.json', { vms: [ok] }, ['--quantum', '5000']))
      .toBe('flashdisco: --quantum is a hart\'s turn in a round on the flat board; with --vms the time slice of the VMs\' vCPUs is --time-slice N (or "timeSlice" in the VM file)');
    expect(refuse('slice0.json', { vms: [ok] }, ['--time-slice', '0'])).toBe('flashdisco: --time-slice 0: give a whole number of cycles per time slice, 1 or more');
    expect(existsSync(join(dir, 'never.out'))).toBe(false);
  });

  it('every other mistake of the file', () => {
    const bad = (body: unknown, pattern: RegExp) => {
      const p = join(dir, 'bad.json');
      writeFileSync(p, typeof body === 'string' ? body : JSON.stringify(body));
      expect(() => readVmsFile(p)).toThrow(UserError);
      expect(() => readVmsFile(p)).toThrow(pattern);
    };
    bad('{"vms": [', /is not valid JSON/);
    bad({ vms: [] }, /names no VMs/);
    bad({ vms: [ok], timeSlice: 0 }, /timeSlice is 0; give a whole number of cycles per time slice from 1/);
    bad({ vms: [ok], quantum: 10000 }, /--vms '.*bad\.json': the key 'quantum' is now 'timeSlice' \(the cycles of a vCPU's time slice\); rename it in the file$/);
    bad({ vms: [ok], harts: 2 }, /unknown key 'harts' at the top level; the keys are vms, timeSlice$/);
    bad({ vms: [{ console: 'c' }] }, /VM 'vm0' has no kernel/);
    bad({ vms: [{ ...ok, console: undefined }] }, /VM 'x' has no console; give "console": "stdio" or a file/);
    bad({ vms: [{ ...ok, vcpus: 0 }] }, /VM 'x': vcpus is 0; give a whole number of virtual CPUs from 1 to 64/);
    bad({ vms: [{ ...ok, mem: 4096 }] }, /VM 'x': mem is 4096; give a whole number of MiB from 1 to 2048/);
    bad({ vms: [{ ...ok, placement: 'nearby' }] }, /placement 'nearby' is no placement policy; give first-touch, round-robin or node:N/);
    bad({ vms: [{ ...ok, diskWrite: true }] }, /VM 'x': diskWrite needs a disk/);
    bad({ vms: [{ ...ok, name: 'a b' }] }, /has the name "a b"; give 1 to 64 letters/);
    bad({ vms: [ok, { ...ok, console: 'other.out' }] }, /VMs 'x' and 'x' have the same name/);
    bad({ vms: [ok, { ...ok, name: 'y' }] }, /VMs 'x' and 'y' both write their console to/);
    bad({ vms: [{ ...ok, disk: 'd.img', diskWrite: true }, { ...ok, name: 'y', console: 'y.out', disk: 'd.img' }] }, /VMs 'x' and 'y' share the disk '.*d\.img', which 'x' writes back/);
    bad({ vms: [{ ...ok, input: 'never.out' }] }, /its input '.*never\.out' is a console file, which the run overwrites/);
    bad({ vms: Array.from({ length: 9 }, (_, i) => ({ ...ok, name: `v${i}`, console: `v${i}.out`, vcpus: 8 })) }, /the VMs have 72 vCPUs in all; at most 64/);
    // a bare list is the list of VMs, and paths are from the file's folder
    const p = join(dir, 'list.json');
    writeFileSync(p, JSON.stringify([{ ...ok, kernel: 'pass.bin', input: 'a.in' }]));
    expect(readVmsFile(p).vms[0]).toMatchObject({ kernel: join(dir, 'pass.bin'), input: join(dir, 'a.in'), console: join(dir, 'never.out'), memMiB: 128, vcpus: 1 });
  });
});

describe('the vCPU scheduler', () => {
  it('gives CPUs round-robin among the vCPUs that want one, keeping a vCPU on its CPU when it can', () => {
    const s = new CpuScheduler(2, 3);
    const all = Uint8Array.of(1, 1, 1);
    const order: number[][] = [];
    for (let k = 0; k < 3; k++) {
      expect(s.assign(all)).toBe(2);
      order.push([...s.cpuOf]);
    }
    // slices: {0, 1}, {2, 0}, {1, 2}: every vCPU runs two slices of three
    expect(order).toEqual([[0, 1, -1], [0, -1, 1], [-1, 0, 1]]);
    expect([...s.vcpuSlices]).toEqual([2, 2, 2]);
    expect([...s.vcpuWaits]).toEqual([1, 1, 1]);
    // vCPU 0 stayed on CPU 0 from slice 1 to 2; vCPU 2 on CPU 1 from slice 2 to 3
    expect([...s.vcpuSwitches]).toEqual([1, 2, 1]);
    // only one wants a CPU: it runs, on the CPU it had, and nobody waits
    expect(s.assign(Uint8Array.of(0, 0, 1))).toBe(1);
    expect([...s.cpuOf]).toEqual([-1, -1, 1]);
    expect([...s.vcpuWaits]).toEqual([1, 1, 1]);
    expect(s.report()).toEqual([{ cpu: 0, slices: 3, switches: 2 }, { cpu: 1, slices: 4, switches: 2 }]);
  });
});
