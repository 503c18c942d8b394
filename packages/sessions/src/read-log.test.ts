import { describe, expect, it } from 'vitest';
import type { EventLog } from './event-log.js';
import { readLog } from './read-log.js';
import { eventLogPerTest, nextTick as tick } from './test-support/harness.js';

let log: EventLog;
const { appendMany } = eventLogPerTest('sylk-read-log-', (opened) => (log = opened));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

/** Appends `total` events in bursts, a tick apart, as a streaming turn does. */
async function produce(total: number, burst = 50): Promise<void> {
  for (let done = 0; done < total; done += burst) {
    await appendMany(Math.min(burst, total - done));
    await tick();
  }
}

describe('readLog', () => {
  it('without follow, reads up to the event that was last when it started, however much is appended meanwhile', async () => {
    await appendMany(3_000);
    const seqs: number[] = [];
    const producer = produce(20_000);
    // A slow reader: the appends outrun it by far, which would overflow a live subscription.
    for await (const event of readLog(log, 10, { pageSize: 100, subscribe: { bufferLimit: 10 } })) {
      seqs.push(event.seq);
      if (seqs.length % 10 === 0) await tick();
    }
    await producer;
    expect(seqs).toEqual(range(10, 3_000));
  });

  it('without follow, from past the end, ends at once', async () => {
    await appendMany(5);
    const seqs: number[] = [];
    for await (const event of readLog(log, 6)) seqs.push(event.seq);
    for await (const event of readLog(log, 1_000)) seqs.push(event.seq);
    expect(seqs).toEqual([]);
  });

  it('with follow, a reader that falls behind goes on from disk and sees every event once, in order', async () => {
    await appendMany(100);
    const TOTAL = 100 + 8_000;
    const controller = new AbortController();
    const seqs: number[] = [];
    const producer = produce(8_000, 200);
    for await (const event of readLog(log, 1, {
      follow: true,
      signal: controller.signal,
      subscribe: { bufferLimit: 64 },
    })) {
      seqs.push(event.seq);
      // Now and then the reader stalls while it is caught up: the appends overflow its buffer.
      if (seqs.length % 700 === 0) for (let i = 0; i < 5; i++) await tick();
      if (event.seq === TOTAL) controller.abort();
    }
    await producer;
    expect(seqs).toEqual(range(1, TOTAL));
  });

  it('with follow, an abort ends a reader that is waiting for the next event', async () => {
    await appendMany(3);
    const controller = new AbortController();
    const reader = (async () => {
      const seqs: number[] = [];
      for await (const event of readLog(log, 1, { follow: true, signal: controller.signal })) seqs.push(event.seq);
      return seqs;
    })();
    await tick();
    controller.abort();
    expect(await reader).toEqual([1, 2, 3]);
  });

  it('with follow, ends when the log closes, after what was committed', async () => {
    await appendMany(2);
    const reader = (async () => {
      const seqs: number[] = [];
      for await (const event of readLog(log, 1, { follow: true })) seqs.push(event.seq);
      return seqs;
    })();
    await appendMany(2);
    log.close();
    expect(await reader).toEqual([1, 2, 3, 4]);
  });
});
