// Every adapter against sylk-emulator over real loopback HTTP: one table, four wire formats.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ErrorTier } from '@sylk/core';
import { startEmulator, type Emulator, type Scenario, type ScenarioFault } from '@sylk/emulator';
import { ProviderError, type LLMRequest, type ProviderAdapter, type StreamChunk } from '../types.js';
import type { AdapterConfig } from './config.js';
import { createAdapter } from './factory.js';
import { accumulate } from './stream.js';

const KEY = 'sk-test-correct-key-0123456789abcdef';
const WRONG = 'sk-test-WRONG-key-0123456789abcdefgh';

interface Provider {
  name: string;
  config(url: string, apiKey: string): AdapterConfig;
  request: Partial<LLMRequest>;
  /** The provider error type a default mid-stream error carries. */
  streamErrorType: string;
  hasCacheWrite: boolean;
  /** Gemini carries retry delay in the body, not a header. */
  retryFromBody: boolean;
}

const providers: Provider[] = [
  {
    name: 'anthropic',
    config: (url, apiKey) => ({
      provider: 'anthropic',
      apiKey,
      baseUrl: url,
      credentialSource: 'env ANTHROPIC_API_KEY',
    }),
    request: { model: 'claude-sonnet-4-5-20250901' },
    streamErrorType: 'overloaded_error',
    hasCacheWrite: true,
    retryFromBody: false,
  },
  {
    name: 'openai responses',
    config: (url, apiKey) => ({
      provider: 'openai',
      apiKey,
      baseUrl: `${url}/v1`,
      credentialSource: 'env OPENAI_API_KEY',
    }),
    request: { model: 'gpt-5.2-codex', openaiApi: 'responses' },
    streamErrorType: 'server_error',
    hasCacheWrite: false,
    retryFromBody: false,
  },
  {
    name: 'openai chat',
    config: (url, apiKey) => ({
      provider: 'openai',
      apiKey,
      baseUrl: `${url}/v1`,
      credentialSource: 'env OPENAI_API_KEY',
    }),
    request: { model: 'gpt-5.2-codex', openaiApi: 'chat' },
    streamErrorType: 'server_error',
    hasCacheWrite: false,
    retryFromBody: false,
  },
  {
    name: 'google',
    config: (url, apiKey) => ({ provider: 'google', apiKey, baseUrl: url, credentialSource: 'env GOOGLE_API_KEY' }),
    request: { model: 'gemini-3-pro-preview' },
    streamErrorType: 'UNAVAILABLE',
    hasCacheWrite: false,
    retryFromBody: true,
  },
];

type Case = Provider & { make(url: string, apiKey: string): ProviderAdapter };
const cases: Case[] = providers.map((p) => ({
  ...p,
  make: (url: string, apiKey: string) => createAdapter(p.config(url, apiKey)),
}));

const TEXT = 'The failing test expects a trailing newline; I will fix the formatter.';
const TOOLS = [
  { name: 'read_file', arguments: { path: 'src/format.ts' } },
  { name: 'run_command', arguments: { command: 'npm test', cwd: '.' } },
  { name: 'edit_file', arguments: { path: 'src/format.ts', patch: '@@ -1 +1 @@\n-a\n+a\\n' } },
];

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ scenario: { steps: [{ reply: { text: 'x' } }] } });
});
afterAll(async () => emu.close());

function useScenario(s: Omit<Scenario, 'apiKey'> & { apiKey?: string }): void {
  emu.setScenario({ apiKey: KEY, defaults: { chunkSize: 7 }, ...s });
  emu.reset();
}

function fault(f: ScenarioFault, text = TEXT): void {
  useScenario({ steps: [{ reply: { text }, fault: f }] });
}

async function collect(stream: AsyncIterable<StreamChunk>): Promise<{ chunks: StreamChunk[]; error?: ProviderError }> {
  const chunks: StreamChunk[] = [];
  try {
    for await (const c of stream) chunks.push(c);
  } catch (err) {
    if (!(err instanceof ProviderError)) throw err;
    return { chunks, error: err };
  }
  return { chunks };
}

const textOf = (chunks: StreamChunk[]) => chunks.map((c) => (c.type === 'text' ? c.text : '')).join('');

describe.each(cases)('$name adapter', (c) => {
  const req = (extra: Partial<LLMRequest> = {}): LLMRequest => ({
    model: '',
    messages: [{ role: 'user', content: 'fix the failing test' }],
    ...c.request,
    ...extra,
  });
  const adapter = () => c.make(emu.url, KEY);

  it('streams text in several chunks, then stop', async () => {
    useScenario({ steps: [{ reply: { text: TEXT, thinking: 'Look at the test first.' } }] });
    const { chunks, error } = await collect(adapter().stream(req()));
    expect(error).toBeUndefined();
    expect(chunks[0]?.type).toBe('start');
    expect(chunks.filter((x) => x.type === 'text').length).toBeGreaterThan(3);
    expect(textOf(chunks)).toBe(TEXT);
    expect(
      chunks
        .filter((x) => x.type === 'thinking')
        .map((x) => (x.type === 'thinking' ? x.text : ''))
        .join(''),
    ).toBe('Look at the test first.');
    expect(chunks.at(-1)).toEqual({ type: 'stop', stopReason: 'end_turn' });
  });

  it('streams several tool calls in one turn and maps usage incl. cache tokens', async () => {
    useScenario({
      steps: [
        {
          reply: {
            text: 'Working.',
            toolCalls: TOOLS,
            usage: { input: 900, output: 120, cacheRead: 300, cacheWrite: 50 },
          },
        },
      ],
    });
    const chunks: StreamChunk[] = [];
    const res = await accumulate(
      (async function* () {
        for await (const x of adapter().stream(
          req({
            tools: [
              {
                name: 'read_file',
                description: 'Read a file',
                parameters: { type: 'object', properties: { path: { type: 'string' } } },
              },
            ],
          }),
        )) {
          chunks.push(x);
          yield x;
        }
      })(),
    );
    expect(res.toolCalls.map((t) => [t.name, t.arguments])).toEqual(TOOLS.map((t) => [t.name, t.arguments]));
    expect(new Set(res.toolCalls.map((t) => t.id)).size).toBe(3);
    expect(chunks.filter((x) => x.type === 'tool_end').map((x) => (x.type === 'tool_end' ? x.index : -1))).toEqual([
      0, 1, 2,
    ]);
    expect(res.stopReason).toBe('tool_use');
    expect(res.usage).toEqual({
      inputTokens: 900,
      outputTokens: 120,
      cacheReadTokens: 300,
      cacheWriteTokens: c.hasCacheWrite ? 50 : 0,
    });
    const sent = emu.requests()[0];
    expect(JSON.stringify(sent?.body)).toContain('read_file');
  });

  it('generate() uses the non-streaming endpoint', async () => {
    useScenario({ steps: [{ reply: { text: TEXT, toolCalls: TOOLS.slice(0, 2), usage: { input: 10, output: 5 } } }] });
    const res = await adapter().generate(req());
    expect(res.content).toBe(TEXT);
    expect(res.toolCalls.map((t) => t.arguments)).toEqual([TOOLS[0]?.arguments, TOOLS[1]?.arguments]);
    expect(res.usage.outputTokens).toBe(5);
    expect(emu.requests()[0]?.stream).toBe(false);
  });

  it('429 carries retryAfterMs and is ExternalRateLimit', async () => {
    fault({ kind: 'rate_limit', retryAfter: 7 });
    const { error } = await collect(adapter().stream(req()));
    expect(error?.tier).toBe(ErrorTier.ExternalRateLimit);
    expect(error?.info).toMatchObject({ status: 429, retryAfterMs: 7000, inStream: false });
    expect(emu.requests()).toHaveLength(1);
  });

  it('a spend-limit 429 is UserFixable', async () => {
    fault({ kind: 'quota' });
    const err = await adapter()
      .generate(req())
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ tier: ErrorTier.UserFixable, code: 'llm.quota_exceeded' });
  });

  it.each(['server_error', 'overloaded'] as const)('%s is ExternalDegrading', async (kind) => {
    fault({ kind });
    const { error } = await collect(adapter().stream(req()));
    expect(error?.tier).toBe(ErrorTier.ExternalDegrading);
    expect(error?.info.status).toBeGreaterThanOrEqual(500);
  });

  it('a bad key is UserFixable, named without its value, and not retried by the SDK', async () => {
    useScenario({ steps: [{ reply: { text: TEXT } }] });
    const { error } = await collect(c.make(emu.url, WRONG).stream(req()));
    expect(error?.tier).toBe(ErrorTier.UserFixable);
    expect(error?.code).toBe('llm.auth_failed');
    expect(error?.message).toMatch(/rejected the API key from env [A-Z]+_API_KEY/);
    expect(JSON.stringify({ m: error?.message, d: error?.details, h: error?.hint })).not.toContain(WRONG);
    expect(emu.requests()).toHaveLength(1);
  });

  it('an error event mid-stream is classified by its type, inStream, after partial text', async () => {
    fault({ kind: 'stream_error', afterChunks: 6 });
    const { chunks, error } = await collect(adapter().stream(req()));
    expect(textOf(chunks).length).toBeGreaterThan(0);
    expect(error?.info).toMatchObject({ inStream: true, errorType: c.streamErrorType });
    expect(error?.tier).toBe(ErrorTier.ExternalDegrading);
  });

  it('a dropped connection is a Transient in-stream error', async () => {
    fault({ kind: 'drop', afterChunks: 3 });
    const { error } = await collect(adapter().stream(req()));
    expect(error?.tier).toBe(ErrorTier.Transient);
    expect(['llm.network', 'llm.stream_truncated']).toContain(error?.code);
    expect(error?.info.inStream).toBe(true);
  });

  it('malformed JSON is Transient llm.malformed_response', async () => {
    fault({ kind: 'malformed', afterChunks: 3 });
    const { error } = await collect(adapter().stream(req()));
    expect(error?.code).toBe('llm.malformed_response');
    expect(error?.tier).toBe(ErrorTier.Transient);
  });

  it('is complete at its final event while the server keeps the body open', async () => {
    fault({ kind: 'hold_open' });
    // Waiting for the body to end would run into this abort instead of the stop chunk.
    const { chunks, error } = await collect(adapter().stream(req(), AbortSignal.timeout(5_000)));
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe(TEXT);
    expect(chunks.at(-1)).toMatchObject({ type: 'stop' });
  });

  it.skipIf(c.name.startsWith('google'))('hands on keep-alives as keepalive chunks before the reply', async () => {
    fault({ kind: 'keepalive', intervalMs: 20, ms: 200 });
    const { chunks, error } = await collect(adapter().stream(req()));
    expect(error).toBeUndefined();
    const firstText = chunks.findIndex((x) => x.type === 'text');
    expect(chunks.slice(0, firstText).filter((x) => x.type === 'keepalive').length).toBeGreaterThanOrEqual(3);
    expect(textOf(chunks)).toBe(TEXT);
  });

  it('a stalled stream ends promptly when the signal aborts, keeping the partial text', async () => {
    fault({ kind: 'stall', afterChunks: 6 });
    const controller = new AbortController();
    const chunks: StreamChunk[] = [];
    let error: unknown;
    try {
      for await (const x of adapter().stream(req(), controller.signal)) {
        chunks.push(x);
        if (x.type === 'text') setTimeout(() => controller.abort(new Error('watchdog: no chunk for 60s')), 50);
      }
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ProviderError);
    expect(error).toMatchObject({ code: 'llm.aborted' });
    expect(textOf(chunks).length).toBeGreaterThan(0);
    expect(TEXT.startsWith(textOf(chunks))).toBe(true);
  });

  it('healthCheck is ok with the right key and reports the failure with a wrong one', async () => {
    useScenario({ steps: [{ reply: { text: 'x' } }] });
    expect((await adapter().healthCheck()).ok).toBe(true);
    const bad = await c.make(emu.url, WRONG).healthCheck();
    expect(bad.ok).toBe(false);
    expect(bad.error).toMatch(/rejected the API key/);
    expect(bad.error).not.toContain(WRONG);
  });
});

describe('anthropic thinking', () => {
  const anthropic = () => createAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: emu.url });
  const sent = async (model: string, reasoningEffort?: LLMRequest['reasoningEffort']) => {
    useScenario({ steps: [{ reply: { text: 'ok' } }] });
    await accumulate(
      anthropic().stream({
        model,
        messages: [{ role: 'user', content: 'think' }],
        ...(reasoningEffort ? { reasoningEffort } : {}),
      }),
    );
    return emu.requests()[0]?.body as Record<string, unknown>;
  };

  it('asks Claude 4.6 and later (and every Claude 5) to think adaptively, at the requested effort', async () => {
    for (const model of ['claude-sonnet-5-5', 'claude-opus-5', 'claude-sonnet-4-6']) {
      const body = await sent(model, 'high');
      expect(body).toMatchObject({ thinking: { type: 'adaptive' }, output_config: { effort: 'high' } });
      expect(body['max_tokens']).toBeGreaterThan(16_384);
    }
  });

  it('gives older models a token budget, and sends no thinking without an effort', async () => {
    for (const model of ['claude-sonnet-4-5-20250929', 'claude-opus-4-20250514', 'claude-3-7-sonnet-20250219']) {
      const body = await sent(model, 'medium');
      expect(body['thinking']).toEqual({ type: 'enabled', budget_tokens: 8192 });
      expect(body['output_config']).toBeUndefined();
    }
    const plain = await sent('claude-sonnet-5-5');
    expect([plain['thinking'], plain['output_config']]).toEqual([undefined, undefined]);
  });
});

describe('google specifics', () => {
  const google = () => createAdapter({ provider: 'google', apiKey: KEY, baseUrl: emu.url });
  const req: LLMRequest = { model: 'gemini-3-pro-preview', messages: [{ role: 'user', content: 'hi' }] };

  it('SAFETY is a typed llm.blocked error, not empty text', async () => {
    fault({ kind: 'blocked', reason: 'SAFETY' }, '');
    const { error } = await collect(google().stream(req));
    expect(error).toMatchObject({ code: 'llm.blocked', tier: ErrorTier.Permanent });
    const err = await google()
      .generate(req)
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'llm.blocked' });
  });

  it('dedupes repeated function calls', async () => {
    useScenario({ steps: [{ reply: { toolCalls: TOOLS.slice(0, 2), repeatToolCalls: true } }] });
    expect((await accumulate(google().stream(req))).toolCalls).toHaveLength(2);
    expect((await google().generate(req)).toolCalls).toHaveLength(2);
  });

  it('sends tool results as functionResponse parts named after their call', async () => {
    useScenario({ steps: [{ reply: { text: 'ok' } }] });
    await google().generate({
      ...req,
      messages: [
        { role: 'user', content: 'read it' },
        { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read_file', arguments: { path: 'a' } }] },
        { role: 'tool', toolCallId: 'c1', content: 'file text' },
      ],
    });
    expect(JSON.stringify(emu.requests()[0]?.body)).toContain(
      '"functionResponse":{"name":"read_file","response":{"output":"file text"}}',
    );
  });
});

describe('createAdapter', () => {
  it('a missing key is a UserFixable error naming the provider and the source', () => {
    expect(() => createAdapter({ provider: 'anthropic', credentialSource: 'keychain (profile default)' })).toThrow(
      expect.objectContaining({
        code: 'llm.auth_missing',
        tier: ErrorTier.UserFixable,
        message: expect.stringMatching(/anthropic.*keychain/),
      }),
    );
  });

  it('openai-compatible needs no key and speaks Chat Completions', async () => {
    emu.setScenario({ steps: [{ reply: { text: 'local model here' } }] });
    emu.reset();
    const local = createAdapter({
      provider: 'openai-compatible',
      baseUrl: `${emu.url}/v1`,
      defaultModel: 'qwen2.5-coder',
    });
    const res = await local.generate({ model: '', messages: [{ role: 'user', content: 'hi' }], maxTokens: 64 });
    expect(res.content).toBe('local model here');
    expect(emu.requests()[0]).toMatchObject({
      path: '/v1/chat/completions',
      body: { model: 'qwen2.5-coder', max_tokens: 64 },
    });
  });
});

/** A 200 streaming response whose body arrives in exactly these reads (framing edge cases). */
function replying(...reads: (string | Uint8Array)[]): AdapterConfig['fetch'] {
  return async () => {
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const r of reads) controller.enqueue(typeof r === 'string' ? new TextEncoder().encode(r) : r);
        controller.close();
      },
    });
    return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream', 'request-id': 'req_1' } });
  };
}

describe('anthropic stream framing', () => {
  const sse = (event: string, data: unknown) =>
    `event: ${event}\ndata: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;
  const start = sse('message_start', {
    type: 'message_start',
    message: {
      id: 'msg_1',
      type: 'message',
      role: 'assistant',
      model: 'claude-opus-4-6',
      content: [],
      usage: { input_tokens: 3, output_tokens: 0 },
    },
  });
  const block = sse('content_block_start', {
    type: 'content_block_start',
    index: 0,
    content_block: { type: 'text', text: '' },
  });
  const delta = (text: string) =>
    sse('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
  const end =
    sse('content_block_stop', { type: 'content_block_stop', index: 0 }) +
    sse('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } }) +
    sse('message_stop', { type: 'message_stop' });

  const adapterReading = (...reads: (string | Uint8Array)[]): ProviderAdapter =>
    createAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: 'http://127.0.0.1:9', fetch: replying(...reads) });
  const req = (): LLMRequest => ({ model: 'claude-opus-4-6', messages: [{ role: 'user', content: 'hi' }] });

  it('delivers the text before an error event in the same read, then the classified error', async () => {
    const overloaded = sse('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    const { chunks, error } = await collect(
      adapterReading(start + block + delta('Hel') + delta('lo') + overloaded).stream(req()),
    );
    expect(textOf(chunks)).toBe('Hello');
    expect(error?.info).toMatchObject({ inStream: true, errorType: 'overloaded_error' });
    expect(error?.tier).toBe(ErrorTier.ExternalDegrading);
  });

  it('skips pings, comments and unnamed events, and reads events split byte by byte', async () => {
    const bytes = new TextEncoder().encode(
      start +
        ': hi\n\n' +
        sse('ping', { type: 'ping' }) +
        'data: {"type":"content_block_delta"}\n\n' +
        block +
        delta('héllo ') +
        delta('🦀') +
        end,
    );
    const { chunks, error } = await collect(adapterReading(...[...bytes].map((b) => Uint8Array.of(b))).stream(req()));
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe('héllo 🦀');
    expect(chunks.at(-1)).toEqual({ type: 'stop', stopReason: 'end_turn' });
  });

  it('an error event that is not JSON is still an in-stream error, quoting its text', async () => {
    const { error } = await collect(
      adapterReading(start + block + 'event: error\ndata: upstream went away\n\n').stream(req()),
    );
    expect(error).toBeInstanceOf(ProviderError);
    expect(error?.info.inStream).toBe(true);
    expect(error?.message).toContain('upstream went away');
  });

  it('a 200 without a body is a malformed response, not a crash', async () => {
    const fetch = async (): Promise<Response> =>
      new Response(null, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    const { error } = await collect(
      createAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: 'http://127.0.0.1:9', fetch }).stream(req()),
    );
    expect(error?.code).toBe('llm.malformed_response');
    expect(error?.info.inStream).toBe(true);
  });

  it('ends at message_stop without reading the rest of a body that stays open, and releases it', async () => {
    let cancelled = false;
    const fetch = async (): Promise<Response> => {
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode(start + block + delta('done') + end));
        },
        cancel() {
          cancelled = true;
        },
      });
      return new Response(body, { status: 200, headers: { 'content-type': 'text/event-stream' } });
    };
    const { chunks, error } = await collect(
      createAdapter({ provider: 'anthropic', apiKey: KEY, baseUrl: 'http://127.0.0.1:9', fetch }).stream(req()),
    );
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe('done');
    expect(chunks.at(-1)).toEqual({ type: 'stop', stopReason: 'end_turn' });
    await vi.waitFor(() => expect(cancelled).toBe(true));
  });

  it('a read of pings alone is a keepalive chunk', async () => {
    const ping = sse('ping', { type: 'ping' });
    const { chunks } = await collect(
      adapterReading(start, ping, ': comment\n\n', block + delta('hi') + end).stream(req()),
    );
    expect(chunks.map((x) => x.type)).toEqual(['start', 'usage', 'keepalive', 'keepalive', 'text', 'usage', 'stop']);
  });

  it('a body that ends without message_stop is a truncated stream', async () => {
    const { chunks, error } = await collect(adapterReading(start + block + delta('partial')).stream(req()));
    expect(textOf(chunks)).toBe('partial');
    expect(error?.code).toBe('llm.stream_truncated');
  });
});

describe('openai stream framing', () => {
  const data = (d: unknown) => `data: ${typeof d === 'string' ? d : JSON.stringify(d)}\n\n`;
  const chunk = (delta: object, finish: string | null = null) =>
    data({
      id: 'c1',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'gpt-5.2',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
  const usage = data({
    id: 'c1',
    object: 'chat.completion.chunk',
    created: 1,
    model: 'gpt-5.2',
    choices: [],
    usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
  });
  const adapterReading = (...reads: (string | Uint8Array)[]): ProviderAdapter =>
    createAdapter({ provider: 'openai', apiKey: KEY, baseUrl: 'http://127.0.0.1:9/v1', fetch: replying(...reads) });
  const req = (): LLMRequest => ({ model: 'gpt-5.2', openaiApi: 'chat', messages: [{ role: 'user', content: 'hi' }] });

  it('ends at [DONE] and ignores whatever follows it', async () => {
    const body =
      chunk({ role: 'assistant', content: 'Hi' }) +
      chunk({ content: ' there' }) +
      chunk({}, 'stop') +
      usage +
      data('[DONE]') +
      data('not json at all');
    const { chunks, error } = await collect(adapterReading(body).stream(req()));
    expect(error).toBeUndefined();
    expect(textOf(chunks)).toBe('Hi there');
    expect(chunks.at(-1)).toEqual({ type: 'stop', stopReason: 'end_turn' });
  });

  it('data carrying an error after text in the same read: the text, then the classified error', async () => {
    const failure = data({ error: { message: 'The server had an error', type: 'server_error', code: 'server_error' } });
    const { chunks, error } = await collect(
      adapterReading(chunk({ content: 'Hel' }) + chunk({ content: 'lo' }) + failure).stream(req()),
    );
    expect(textOf(chunks)).toBe('Hello');
    expect(error?.info).toMatchObject({ inStream: true, errorType: 'server_error' });
    expect(error?.tier).toBe(ErrorTier.ExternalDegrading);
  });
});
