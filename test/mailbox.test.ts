// Mailboxes between workers: records are seen by their consumer only once the producer publishes
// them, in the order pushed, across the ring's wrap, and a full ring publishes what it holds.
import { describe, expect, it } from 'vitest';
import { Mailboxes } from '../src/interconnect/mailbox.js';
import { mailboxLayout } from '../src/shared-abi/machine.js';
import { MSG_WORDS } from '../src/directory/messages.js';

const SLOTS = 4;

function pair() {
  const layout = mailboxLayout(2, SLOTS, MSG_WORDS);
  const buffer = layout.allocate();
  // Each worker has its own Mailboxes over the same shared region, as in the engine.
  return { producer: new Mailboxes(layout.views(buffer), 2, SLOTS), consumer: new Mailboxes(layout.views(buffer), 2, SLOTS) };
}

function drained(m: Mailboxes): [number, number][] {
  const got: [number, number][] = [];
  m.drain(0, 1, (time, words, base) => { got.push([time, words[base]]); });
  return got;
}

const push = (m: Mailboxes, k: number) => m.push(0, 1, 100 + k, k, 0, 0, 0, 0, 0, 0, 0, 0);

describe('mailboxes', () => {
  it('hide records until they are published, then hand them over in order', () => {
    const { producer, consumer } = pair();
    expect(push(producer, 1)).toBe(true);
    expect(push(producer, 2)).toBe(true);
    expect(drained(consumer)).toEqual([]);
    producer.publish(0);
    expect(drained(consumer)).toEqual([[101, 1], [102, 2]]);
    expect(drained(consumer)).toEqual([]);
  });

  it('publish a full ring, refuse the record that does not fit, and take it once drained', () => {
    const { producer, consumer } = pair();
    for (let k = 0; k < SLOTS; k++) expect(push(producer, k)).toBe(true);
    expect(push(producer, SLOTS)).toBe(false);
    expect(drained(consumer).map(([, w]) => w)).toEqual([0, 1, 2, 3]);
    expect(push(producer, SLOTS)).toBe(true);
    producer.publish(0);
    expect(drained(consumer)).toEqual([[100 + SLOTS, SLOTS]]);
  });

  it('keep order across many wraps of the ring', () => {
    const { producer, consumer } = pair();
    const seen: number[] = [];
    for (let k = 0; k < 50; k++) {
      while (!push(producer, k)) seen.push(...drained(consumer).map(([, w]) => w));
      if (k % 3 === 0) producer.publish(0);
    }
    producer.publish(0);
    seen.push(...drained(consumer).map(([, w]) => w));
    expect(seen).toEqual(Array.from({ length: 50 }, (_, k) => k));
  });
});
