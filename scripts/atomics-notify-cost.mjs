// What Atomics.notify costs when nobody waits, alone and with threads calling it at once: V8
// takes one lock for the whole process in it, which is why the window clock notifies only a
// worker that sleeps (src/node-actor/window-clock.ts). Usage: node scripts/atomics-notify-cost.mjs [maxThreads]
import { Worker, isMainThread, workerData, parentPort } from 'node:worker_threads';

if (!isMainThread) {
  const a = new Int32Array(workerData.sab);
  const i = workerData.i * 16; // a 64-byte line each: no false sharing
  const n = 500_000;
  const t0 = performance.now();
  for (let k = 0; k < n; k++) {
    Atomics.store(a, i, k);
    if (workerData.notify) Atomics.notify(a, i);
  }
  parentPort.postMessage((performance.now() - t0) * 1e6 / n);
} else {
  const max = Number(process.argv[2] ?? 2);
  const sab = new SharedArrayBuffer(64 * max);
  for (let k = 1; k <= max; k *= 2) {
    for (const notify of [false, true]) {
      const ns = await Promise.all(Array.from({ length: k }, (_, i) => new Promise((resolve, reject) => {
        const w = new Worker(new URL(import.meta.url), { workerData: { sab, i, notify } });
        w.once('message', (m) => { resolve(m); w.terminate(); });
        w.once('error', reject);
      })));
      console.log(`${String(k).padStart(3)} thread(s), store${notify ? ' + notify' : '         '}: ${ns.map((x) => x.toFixed(1)).join(', ')} ns per call`);
    }
  }
}
