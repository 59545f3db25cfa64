// The piscina worker entry: one long-lived task per worker thread, which steps that worker's
// nodes until the machine stops. The result leaves the data plane as a msgpackr record.

import { pack } from 'msgpackr';
import { AbortedError } from './window-clock.js';
import { runWorker, type WorkerExtension, type WorkerTask } from './worker-loop.js';
import { runQuantumWorker } from './quantum-loop.js';
import { controlLayout } from '../shared-abi/machine.js';

/** Runs the task (with what `ext` adds to the nodes); a failure makes every other worker stop too. */
export function workerTask(t: WorkerTask, ext?: WorkerExtension): Uint8Array {
  try {
    return pack(t.quantum !== undefined ? runQuantumWorker(t, ext) : runWorker(t, ext));
  } catch (e) {
    if (!(e instanceof AbortedError)) {
      Atomics.store(controlLayout(t.config.nodes, t.workers).views(t.control).abort, 0, 1);
    }
    throw e;
  }
}

export default function task(t: WorkerTask): Uint8Array {
  return workerTask(t);
}
