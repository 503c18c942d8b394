import { describe, expect, it } from 'vitest';
import type { EventLog } from './event-log.js';
import { isResync, type SubscriptionItem } from './events.js';
import type { Subscription } from './subscription.js';
import { eventLogPerTest, nextTick as tick } from './test-support/harness.js';

let log: EventLog;
const { appendMany } = eventLogPerTest('sylk-subs-', (opened) => (log = opened));

/** Reads until it has seen `lastSeq` (or the stream ends); returns every item. */
async function drain(sub: Subscription, lastSeq: number, slow = false): Promise<SubscriptionItem[]> {
  const items: SubscriptionItem[] = [];
  for await (const item of sub) {
    items.push(item);
    if (slow && items.length % 37 === 0) await tick();
    if (!isResync(item) && item.seq >= lastSeq) break;
  }
  return items;
}
const seqs = (items: SubscriptionItem[]) => items.map((i) => (isResync(i) ? `resync@${i.fromSeq}` : i.seq));
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => from + k);

describe('subscribe', () => {
  it('replays then continues live with no gap or duplicate while appends race', async () => {
    await appendMany(1_000);
    const TOTAL = 6_000;
    const producer = (async () => {
      for (let seq = 1_000; seq < TOTAL;) {
        const burst = 1 + (seq % 97);
        const n = Math.min(burst, TOTAL - seq);
        await appendMany(n);
        seq += n;
        if (seq % 3 === 0) await tick();
      }
    })();
    // Attach while bursts are appended but not yet committed, from the start, the middle and the future.
    void log.append('notice', { racing: true }).catch(() => undefined);
    const fromStart = log.subscribe(1, { bufferLimit: 100_000 });
    const fromMiddle = log.subscribe(500);
    const fromFuture = log.subscribe(log.lastSeq + 20);
    const [a, b, c] = await Promise.all([
      drain(fromStart, TOTAL + 1, true),
      drain(fromMiddle, TOTAL + 1),
      drain(fromFuture, TOTAL + 1, true),
    ]);
    await producer;
    expect(seqs(a)).toEqual(range(1, TOTAL + 1));
    expect(seqs(b)).toEqual(range(500, TOTAL + 1));
    expect(seqs(c)).toEqual(range(1_020, TOTAL + 1));
    expect(log.subscriberCount).toBe(0); // breaking out of for-await unsubscribed them
  });

  it('gives two live subscribers the same events', async () => {
    const one = log.subscribe(1);
    const two = log.subscribe(1);
    const reading = Promise.all([drain(one, 300), drain(two, 300, true)]);
    for (let i = 0; i < 3; i++) {
      await appendMany(100);
      await tick();
    }
    const [x, y] = await reading;
    expect(seqs(x)).toEqual(range(1, 300));
    expect(seqs(y)).toEqual(seqs(x));
  });

  it('drops a stalled subscriber with a resync while a fast one and the appender carry on', async () => {
    const stalled = log.subscribe(1, { bufferLimit: 100 });
    const fast = log.subscribe(1, { bufferLimit: 100 });
    const reading = drain(fast, 2_000);
    for (let i = 0; i < 40; i++) {
      await appendMany(50);
      await tick();
    }
    expect(seqs(await reading)).toEqual(range(1, 2_000));
    expect(log.subscriberCount).toBe(0);
    expect(stalled.finished).toBe(true);
    expect(stalled.buffered).toBe(0); // its memory was released when it was dropped
    expect(await stalled.next()).toEqual({ value: { type: 'resync', fromSeq: 1 }, done: false });
    expect((await stalled.next()).done).toBe(true);
  });

  it('resyncs from the first undelivered event, and re-attaching from there loses nothing', async () => {
    const sub = log.subscribe(1, { bufferLimit: 50 });
    await appendMany(10);
    const firstTen = await drain(sub, 10);
    // break returned the iterator, so subscribe again from 11 and stall this time.
    const stalled = log.subscribe(11, { bufferLimit: 50 });
    await appendMany(30);
    await appendMany(30);
    const item = (await stalled.next()).value as SubscriptionItem;
    expect(item).toEqual({ type: 'resync', fromSeq: 11 });
    const again = await drain(log.subscribe(11), 70);
    expect([...seqs(firstTen), ...seqs(again)]).toEqual(range(1, 70));
  });

  it('also bounds the buffer by bytes', async () => {
    const sub = log.subscribe(1, { bufferBytes: 10_000 });
    await Promise.all(Array.from({ length: 20 }, () => log.append('tool_output', { chunk: 'y'.repeat(1_000) })));
    expect(await sub.next()).toEqual({ value: { type: 'resync', fromSeq: 1 }, done: false });
  });

  it('unsubscribes on return(), ending a pending next()', async () => {
    const sub = log.subscribe(1);
    const pending = sub.next();
    expect(log.subscriberCount).toBe(1);
    await sub.return();
    expect(await pending).toEqual({ value: undefined, done: true });
    expect(log.subscriberCount).toBe(0);
    await appendMany(5);
    expect((await sub.next()).done).toBe(true);
  });

  it('on close, delivers what a subscriber holds, then ends it or asks it to resync', async () => {
    await appendMany(5);
    const caughtUp = log.subscribe(1, { bufferLimit: 1_000 });
    expect(seqs(await drain(caughtUp, 5))).toEqual(range(1, 5));
    const live = log.subscribe(6);
    const behind = log.subscribe(1, { bufferLimit: 4 }); // replays two at a time from disk
    await behind.next();
    await appendMany(2);
    log.close();
    expect(seqs(await drain(live, 99))).toEqual([6, 7]);
    expect(seqs(await drain(behind, 99))).toEqual([2, 'resync@3']);
  });
});

describe('takeAvailable', () => {
  it('returns what is available now, in order, mixed with next(), without gaps or waiting', async () => {
    await appendMany(2_500);
    const sub = log.subscribe(1);
    const first = await sub.next();
    expect(first.done === false && !isResync(first.value) && first.value.seq).toBe(1);
    const batch = sub.takeAvailable(1_000);
    expect(seqs(batch)).toEqual(range(2, 1_001));
    const rest = sub.takeAvailable(10_000);
    expect(seqs(rest)).toEqual(range(1_002, 2_500));
    expect(sub.takeAvailable(10)).toEqual([]);
    const live = sub.next();
    await appendMany(3);
    const next = await live;
    expect(next.done === false && !isResync(next.value) && next.value.seq).toBe(2_501);
    expect(seqs(sub.takeAvailable(10))).toEqual([2_502, 2_503]);
    await sub.return();
  });
});
