// `npm run bench` refuses bad input before anything runs: one line naming the input and the fix,
// exit status 2, no stack trace; `flashdisco run --nodes` on the FLASH machine, both boots, with
// console input piped ahead, from a file, typed by a driver after each prompt, and on a terminal.
// Uses the compiled bench and CLI (dist/), which `npm test` builds first.

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { driveCli, kernelDisk } from './virt-helpers.js';

function bench(...args: string[]) {
  const r = spawnSync(process.execPath, ['dist/bench/run.js', ...args], { encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, stderr: r.stderr, stdout: r.stdout };
}

function expectRefused(r: ReturnType<typeof bench>, pattern: RegExp): void {
  expect(r.status, r.stderr).toBe(2);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(pattern);
  expect(r.stderr).not.toMatch(/^\s+at /m);
}

const dir = mkdtempSync(join(tmpdir(), 'flashdisco-bench-'));
const configFile = (obj: unknown) => {
  const f = join(dir, `c${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify(obj));
  return f;
};

describe('bench: bad input', () => {
  it('nodes must be a positive integer', () => {
    expectRefused(bench('--nodes', '0'), /--nodes 0/);
    expectRefused(bench('--nodes', '2.5'), /--nodes 2\.5/);
    expectRefused(bench('--nodes', 'many'), /nodes/);
  });

  it('threads may not exceed nodes', () => {
    expectRefused(bench('--nodes', '4', '--threads', '5'), /--threads 5 exceeds --nodes 4/);
  });

  it('an unknown config key is an error', () => {
    expectRefused(bench('--nodes', '4', '--config', configFile({ hopLatency: 3 })), /unknown parameter 'hopLatency'/);
  });

  it('a negative latency is an error', () => {
    expectRefused(bench('--nodes', '4', '--config', configFile({ hopCycles: -1 })), /'hopCycles' must be at least 0/);
  });

  it('an unknown workload is an error', () => {
    expectRefused(bench('--nodes', '4', '--workload', 'quicksort'), /--workload 'quicksort'/);
  });

  it('--repeat must be a whole number of runs', () => {
    expectRefused(bench('--nodes', '4', '--repeat', '0'), /--repeat 0/);
  });

  it('the hart suite knows its benchmarks', () => {
    expectRefused(bench('--suite', 'hart', '--only', 'bench-quad'), /--only 'bench-quad': the benchmarks are bench-int, bench-fp/);
    expectRefused(bench('--suite', 'hart', '--linux-kernel', 'x.linux.elf'), /--linux-kernel needs --kernel/);
    expectRefused(bench('--suite', 'hart', '--kernel', 'missing.elf'), /benchmark guest 'missing.elf' does not exist/);
  });
});

describe('bench: the monitor suite', () => {
  interface Breakdown { total: number; idle: number; user: number; kernel: number; monitor: number; monitorBy: Record<string, number> }
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

  it('runs a workload natively and in a VM: simulated overhead, the Figure 5 breakdown side by side, host time and MIPS', () => {
    const json = join(dir, 'monitor.json');
    const r = bench('--suite', 'monitor', '--only', 'priv-sv39', '--repeat', '1', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^priv-sv39: /m);
    expect(r.stdout).toMatch(/^ {2}simulated time +0\.\d+ ms +0\.\d+ ms +overhead \+\d+\.\d\d%$/m);
    for (const row of ['idle', 'user \\(U\\)', 'kernel \\(S, M\\)', 'monitor', ' {2}mmio', ' {2}emulate', ' {2}trap', ' {2}reflect', 'total']) {
      expect(r.stdout).toMatch(new RegExp(`^ {4}${row} +[-0-9.]+ +[0-9.]+$`, 'm'));
    }
    expect(r.stdout).toMatch(/^ {2}host time, best of 1 +[0-9.]+ s +[0-9.]+ s +[0-9.]+x$/m);
    expect(r.stdout).toMatch(/^ {2}host CPU time, best of 1 +[0-9.]+ s +[0-9.]+ s +[0-9.]+x$/m);
    expect(r.stdout).toMatch(/^ {2}host MIPS +[0-9.]+ +[0-9.]+ +ratio [0-9.]+$/m);
    expect(r.stdout).toMatch(/^ {2}outcome +ok +ok +console identical$/m);
    expect(r.stdout).toMatch(/^priv-sv39 +[0-9.]+ ms +[0-9.]+ ms +\+[0-9.]+% +[0-9.]+ s +[0-9.]+ s +[0-9.]+x +[0-9.]+x +[0-9.]+$/m);

    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.ok).toBe(true);
    expect(Object.keys(out.workloads)).toEqual(['priv-sv39']);
    const w = out.workloads['priv-sv39'];
    expect(w.vm.instructions).toBe(w.native.instructions);
    expect(w.overheadPercent).toBeCloseTo((w.vm.simTime - w.native.simTime) / w.native.simTime * 100, 10);
    // Every cycle of every CPU is in one place: natively user, kernel or idle; in the VM the
    // monitor's categories too. The guest runs in S, U and M, and traps on nearly everything.
    const n: Breakdown = w.native.breakdown, v: Breakdown = w.vm.breakdown;
    expect(n.user + n.kernel + n.idle).toBe(n.total);
    expect(n.total).toBe(w.native.simTime);
    expect(n.user).toBeGreaterThan(0);
    expect(n.kernel).toBeGreaterThan(n.user);
    expect(v.user + v.kernel + v.idle + v.monitor).toBe(v.total);
    expect(v.total).toBe(w.vm.simTime);
    expect(sum(Object.values(v.monitorBy))).toBe(v.monitor);
    expect(v.monitorBy.trap).toBe(w.monitor.costs.monitorTrapCycles * sum(Object.values(w.monitor.vms[0].vcpus[0].traps as Record<string, number>)));
    const h = out.host.workloads['priv-sv39'];
    for (const side of [h.native, h.vm]) {
      expect(side.wallSeconds).toHaveLength(1);
      expect(side.cpuSeconds).toHaveLength(1);
      expect(side.bestCpuSeconds).toBeGreaterThan(0);
      expect(side.mips).toBeCloseTo(w.native.instructions / side.bestSeconds / 1e6, 6);
    }
    expect(JSON.stringify(w)).not.toMatch(/seconds|mips/i);
  });

  it('--config sets the monitor\'s costs: with every one 0 a VM takes the native time to the cycle', () => {
    const json = join(dir, 'monitor-zero.json');
    const zero = configFile(Object.fromEntries(['Trap', 'Csr', 'Xret', 'Wfi', 'Sfence', 'MprvStep', 'Reflect', 'ShadowFill', 'WalkLevel', 'Interrupt', 'Mmio', 'Switch', 'Shootdown', 'Remote']
      .map((k) => [`monitor${k}Cycles`, 0])));
    const r = bench('--suite', 'monitor', '--only', 'priv-sv39', '--repeat', '1', '--config', zero, '--json', json);
    expect(r.status, r.stderr).toBe(0);
    const w = JSON.parse(readFileSync(json, 'utf8')).workloads['priv-sv39'];
    expect(w.vm.simTime).toBe(w.native.simTime);
    expect(w.overheadPercent).toBe(0);
    expect(Object.keys(w.vm.breakdown.monitorBy)).toEqual(['stepped']);
  });

  it('refuses an unknown workload and a FLASH parameter', () => {
    expectRefused(bench('--suite', 'monitor', '--only', 'pmake'), /--only 'pmake': the monitor workloads are bench-int, bench-fp, kernel, priv-sv39/);
    expectRefused(bench('--suite', 'monitor', '--config', configFile({ nodes: 4 })), /'nodes' is a parameter of the FLASH machine/);
  });
});

describe('bench: the NUMA experiment', () => {
  it('runs each workload under each policy asked and on the UMA machine: Disco\'s table, its JSON and its bar chart', () => {
    const json = join(dir, 'numa.json'), svg = join(dir, 'numa.svg');
    const r = spawnSync(process.execPath, ['dist/bench/run.js', '--experiment', 'numa', '--workloads', 'engineering,pmake', '--runs', 'none,disco,uma',
      '--nodes', '2', '--json', json, '--svg', svg], { encoding: 'utf8', timeout: 240_000 });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^workload +run +nodes +time +local +miss cyc +migr\/s +migr us +repl\/s +repl us +monitor +replicas KiB +kernel\/user\/idle/m);
    expect(r.stdout).toMatch(/^engineering +none +2 +100 /m);
    const result = JSON.parse(readFileSync(json, 'utf8')) as { ok: boolean; machine: Record<string, number>; rows: Array<Record<string, number | string | boolean> & { breakdown: Record<string, number> }> };
    expect(result.ok).toBe(true);
    expect(result.machine.l2KiB).toBe(64);
    expect(result.rows.map((x) => `${x.workload} ${x.run}`)).toEqual(['engineering none', 'engineering disco', 'engineering uma', 'pmake none', 'pmake disco', 'pmake uma']);
    const row = (w: string, run: string) => result.rows.find((x) => x.workload === w && x.run === run)!;
    for (const x of result.rows) {
      expect(x.ok).toBe(true);
      const b = x.breakdown;
      expect(b.kernel! + b.user! + b.monitor! + b.idle!).toBeCloseTo(1, 6);
    }
    expect(row('engineering', 'none').normalized).toBe(100);
    // The monitor moved pages under disco and made more misses local; on the UMA machine a
    // miss costs little more than a local one's 120 cycles.
    const disco = row('engineering', 'disco'), none = row('engineering', 'none');
    expect(disco.migrations as number).toBeGreaterThan(0);
    expect(disco.localShare as number).toBeGreaterThan(none.localShare as number);
    expect(disco.normalized as number).toBeLessThan(100);
    expect(row('engineering', 'uma').meanMissCycles as number).toBeLessThan(150);
    expect(row('pmake', 'disco').replications as number).toBeGreaterThan(0);
    expect(readFileSync(svg, 'utf8')).toMatch(/^<svg [^]*<rect [^]*engineering[^]*pmake[^]*<\/svg>\n$/);
  }, 240_000);

  it('refuses an unknown workload or run, and nodes a workload\'s VMs cannot divide, in one line', () => {
    expectRefused(bench('--experiment', 'numa', '--runs', 'none,teleport'), /--runs: 'teleport' is none of none, first-touch, round-robin, migrate, replicate, disco, auto-numa, uma/);
    expectRefused(bench('--experiment', 'numa', '--workloads', 'nope'), /--workloads: 'nope' is none of engineering, raytrace, pmake/);
    expectRefused(bench('--experiment', 'numa', '--nodes', '12'), /--nodes 12: engineering runs a VM on every 8 nodes; give a multiple of 8, or fewer than 8/);
    expectRefused(bench('--experiment', 'numa', '--config', configFile({ missThreshold: -1 })), /missThreshold/);
  });
});

describe('bench: repeats', () => {
  it('--repeat N runs each thread count N times on the same workers, reports the fastest and lists all', () => {
    const json = join(dir, 'repeat.json');
    const r = bench('--nodes', '4', '--size', '1024', '--compare-threads', '1,2', '--repeat', '2', '--no-console', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/2 thread\(s\)  wall [0-9.]+ s .*\(fastest of [0-9.]+, [0-9.]+\)/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.identicalAcrossThreads).toBe(true);
    expect(out.host.runs.map((h: { threads: number }) => h.threads)).toEqual([1, 2]);
    for (const h of out.host.runs) {
      expect(h.allWallSeconds).toHaveLength(2);
      expect(h.wallSeconds).toBe(Math.min(...h.allWallSeconds));
    }
  });
});

describe('bench: --no-spans', () => {
  it('steps one window per pass over the nodes, with the results of spans', () => {
    const spans = join(dir, 'spans.json'), single = join(dir, 'single.json');
    const a = bench('--nodes', '4', '--size', '1024', '--threads', '2', '--window-slack', '4', '--no-console', '--json', spans);
    const b = bench('--nodes', '4', '--size', '1024', '--threads', '2', '--window-slack', '4', '--no-spans', '--no-console', '--json', single);
    expect(a.status, a.stderr).toBe(0);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(/worker 1: 2 node\(s\) in [0-9,]+ passes/);
    const [x, y] = [spans, single].map((f) => JSON.parse(readFileSync(f, 'utf8')));
    expect(y.sim).toEqual(x.sim);
    const h = y.host.runs[0];
    for (const w of h.workers) expect(w.spans + h.windowsSkipped).toBe(h.windows);
  });
});

describe('bench: --size', () => {
  it('sizes each built-in workload through its parameter: radix keys, stencil rows', () => {
    const radix = bench('--nodes', '2', '--threads', '1', '--size', '2048');
    expect(radix.status, radix.stderr).toBe(0);
    expect(radix.stdout).toMatch(/radix: 2048 keys, 2 harts, OK/);
    const stencil = bench('--nodes', '2', '--threads', '1', '--workload', 'stencil', '--size', '24');
    expect(stencil.status, stencil.stderr).toBe(0);
    expect(stencil.stdout).toMatch(/stencil: 512x24 grid, .* 2 harts, OK/);
  });
});

describe('bench: --balance', () => {
  it('runs on one thread keeping every node\'s time per window, and replays it for each thread count', () => {
    const json = join(dir, 'balance.json');
    const r = bench('--nodes', '4', '--size', '2048', '--balance', '2,4', '--no-console', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/balance \(this run's per-node, per-window host times replayed for T workers, K = 2/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.host.runs.map((h: { threads: number }) => h.threads)).toEqual([1]);
    const b = out.host.balance;
    expect(b.rows.map((x: { threads: number }) => x.threads)).toEqual([2, 4]);
    for (const x of b.rows) {
      for (const s of [...Object.values(x.speedup) as number[], x.uninterrupted]) {
        expect(s).toBeGreaterThan(1);
        expect(s).toBeLessThanOrEqual(x.threads);
      }
    }
    expect(b.nodeSeconds).toBeGreaterThan(0);
  });

  it('refuses to run with other thread counts', () => {
    expectRefused(bench('--nodes', '4', '--balance', '2', '--threads', '2'), /--balance runs the machine on one thread; leave out --threads and --compare-threads/);
    expectRefused(bench('--nodes', '4', '--balance', '2', '--compare-threads', '1,2'), /--balance runs the machine on one thread/);
    expectRefused(bench('--nodes', '4', '--balance', '0'), /--balance 0: give comma-separated whole numbers, 1 or more/);
    expectRefused(bench('--nodes', '4', '--balance', '2,8'), /--balance 2,8: 8 workers for 4 nodes; a worker needs at least one node/);
  });
});

describe('bench: timing modes', () => {
  it('says which timing mode gave the figures: exact by default', () => {
    const json = join(dir, 'timing-exact.json');
    const r = bench('--nodes', '2', '--threads', '1', '--size', '1024', '--no-console', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^timing: exact timing$/m);
    expect(r.stdout).toMatch(/^ {2}windows +[0-9,]+ of /m);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.timing).toBe('exact');
    expect(out.quantumCycles).toBeNull();
    expect(out.host.runs[0].quantum).toBeNull();
  });

  it('--timing quantum --compare-threads 1,2: the quantum, its host figures, and identical simulated results', () => {
    const json = join(dir, 'timing-quantum.json');
    const r = bench('--nodes', '4', '--size', '1024', '--compare-threads', '1,2', '--timing', 'quantum', '--quantum', '500', '--no-console', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^timing: quantum timing, quantum 500 cycles/m);
    expect(r.stdout).toMatch(/^ {2}quanta +[0-9,]+ of 500 cycles stepped, [0-9,]+ more jumped over$/m);
    expect(r.stdout).toMatch(/^ {6}[0-9,]+ of [0-9,]+ node-quanta blocked on the weave; weave [0-9.]+ s/m);
    expect(r.stdout).toMatch(/simulated results identical across thread counts: yes/);
    expect(r.stderr).toMatch(/flash: 4 nodes, 2 thread\(s\), workload radix, quantum timing, quantum 500 cycles/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.timing).toBe('quantum');
    expect(out.quantumCycles).toBe(500);
    expect(out.identicalAcrossThreads).toBe(true);
    expect(out.sim.exitCode).toBe(0);
    expect(out.host.runs.map((h: { threads: number }) => h.threads)).toEqual([1, 2]);
    for (const h of out.host.runs) {
      expect(h.quantum.cycles).toBe(500);
      expect(h.quantum.quanta).toBeGreaterThan(0);
      expect(h.quantum.blockedNodeQuanta).toBeGreaterThanOrEqual(0);
      expect(h.quantum.weaveSeconds).toBeGreaterThanOrEqual(0);
    }
  });

  it('--validate-timing: one exact run and one per quantum, the errors against the targets, messages side by side, a verdict per quantum', () => {
    const json = join(dir, 'validate.json');
    const r = bench('--validate-timing', '--nodes', '4', '--workloads', 'stencil', '--quantum', '500', '--size', '24', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^validate-timing: stencil, 4 nodes, [0-9]+ thread\(s\), exact$/m);
    expect(r.stderr).toMatch(/^validate-timing: stencil, 4 nodes, [0-9]+ thread\(s\), quantum 500$/m);
    expect(r.stdout).toMatch(/^stencil, 4 nodes \(2x2 mesh\), [0-9]+ thread\(s\), stencil_height 24: stencil: 512x24 grid/m);
    expect(r.stdout).toMatch(/^ +exact +Q=500$/m);
    const err = '[-+][0-9]+\\.[0-9]{2}%';
    for (const row of ['time \\(cycles\\)', 'L1 misses \\(I\\+D\\)', 'L2 misses', 'local misses', 'remote misses']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${row} +[0-9,]+ +[0-9,]+ +${err} (ok|OUT)$`, 'm'));
    }
    for (const row of ['IPC \\(machine\\)', ' {2}mean latency', 'NACKs received', 'home invalidations', 'home forwards']) {
      expect(r.stdout).toMatch(new RegExp(`^ {2}${row} +[0-9,.]+ +[0-9,.]+ +${err}$`, 'm'));
    }
    for (const type of ['GETS', 'GETX', 'UPGRADE', 'INV', 'FWD_GETS', 'FWD_GETX', 'PUTX']) {
      expect(r.stdout).toMatch(new RegExp(`^ {4}${type} +[0-9,]+ +[0-9,]+ +(${err}|-)$`, 'm'));
    }
    expect(r.stdout).toMatch(new RegExp(`^ {2}host seconds +[0-9.]+ +[0-9.]+ +${err}$`, 'm'));
    expect(r.stdout).toMatch(/^ {2}quanta stepped +[0-9,]+$/m);
    expect(r.stdout).toMatch(/^ {2}blocked node-quanta +[0-9,]+$/m);
    expect(r.stdout).toMatch(/^ {2}weave seconds +[0-9.]+$/m);
    expect(r.stdout).toMatch(new RegExp(`^ {2}Q=500 +time ${err} \\(stencil, 4 nodes\\); miss count ${err} \\(stencil, 4 nodes, [^)]+\\): (within|OUTSIDE) the targets$`, 'm'));
    expect(r.stdout).toMatch(new RegExp(`^ {11}miss count less NACK retries ${err} \\(stencil, 4 nodes, [^)]+\\)$`, 'm'));

    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.benchmark).toBe('validate-timing');
    expect(out.ok).toBe(true);
    expect(out.targets).toEqual({ timePct: 3, missPct: 5 });
    expect(out.ipc).toBe('instructions / (endCycle * nodes)');
    expect(out.cells).toHaveLength(1);
    const c = out.cells[0];
    expect([c.workload, c.nodes, c.patch]).toEqual(['stencil', 4, { stencil_height: 24 }]);
    expect(c.exact.timing).toBe('exact');
    expect(c.exact.quantum).toBeNull();
    expect(c.exact.exitCode).toBe(0);
    expect(c.quantum).toHaveLength(1);
    const q = c.quantum[0];
    expect(q.quantumCycles).toBe(500);
    expect(q.run.timing).toBe('quantum');
    expect(q.run.quantum.cycles).toBe(500);
    expect(q.run.quantum.quanta).toBeGreaterThan(0);
    expect(q.sameOutcome).toBe(true);
    for (const k of ['endCycle', 'ipc', 'l1Misses', 'l2Misses', 'localMisses', 'localMissMean', 'remoteMisses', 'remoteMissMean', 'nacks', 'msg.GETS', 'msg.GETX', 'msg.UPGRADE', 'hostSeconds']) {
      expect(Number.isFinite(q.errorsPct[k]), k).toBe(true);
    }
    // Loose sanity: the quantum mode simulates the same program on the same machine.
    expect(Math.abs(q.errorsPct.endCycle)).toBeLessThan(50);
    expect(Math.abs(q.errorsPct.l1Misses)).toBeLessThan(50);
    expect(Object.keys(q.withinTarget).sort()).toEqual(['endCycle', 'l1Misses', 'l2Misses', 'localMisses', 'remoteMisses']);
    expect(q.withinTarget.endCycle).toBe(Math.abs(q.errorsPct.endCycle) <= 3);
    for (const k of ['GETS', 'GETX', 'INV', 'FWD_GETS']) expect(c.exact.messages[k]).toBeGreaterThan(0);
    expect(c.exact.hostSeconds).toBeGreaterThan(0);
    expect(q.run.hostSeconds).toBeGreaterThan(0);
    expect(out.verdicts).toHaveLength(1);
    expect(out.verdicts[0].quantumCycles).toBe(500);
    expect(out.verdicts[0].maxTimeErrorPct).toBeCloseTo(q.errorsPct.endCycle, 10);
    expect(Number.isFinite(out.verdicts[0].maxMissErrorPct)).toBe(true);
    expect(Number.isFinite(out.verdicts[0].maxMissLessRetriesPct)).toBe(true);
    expect(out.verdicts[0].withinTargets).toBe(Object.values(q.withinTarget).every((x) => x));
  });

  it('refuses --quantum without --timing quantum, bad quanta, and the NUMA experiment\'s workloads for --validate-timing, in one line', () => {
    expectRefused(bench('--nodes', '4', '--quantum', '500'), /--quantum is the quantum of --timing quantum: add --timing quantum, or drop --quantum/);
    expectRefused(bench('--nodes', '4', '--timing', 'exact', '--quantum', '500'), /add --timing quantum/);
    expectRefused(bench('--nodes', '4', '--timing', 'quantum', '--quantum', '8'), /--quantum 8: give the quantum in cycles, a whole number of 16 or more/);
    expectRefused(bench('--nodes', '4', '--timing', 'quantum', '--quantum', '250,500'), /--quantum 250,500: give one quantum for a run/);
    expectRefused(bench('--nodes', '4', '--timing', 'fast'), /timing.*fast.*exact.*quantum/);
    expectRefused(bench('--validate-timing', '--workloads', 'engineering'), /--workloads: engineering is a workload of the NUMA experiment: compare its rows from --experiment numa --timing exact and --timing quantum/);
    expectRefused(bench('--validate-timing', '--workloads', 'stencil,pmake'), /pmake is a workload of the NUMA experiment/);
    expectRefused(bench('--experiment', 'numa', '--validate-timing'), /--validate-timing compares the FLASH workloads; run the NUMA experiment with --timing exact and --timing quantum/);
    expectRefused(bench('--validate-timing', '--workloads', 'quicksort'), /--workloads: 'quicksort' is none of radix, stencil/);
    expectRefused(bench('--validate-timing', '--timing', 'quantum'), /--validate-timing runs both timing modes; leave out --timing/);
    expectRefused(bench('--validate-timing', '--quantum', '250,x'), /--quantum 250,x: give the quantum in cycles/);
    expectRefused(bench('--validate-timing', '--nodes', '4,0'), /--nodes 4,0/);
    expectRefused(bench('--validate-timing', '--size', '24'), /--size sizes one workload/);
    expectRefused(bench('--validate-timing', '--compare-threads', '1,2'), /--compare-threads is not for --validate-timing/);
    expectRefused(bench('--nodes', '16,64'), /--nodes 16,64: give one node count/);
    expectRefused(bench('--suite', 'sync', '--timing', 'quantum'), /belong to the FLASH machine benchmark \(the default suite\) and the NUMA experiment/);
  });
});

describe('bench: the sync suite', () => {
  it('runs the window loop around fixed work at each thread count, every message in order, efficiency against 1 thread', () => {
    const json = join(dir, 'sync.json');
    const r = bench('--suite', 'sync', '--compare-threads', '2', '--work-us', '2,5', '--windows', '3000', '--messages', '3', '--json', json);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/messages arrived once each and in order: yes/);
    const out = JSON.parse(readFileSync(json, 'utf8'));
    expect(out.messagesOk).toBe(true);
    expect(out.spin).toBe('adaptive');
    // The 1-thread reference is run even when not asked for.
    expect(out.rows.map((x: { workUs: number; threads: number }) => [x.workUs, x.threads])).toEqual([[2, 1], [2, 2], [5, 1], [5, 2]]);
    for (const x of out.rows) {
      const one = out.rows.find((y: { workUs: number; threads: number }) => y.threads === 1 && y.workUs === x.workUs);
      expect(x.efficiency).toBeCloseTo(one.wallSeconds / x.wallSeconds, 10);
      expect(x.workers).toHaveLength(x.threads);
    }
    // More work per window takes longer: the work is really done.
    expect(out.rows[2].wallSeconds).toBeGreaterThan(out.rows[0].wallSeconds);
  });

  it('--window-slack sets how far workers may drift and --jitter how uneven windows are; messages still arrive once each and in order', () => {
    for (const [slack, jitter] of [['1', '0'], ['4', '0.5']]) {
      const json = join(dir, `sync-slack${slack}.json`);
      const r = bench('--suite', 'sync', '--compare-threads', '2', '--work-us', '1', '--windows', '2000', '--messages', '2',
        '--window-slack', slack, '--jitter', jitter, '--repeat', '1', '--json', json);
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(readFileSync(json, 'utf8'));
      expect(out.slack).toBe(Number(slack));
      expect(out.jitter).toBe(Number(jitter));
      expect(out.messagesOk).toBe(true);
    }
  });

  it('refuses bad sync input in one line', () => {
    expectRefused(bench('--suite', 'sync', '--work-us', '3,x'), /--work-us 3,x: give comma-separated numbers, 0 or more/);
    expectRefused(bench('--suite', 'sync', '--compare-threads', '0,2'), /--compare-threads 0,2: give comma-separated whole numbers, 1 or more/);
    expectRefused(bench('--suite', 'sync', '--windows', '0'), /--windows 0/);
    expectRefused(bench('--suite', 'sync', '--spin-us', '-1'), /--spin-us -1: give microseconds/);
    expectRefused(bench('--suite', 'sync', '--window-slack', '0'), /--window-slack 0: give a whole number of windows per lookahead from 1 to 8/);
    expectRefused(bench('--suite', 'sync', '--jitter', '1.5'), /--jitter 1.5: give a fraction from 0 to 1/);
  });
});

describe('the flashdisco command', () => {
  it('is an executable program after the build, as `npx flashdisco` runs it', () => {
    const r = spawnSync('dist/src/sim/cli.js', ['run', '--nodes', '2', '--kernel', 'guest/build/hello.elf'], { encoding: 'utf8', timeout: 60_000 });
    expect(r.error).toBeUndefined();
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('hello from flashdisco guest');
  });
});

describe('flashdisco run --nodes', () => {
  const cli = (...args: string[]) => spawnSync(process.execPath, ['dist/src/sim/cli.js', 'run', ...args], { encoding: 'utf8', timeout: 120_000 });
  const cliInput = (input: string, ...args: string[]) =>
    spawnSync(process.execPath, ['dist/src/sim/cli.js', 'run', ...args], { encoding: 'utf8', timeout: 120_000, input });

  it('boots an image on every node of a FLASH machine, with the console on stdout and its exit status', () => {
    const r = cli('--nodes', '4', '--kernel', 'guest/build/flash-latency.elf', '--threads', '2');
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^latency: hit 2 local 120 remote 360 dirty 404$/m);
  });

  it('refuses flat-board options and bad thread counts in one line', () => {
    for (const args of [['--nodes', '4', '--harts', '2'], ['--nodes', '4', '--threads', '9'], ['--threads', '2'], ['--boot', 'virt'],
      ['--nodes', '2', '--max-insns', '100'], ['--nodes', '2', '--mem', '64']]) {
      const r = cli('--kernel', 'guest/build/flash-latency.elf', ...args);
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('--boot virt: the virt board\'s devices on node 0, piped input to the UART, the finisher\'s status; statistics', () => {
    const stats = join(dir, 'virt-stats.json');
    const r = cliInput('hello\nquit\n', '--nodes', '2', '--boot', 'virt', '--kernel', 'guest/build/virt-uart-echo.elf', '--stats', stats);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.replace(/\r/g, '')).toContain('HELLO\nQUIT\n');
    expect(r.stdout).toMatch(/virt-uart-echo: PASS/);
    const sim = JSON.parse(readFileSync(stats, 'utf8')).sim;
    expect(sim.outcome).toEqual({ by: 'finisher', kind: 'exit', code: 0, message: null });
    expect(sim.devices.uart).toMatchObject({ rxBytes: 11, inputPending: 0 });
  });

  it('ends a guest that waits for input once stdin (here a file) is exhausted (status 4, one line)', () => {
    const input = join(dir, 'stdin.txt');
    writeFileSync(input, 'only this\n');
    const r = spawnSync('/bin/sh', ['-c', `exec "$0" "$@" < "${input}"`, process.execPath, 'dist/src/sim/cli.js', 'run', '--nodes', '2', '--boot', 'virt',
      '--kernel', 'guest/build/virt-uart-echo.elf'], { encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout).toContain('ONLY THIS');
    expect(r.status, r.stderr).toBe(4);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/every hart waits for an interrupt \(wfi\) and nothing can raise one/);
  });

  it('refuses bad virt-boot input in one line: a missing disk, --disk with --boot mp, --disk-write alone', () => {
    const k = ['--nodes', '2', '--kernel', 'guest/build/virt-blk.elf'];
    for (const [args, pattern] of [
      [[...k, '--disk', join(dir, 'missing.img')], /disk image '.*missing\.img' does not exist/],
      [[...k, '--boot', 'mp', '--disk', join(dir, 'missing.img')], /--disk needs a virt boot/],
      [[...k, '--disk-write'], /--disk-write needs --disk FILE/],
      [[...k, '--bios', join(dir, 'missing.elf')], /firmware '.*missing\.elf' does not exist/],
    ] as [string[], RegExp][]) {
      const r = cliInput('', ...args);
      expect(r.status, r.stderr).toBe(2);
      const lines = r.stderr.trim().split('\n');
      expect(lines, r.stderr).toHaveLength(1);
      expect(lines[0]).toMatch(pattern);
      expect(r.stderr).not.toMatch(/^\s+at /m);
    }
  });

  it('--boot virt: a driver that types each command after the shell prompt, on 4 nodes; the same console and results at 1 and 2 threads', async () => {
    const disk = join(dir, 'shell.img');
    writeFileSync(disk, kernelDisk());
    const run = async (threads: number, delayMs: number) => {
      const stats = join(dir, `shell-${threads}.json`);
      const r = await driveCli(['dist/src/sim/cli.js', 'run', '--nodes', '4', '--threads', String(threads), '--boot', 'virt', '--bios', 'guest/build/virt-sbi.elf',
        '--kernel', 'guest/build/virt-kernel.elf', '--disk', disk, '--append', 'console=ttyS0 root=/dev/vda', '--stats', stats], [
        { wait: /\n\$ /, send: 'cat motd.txt\n', delayMs },
        { wait: /\nThis file came from a virtio disk\.\n\$ /, send: 'exit\n', delayMs },
      ], 240_000);
      expect(r.unmet, r.stdout + r.stderr).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      return { stdout: r.stdout, sim: JSON.parse(readFileSync(stats, 'utf8')).sim };
    };
    const one = await run(1, 20);
    expect(one.stdout).toMatch(/\n\$ [^]*\ncat motd\.txt\nWelcome to virt-kernel on flashdisco\.\nThis file came from a virtio disk\.\n\$ [^]*exit\n[^]*init: all jobs done, powering off/);
    expect(one.sim.messages.IO_INPUT).toBe(2);
    const two = await run(2, 500);
    expect(two.stdout).toBe(one.stdout);
    expect(two.sim).toEqual(one.sim);
  }, 600_000);

  it('--boot virt: a polling guest waits for the driver\'s next line after an 8250-style probe; the same run at 1 and 2 threads, however late it types', async () => {
    const run = async (threads: number, delayMs: number) => {
      const stats = join(dir, `poll-${threads}.json`);
      const r = await driveCli(['dist/src/sim/cli.js', 'run', '--nodes', '2', '--threads', String(threads), '--boot', 'virt', '--kernel', 'guest/build/virt-uart-echo.elf',
        '--append', 'probe poll', '--stats', stats], [
        { wait: /probed the UART\n/, send: 'hello\n', delayMs },
        { wait: /HELLO\n/, send: 'quit\n', delayMs },
      ], 120_000);
      expect(r.unmet, r.stdout + r.stderr).toEqual([]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toContain('HELLO\nQUIT\nvirt-uart-echo: 11 bytes, 2 lines, polled');
      return JSON.parse(readFileSync(stats, 'utf8')).sim;
    };
    expect(await run(2, 500)).toEqual(await run(1, 20));
  }, 300_000);

  const haveScript = spawnSync('script', ['--version'], { stdio: 'ignore' }).status === 0;
  it.skipIf(!haveScript)('on a terminal: lines go to the UART as typed, and the console shows at once', () => {
    // script(1) gives the CLI a pseudo-terminal (which echoes the typed lines itself); HELLO
    // must come before "quit" is typed, so the workers' output is not held back until the end; the
    // keys come late enough for a loaded host to have booted the guest
    const cmd = `${process.execPath} dist/src/sim/cli.js run --nodes 2 --boot virt --kernel guest/build/virt-uart-echo.elf`;
    const r = spawnSync('/bin/sh', ['-c', `(sleep 3; printf 'hello\\n'; sleep 2; printf 'quit\\n'; sleep 1) | script -qec "${cmd}" /dev/null`], { encoding: 'utf8', timeout: 60_000 });
    expect(r.stdout.replace(/\r/g, '')).toMatch(/hello\nHELLO\n[^]*quit\nQUIT\n[^]*virt-uart-echo: PASS/);
    expect(r.status).toBe(0);
  });
});
