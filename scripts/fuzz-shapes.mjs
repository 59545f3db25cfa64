// Runs the FLASH machine on random machine shapes (line size, cache sizes and ways, MAGIC,
// network and memory times, mesh width, sharer pointers) and random cuts by maxCycles, each
// once as the reference (1 thread, K = 1) and then with other thread counts, window lengths
// and engine shortcuts, and reports every run whose simulated results differ from the
// reference (DIFF), that failed (ERR), or whose workload did not pass on that shape (NOTE).
// The shapes the tests fix cover what this found; it is the way to look for more.
//
//   npm run build && node scripts/fuzz-shapes.mjs [seconds=300] [seed=1]
//
// Exit status 1 when anything was reported. virt-smp and the workloads assume nothing about
// the line size; a NOTE is a real failure, or a shape so slow that it hit the cycle limit.

import { applyConfig, defaultConfig } from '../dist/src/config/machine.js';
import { runFlash } from '../dist/src/sim/flash-machine.js';
import { readElf } from '../dist/src/sim/elf.js';
import { FlashConsoleInput } from '../dist/src/sim/flash-input.js';

const seconds = Number(process.argv[2] ?? 300);
let seed = Number(process.argv[3] ?? 1);
// Far beyond what any workload here takes on any shape that works (the longest, radix on 72
// nodes, about 3 million cycles), and short enough that a shape that breaks one ends soon.
const MAX_CYCLES = 1e8;

// A small LCG: the same seed gives the same shapes, so that a report can be run again.
const random = () => { seed = (Math.imul(seed, 1103515245) + 12345) & 0x7fffffff; return seed / 0x80000000; };
const pick = (a) => a[Math.floor(random() * a.length)];

const elf = (name) => readElf(`guest/build/${name}.elf`);
const WORKLOADS = [
  { name: 'radix', nodes: [2, 4, 5, 8], run: { image: elf('radix'), patch: { radix_keys: 1024 } } },
  { name: 'radix', nodes: [72], run: { image: elf('radix'), patch: { radix_keys: 2048 } } },
  { name: 'stencil', nodes: [4, 6, 8], run: { image: elf('stencil'), patch: { stencil_width: 32, stencil_height: 32, stencil_iters: 2 } } },
  { name: 'flash-stress', nodes: [3, 4, 8], run: { image: elf('flash-stress'), patch: { stress_ops: 2000 } } },
  { name: 'flash-counters', nodes: [4], run: { image: elf('flash-counters') } },
  { name: 'flash-smc', nodes: [2, 3], run: { image: elf('flash-smc') } },
  // Console input is consumed by a run: a fresh one each time.
  { name: 'virt-uart-echo', nodes: [2, 3], fresh: () => ({ virt: { kernel: 'guest/build/virt-uart-echo.elf' }, input: FlashConsoleInput.of('only this\n') }) },
  { name: 'virt-smp', nodes: [4], fresh: () => ({ virt: { kernel: 'guest/build/virt-smp.elf' } }) },
];

function shape(nodes) {
  return {
    nodes, lineBytes: pick([32, 64, 128, 256]), l1dKiB: pick([1, 4, 32]), l1Ways: pick([1, 2, 4]), l2KiB: pick([8, 64, 1024]),
    l2Ways: pick([1, 4]), magicCycles: pick([0, 8, 30]), niCycles: pick([0, 60]), hopCycles: pick([0, 16, 40]),
    linkBytesPerCycle: pick([0.5, 2, 64]), memoryCycles: pick([0, 104]), nackRetryCycles: pick([1, 32]), missThreshold: pick([4, 128]),
    missResetCycles: pick([0, 10000, 4e6]), meshWidth: pick([0, 1, nodes]), dirPointers: pick([1, 2, 8]),
    cacheToCacheCycles: pick([0, 40]), l2HitCycles: pick([0, 10]),
  };
}

const deadline = Date.now() + seconds * 1000;
let shapes = 0, runs = 0, reports = 0;
const report = (kind, ...what) => { reports++; console.log(kind, ...what); };
while (Date.now() < deadline) {
  const w = pick(WORKLOADS);
  const s = shape(pick(w.nodes));
  let config;
  try {
    config = applyConfig(defaultConfig(), s, 'fuzz-shapes');
  } catch {
    continue; // a shape the configuration refuses (an L2 smaller than an L1)
  }
  const run = (more) => runFlash({ config, echoConsole: false, watchdogMs: 60_000, ...w.run, ...(w.fresh?.() ?? {}), ...more });
  const label = `${w.name} ${JSON.stringify(s)}`;
  let whole;
  try {
    whole = await run({ threads: 1, maxCycles: MAX_CYCLES });
  } catch (e) {
    report('ERR', label, String(e).split('\n')[0]);
    continue;
  }
  shapes++;
  if (whole.sim.stopped === 'max-cycles' || whole.sim.exitCode !== 0) {
    report('NOTE', label, whole.sim.stopped, `exit ${whole.sim.exitCode}`, JSON.stringify(whole.sim.console.slice(-160)));
    continue;
  }
  const end = whole.sim.endCycle;
  const cut = pick([MAX_CYCLES, MAX_CYCLES, Math.floor(end * random()), end - Math.floor(random() * 300), end + Math.floor(random() * 50) - 25]);
  const reference = await run({ threads: 1, windowSlack: 1, maxCycles: cut });
  for (let k = 0; k < 2; k++) {
    const v = {
      threads: Math.min(s.nodes, pick([1, 2, 3, 4])), windowSlack: pick([1, 2, 3, 5, 8]),
      noSpans: random() < 0.3, noQuietSkip: random() < 0.2, noIdleSkip: random() < 0.2,
    };
    let r;
    try {
      r = await run({ ...v, maxCycles: cut });
    } catch (e) {
      report('ERR', label, JSON.stringify(v), String(e).split('\n')[0]);
      continue;
    }
    runs++;
    if (JSON.stringify(r.sim) !== JSON.stringify(reference.sim)) {
      report('DIFF', label, `cut ${cut}`, JSON.stringify(v), `reference ${reference.sim.stopped} ${reference.sim.endCycle}`, `got ${r.sim.stopped} ${r.sim.endCycle}`);
    }
  }
}
console.log(`${shapes} shapes, ${runs} runs compared, ${reports} reported (seed ${process.argv[3] ?? 1})`);
process.exit(reports > 0 ? 1 : 0);
