// Mailboxes between workers: one single-producer single-consumer ring per (sending worker,
// receiving worker), of fixed-layout message records in shared memory (shared-abi/machine.ts).
//
// The producer writes records and publishes its rings' new tails with Atomics.store once per
// window (`publish`), before it says the window is done: no worker reads a message before the
// sender's window has ended (window-clock.ts), and one store per ring and window, instead of one
// per message, spares the line that both sides touch a trip between cores for every message. The
// consumer reads up to the tail it loads with Atomics.load and publishes its head the same way,
// so a record is never read half-written. A consumer may drain at any time: every record carries
// its delivery time, and the node queues order them. A full ring publishes what it holds and
// makes the producer drain its own inbound rings while it waits, so two workers filling each
// other's rings cannot deadlock.

import { MSG_WORDS } from '../directory/messages.js';

export interface MailboxViews {
  head: Int32Array;
  tail: Int32Array;
  time: Float64Array;
  words: Int32Array;
}

/** Receives drained records: the delivery time and the record's int32 words at `base`. */
export type RecordSink = (time: number, words: Int32Array, base: number) => void;

/** Index stride of the ownLine head/tail arrays (64-byte lines of int32). */
const LINE_STRIDE = 16;

export class Mailboxes {
  /** This side's view of each ring: the tail written so far and the head last loaded. */
  private readonly written: Int32Array;
  private readonly headSeen: Int32Array;

  constructor(private readonly v: MailboxViews, private readonly workers: number, readonly slots: number) {
    this.written = new Int32Array(workers * workers);
    this.headSeen = new Int32Array(workers * workers);
    for (let r = 0; r < workers * workers; r++) {
      this.written[r] = Atomics.load(v.tail, r * LINE_STRIDE);
      this.headSeen[r] = Atomics.load(v.head, r * LINE_STRIDE);
    }
  }

  private ring(src: number, dst: number): number {
    return src * this.workers + dst;
  }

  /**
   * Append a record to ring (src -> dst), unseen until `publish`; false when the ring is full
   * (it is then published, so that its consumer can make room).
   */
  push(src: number, dst: number, time: number, w0: number, w1: number, w2: number, w3: number, w4: number,
    w5: number, w6: number, w7: number, w8: number): boolean {
    const ring = this.ring(src, dst);
    const tail = this.written[ring];
    if (tail - this.headSeen[ring] >= this.slots) {
      this.headSeen[ring] = Atomics.load(this.v.head, ring * LINE_STRIDE);
      if (tail - this.headSeen[ring] >= this.slots) {
        Atomics.store(this.v.tail, ring * LINE_STRIDE, tail);
        return false;
      }
    }
    const slot = ring * this.slots + (tail % this.slots);
    this.v.time[slot] = time;
    const b = slot * MSG_WORDS, w = this.v.words;
    w[b] = w0; w[b + 1] = w1; w[b + 2] = w2; w[b + 3] = w3; w[b + 4] = w4;
    w[b + 5] = w5; w[b + 6] = w6; w[b + 7] = w7; w[b + 8] = w8;
    this.written[ring] = tail + 1;
    return true;
  }

  /** Make every record that `src` has pushed visible to its consumers. */
  publish(src: number): void {
    for (let dst = 0; dst < this.workers; dst++) {
      const ring = this.ring(src, dst);
      if (this.v.tail[ring * LINE_STRIDE] !== this.written[ring]) Atomics.store(this.v.tail, ring * LINE_STRIDE, this.written[ring]);
    }
  }

  /** Records `src` has pushed into ring (src -> dst) so far, published or not (the producer only). */
  pushed(src: number, dst: number): number {
    return this.written[this.ring(src, dst)];
  }

  /**
   * Hand every published record of ring (src -> dst) to `sink`, or those before the `upTo`-th
   * the producer ever pushed (a count it published earlier: the quantum mode takes only what was
   * sent before its barrier); returns how many.
   */
  drain(src: number, dst: number, sink: RecordSink, upTo = Infinity): number {
    const ring = this.ring(src, dst);
    const published = Atomics.load(this.v.tail, ring * LINE_STRIDE);
    const tail = upTo < published ? upTo : published;
    let head = this.v.head[ring * LINE_STRIDE];
    const n = tail - head;
    while (head < tail) {
      const slot = ring * this.slots + (head % this.slots);
      sink(this.v.time[slot], this.v.words, slot * MSG_WORDS);
      head++;
    }
    if (n > 0) Atomics.store(this.v.head, ring * LINE_STRIDE, head);
    return n;
  }
}
