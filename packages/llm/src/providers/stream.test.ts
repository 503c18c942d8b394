import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ProviderError, type StreamChunk } from '../types.js';
import { EVENTS_PER_SLICE, driveStream, inBatchesOfOne, type DriveOptions } from './stream.js';

const ctx = { provider: 'anthropic', model: 'm' } as DriveOptions<string>['ctx'];

/** Options over a raw stream whose events are all available at once (a fully buffered body). */
function options(events: AsyncIterable<string>, signal?: AbortSignal): DriveOptions<string> {
  return batchOptions(inBatchesOfOne(events), signal);
}

function batchOptions(batches: AsyncIterable<readonly string[]>, signal?: AbortSignal): DriveOptions<string> {
  return {
    ctx,
    signal,
    open: () => Promise.resolve(batches),
    mapper: { map: (text) => [{ type: 'text', text }], finish: () => [{ type: 'stop', stopReason: 'end_turn' }] },
    toError: (err) => new ProviderError(String(err), { provider: 'anthropic', code: 'llm.test' }),
  };
}

/** Counts turns of the event loop until stopped (a setImmediate that re-arms itself). */
function countLoopTurns(): { stop: () => number } {
  let turns = 0;
  let done = false;
  const tick = () => {
    turns++;
    if (!done) setImmediate(tick);
  };
  setImmediate(tick);
  return {
    stop: () => {
      done = true;
      return turns;
    },
  };
}

async function* buffered(n: number): AsyncGenerator<string> {
  for (let i = 0; i < n; i++) yield 'x';
}

describe('driveStream', () => {
  it('gives the event loop a turn every few events, even when the body is already buffered', async () => {
    const n = EVENTS_PER_SLICE * 20;
    const loop = countLoopTurns();
    const chunks: StreamChunk[] = [];
    for await (const c of driveStream(options(buffered(n)))) chunks.push(c);
    const turns = loop.stop();
    expect(chunks).toHaveLength(n + 1);
    // Without the yield this is 0: an async generator with data ready never leaves the microtask queue.
    expect(turns).toBeGreaterThanOrEqual(19);
  });

  it('gives the loop the same turns inside one large batch (a network read of hundreds of events)', async () => {
    const n = EVENTS_PER_SLICE * 20;
    const loop = countLoopTurns();
    async function* oneRead(): AsyncGenerator<string[]> {
      yield Array.from({ length: n }, (_, i) => String(i));
    }
    const texts: string[] = [];
    for await (const c of driveStream(batchOptions(oneRead()))) if (c.type === 'text') texts.push(c.text);
    const turns = loop.stop();
    expect(texts).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(turns).toBeGreaterThanOrEqual(19);
  });

  it('delivers the chunks of a batch before an event that fails to map, then the error', async () => {
    async function* oneRead(): AsyncGenerator<string[]> {
      yield ['a', 'b', 'refused', 'c'];
    }
    const opts = batchOptions(oneRead());
    const mapper = opts.mapper;
    opts.mapper = {
      map: (text) => {
        if (text === 'refused')
          throw new ProviderError('blocked', { provider: 'anthropic', inStream: true }, { code: 'llm.blocked' });
        return mapper.map(text);
      },
      finish: () => mapper.finish(),
    };
    const texts: string[] = [];
    const failed = (async () => {
      for await (const c of driveStream(opts)) if (c.type === 'text') texts.push(c.text);
    })();
    await expect(failed).rejects.toMatchObject({ code: 'llm.blocked' });
    expect(texts).toEqual(['a', 'b']);
  });

  it('stops between the events of a batch when the signal aborts', async () => {
    const controller = new AbortController();
    async function* oneRead(): AsyncGenerator<string[]> {
      yield Array.from({ length: EVENTS_PER_SLICE * 4 }, () => 'x');
    }
    const chunks: StreamChunk[] = [];
    const consumed = (async () => {
      for await (const c of driveStream(batchOptions(oneRead(), controller.signal))) {
        chunks.push(c);
        if (chunks.length === EVENTS_PER_SLICE + 1) controller.abort(new Error('user cancelled'));
      }
    })();
    await expect(consumed).rejects.toMatchObject({ code: 'llm.aborted' });
    expect(chunks.length).toBeLessThan(EVENTS_PER_SLICE * 3);
  });

  it('ends a stalled stream on abort after many events, holding one listener on the caller signal', async () => {
    const controller = new AbortController();
    let release: () => void = () => undefined;
    async function* stalls(): AsyncGenerator<string> {
      for (let i = 0; i < 1000; i++) yield 'x';
      await new Promise<void>((resolve) => (release = resolve));
      yield 'never';
    }
    const chunks: StreamChunk[] = [];
    const consumed = (async () => {
      for await (const c of driveStream(options(stalls(), controller.signal))) chunks.push(c);
    })();
    while (chunks.length < 1000) await new Promise((r) => setImmediate(r));
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    controller.abort(new Error('user cancelled'));
    await expect(consumed).rejects.toMatchObject({ code: 'llm.aborted' });
    release();
    expect(chunks).toHaveLength(1000);
  });
});
