// Console input of a FLASH machine run, the coordinator's side: bytes for the I/O node's UART in
// shared memory (shared-abi consoleInputLayout), which node 0's worker takes a line at a time
// when the guest waits for it (node-actor/io-node.ts).
//
// All of it known before the run (a file, a pipe read to its end, a test's script): the run is
// the same for any --threads. Arriving while the machine runs (a terminal): bytes are appended
// as they come and the run waits for them when the guest does, so it depends on when they come.

import { consoleInputLayout } from '../shared-abi/machine.js';

/** Room for typed input when it is not known in advance. */
export const LIVE_INPUT_BYTES = 1 << 20;

export class FlashConsoleInput {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  private readonly v: { count: Int32Array; ended: Int32Array; bytes: Uint8Array };

  private constructor(capacity: number) {
    this.capacity = capacity;
    const layout = consoleInputLayout(capacity);
    this.buffer = layout.allocate();
    this.v = layout.views(this.buffer);
  }

  /** All the input there will be. */
  static of(bytes: Uint8Array | string): FlashConsoleInput {
    const b = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
    const input = new FlashConsoleInput(Math.max(1, b.length));
    input.push(b);
    input.end();
    return input;
  }

  /** Input that arrives while the machine runs; end() when there is no more. */
  static live(capacity = LIVE_INPUT_BYTES): FlashConsoleInput {
    return new FlashConsoleInput(capacity);
  }

  /** Appends bytes; false (and nothing appended) when they do not fit. */
  push(bytes: Uint8Array): boolean {
    const count = this.v.count[0]!;
    if (count + bytes.length > this.v.bytes.length) return false;
    this.v.bytes.set(bytes, count);
    Atomics.store(this.v.count, 0, count + bytes.length);
    return true;
  }

  end(): void {
    Atomics.store(this.v.ended, 0, 1);
  }
}
