// Console input of a FLASH machine run, the coordinator's side: bytes for the I/O node's UART in
// a ring in shared memory (shared-abi consoleInputLayout), which node 0's worker takes a line at
// a time when the guest wants one (node-actor/io-node.ts).
//
// All of it known before the run (a file, a test's script: `of`), or arriving while the machine
// runs (a pipe, a terminal: `live`, fed by feedConsoleInput). Where the guest waits for a line
// that has not come, the I/O node's worker waits for it (or for the end of input) and the others
// wait for that worker, so the line goes in at the same simulated time however late it comes
// and the run is the same for any --threads; a line that comes while the guest is busy goes in
// when it next waits (uart-input.ts says where that is).
//
// The coordinator writes bytes at count and the worker takes them up to taken; count - taken never
// exceeds the capacity, so a producer faster than the guest (a big file through a pipe) waits
// for room instead of losing input.

import { consoleInputLayout } from '../shared-abi/machine.js';

/** Room for input that arrives while the machine runs. */
export const LIVE_INPUT_BYTES = 1 << 20;
/** How often a producer waiting for room looks again (ms of host time). */
const ROOM_POLL_MS = 5;

export class FlashConsoleInput {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  /** All the input there will be is in the buffer (of()). */
  readonly complete: boolean;
  private readonly v: { count: Int32Array; taken: Int32Array; ended: Int32Array; bytes: Uint8Array };

  private constructor(capacity: number, complete: boolean) {
    this.capacity = capacity;
    this.complete = complete;
    const layout = consoleInputLayout(capacity);
    this.buffer = layout.allocate();
    this.v = layout.views(this.buffer);
  }

  /** All the input there will be. */
  static of(bytes: Uint8Array | string): FlashConsoleInput {
    const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    const input = new FlashConsoleInput(Math.max(1, b.length), true);
    input.push(b);
    input.end();
    return input;
  }

  /** Input that arrives while the machine runs; end() when there is no more. */
  static live(capacity = LIVE_INPUT_BYTES): FlashConsoleInput {
    return new FlashConsoleInput(capacity, false);
  }

  /** Appends as many of `bytes` as there is room for; returns how many. */
  push(bytes: Uint8Array): number {
    const v = this.v;
    const count = v.count[0]!;
    const n = Math.min(bytes.length, this.capacity - (count - Atomics.load(v.taken, 0)));
    const at = count % this.capacity;
    const first = Math.min(n, this.capacity - at);
    v.bytes.set(bytes.subarray(0, first), at);
    v.bytes.set(bytes.subarray(first, n), 0);
    Atomics.store(v.count, 0, count + n);
    Atomics.notify(v.count, 0);
    return n;
  }

  end(): void {
    Atomics.store(this.v.ended, 0, 1);
    Atomics.notify(this.v.count, 0);
  }
}

/**
 * Feeds a stream (stdin) into `input` as it comes, pausing the stream while the buffer is full,
 * and ends the input with the stream. Returns a function that stops feeding.
 */
export function feedConsoleInput(input: FlashConsoleInput, stream: NodeJS.ReadStream): () => void {
  let waiting = false, ended = false;
  let timer: NodeJS.Timeout | undefined;
  const offer = (b: Uint8Array): void => {
    const rest = b.subarray(input.push(b));
    if (rest.length > 0) {
      waiting = true;
      stream.pause();
      timer = setTimeout(() => offer(rest), ROOM_POLL_MS);
      return;
    }
    waiting = false;
    if (ended) input.end();
    else stream.resume();
  };
  const end = (): void => {
    ended = true;
    if (!waiting) input.end();
  };
  stream.on('data', (b: Buffer) => offer(b));
  stream.on('end', end);
  stream.on('error', end);
  return () => {
    clearTimeout(timer);
    stream.removeAllListeners('data');
  };
}
