import { describe, expect, it } from 'vitest';
import { StreamMerger } from './merge.js';

function source() {
  const waiting: ((r: IteratorResult<number>) => void)[] = [];
  let pulls = 0;
  const it: AsyncIterator<number> = {
    next: () => {
      pulls++;
      return new Promise((resolve) => waiting.push(resolve));
    },
  };
  return {
    it,
    pulls: () => pulls,
    emit: (v: number) => waiting.shift()?.({ value: v, done: false }),
    end: () => waiting.shift()?.({ value: undefined, done: true }),
  };
}

describe('StreamMerger', () => {
  it('delivers side messages while an event is pending, and keeps one pull in flight', async () => {
    const src = source();
    const m = new StreamMerger<number, string>(src.it, new AbortController().signal);
    const first = m.next();
    await Promise.resolve();
    m.push('heartbeat');
    expect(await first).toEqual({ source: 'side', value: 'heartbeat' });
    const second = m.next();
    await Promise.resolve();
    expect(src.pulls()).toBe(1);
    src.emit(7);
    expect(await second).toEqual({ source: 'events', value: 7 });
    const third = m.next();
    src.end();
    expect(await third).toEqual({ source: 'events-done' });
  });

  it('prefers queued side messages, reports the side ending, and throws once stopped', async () => {
    const src = source();
    const stop = new AbortController();
    const m = new StreamMerger<number, string>(src.it, stop.signal);
    m.push('a');
    m.push('b');
    m.endSide();
    expect(await m.next()).toEqual({ source: 'side', value: 'a' });
    expect(await m.next()).toEqual({ source: 'side', value: 'b' });
    expect(await m.next()).toEqual({ source: 'side-done' });
    const pending = m.next();
    stop.abort(new Error('shutting down'));
    await expect(pending).rejects.toThrow('shutting down');
  });

  it('passes on an error from the event stream', async () => {
    const m = new StreamMerger<number, string>(
      { next: () => Promise.reject(new Error('log closed')) },
      new AbortController().signal,
    );
    await expect(m.next()).rejects.toThrow('log closed');
  });
});
