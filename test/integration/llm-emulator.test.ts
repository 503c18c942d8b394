// The real adapters behind the real gate, against sylk-emulator over loopback HTTP: what a session
// will see from each provider, including every fault the gate must absorb or surface.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorTier, silentLogger, type SylkError } from '@sylk/core';
import { openSystemDatabase, type SqliteDatabase } from '@sylk/storage';
import { startEmulator, type Emulator, type Scenario, type ScenarioFault } from '@sylk/emulator';
import {
  createAdapter,
  createCatalog,
  estimateTokens,
  type LLMRequest,
  type ProviderAdapter,
  type ProviderName,
} from '@sylk/llm';
import { LLMGate, Priority, type LLMGateOptions } from '@sylk/llm/gate';
import { startTimingProxy } from './helpers/timing-proxy.js';

const KEY = 'sk-integration-key-5f1c2a9e7b3d';
const WRONG = 'sk-integration-WRONG-0a1b2c3d4e';
const TEXT = 'The formatter drops the trailing newline; adding it back makes the snapshot test pass.';
const TOOLS = [
  { name: 'read_file', arguments: { path: 'src/format.ts' } },
  { name: 'run_command', arguments: { command: 'npm test', cwd: '.' } },
  { name: 'edit_file', arguments: { path: 'src/format.ts', patch: '@@ -1 +1 @@\n-a\n+a\\n' } },
];

interface Case {
  name: string;
  provider: ProviderName;
  request: Partial<LLMRequest>;
  baseUrl(url: string): string;
  hasCacheWrite: boolean;
}

const cases: Case[] = [
  {
    name: 'anthropic',
    provider: 'anthropic',
    request: { model: 'claude-sonnet-4-5-20250901' },
    baseUrl: (u) => u,
    hasCacheWrite: true,
  },
  {
    name: 'openai responses',
    provider: 'openai',
    request: { model: 'gpt-5.2-codex', openaiApi: 'responses' },
    baseUrl: (u) => `${u}/v1`,
    hasCacheWrite: false,
  },
  {
    name: 'openai chat',
    provider: 'openai',
    request: { model: 'gpt-5.2-codex', openaiApi: 'chat' },
    baseUrl: (u) => `${u}/v1`,
    hasCacheWrite: false,
  },
  {
    name: 'google',
    provider: 'google',
    request: { model: 'gemini-3-pro-preview' },
    baseUrl: (u) => u,
    hasCacheWrite: false,
  },
];

/** Small delays so retries are quick; the counts are the defaults'. */
const FAST_RETRIES: LLMGateOptions['retryPolicies'] = {
  [ErrorTier.Transient]: { retries: 3, initialMs: 10, maxMs: 50 },
  [ErrorTier.ExternalDegrading]: { retries: 3, initialMs: 10, maxMs: 50 },
};

const catalog = createCatalog();
let emu: Emulator;
let dataDir: string;
let db: SqliteDatabase;
let gates: LLMGate[] = [];

beforeAll(async () => {
  emu = await startEmulator({ scenario: { steps: [{ reply: { text: 'x' } }] } });
});
afterAll(async () => emu.close());
afterEach(async () => {
  await Promise.all(gates.map((g) => g.close()));
  gates = [];
  db?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function scenario(s: Omit<Scenario, 'apiKey'>): void {
  emu.setScenario({ apiKey: KEY, defaults: { chunkSize: 6 }, ...s });
  emu.reset();
}

/** The first request faults (once), the next ones answer normally. */
function faultOnce(fault: ScenarioFault, times = 1): void {
  scenario({
    steps: [{ reply: { text: TEXT }, fault, times }, { reply: { text: TEXT, usage: { input: 50, output: 20 } } }],
  });
}

/** Usage rows' outcomes, after writing the gate's batched records. */
function outcomes(g: LLMGate): unknown[] {
  g.usage?.flush();
  return db.raw.prepare('SELECT outcome FROM usage ORDER BY id').pluck().all();
}

/** Requests that reached the model endpoints (not model lists). */
const modelRequests = () => emu.requests().filter((r) => r.turn !== undefined);

describe.each(cases)('$name through the gate', (c) => {
  function gate(opts: Partial<LLMGateOptions> & { baseUrl?: string; apiKey?: string } = {}): LLMGate {
    dataDir = mkdtempSync(join(tmpdir(), 'sylk-int-'));
    db = openSystemDatabase(dataDir);
    const adapter: ProviderAdapter = createAdapter({
      provider: c.provider,
      apiKey: opts.apiKey ?? KEY,
      baseUrl: c.baseUrl(opts.baseUrl ?? emu.url),
      credentialSource: `env ${c.provider.toUpperCase()}_API_KEY`,
      catalog,
    });
    const g = new LLMGate({
      adapters: async () => adapter,
      pricing: (m) => catalog.get(m),
      estimateTokens,
      db: db.raw,
      logger: silentLogger(),
      retryPolicies: FAST_RETRIES,
      ...opts,
    });
    gates.push(g);
    return g;
  }
  const request = (extra: Partial<LLMRequest> = {}) => ({
    provider: c.provider,
    priority: Priority.Execution,
    sessionId: 'ses-1',
    taskId: 'task-1',
    agentType: 'coder',
    request: {
      model: '',
      messages: [{ role: 'user' as const, content: 'fix the failing test' }],
      ...c.request,
      ...extra,
    },
  });
  const rejection = (p: Promise<unknown>) =>
    p.then(
      () => expect.fail('expected a rejection'),
      (e: unknown) => e as SylkError,
    );

  it('streams text to the consumer in several chunks', async () => {
    scenario({ steps: [{ reply: { text: TEXT } }] });
    const s = gate().stream(request());
    const texts: string[] = [];
    for await (const chunk of s) if (chunk.type === 'text') texts.push(chunk.text);
    expect(texts.length).toBeGreaterThan(3);
    expect(texts.join('')).toBe(TEXT);
    const res = await s.response;
    expect(res).toMatchObject({ content: TEXT, stopReason: 'end_turn' });
    expect(res.partial).toBeUndefined();
  });

  it('returns several tool calls of one turn, maps usage and records it with its cost', async () => {
    scenario({
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
    const g = gate();
    const res = await g.submit(
      request({ tools: [{ name: 'read_file', description: 'Read a file', parameters: { type: 'object' } }] }),
    );
    expect(res.toolCalls.map((t) => [t.name, t.arguments])).toEqual(TOOLS.map((t) => [t.name, t.arguments]));
    expect(res.stopReason).toBe('tool_use');
    const usage = {
      inputTokens: 900,
      outputTokens: 120,
      cacheReadTokens: 300,
      cacheWriteTokens: c.hasCacheWrite ? 50 : 0,
    };
    expect(res.usage).toEqual(usage);
    const [row] = g.report({ groupBy: 'session' });
    expect(row).toMatchObject({
      key: 'ses-1',
      requests: 1,
      inputTokens: 900,
      outputTokens: 120,
      cacheRead: 300,
      cacheWrite: usage.cacheWriteTokens,
    });
    const info = catalog.get(String(c.request.model));
    expect(info).toBeDefined();
    expect(row?.costUsd).toBeCloseTo(
      (900 * info!.inputPrice +
        120 * info!.outputPrice +
        300 * (info!.cacheReadPrice ?? info!.inputPrice) +
        usage.cacheWriteTokens * (info!.cacheWritePrice ?? info!.inputPrice)) /
        1e6,
      9,
    );
  });

  it('pauses on a 429 for at least its retry-after before retrying, then succeeds', async () => {
    // 2 s: longer than the gate's own first backoff (1 s), so only an honoured Retry-After passes.
    faultOnce({ kind: 'rate_limit', retryAfter: 2 });
    const proxy = await startTimingProxy(emu.url);
    try {
      const g = gate({ baseUrl: proxy.url });
      const paused: number[] = [];
      g.on('paused', (e) => paused.push(e.resumeAt));
      const res = await g.submit(request());
      expect(res.content).toBe(TEXT);
      const posts = proxy.arrivals.filter((a) => a.method === 'POST');
      expect(posts).toHaveLength(2);
      expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(2000);
      expect(paused).toHaveLength(1);
      expect(posts[1]!.at).toBeGreaterThanOrEqual(paused[0]!);
    } finally {
      await proxy.close();
    }
  });

  it('retries 5xx per the degrading policy, then succeeds', async () => {
    faultOnce({ kind: 'server_error' }, 2);
    const g = gate();
    const res = await g.submit(request());
    expect(res.content).toBe(TEXT);
    expect(modelRequests()).toHaveLength(3);
    expect(g.stats().retried).toBe(2);
    expect(outcomes(g)).toEqual(['error:external_degrading', 'error:external_degrading', 'ok']);
  });

  it("gives up on 5xx after the policy's retries with a degrading error", async () => {
    faultOnce({ kind: 'server_error' }, 10);
    const err = await rejection(gate().submit(request()));
    expect(err).toMatchObject({
      code: 'llm.provider_degraded',
      tier: ErrorTier.ExternalDegrading,
      details: { attempts: 4, status: 500 },
    });
    // What happened, once: the attempts are a detail, not a chain of "failed after …: … failed".
    expect(err.message).toMatch(new RegExp(`^${c.provider} request failed \\(HTTP 500 [^)]*\\): [^:]+$`));
    expect(modelRequests()).toHaveLength(4);
  });

  it('surfaces a rejected key as user-fixable after exactly one request, without the key', async () => {
    scenario({ steps: [{ reply: { text: TEXT } }] });
    const g = gate({ apiKey: WRONG });
    const err = await rejection(g.submit(request()));
    expect(err).toMatchObject({
      tier: ErrorTier.UserFixable,
      code: 'llm.auth_failed',
      hint: `Check or replace the key: sylk auth login ${c.provider}`,
      details: { attempts: 1 },
    });
    expect(err.message).toMatch(
      new RegExp(`^${c.provider} rejected the API key from env [A-Z]+_API_KEY \\(HTTP [0-9]{3}`),
    );
    expect(g.authFailure(c.provider)?.message).toBe(err.message);
    expect(modelRequests()).toHaveLength(1);
    expect(
      JSON.stringify({ m: err.message, d: err.details, h: err.hint, c: (err.cause as Error).message }),
    ).not.toContain(WRONG);
  });

  it('retries an overloaded error event that arrives mid-stream', async () => {
    faultOnce({
      kind: 'stream_error',
      afterChunks: 6,
      errorType:
        c.provider === 'google' ? 'UNAVAILABLE' : c.provider === 'openai' ? 'server_error' : 'overloaded_error',
    });
    const g = gate();
    const retried: string[] = [];
    g.on('retry_scheduled', (e) => retried.push(e.tier));
    const res = await g.submit(request());
    expect(res.content).toBe(TEXT);
    expect(retried).toEqual([ErrorTier.ExternalDegrading]);
    expect(modelRequests()).toHaveLength(2);
  });

  it('retries a dropped connection as transient', async () => {
    faultOnce({ kind: 'drop', afterChunks: 3 });
    const g = gate();
    const retried: string[] = [];
    g.on('retry_scheduled', (e) => retried.push(e.tier));
    expect((await g.submit(request())).content).toBe(TEXT);
    expect(retried).toEqual([ErrorTier.Transient]);
    expect(outcomes(g)).toEqual(['error:transient', 'ok']);
  });

  it('retries malformed JSON as transient', async () => {
    faultOnce({ kind: 'malformed', afterChunks: 3 });
    const g = gate();
    const retried: string[] = [];
    g.on('retry_scheduled', (e) => retried.push(e.tier));
    expect((await g.submit(request())).content).toBe(TEXT);
    expect(retried).toEqual([ErrorTier.Transient]);
  });

  it('completes a stream at its final event while the server keeps the body open', async () => {
    scenario({ steps: [{ reply: { text: TEXT }, fault: { kind: 'hold_open' } }] });
    // Waiting for the body to close would end in this watchdog, as a partial response.
    const g = gate({ streamLimits: { chunkTimeoutMs: 1_000 } });
    const res = await g.submit(request());
    expect(res).toMatchObject({ content: TEXT, stopReason: 'end_turn' });
    expect(res.partial).toBeUndefined();
    expect(outcomes(g)).toEqual(['ok']);
  });

  // Gemini sends no keep-alives (its SDK could not parse them): a quiet Gemini stream is a stall.
  it.skipIf(c.provider === 'google')('keeps a stream alive on keep-alives, then answers', async () => {
    scenario({ steps: [{ reply: { text: TEXT }, fault: { kind: 'keepalive', intervalMs: 50, ms: 800 } }] });
    const g = gate({ streamLimits: { chunkTimeoutMs: 300 } });
    const res = await g.submit(request());
    expect(res.content).toBe(TEXT);
    expect(res.partial).toBeUndefined();
    expect(modelRequests()).toHaveLength(1);
  });

  it.skipIf(c.provider === 'google')('fails a stream of keep-alives alone at the first-output timeout', async () => {
    scenario({ steps: [{ reply: { text: TEXT }, fault: { kind: 'keepalive', intervalMs: 50 } }] });
    const g = gate({
      streamLimits: { chunkTimeoutMs: 300, firstOutputTimeoutMs: 800 },
      retryPolicies: { [ErrorTier.Transient]: { retries: 1, initialMs: 10, maxMs: 10 } },
    });
    const err = await rejection(g.submit(request()));
    expect(err).toMatchObject({
      code: 'llm.first_output_timeout',
      tier: ErrorTier.Transient,
      details: { attempts: 2 },
    });
    expect(err.message).toBe(`${c.provider} sent no output within 0.8 s of the request (only keep-alives)`);
    expect(modelRequests()).toHaveLength(2);
  });

  it('ends a stalled stream with the chunk watchdog and marks the partial output', async () => {
    scenario({ steps: [{ reply: { text: TEXT }, fault: { kind: 'stall', afterChunks: 6 } }] });
    const g = gate({ streamLimits: { chunkTimeoutMs: 300 } });
    const res = await g.submit(request());
    expect(res.partial).toBe(true);
    expect(res.partialReason).toBe('chunk_timeout');
    expect(res.content.length).toBeGreaterThan(0);
    expect(TEXT.startsWith(res.content)).toBe(true);
    expect(modelRequests()).toHaveLength(1);
    expect(outcomes(g)).toEqual(['partial:chunk_timeout']);
  });
});
