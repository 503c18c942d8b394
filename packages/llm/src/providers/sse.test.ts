import { describe, expect, it } from 'vitest';
import { MalformedStreamError, readEventBatches, type ServerSentEvent } from './sse.js';

/** A body that delivers exactly these reads, in order. */
async function* reads(...parts: (string | Uint8Array)[]): AsyncGenerator<Uint8Array> {
  for (const part of parts) yield typeof part === 'string' ? new TextEncoder().encode(part) : part;
}

async function batchesOf(body: AsyncIterable<Uint8Array>, maxChars?: number): Promise<ServerSentEvent[][]> {
  const out: ServerSentEvent[][] = [];
  for await (const batch of readEventBatches(body, maxChars))
    out.push(batch.map((e) => ({ event: e.event, data: e.data, id: e.id })));
  return out;
}

const ev = (event: string | undefined, data: string): ServerSentEvent => ({ event, data, id: undefined });

describe('readEventBatches', () => {
  it('gives the events each read completes as one batch, holding a partial event for the next', async () => {
    const batches = await batchesOf(reads('event: a\ndata: 1\n\nevent: b\ndata: 2\n\nevent: c\nda', 'ta: 3\n\n'));
    expect(batches).toEqual([[ev('a', '1'), ev('b', '2')], [ev('c', '3')]]);
  });

  it('reassembles a character split between reads, byte by byte', async () => {
    const bytes = new TextEncoder().encode('event: delta\ndata: {"text":"héllo ✓ 🦀"}\n\n');
    const oneByOne = [...bytes].map((b) => Uint8Array.of(b));
    expect((await batchesOf(reads(...oneByOne))).flat()).toEqual([ev('delta', '{"text":"héllo ✓ 🦀"}')]);
  });

  it('follows the spec: CRLF and CR endings, comments, ids, retry, multi-line data, unknown fields', async () => {
    const text =
      ': keep-alive\r\nevent: a\r\nid: 7\r\nretry: 100\r\nfoo: bar\r\ndata: x\r\ndata: y\r\n\r\nevent: b\rdata: z\r\r';
    // A CR at the end of a read may be the first half of a CRLF, so the next read settles it.
    const events = (await batchesOf(reads(text, ': more\n'))).flat();
    expect(events).toEqual([{ event: 'a', data: 'x\ny', id: '7' }, ev('b', 'z')]);
  });

  it('gives an empty batch for a read of comments alone (a keep-alive)', async () => {
    expect(await batchesOf(reads(': keep-alive\n\n', 'event: a\ndata: 1\n\n'))).toEqual([[], [ev('a', '1')]]);
  });

  it('drops an event the body ends in the middle of', async () => {
    expect((await batchesOf(reads('event: a\ndata: 1\n\nevent: b\ndata: 2\n'))).flat()).toEqual([ev('a', '1')]);
  });

  it('fails an event that runs past the limit instead of buffering it', async () => {
    const endless = reads('event: a\ndata: ', 'x'.repeat(600), 'x'.repeat(600));
    await expect(batchesOf(endless, 1000)).rejects.toBeInstanceOf(MalformedStreamError);
    await expect(batchesOf(reads('event: a\ndata: ', 'x'.repeat(900), '\n\n'), 1000)).resolves.toHaveLength(1);
  });
});
