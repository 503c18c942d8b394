// What the stream thread adds over an in-thread adapter: flow control, a dying worker, idle exit.
// (That threaded adapters stream, fail and abort exactly like in-thread ones is adapters.test.ts.)
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorTier, SylkError } from '@sylk/core';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { ProviderError, type LLMRequest, type StreamChunk } from '../types.js';
import { StreamThread, createThreadedAdapter } from './threaded.js';
import { MAX_BATCH, MAX_UNACKED, fromPortableChunk, fromPortableError, toPortableChunk, toPortableError, type FromWorker, type ToWorker } from './thread-protocol.js';

const KEY = 'sk-test-correct-key-0123456789abcdef';
const request = (content = 'go'): LLMRequest => ({ model: 'claude-sonnet-4-5-20250901', messages: [{ role: 'user', content }] });
const textOf = (chunks: StreamChunk[]) => chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: KEY, steps: [{ reply: { text: 'x' } }] } });
});
afterAll(async () => emu.close());

describe('StreamThread', () => {
  it('reads ahead of a paused consumer by a bounded number of chunks, then delivers everything in order', async () => {
    const text = Array.from({ length: 12_000 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    emu.setScenario({ apiKey: KEY, steps: [{ reply: { text, chunkSize: 1 } }] });
    emu.reset();
    const thread = new StreamThread();
    try {
      const adapter = createThreadedAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url }, thread);
      const chunks: StreamChunk[] = [];
      let maxBuffered = 0;
      for await (const chunk of adapter.stream(request())) {
        chunks.push(chunk);
        if (chunks.length === 100) {
          // The worker may run ahead while we stall, but only until its credit is used up.
          for (let i = 0; i < 10; i++) {
            await sleep(50);
            maxBuffered = Math.max(maxBuffered, thread.stats().bufferedChunks);
          }
        }
      }
      expect(textOf(chunks)).toBe(text);
      expect(maxBuffered).toBeGreaterThan(MAX_BATCH);
      expect(maxBuffered).toBeLessThanOrEqual(MAX_UNACKED + MAX_BATCH);
      expect(thread.stats().openStreams).toBe(0);
    } finally {
      await thread.close();
    }
  });

  it('a stream whose signal has already aborted fails on its first read and opens nothing', async () => {
    const thread = new StreamThread();
    try {
      const adapter = createThreadedAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url }, thread);
      const controller = new AbortController();
      controller.abort(new Error('cancelled before the request'));
      const it = adapter.stream(request(), controller.signal)[Symbol.asyncIterator]();
      await expect(it.next()).rejects.toMatchObject({ code: 'llm.aborted', info: { inStream: false } });
      await expect(it.next()).resolves.toEqual({ done: true, value: undefined });
      expect(thread.stats()).toMatchObject({ running: false, openStreams: 0, starts: 0 });
    } finally {
      await thread.close();
    }
  });

  it('an idle worker exits and the next stream starts a new one', async () => {
    emu.setScenario({ apiKey: KEY, steps: [{ times: 1, reply: { text: 'a'.repeat(5_000), chunkSize: 1, delayMs: 1 } }, { reply: { text: 'second' } }] });
    emu.reset();
    const thread = new StreamThread({ idleMs: 100 });
    try {
      const adapter = createThreadedAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url }, thread);
      let n = 0;
      for await (const chunk of adapter.stream(request())) if (chunk.type === 'text' && ++n === 5) break;
      expect(thread.stats().openStreams).toBe(0);
      expect(thread.stats().running).toBe(true);
      await sleep(400);
      expect(thread.stats().running).toBe(false);
      // The next stream starts a new worker (which must be told about the adapter again).
      const chunks: StreamChunk[] = [];
      for await (const chunk of adapter.stream(request())) chunks.push(chunk);
      expect(textOf(chunks)).toBe('second');
    } finally {
      await thread.close();
    }
  });

  describe('with a worker that dies', () => {
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'sylk-stream-thread-'));
      // Speaks the protocol. Every stream gets one batch, then by the request's text: "die" exits
      // the thread, "hang" never ends, "report" answers with the ids it was told to cancel.
      writeFileSync(
        join(dir, 'worker.mjs'),
        `import { parentPort } from 'node:worker_threads';
const cancelled = [];
parentPort.on('message', (msg) => {
  if (msg.type === 'cancel') cancelled.push(msg.id);
  if (msg.type !== 'stream') return;
  const what = msg.request.messages[0].content;
  const text = what === 'report' ? JSON.stringify(cancelled) : 'partial';
  parentPort.postMessage({ type: 'chunks', id: msg.id, chunks: [{ type: 'text', text }] });
  if (what === 'die') setTimeout(() => process.exit(3), 20);
  else if (what !== 'hang') parentPort.postMessage({ type: 'end', id: msg.id });
});`,
      );
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('fails its open streams with a transient error naming the cause; the next stream gets a new worker', async () => {
      const thread = new StreamThread({ workerUrl: join(dir, 'worker.mjs') });
      try {
        const adapter = createThreadedAdapter({ provider: 'openai', apiKey: KEY, baseUrl: emu.url }, thread);
        const chunks: StreamChunk[] = [];
        const error = await (async () => {
          for await (const chunk of adapter.stream(request('die'))) chunks.push(chunk);
        })().catch((e: unknown) => e);
        expect(textOf(chunks)).toBe('partial');
        expect(error).toBeInstanceOf(ProviderError);
        expect(error).toMatchObject({ tier: ErrorTier.Transient, code: 'llm.stream_thread_failed', info: { provider: 'openai', inStream: true } });
        expect((error as Error).message).toMatch(/exited with code 3/);
        expect(thread.stats().running).toBe(false);
        const again: StreamChunk[] = [];
        for await (const chunk of adapter.stream(request('live'))) again.push(chunk);
        expect(textOf(again)).toBe('partial');
        expect(thread.stats()).toEqual({ running: true, openStreams: 0, bufferedChunks: 0, starts: 2, failures: 1, lastFailure: 'exited with code 3' });
      } finally {
        await thread.close();
      }
    });

    it('tells the worker to stop a stream whose consumer stopped reading or whose signal aborted', async () => {
      const thread = new StreamThread({ workerUrl: join(dir, 'worker.mjs') });
      try {
        const adapter = createThreadedAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url }, thread);
        for await (const chunk of adapter.stream(request('hang'))) if (chunk.type === 'text') break; // stream 1
        const controller = new AbortController();
        const aborted = (async () => {
          for await (const chunk of adapter.stream(request('hang'), controller.signal)) if (chunk.type === 'text') controller.abort(new Error('user cancel')); // stream 2
        })().catch((e: unknown) => e);
        expect(await aborted).toMatchObject({ code: 'llm.aborted', info: { inStream: true } });
        expect(thread.stats().openStreams).toBe(0);
        const report: StreamChunk[] = [];
        for await (const chunk of adapter.stream(request('report'))) report.push(chunk);
        expect(JSON.parse(textOf(report))).toEqual([1, 2]);
      } finally {
        await thread.close();
      }
    });
  });
});

describe('the thread protocol', () => {
  it('carries errors across as the same kind, tier, code, hint and provider info', () => {
    const provider = new ProviderError('429 from anthropic', { provider: 'anthropic', status: 429, retryAfterMs: 7000, inStream: false }, { tier: ErrorTier.ExternalRateLimit, code: 'llm.rate_limited', hint: 'wait' });
    const back = fromPortableError(structuredClone(toPortableError(provider)));
    expect(back).toBeInstanceOf(ProviderError);
    expect(back).toMatchObject({ message: '429 from anthropic', tier: ErrorTier.ExternalRateLimit, code: 'llm.rate_limited', hint: 'wait', info: { status: 429, retryAfterMs: 7000 } });
    const plain = fromPortableError(toPortableError(new SylkError('no key', { tier: ErrorTier.UserFixable, code: 'llm.auth_missing' })));
    expect(plain).not.toBeInstanceOf(ProviderError);
    expect(plain).toMatchObject({ tier: ErrorTier.UserFixable, code: 'llm.auth_missing' });
    // Anything else that escapes an adapter is a transient fault of the worker.
    expect(toPortableError(new TypeError('x is undefined'))).toEqual({ message: 'x is undefined', tier: ErrorTier.Transient, code: 'llm.stream_worker_error' });
  });

  it('carries every kind of chunk across unchanged, text deltas as bare strings', () => {
    const chunks: StreamChunk[] = [
      { type: 'start', model: 'm', id: 'msg_1' },
      { type: 'text', text: '' },
      { type: 'text', text: 'a "quoted" \n line' },
      { type: 'thinking', text: 'hm' },
      { type: 'tool_start', index: 0, id: 't1', name: 'read_file' },
      { type: 'tool_delta', index: 0, argumentsDelta: '{"path":' },
      { type: 'tool_end', index: 0 },
      { type: 'usage', usage: { outputTokens: 3 } },
      { type: 'stop', stopReason: 'end_turn' },
    ];
    const crossed = structuredClone(chunks.map(toPortableChunk));
    expect(crossed.filter((c) => typeof c === 'string')).toEqual(['', 'a "quoted" \n line']);
    expect(crossed.map(fromPortableChunk)).toEqual(chunks);
  });

  it('a worker that cannot build an adapter fails that adapter\'s streams and keeps serving', async () => {
    const worker = new Worker(createRequire(import.meta.url).resolve('@sylk/llm/stream-worker'));
    try {
      const replies: FromWorker[] = [];
      worker.on('message', (m: FromWorker) => replies.push(m));
      const post = (m: ToWorker) => worker.postMessage(m);
      post({ type: 'adapter', adapterId: 1, config: { provider: 'anthropic', credentialSource: 'env ANTHROPIC_API_KEY' } }); // no key
      post({ type: 'stream', id: 1, adapterId: 1, request: request() });
      post({ type: 'stream', id: 2, adapterId: 9, request: request() }); // never registered
      emu.setScenario({ apiKey: KEY, steps: [{ reply: { text: 'still here' } }] });
      emu.reset();
      post({ type: 'adapter', adapterId: 2, config: { provider: 'anthropic', apiKey: KEY, baseUrl: emu.url } });
      post({ type: 'stream', id: 3, adapterId: 2, request: request() });
      for (let i = 0; i < 200 && !replies.some((r) => r.id === 3 && r.type === 'end'); i++) await sleep(10);
      const errors = replies.filter((r): r is Extract<FromWorker, { type: 'error' }> => r.type === 'error');
      expect(errors.map((e) => [e.id, e.error.code])).toEqual([[1, 'llm.auth_missing'], [2, 'llm.stream_worker_error']]);
      expect(errors[0]?.error).toMatchObject({ tier: ErrorTier.UserFixable, message: expect.stringContaining('ANTHROPIC_API_KEY') });
      const text = replies.flatMap((r) => (r.type === 'chunks' && r.id === 3 ? r.chunks.map(fromPortableChunk) : []));
      expect(textOf(text)).toBe('still here');
    } finally {
      await worker.terminate();
    }
  });
});
