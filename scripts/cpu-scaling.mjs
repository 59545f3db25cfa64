// How much parallel compute a host really gives Node worker threads, before its speedup figures
// are trusted: K workers each run the same fixed integer loop at once, for K = 1, 2, 4, ...
// up to the core count; a host whose cores are real shows the same time per worker at every K.
// A shared, throttled or hyperthreaded host shows it rising. Usage: node scripts/cpu-scaling.mjs [maxK]
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { availableParallelism } from 'node:os';

if (!isMainThread) {
  const t0 = performance.now();
  let x = workerData.seed | 0;
  for (let i = 0; i < 200_000_000; i++) x = (Math.imul(x, 1103515245) + 12345 + i) | 0;
  parentPort.postMessage({ ms: performance.now() - t0, x });
} else {
  const max = Number(process.argv[2] ?? availableParallelism());
  const counts = [];
  let one = 0;
  for (let k = 1; k <= max; k *= 2) counts.push(k);
  if (counts[counts.length - 1] !== max) counts.push(max);
  for (const k of counts) {
    const t0 = performance.now();
    const ms = await Promise.all(Array.from({ length: k }, (_, i) => new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { seed: i } });
      w.once('message', (m) => { resolve(m.ms); w.terminate(); });
      w.once('error', reject);
    })));
    const wall = performance.now() - t0;
    ms.sort((a, b) => a - b);
    if (k === 1) one = ms[0];
    console.log(`${String(k).padStart(3)} workers: wall ${(wall / 1000).toFixed(2)} s, per worker ${(ms[0] / 1000).toFixed(2)}-${(ms[ms.length - 1] / 1000).toFixed(2)} s, throughput ${(k * one / ms[ms.length - 1]).toFixed(2)}x one worker`);
  }
}
