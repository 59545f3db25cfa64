// `npm run bench`: the benchmark entry.
//
//   npm run bench -- [--nodes N] [--threads T] [--workload radix|stencil|ELF] [--size S]
//                    [--config FILE.json] [--compare-threads 1,2,...] [--repeat N] [--trace-events FILE] [--json FILE]
//                    [--balance 2,4,...] [--window-slack K] [--no-spans] [--spin-us N]
//                    [--timing exact|quantum] [--quantum CYCLES]
//       the FLASH machine benchmark (bench/flash.ts), the default suite, in the exact timing mode
//       (the default) or the quantum mode (docs/quantum.md)
//   npm run bench -- --validate-timing [--quantum 250,1000,4000] [--nodes 16,64] [--workloads radix,stencil]
//                    [--size S] [--threads T] [--config FILE.json] [--json FILE]
//       the quantum mode against the exact mode: each workload on each node count once exactly
//       and once per quantum, the errors of time, IPC, misses, latencies, NACKs and messages
//       (bench/validate-timing.ts)
//   npm run bench -- --suite sync [--compare-threads 1,2,4,...] [--work-us 3,10,30] [--windows N]
//                    [--messages M] [--jitter J] [--window-slack K] [--spin-us N] [--repeat N] [--json FILE]
//       the parallel engine's coordination alone, around fixed work per window (bench/sync.ts)
//   npm run bench -- --suite hart [--repeat 3] [--only bench-int|bench-fp] [--qemu CMD]
//                    [--kernel ELF [--linux-kernel ELF]] [--json FILE]
//       one hart on flat memory next to qemu-riscv64: the integer and floating-point
//       benchmarks, or one given image (bench/hart-speed.ts)
//   npm run bench -- --experiment numa [--nodes N] [--workloads engineering,raytrace,pmake]
//                    [--runs none,...,uma] [--config FILE.json] [--threads T] [--jobs J] [--json FILE] [--svg FILE]
//       Disco's NUMA experiment: the workloads in VMs of the project's kernel under each NUMA
//       policy and on a UMA machine (bench/numa.ts)
//   npm run bench -- --suite monitor [--only bench-int|bench-fp|kernel|priv-sv39] [--repeat N]
//                    [--config FILE.json] [--json FILE]
//       each workload natively and in one VM of the monitor on the flat board: simulated
//       overhead, the Disco paper's Figure 5 breakdown, host time (bench/monitor-overhead.ts)
//
// Exit status: 0 when the run finished (and, where compared, results matched: checksums against
// QEMU, simulated results across thread counts; every monitor workload passed on both sides; every
// quantum run of --validate-timing ended as its exact run, whatever its errors); 1 when they
// differ; 2 for bad input.

import { writeFileSync, existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError, EXIT_USAGE } from '../src/sim/errors.js';
import { DEFAULT_HART_BENCHMARKS, formatHartSpeed, runHartSpeed, type HartBenchmark } from './hart-speed.js';
import { formatFlashBench, runFlashBench } from './flash.js';
import { formatSyncBench, runSyncBench } from './sync.js';
import { applyConfig, defaultConfig, monitorCostConfig } from '../src/config/machine.js';
import { MONITOR_WORKLOADS, formatMonitorBench, runMonitorBench } from './monitor-overhead.js';
import { DEFAULT_TIMING_QUANTUM, TIMINGS, type Timing, checkThreads, checkWindowSlack, defaultThreads } from '../src/sim/flash-machine.js';
import { formatValidateTiming, runValidateTiming } from './validate-timing.js';
import { readElf } from '../src/sim/elf.js';
import { NUMA_RUNS, NUMA_WORKLOADS, formatNumaTable, numaSvg, parseNumaRuns, runNumaExperiment } from './numa.js';

/** The repository root: the nearest folder above this file that holds package.json. */
function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) return process.cwd();
    dir = up;
  }
  return dir;
}

function fail(message: string): never {
  process.stderr.write(`flashdisco bench: ${message}\n`);
  process.exit(EXIT_USAGE);
}

/** Parallel workloads: image, and the global that sizes it (guest/radix, guest/stencil). */
const WORKLOADS: Record<string, { image: string; sizeSymbol: string }> = {
  radix: { image: 'guest/build/radix.elf', sizeSymbol: 'radix_keys' },
  stencil: { image: 'guest/build/stencil.elf', sizeSymbol: 'stencil_height' },
};

async function main(): Promise<void> {
  const root = repoRoot();
  const argv = yargs(hideBin(process.argv))
    .scriptName('npm run bench --')
    .usage('npm run bench -- [--nodes N] [--threads T] [--workload W] [--json FILE] [--compare-threads 1,2,...]\nnpm run bench -- --suite hart\nnpm run bench -- --suite monitor [--only W] [--repeat N]\nnpm run bench -- --suite sync [--compare-threads 1,2,...] [--work-us 3,10,30]')
    .options({
      experiment: { choices: ['numa'] as const, describe: 'numa: Disco\'s NUMA experiment, each workload in VMs of the project\'s kernel under each NUMA policy and on a UMA machine (bench/numa.ts); --nodes runs every workload on N nodes (default: engineering and pmake on 8, raytrace on 16)' },
      workloads: { type: 'string', requiresArg: true, describe: `numa experiment: comma-separated workloads (${NUMA_WORKLOADS.map((w) => w.name).join(', ')}); --validate-timing: ${Object.keys(WORKLOADS).join(', ')} (default both)` },
      runs: { type: 'string', requiresArg: true, describe: `numa experiment: comma-separated policies and uma (default all: ${NUMA_RUNS.join(', ')})` },
      jobs: { type: 'number', requiresArg: true, describe: 'numa experiment: runs at once (default: cores / threads)' },
      svg: { type: 'string', requiresArg: true, describe: 'numa experiment: write the bar chart (Disco\'s Figure 8) to this SVG file' },
      suite: { choices: ['flash', 'hart', 'monitor', 'sync'] as const, default: 'flash' as const, describe: 'flash: the FLASH machine benchmark; hart: one hart on flat memory next to qemu-riscv64; monitor: workloads natively and in a VM of the monitor; sync: the parallel engine\'s coordination alone' },
      nodes: { type: 'string', requiresArg: true, describe: 'FLASH nodes (default 16); --validate-timing: comma-separated node counts (default 16,64)' },
      threads: { type: 'number', requiresArg: true, describe: 'worker threads (default: cores, at most nodes)' },
      workload: { type: 'string', requiresArg: true, describe: `parallel workload: ${Object.keys(WORKLOADS).join(', ')}, or an ELF file (default radix)` },
      timing: { choices: TIMINGS, requiresArg: true, describe: 'flash suite and NUMA experiment: how the machine keeps time: exact (the default, every message at its cycle) or quantum (nodes run a quantum at a time, docs/quantum.md)' },
      quantum: { type: 'string', requiresArg: true, describe: `with --timing quantum: the quantum in cycles (default ${DEFAULT_TIMING_QUANTUM}); --validate-timing: comma-separated quanta (default 250,1000,4000)` },
      'validate-timing': { type: 'boolean', describe: 'run each workload (--workloads) on each node count (--nodes) once in the exact mode and once in the quantum mode per quantum (--quantum), and print the quantum mode\'s errors (bench/validate-timing.ts)' },
      size: { type: 'number', requiresArg: true, describe: "the workload's size parameter (radix: keys; stencil: grid rows)" },
      config: { type: 'string', requiresArg: true, describe: 'JSON file overriding machine parameters (see src/config/machine.ts); monitor suite: the monitor\'s costs only (src/config/monitor-costs.ts)' },
      'compare-threads': { type: 'string', requiresArg: true, describe: 'comma-separated thread counts: run each, check identical results, print speedups' },
      balance: { type: 'string', requiresArg: true, describe: 'comma-separated thread counts: run on one thread, keeping every node\'s host time per window, and replay those times for each count: the speedup that the division of work allows, coordination aside' },
      'trace-events': { type: 'string', requiresArg: true, describe: "write a Chrome trace of each worker's windows (open in Perfetto)" },
      'max-cycles': { type: 'number', default: 2e10, requiresArg: true, describe: 'stop the simulation after this many cycles' },
      console: { type: 'boolean', default: true, describe: 'echo the guest console (--no-console to silence)' },
      repeat: { type: 'number', requiresArg: true, describe: 'runs of each configuration (hart and monitor suites: each side, default 3 and 2; FLASH: each thread count on the same workers, default 1; sync: default 3); the best wall time counts' },
      json: { type: 'string', requiresArg: true, describe: 'write the results as JSON to this file' },
      only: { type: 'string', requiresArg: true, describe: `hart suite: run one of the benchmarks (${DEFAULT_HART_BENCHMARKS.map((b) => b.name).join(', ')}); monitor suite: one of the workloads (${MONITOR_WORKLOADS.map((w) => w.name).join(', ')})` },
      kernel: { type: 'string', requiresArg: true, describe: 'hart suite: run this bare-metal guest instead of the benchmarks' },
      'linux-kernel': { type: 'string', requiresArg: true, describe: 'hart suite: the same program for qemu-riscv64 (default: NAME.linux.elf beside --kernel NAME.elf)' },
      qemu: { type: 'string', default: 'qemu-riscv64', requiresArg: true, describe: 'hart suite: QEMU user-mode binary' },
      'max-insns': { type: 'number', requiresArg: true, describe: 'hart suite: instruction limit for the hart run' },
      'work-us': { type: 'string', default: '3,10,30', requiresArg: true, describe: 'sync suite: comma-separated microseconds of work per window' },
      windows: { type: 'number', default: 20000, requiresArg: true, describe: 'sync suite: windows per run' },
      messages: { type: 'number', default: 1, requiresArg: true, describe: 'sync suite: messages each worker sends the next one per window' },
      jitter: { type: 'number', default: 0, requiresArg: true, describe: 'sync suite: each window\'s work varies by up to this fraction of the mean, per worker (0 to 1)' },
      spans: { type: 'boolean', default: true, describe: 'flash suite: simulate as many windows in one pass over a worker\'s nodes as the other workers allow (--no-spans: one window a pass); the simulated results are the same either way' },
      'window-slack': { type: 'number', requiresArg: true, describe: 'flash and sync suites: windows per lookahead, K: a worker may start window n once all others finished n - K (default 2; a flash run on one thread: 1); the simulated results are the same for any K' },
      'spin-us': { type: 'number', requiresArg: true, describe: 'flash and sync suites: microseconds a waiting worker spins before it sleeps (default: adaptive, up to 256 with a core per worker)' },
    })
    .strict()
    .help()
    .version(false)
    .fail((msg, err) => {
      if (err) throw err;
      fail(`${msg.replace(/\s*\n\s*/g, ' ')} (see npm run bench -- --help)`);
    })
    .parseSync();

  const rel = (p: string) => relative(process.cwd(), resolve(p)) || p;
  try {
    const repeat = argv.repeat ?? (argv.suite === 'flash' ? 1 : argv.suite === 'monitor' ? 2 : 3);
    if (!Number.isInteger(repeat) || repeat < 1) fail(`--repeat ${argv.repeat}: give a whole number of runs, 1 or more`);
    const spinUs = argv['spin-us'];
    const windowSlack = argv['window-slack'];
    if (windowSlack !== undefined) checkWindowSlack(windowSlack);
    if (spinUs !== undefined && !(Number.isFinite(spinUs) && spinUs >= 0)) fail(`--spin-us ${spinUs}: give microseconds, 0 or more`);
    const timingGiven = argv.timing !== undefined || argv.quantum !== undefined || argv['validate-timing'] === true;
    if (timingGiven && argv.experiment === 'numa' && argv['validate-timing'] === true) {
      fail('--validate-timing compares the FLASH workloads; run the NUMA experiment with --timing exact and --timing quantum to compare its rows');
    }
    if (timingGiven && argv.experiment !== 'numa' && argv.suite !== 'flash') {
      fail('--timing, --quantum and --validate-timing belong to the FLASH machine benchmark (the default suite) and the NUMA experiment; the other suites run the exact mode');
    }
    if (argv['validate-timing'] === true) {
      await validateTiming(root, argv, windowSlack, spinUs);
      return;
    }
    if (argv.experiment === 'numa') {
      const names = argv.workloads?.split(',').map((x) => x.trim()) ?? NUMA_WORKLOADS.map((w) => w.name);
      const workloads = names.map((n) => NUMA_WORKLOADS.find((w) => w.name === n) ?? fail(`--workloads: '${n}' is none of ${NUMA_WORKLOADS.map((w) => w.name).join(', ')}`));
      const runs = argv.runs !== undefined ? parseNumaRuns(argv.runs) : [...NUMA_RUNS];
      const nodes = argv.nodes === undefined ? undefined : oneNodeCount(argv.nodes);
      const threads = argv.threads ?? 1;
      if (!(Number.isInteger(threads) && threads >= 1)) fail(`--threads ${threads}: give a whole number, 1 or more`);
      if (argv.jobs !== undefined && !(Number.isInteger(argv.jobs) && argv.jobs >= 1)) fail(`--jobs ${argv.jobs}: give a whole number of runs at once, 1 or more`);
      const machine = argv.config !== undefined ? readConfigFile(argv.config) : {};
      applyConfig(defaultConfig(), machine, argv.config ?? 'the experiment'); // refused before anything runs
      const { timing, quantumCycles } = timingOf(argv);
      const quantum = timing === 'quantum' ? quantumCycles ?? DEFAULT_TIMING_QUANTUM : undefined;
      const result = await runNumaExperiment({ root, nodes, workloads, runs, threads, machine, jobs: argv.jobs, quantum, progress: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(formatNumaTable(result) + '\n');
      if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
      if (argv.svg !== undefined) writeFileSync(argv.svg, numaSvg(result) + '\n');
      if (!result.ok) process.exitCode = 1;
      return;
    }
    if (argv.suite === 'sync') {
      const cores = availableParallelism();
      const threads = argv['compare-threads'] !== undefined
        ? numberList(argv['compare-threads'], '--compare-threads', 1)
        : [1, 2, 4, 8, 16, 32, 64].filter((t) => t < cores).concat(cores);
      const workUs = numberList(argv['work-us'], '--work-us', 0);
      if (!Number.isInteger(argv.windows) || argv.windows < 1) fail(`--windows ${argv.windows}: give a whole number of windows, 1 or more`);
      if (!Number.isInteger(argv.messages) || argv.messages < 0 || argv.messages > 64) fail(`--messages ${argv.messages}: give a whole number from 0 to 64`);
      if (!(argv.jitter >= 0 && argv.jitter <= 1)) fail(`--jitter ${argv.jitter}: give a fraction from 0 to 1`);
      const result = await runSyncBench({ threads, workUs, windows: argv.windows, messages: argv.messages, repeat, spinUs, slack: windowSlack, jitter: argv.jitter, progress: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(formatSyncBench(result) + '\n');
      if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
      if (!result.messagesOk) process.exitCode = 1;
      return;
    }
    if (argv.suite === 'monitor') {
      const workloads = argv.only === undefined ? MONITOR_WORKLOADS : MONITOR_WORKLOADS.filter((w) => w.name === argv.only);
      if (workloads.length === 0) fail(`--only '${argv.only}': the monitor workloads are ${MONITOR_WORKLOADS.map((w) => w.name).join(', ')}`);
      const costs = monitorCostConfig(argv.config !== undefined ? readConfigFile(argv.config) : {}, argv.config ?? 'the default configuration');
      const result = await runMonitorBench({ root, workloads, repeat, costs, progress: (line) => process.stderr.write(`${line}\n`) });
      process.stdout.write(formatMonitorBench(result) + '\n');
      if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
      if (!result.ok) process.exitCode = 1;
      return;
    }
    if (argv.suite === 'hart') {
      const result = runHartSpeed({
        benchmarks: hartBenchmarks(root, argv.only, argv.kernel, argv['linux-kernel']).map((b) => ({
          ...b, kernel: rel(b.kernel), linuxKernel: rel(b.linuxKernel),
        })),
        repeat,
        qemu: argv.qemu,
        maxInsns: argv['max-insns'],
        progress: (line) => process.stderr.write(`${line}\n`),
      });
      process.stdout.write(formatHartSpeed(result) + '\n');
      if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
      if (result.checksumsMatch === false) process.exitCode = 1;
      return;
    }
    const nodes = argv.nodes === undefined ? 16 : oneNodeCount(argv.nodes);
    const { timing, quantumCycles } = timingOf(argv);
    if (argv.workloads !== undefined) fail('--workloads belongs to --validate-timing and --experiment numa; the benchmark runs one --workload');
    let overrides: Record<string, unknown> = {};
    if (argv.config !== undefined) overrides = readConfigFile(argv.config);
    const config = applyConfig(defaultConfig(), { ...overrides, nodes }, argv.config ?? '--nodes');
    const balance = argv.balance === undefined ? undefined : numberList(argv.balance, '--balance', 1);
    if (balance !== undefined && (argv['compare-threads'] !== undefined || (argv.threads ?? 1) !== 1)) {
      fail('--balance runs the machine on one thread; leave out --threads and --compare-threads');
    }
    const tooMany = balance?.find((t) => t > config.nodes);
    if (tooMany !== undefined) fail(`--balance ${argv.balance}: ${tooMany} workers for ${config.nodes} nodes; a worker needs at least one node`);
    const threads = argv['compare-threads'] !== undefined
      ? argv['compare-threads'].split(',').map((x) => Number(x.trim()))
      : [argv.threads ?? (balance !== undefined ? 1 : defaultThreads(config.nodes))];
    for (const t of threads) checkThreads(t, config.nodes);
    const cores = availableParallelism();
    if (threads.some((t) => t > cores)) {
      process.stderr.write(`flashdisco bench: warning: ${Math.max(...threads)} threads on ${cores} cores; workers that share a core wait for each other, so wall times will not scale\n`);
    }
    const workload = argv.workload ?? 'radix';
    const w = WORKLOADS[workload];
    const imagePath = w !== undefined ? join(root, w.image) : workload;
    if (w === undefined && !existsSync(imagePath)) fail(`--workload '${workload}' is neither a known workload (${Object.keys(WORKLOADS).join(', ')}) nor an ELF file`);
    if (argv.size !== undefined && (w === undefined || !Number.isInteger(argv.size) || argv.size < 1)) {
      fail(w === undefined ? '--size needs a known --workload' : `--size ${argv.size}: give a positive whole number`);
    }
    const result = await runFlashBench({
      config,
      image: readElf(rel(imagePath), 'workload'),
      workload,
      threads,
      repeat,
      maxCycles: argv['max-cycles'],
      spinUs,
      windowSlack,
      noSpans: !argv.spans,
      patch: argv.size !== undefined && w !== undefined ? { [w.sizeSymbol]: argv.size } : {},
      traceEvents: argv['trace-events'],
      echoConsole: argv.console,
      balance,
      timing,
      quantumCycles,
      progress: (line) => process.stderr.write(`${line}\n`),
    });
    process.stdout.write(formatFlashBench(result) + '\n');
    if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
    if (result.identicalAcrossThreads === false) process.exitCode = 1;
  } catch (e) {
    if (e instanceof UserError) fail(e.message);
    throw e;
  }
}

type Argv = Record<string, unknown> & {
  nodes?: string; threads?: number; workloads?: string; workload?: string; quantum?: string; timing?: string; size?: number;
  config?: string; json?: string; 'max-cycles': number; spans: boolean; 'compare-threads'?: string; balance?: string;
  repeat?: number; 'trace-events'?: string;
};

/** The timing mode of a run (--timing) and its quantum (--quantum; undefined: the default). */
function timingOf(argv: Argv): { timing: Timing; quantumCycles: number | undefined } {
  const timing = (argv.timing ?? 'exact') as Timing;
  if (argv.quantum === undefined) return { timing, quantumCycles: undefined };
  if (timing !== 'quantum') throw new UserError('--quantum is the quantum of --timing quantum: add --timing quantum, or drop --quantum');
  if (argv.quantum.includes(',')) fail(`--quantum ${argv.quantum}: give one quantum for a run (lists are for --validate-timing)`);
  return { timing, quantumCycles: quantumList(argv.quantum)[0] };
}

/** --validate-timing: the quantum mode against the exact mode (bench/validate-timing.ts). */
async function validateTiming(root: string, argv: Argv, windowSlack: number | undefined, spinUs: number | undefined): Promise<void> {
  if (argv.timing !== undefined) fail('--validate-timing runs both timing modes; leave out --timing');
  for (const [flag, given] of [['--compare-threads', argv['compare-threads']], ['--balance', argv.balance], ['--repeat', argv.repeat], ['--trace-events', argv['trace-events']]] as const) {
    if (given !== undefined) fail(`${flag} is not for --validate-timing, which runs each configuration once (give --threads T for all runs)`);
  }
  if (argv.workload !== undefined) fail('--validate-timing takes --workloads (comma-separated), not --workload');
  const names = argv.workloads?.split(',').map((x) => x.trim()) ?? Object.keys(WORKLOADS);
  for (const n of names) {
    if (NUMA_WORKLOADS.some((x) => x.name === n)) {
      throw new UserError(`--workloads: ${n} is a workload of the NUMA experiment: compare its rows from --experiment numa --timing exact and --timing quantum; validate with ${Object.keys(WORKLOADS).join(', ')}`);
    }
    if (WORKLOADS[n] === undefined) fail(`--workloads: '${n}' is none of ${Object.keys(WORKLOADS).join(', ')}`);
  }
  if (argv.size !== undefined) {
    if (names.length !== 1) fail('--size sizes one workload; with --validate-timing give it with a single --workloads');
    if (!Number.isInteger(argv.size) || argv.size < 1) fail(`--size ${argv.size}: give a positive whole number`);
  }
  const nodes = argv.nodes === undefined ? [16, 64] : numberList(argv.nodes, '--nodes', 1);
  const quanta = quantumList(argv.quantum ?? '250,1000,4000');
  const overrides = argv.config !== undefined ? readConfigFile(argv.config) : {};
  const configs = new Map(nodes.map((n) => [n, applyConfig(defaultConfig(), { ...overrides, nodes: n }, argv.config ?? '--nodes')]));
  if (argv.threads !== undefined) for (const n of nodes) checkThreads(argv.threads, n);
  const cores = availableParallelism();
  const threadsFor = (n: number) => argv.threads ?? defaultThreads(n);
  if (nodes.some((n) => threadsFor(n) > cores)) {
    process.stderr.write(`flashdisco bench: warning: ${Math.max(...nodes.map(threadsFor))} threads on ${cores} cores; workers that share a core wait for each other, so host seconds will not scale\n`);
  }
  const rel = (p: string) => relative(process.cwd(), resolve(p)) || p;
  const workloads = names.map((n) => ({
    name: n,
    image: readElf(rel(join(root, WORKLOADS[n].image)), 'workload'),
    patch: argv.size !== undefined ? { [WORKLOADS[n].sizeSymbol]: argv.size } : {},
  }));
  const result = await runValidateTiming({
    workloads,
    nodes,
    quanta,
    config: (n) => configs.get(n)!,
    threads: threadsFor,
    maxCycles: argv['max-cycles'],
    spinUs,
    windowSlack,
    noSpans: !argv.spans,
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(formatValidateTiming(result) + '\n');
  if (argv.json !== undefined) writeFileSync(argv.json, JSON.stringify(result, null, 2) + '\n');
  if (!result.ok) process.exitCode = 1;
}

/** --nodes for a single machine: one whole number, 1 or more. */
function oneNodeCount(text: string): number {
  const n = Number(text.trim());
  if (text.includes(',')) fail(`--nodes ${text}: give one node count (lists are for --validate-timing)`);
  if (text.trim() === '' || !Number.isInteger(n) || n < 1) fail(`--nodes ${text}: give a whole number of nodes, 1 or more`);
  return n;
}

/** Quanta in cycles, comma-separated: whole numbers of 16 or more (the quantum mode's least). */
function quantumList(text: string): number[] {
  const xs = text.split(',').map((x) => Number(x.trim()));
  for (const x of xs) {
    if (!(Number.isSafeInteger(x) && x >= 16)) fail(`--quantum ${text}: give the quantum in cycles, a whole number of 16 or more${xs.length > 1 ? ' each' : ''}`);
  }
  return xs;
}

/** A comma-separated list of numbers, each at least `min` (whole numbers when min is 1). */
function numberList(text: string, flag: string, min: number): number[] {
  const xs = text.split(',').map((x) => Number(x.trim()));
  for (const x of xs) {
    if (!Number.isFinite(x) || x < min || (min === 1 && !Number.isInteger(x))) {
      fail(`${flag} ${text}: give comma-separated ${min === 1 ? 'whole numbers, 1 or more' : `numbers, ${min} or more`}`);
    }
  }
  return xs;
}

/** The hart suite's benchmarks: the default ones, one of them (--only), or a given image. */
function hartBenchmarks(root: string, only: string | undefined, kernel: string | undefined, linuxKernel: string | undefined): HartBenchmark[] {
  if (kernel !== undefined) {
    if (only !== undefined) fail('--only picks one of the built-in benchmarks; leave it out with --kernel');
    const name = basename(kernel).replace(/\.elf$/, '');
    return [{ name, what: 'the given image', kernel, linuxKernel: linuxKernel ?? kernel.replace(/(\.elf)?$/, '.linux.elf') }];
  }
  if (linuxKernel !== undefined) fail('--linux-kernel needs --kernel (the bare-metal image of the same program)');
  const all = DEFAULT_HART_BENCHMARKS.map((b) => ({ ...b, kernel: join(root, b.kernel), linuxKernel: join(root, b.linuxKernel) }));
  if (only === undefined) return all;
  const picked = all.filter((b) => b.name === only);
  if (picked.length === 0) fail(`--only '${only}': the benchmarks are ${all.map((b) => b.name).join(', ')}`);
  return picked;
}

function readConfigFile(path: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserError(`--config '${path}' cannot be read; give a JSON file of machine parameters`);
  }
  try {
    const v = JSON.parse(text) as unknown;
    if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
    return v as Record<string, unknown>;
  } catch {
    throw new UserError(`--config '${path}' is not a JSON object of parameter names to numbers`);
  }
}

await main();
