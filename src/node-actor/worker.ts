// The piscina worker entry: one long-lived task per worker thread, which steps that worker's
// nodes until the machine stops. The result leaves the data plane as a msgpackr record.

import { pack } from 'msgpackr';
import { AbortedError } from './window-clock.js';
import { runWorker, type WorkerTask } from './worker-loop.js';
import { controlLayout } from '../shared-abi/machine.js';

export default function task(t: WorkerTask): Uint8Array {
  try {
    return pack(runWorker(t));
  } catch (e) {
    if (!(e instanceof AbortedError)) {
      Atomics.store(controlLayout(t.config.nodes, t.workers).views(t.control).abort, 0, 1);
    }
    throw e;
  }
}
