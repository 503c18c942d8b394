import { afterEach, describe, expect, it } from 'vitest';
import { ErrorTier, SylkError } from '@sylk/core';
import { ProviderError } from '../types.js';
import type { LLMResponse, StreamChunk } from '../types.js';
import { FakeAdapter, reply } from './testing/fake-adapter.js';
import type { FakeStep } from './testing/fake-adapter.js';
import { gateFixture, latch, nameOf, req } from './testing/gate-fixture.js';
import { flush } from './testing/manual-time.js';
import { tempSystemDb } from './testing/system-db.js';
import { Priority } from './types.js';
import { retryNoticeText } from './retry-notice.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

const overloaded = () =>
  new ProviderError('Overloaded', {
    provider: 'anthropic',
    status: 200,
    inStream: true,
    errorType: 'overloaded_error',
  });

async function rejection(p: Promise<unknown>): Promise<SylkError> {
  try {
    await p;
  } catch (err) {
    return err as SylkError;
  }
  throw new Error('expected a rejection');
}

describe('LLMGate queueing', () => {
  it('runs user requests first, then pipeline by priority, FIFO within a priority', async () => {
    const blocker = latch();
    const { gate, adapter } = gateFixture({
      workers: 1,
      script: (r) => (nameOf(r) === 'blocker' ? [{ until: blocker.promise }, ...reply('x')] : reply(nameOf(r))),
    });
    const all = [gate.submit(req('blocker', Priority.UserInteractive, { user: true }))];
    await flush();
    for (const [name, p] of [
      ['bg', 20],
      ['exec1', 60],
      ['plan', 80],
      ['exec2', 60],
      ['val', 40],
    ] as const)
      all.push(gate.submit(req(name, p)));
    all.push(gate.submit(req('user', Priority.UserInteractive, { user: true })));
    blocker.open();
    await Promise.all(all);
    expect(adapter.calls.map(nameOf)).toEqual(['blocker', 'user', 'plan', 'exec1', 'exec2', 'val', 'bg']);
  });

  it('never rejects a user request under a pipeline flood, and serves it first', async () => {
    const release = latch();
    const { gate, adapter, of } = gateFixture({
      script: (r, call) =>
        nameOf(r) === 'user' || call >= 4
          ? reply(nameOf(r))
          : [{ type: 'text', text: 'partial' }, { until: release.promise }, ...reply('late')],
    });
    const accepted: Promise<LLMResponse>[] = [];
    const refused: Promise<SylkError>[] = [];
    for (let i = 0; i < 5_000; i++) {
      const p = gate.submit(req(`p${i}`, [20, 40, 60, 80][i % 4] as number));
      if (i < 1_004) accepted.push(p);
      else refused.push(rejection(p));
    }
    const errors = await Promise.all(refused);
    expect(errors).toHaveLength(3_996);
    expect(new Set(errors.map((e) => `${e.code}/${e.tier}`))).toEqual(new Set(['llm.queue_full/external_rate_limit']));
    expect(gate.stats().queued.pipeline).toBe(1_000);
    await flush(); // the running four have streamed their partial text
    const user = await gate.submit(req('user', Priority.UserInteractive, { user: true }));
    expect(user.content).toBe('user');
    expect(adapter.calls.map(nameOf).slice(0, 5)).toEqual(['p0', 'p1', 'p2', 'p3', 'user']);
    expect(of('preempted')).toEqual([
      expect.objectContaining({ requestId: 'p0', byRequestId: 'user', requeued: true, partialChars: 7 }),
    ]);
    release.open();
    await Promise.all(accepted);
    expect(gate.stats()).toMatchObject({
      completed: 1_005,
      rejected: 3_996,
      preempted: 1,
      inFlight: 0,
      queued: { user: 0, pipeline: 0 },
    });
  });

  it('preempts the lowest-priority in-flight pipeline request, re-runs it ahead of its peers, completes it once', async () => {
    const sys = tempSystemDb();
    cleanups.push(sys.cleanup);
    const hold = latch();
    const { gate, adapter, of } = gateFixture({
      workers: 2,
      db: sys.db,
      script: (r, call) =>
        call < 2
          ? [
              { type: 'start', model: 'sonnet' },
              { type: 'text', text: `${nameOf(r)}-first` },
              { type: 'usage', usage: { inputTokens: 50 } },
              { until: hold.promise },
              ...reply('never'),
            ]
          : reply(nameOf(r)),
    });
    const bg = gate.submit(req('bg', Priority.Background, { sessionId: 'sB' }));
    const exec = gate.submit(req('exec', Priority.Execution, { sessionId: 'sB' }));
    await flush();
    const peer = gate.submit(req('bg-peer', Priority.Background, { sessionId: 'sB' }));
    const user = await gate.submit(req('user', Priority.UserInteractive, { user: true, sessionId: 'sA' }));
    expect(user.content).toBe('user');
    expect(of('preempted')).toEqual([
      expect.objectContaining({
        requestId: 'bg',
        sessionId: 'sB',
        byRequestId: 'user',
        requeued: true,
        partialChars: 8,
      }),
    ]);
    expect(of('requeued')).toEqual([expect.objectContaining({ requestId: 'bg', reason: 'preempted' })]);
    await flush();
    const bgResult = await bg;
    expect(bgResult).toMatchObject({ content: 'bg' });
    expect(bgResult.partial).toBeUndefined();
    await peer;
    hold.open();
    await exec;
    // bg re-ran ahead of its priority peer; exactly one completion each.
    expect(adapter.calls.map(nameOf)).toEqual(['bg', 'exec', 'user', 'bg', 'bg-peer']);
    expect(gate.stats()).toMatchObject({ completed: 4, failed: 0, preempted: 1 });
    await gate.close();
    const rows = sys.db
      .prepare("SELECT request_id, outcome, input_tokens FROM usage WHERE request_id = 'bg' ORDER BY id")
      .all();
    expect(rows).toEqual([
      { request_id: 'bg', outcome: 'preempted', input_tokens: 50 },
      { request_id: 'bg', outcome: 'ok', input_tokens: 10 },
    ]);
  });

  it('completes 10,000 queued requests exactly once', async () => {
    const { gate, adapter } = gateFixture({ pipelineCapacity: 20_000, script: (r) => reply(nameOf(r)) });
    const ps: Promise<LLMResponse>[] = [];
    for (let i = 0; i < 10_000; i++)
      ps.push(gate.submit(req(`r${i}`, [20, 40, 60, 80, 100][i % 5] as number, { user: i % 10 === 0 })));
    const results = await Promise.all(ps);
    expect(new Set(results.map((r) => r.content)).size).toBe(10_000);
    // User requests preempt in-flight pipeline work, which re-runs: one call per request, plus one
    // per preemption that came after the adapter lookup.
    expect(adapter.calls.length).toBeGreaterThanOrEqual(10_000);
    expect(adapter.calls.length).toBeLessThanOrEqual(10_000 + gate.stats().preempted);
    expect(new Set(adapter.calls.map(nameOf)).size).toBe(10_000);
    expect(gate.stats()).toMatchObject({ submitted: 10_000, completed: 10_000, failed: 0, inFlight: 0 });
  });

  it('cancels queued and running requests, keeping partial output; close rejects the queue', async () => {
    const hold = latch();
    const { gate } = gateFixture({
      workers: 1,
      script: () => [{ type: 'text', text: 'half' }, { until: hold.promise }, ...reply('rest')],
    });
    const running = new AbortController();
    const queued = new AbortController();
    const a = gate.submit(req('a', 60), running.signal);
    const b = gate.submit(req('b', 60), queued.signal);
    const c = gate.submit(req('c', 60));
    await flush();
    queued.abort();
    expect((await rejection(b)).code).toBe('llm.cancelled');
    running.abort();
    expect(await a).toMatchObject({ content: 'half', partial: true, partialReason: 'cancelled', stopReason: 'error' });
    await flush();
    const closing = gate.close();
    expect((await rejection(c)).code).toBe('llm.gate_closed');
    await closing;
    expect((await rejection(gate.submit(req('d', 60)))).code).toBe('llm.gate_closed');
  });
});

describe('LLMGate adapter lookup', () => {
  it("awaits the adapter of the request's provider and profile at each attempt", async () => {
    const looked: Array<[string, string | undefined]> = [];
    const adapter = new FakeAdapter(
      'anthropic',
      (r) => reply(nameOf(r)),
      async () => {},
    );
    const { gate } = gateFixture({
      adapters: async (provider, profile) => (looked.push([provider, profile]), adapter),
    });
    expect(await gate.submit(req('a', 60, { profile: 'work' }))).toMatchObject({ content: 'a' });
    expect(await gate.submit(req('b', 60))).toMatchObject({ content: 'b' });
    expect(looked).toEqual([
      ['anthropic', 'work'],
      ['anthropic', undefined],
    ]);
  });

  it('an adapter that cannot be built fails the request with its own code and hint, unretried; the provider stays healthy', async () => {
    const missing = new SylkError('no API key for anthropic', {
      tier: ErrorTier.UserFixable,
      code: 'llm.auth_missing',
      hint: 'run `sylk auth login anthropic`',
    });
    const { gate, of } = gateFixture({ adapters: () => Promise.reject(missing) });
    const chunks: StreamChunk[] = [];
    const s = gate.stream(req('a', Priority.UserInteractive, { user: true }));
    const err = await rejection(
      (async () => {
        for await (const c of s) chunks.push(c);
      })(),
    );
    expect(err).toMatchObject({
      code: 'llm.auth_missing',
      tier: ErrorTier.UserFixable,
      hint: 'run `sylk auth login anthropic`',
      details: { attempts: 1 },
    });
    expect(err.message).toBe('no API key for anthropic');
    expect(chunks).toEqual([]);
    expect(of('retry_scheduled')).toEqual([]);
    expect(gate.breakers().every((b) => b.state === 'closed')).toBe(true);
    expect(gate.stats()).toMatchObject({ failed: 1, retried: 0, inFlight: 0 });
  });

  it('a lookup that fails by a transient error is retried by its tier, and counts nothing against the provider', async () => {
    const adapter = new FakeAdapter(
      'anthropic',
      (r) => reply(nameOf(r)),
      async () => {},
    );
    let lookups = 0;
    const { gate, time, of } = gateFixture({
      adapters: async () => {
        if (lookups++ === 0)
          throw new SylkError('keychain did not answer', {
            tier: ErrorTier.Transient,
            code: 'security.keychain_unavailable',
          });
        return adapter;
      },
    });
    const done = gate.submit(req('a', 60));
    await flush();
    expect(of('retry_scheduled')).toEqual([
      expect.objectContaining({ code: 'security.keychain_unavailable', tier: ErrorTier.Transient, attempt: 1 }),
    ]);
    await time.advance(1_000);
    expect(await done).toMatchObject({ content: 'a' });
    expect(gate.breakers()).toEqual([
      expect.objectContaining({ id: 'llm:anthropic', state: 'closed', failures: 0, lastFailure: undefined }),
    ]);
  });

  it('a lookup still pending when the request is cancelled ends it as cancelled, freeing the worker', async () => {
    const slow = latch();
    const adapter = new FakeAdapter(
      'anthropic',
      (r) => reply(nameOf(r)),
      async () => {},
    );
    const { gate } = gateFixture({ workers: 1, adapters: async () => (await slow.promise, adapter) });
    const abort = new AbortController();
    const first = gate.submit(req('a', 60), abort.signal);
    await flush();
    abort.abort();
    expect((await rejection(first)).code).toBe('llm.cancelled');
    expect(gate.stats().inFlight).toBe(0);
    slow.open();
    expect(await gate.submit(req('b', 60))).toMatchObject({ content: 'b' });
  });
});

describe('LLMGate retries, rate limits and breaker', () => {
  it('retries an in-stream overloaded_error with degrading backoff', async () => {
    const { gate, adapter, time, of } = gateFixture({
      script: (r, call) => (call < 2 ? [{ type: 'start', model: 'sonnet' }, { fail: overloaded() }] : reply('fine')),
    });
    const res = await time.settle(gate.submit(req('r', 60, { sessionId: 's1' })));
    expect(res.content).toBe('fine');
    expect(adapter.calls).toHaveLength(3);
    expect(of('retry_scheduled').map((e) => [e.tier, e.attempt, e.delayMs])).toEqual([
      [ErrorTier.ExternalDegrading, 1, 5_000],
      [ErrorTier.ExternalDegrading, 2, 10_000],
    ]);
  });

  it('retries a failed attempt in submit mode without duplicating text', async () => {
    const { gate, time } = gateFixture({
      script: (_r, call) => (call === 0 ? [{ type: 'text', text: 'dup' }, { fail: overloaded() }] : reply('clean')),
    });
    expect((await time.settle(gate.submit(req('r', 60)))).content).toBe('clean');
  });

  it('does not retry a stream after content reached the caller: surfaces the error with the partial', async () => {
    const { gate, adapter, time } = gateFixture({
      script: () => [{ type: 'start', model: 'sonnet' }, { type: 'text', text: 'Hello' }, { fail: overloaded() }],
    });
    const s = gate.stream(req('r', 60));
    const seen: StreamChunk[] = [];
    const consumed = (async () => {
      for await (const c of s) seen.push(c);
    })();
    const err = await rejection(time.settle(consumed));
    expect(seen.map((c) => c.type)).toEqual(['start', 'text']);
    expect(err).toMatchObject({ code: 'llm.provider_error', tier: ErrorTier.ExternalDegrading, message: 'Overloaded' });
    expect(err.details.partial).toMatchObject({ content: 'Hello', partial: true });
    expect(adapter.calls).toHaveLength(1);
    expect((await rejection(s.response)).code).toBe('llm.provider_error');
  });

  it('streams chunks in order and resolves the accumulated response; retries before the first content chunk', async () => {
    const { gate, time } = gateFixture({
      script: (_r, call) =>
        call === 0
          ? [{ type: 'start', model: 'sonnet' }, { fail: overloaded() }]
          : [
              { type: 'start', model: 'sonnet' },
              { type: 'text', text: 'a' },
              { type: 'text', text: 'b' },
              { type: 'usage', usage: { inputTokens: 3, outputTokens: 2 } },
              { type: 'stop', stopReason: 'end_turn' },
            ],
    });
    const s = gate.stream(req('r', 60));
    const seen: StreamChunk[] = [];
    await time.settle(
      (async () => {
        for await (const c of s) seen.push(c);
      })(),
    );
    expect(seen.map((c) => c.type)).toEqual(['start', 'text', 'text', 'usage', 'stop']);
    expect(await s.response).toMatchObject({ content: 'ab', usage: { inputTokens: 3, outputTokens: 2 } });
  });

  it('pauses the provider for everyone on 429 until Retry-After, then resumes', async () => {
    const { gate, adapter, time, of } = gateFixture({
      script: (r, call) =>
        call === 0
          ? [
              {
                fail: new ProviderError('rate limited', {
                  provider: 'anthropic',
                  status: 429,
                  inStream: false,
                  retryAfterMs: 2_000,
                }),
              },
            ]
          : reply(nameOf(r)),
    });
    const a = gate.submit(req('a', 60));
    await flush();
    const start = time.clock.now();
    expect(gate.pausedUntil('anthropic')).toBe(start + 2_000);
    expect(of('paused')).toEqual([{ provider: 'anthropic', resumeAt: start + 2_000, attempt: 1 }]);
    const b = gate.submit(req('b', 60, { user: true }));
    await flush();
    expect(adapter.calls).toHaveLength(1);
    expect(gate.stats().waiting).toBe(2);
    await time.advance(2_000);
    await Promise.all([a, b]);
    expect(of('resumed')).toEqual([{ provider: 'anthropic' }]);
    expect(of('retry_scheduled')[0]).toMatchObject({ tier: ErrorTier.ExternalRateLimit, delayMs: 2_000 });
    expect(adapter.calls.map(nameOf)).toEqual(['a', 'b', 'a']);
  });

  it('treats a spend-limit 429 as user-fixable: no retry, no pause', async () => {
    const { gate, adapter, of } = gateFixture({
      script: () => [
        {
          fail: new ProviderError('Your credit balance is too low', {
            provider: 'anthropic',
            status: 429,
            inStream: false,
          }),
        },
      ],
    });
    const err = await rejection(gate.submit(req('a', 60)));
    expect(err).toMatchObject({ tier: ErrorTier.UserFixable, code: 'llm.provider_error' });
    expect(adapter.calls).toHaveLength(1);
    expect(of('paused')).toEqual([]);
    expect(gate.pausedUntil('anthropic')).toBe(0);
  });

  it('raises one transient alert for 3 failures within 10 s in a session', async () => {
    const { gate, time, of } = gateFixture({
      retryPolicies: { external_degrading: { retries: 0 } },
      script: () => [{ fail: overloaded() }],
    });
    for (let i = 0; i < 4; i++) await rejection(time.settle(gate.submit(req(`r${i}`, 60, { sessionId: 's1' }))));
    expect(of('transient_alert')).toEqual([{ sessionId: 's1', resource: 'llm:anthropic', count: 3 }]);
  });

  it('trips the breaker, fails pipeline requests fast, lets user requests wait, probes one at a time, closes after 3', async () => {
    let healthy = false;
    const hold = latch();
    const { gate, adapter, time, of } = gateFixture({
      retryPolicies: { external_degrading: { retries: 0 } },
      script: (r) =>
        healthy
          ? [{ until: hold.promise }, ...reply(nameOf(r))]
          : [{ fail: new ProviderError('unavailable', { provider: 'anthropic', status: 503, inStream: false }) }],
    });
    for (let i = 0; i < 5; i++) await rejection(gate.submit(req(`f${i}`, 60)));
    expect(gate.breakers()).toEqual([expect.objectContaining({ id: 'llm:anthropic', state: 'open', failures: 5 })]);
    expect(of('circuit_state').map((e) => e.state)).toEqual(['open']);
    const fast = await rejection(gate.submit(req('pipeline', 60)));
    expect(fast).toMatchObject({ code: 'llm.circuit_open', tier: ErrorTier.ExternalDegrading });
    healthy = true;
    const users = [1, 2, 3].map((i) => gate.submit(req(`u${i}`, 100, { user: true })));
    await flush();
    expect(gate.stats().waiting).toBe(3);
    const calls = adapter.calls.length;
    await time.advance(30_000);
    expect(adapter.calls.length).toBe(calls + 1); // single probe
    expect(adapter.open).toBe(1);
    hold.open();
    await Promise.all(users);
    expect(of('circuit_state').map((e) => e.state)).toEqual(['open', 'half_open', 'closed']);
    expect(adapter.calls.slice(calls).map(nameOf)).toEqual(['u1', 'u2', 'u3']);
  });
});

describe('LLMGate budgets, usage and quotas', () => {
  it('refuses a request over budget before queueing, naming the limit', async () => {
    const { gate, adapter } = gateFixture({ budgets: { session: { usd: 0.01 } } });
    const err = await rejection(gate.submit(req('big', 60, { sessionId: 's_1' })));
    expect(err.code).toBe('llm.budget_exceeded');
    expect(err.message).toBe('session s_1 budget of $0.01 exceeded: spent $0.00, this request needs ~$0.02');
    expect(adapter.calls).toHaveLength(0);
  });

  it('records usage and cost through the store, attributed, and stops a stream at the hard budget', async () => {
    const sys = tempSystemDb();
    cleanups.push(sys.cleanup);
    const chunk: FakeStep = { type: 'text', text: 'x'.repeat(400) };
    const { gate, time, of } = gateFixture({
      db: sys.db,
      estimateOutputTokens: () => 100,
      budgets: { session: { tokens: 1_900 } },
      script: (r) =>
        nameOf(r) === 'long'
          ? [
              { type: 'start', model: 'sonnet' },
              ...Array<FakeStep>(30).fill(chunk),
              { type: 'stop', stopReason: 'end_turn' },
            ]
          : reply('ok', { inputTokens: 1_000, outputTokens: 100 }),
    });
    const ok = await gate.submit(
      req('small', 60, { sessionId: 's1', taskId: 't1', agentType: 'engineer', agentId: 'a1' }),
    );
    expect(ok.usage).toEqual({ inputTokens: 1_000, outputTokens: 100, cacheReadTokens: 0, cacheWriteTokens: 0 });
    expect(gate.report({ groupBy: 'session' })).toEqual([
      {
        key: 's1',
        requests: 1,
        inputTokens: 1_000,
        outputTokens: 100,
        cacheRead: 0,
        cacheWrite: 0,
        costUsd: expect.closeTo(0.0045, 12),
      },
    ]);
    expect(of('budget_warning')).toEqual([]);
    const long = await time.settle(gate.submit(req('long', 60, { sessionId: 's2' })));
    expect(long).toMatchObject({ partial: true, partialReason: 'budget_exceeded' });
    // Checked every 10 chunks: at chunk 20 (start + 19 texts) 100 + 19 × 100 tokens > 1,900.
    expect(long.content).toHaveLength(19 * 400);
    expect(gate.report({ groupBy: 'agent', sessionId: 's1' })).toEqual([
      expect.objectContaining({ key: 'engineer', costUsd: expect.closeTo(0.0045, 12) }),
    ]);
    await gate.close();
  });

  it('refuses pipeline requests at 100% of a subscription quota while user requests proceed with a warning', async () => {
    const { gate, of } = gateFixture({ quotas: { anthropic: { period: 'day', maxRequests: 2 } } });
    await gate.submit(req('a', 60));
    await gate.submit(req('b', 60));
    expect(of('quota_warning').map((w) => (w.kind === 'subscription' ? w.level : w.resource))).toEqual(['exhausted']); // 50% → 100%: only the level reached
    expect(await rejection(gate.submit(req('c', 60)))).toMatchObject({
      code: 'llm.quota_exhausted',
      tier: ErrorTier.UserFixable,
    });
    expect((await gate.submit(req('u', 100, { user: true }))).content).toBe('ok');
    expect(of('quota_warning')).toHaveLength(2);
  });
});

describe('LLMGate stream watchdog', () => {
  it('marks the response partial when no chunk arrives for the gap', async () => {
    const { gate, time, of } = gateFixture({
      streamHealth: { failures: 1 },
      script: () => [
        { type: 'start', model: 'sonnet' },
        { type: 'text', text: 'hel' },
        { wait: 120_000 },
        ...reply('lo'),
      ],
    });
    const res = await time.settle(gate.submit(req('r', 60)));
    expect(res).toMatchObject({ content: 'hel', partial: true, partialReason: 'chunk_timeout', stopReason: 'error' });
    expect(of('stream_mode').map((e) => e.mode)).toEqual(['degraded']); // a stall is a stream fault
  });

  it('stops at the maximum duration even while chunks keep coming', async () => {
    const steps: FakeStep[] = [{ type: 'start', model: 'sonnet' }];
    for (let i = 0; i < 40; i++) steps.push({ wait: 30_000 }, { type: 'text', text: '.' });
    const { gate, time, of } = gateFixture({ streamHealth: { failures: 1 }, script: () => steps });
    const res = await time.settle(gate.submit(req('r', 60)));
    expect(res).toMatchObject({ partial: true, partialReason: 'max_duration', content: '.'.repeat(19) });
    expect(of('stream_mode')).toEqual([]); // a long answer is not a failing stream
  });

  it('stops a response at its text size limit and keeps what fit, marked partial', async () => {
    const steps: FakeStep[] = [{ type: 'start', model: 'sonnet' }];
    for (let i = 0; i < 10; i++) steps.push({ type: 'text', text: 'é'.repeat(5) }); // 10 bytes each
    steps.push(...reply('never'));
    const { gate, time } = gateFixture({ streamLimits: { maxTextBytes: 35 }, script: () => steps });
    const res = await time.settle(gate.submit(req('r', 60)));
    expect(res).toMatchObject({ partial: true, partialReason: 'size_limit', content: 'é'.repeat(15) });
  });

  it('stops a response whose tool call arguments outgrow their limit', async () => {
    const steps: FakeStep[] = [
      { type: 'start', model: 'sonnet' },
      { type: 'tool_start', index: 0, id: 'c1', name: 'write_file' },
    ];
    for (let i = 0; i < 10; i++) steps.push({ type: 'tool_delta', index: 0, argumentsDelta: '{"content":"' });
    const { gate, time } = gateFixture({
      streamLimits: { maxToolArgsBytes: 100 },
      script: () => [...steps, ...reply('never')],
    });
    const res = await time.settle(gate.submit(req('r', 60)));
    expect(res).toMatchObject({ partial: true, partialReason: 'size_limit' });
    expect(res.content).not.toContain('never');
  });

  it('retries a stream that produced nothing before the watchdog fired, as transient', async () => {
    // (Degraded mode would send the sixth attempt non-streaming: tested on its own below.)
    const { gate, adapter, time } = gateFixture({
      breakers: { 'llm:anthropic': { consecutiveFailures: 100 } },
      streamHealth: { failures: 100 },
      script: () => [{ wait: 120_000 }],
    });
    const err = await rejection(time.settle(gate.submit(req('r', 60))));
    expect(err).toMatchObject({ code: 'llm.stream_timeout', tier: ErrorTier.Transient, details: { attempts: 6 } });
    expect(err.message).toBe('anthropic stream produced no output within 60 s (chunk_timeout)');
    expect(adapter.calls).toHaveLength(6);
  });

  it('counts keep-alives as life for the gap, but not as the first output', async () => {
    const pings: FakeStep[] = [{ type: 'start', model: 'sonnet' }];
    for (let i = 0; i < 8; i++) pings.push({ wait: 30_000 }, { type: 'keepalive' });
    const { gate, adapter, time } = gateFixture({
      retryPolicies: { transient: { retries: 1 } },
      script: (_r, call) => (call === 0 ? [...pings, ...reply('late')] : [...pings.slice(0, 5), ...reply('in time')]),
    });
    const s = gate.stream(req('r', 60));
    const seen: StreamChunk[] = [];
    await time.settle(
      (async () => {
        for await (const c of s) seen.push(c);
      })(),
    );
    // 4 pings 30 s apart (no gap reached 60 s), then text at 120 s: within the 180 s first-output bound.
    expect((await s.response).content).toBe('in time');
    expect(adapter.calls).toHaveLength(2);
    expect(seen.some((c) => c.type === 'keepalive')).toBe(false);
  });

  it('fails a stream of keep-alives alone after the first-output timeout, as a named transient error', async () => {
    const pings: FakeStep[] = [{ type: 'start', model: 'sonnet' }];
    for (let i = 0; i < 100; i++) pings.push({ wait: 20_000 }, { type: 'keepalive' });
    const { gate, time } = gateFixture({
      retryPolicies: { transient: { retries: 0 } },
      streamLimits: { firstOutputTimeoutMs: 90_000 },
      script: () => pings,
    });
    const started = time.clock.monotonic();
    const err = await rejection(time.settle(gate.submit(req('r', 60))));
    expect(err).toMatchObject({ code: 'llm.first_output_timeout', tier: ErrorTier.Transient });
    expect(err.message).toBe('anthropic sent no output within 90 s of the request (only keep-alives)');
    expect(err.hint).toContain('llm.stream.first_output_timeout_seconds');
    expect(time.clock.monotonic() - started).toBeLessThan(120_000);
  });
});

describe('LLMGate final errors', () => {
  const rejected = () =>
    new ProviderError(
      'anthropic rejected the API key from keychain (HTTP 401 authentication_error): invalid x-api-key',
      { provider: 'anthropic', status: 401, inStream: false },
      { tier: ErrorTier.UserFixable, code: 'llm.auth_failed', hint: 'sylk auth login anthropic' },
    );

  it("keeps the failure's code, hint and message once; the attempts are a detail", async () => {
    const { gate, time } = gateFixture({
      retryPolicies: { external_degrading: { retries: 3, initialMs: 10 } },
      script: () => [
        {
          fail: new ProviderError(
            'anthropic request failed (HTTP 529 overloaded_error): Overloaded',
            { provider: 'anthropic', status: 529, inStream: false },
            { tier: ErrorTier.ExternalDegrading, code: 'llm.provider_degraded' },
          ),
        },
      ],
    });
    const err = await rejection(time.settle(gate.submit(req('r', 60))));
    expect(err).toMatchObject({
      code: 'llm.provider_degraded',
      tier: ErrorTier.ExternalDegrading,
      message: 'anthropic request failed (HTTP 529 overloaded_error): Overloaded',
      details: { attempts: 4, status: 529, provider: 'anthropic' },
    });
  });

  it('tells the request about each retry it waits for', async () => {
    const seen: unknown[] = [];
    const { gate, time } = gateFixture({
      script: (_r, call) =>
        call === 0
          ? [
              {
                fail: new ProviderError(
                  'rate limited',
                  { provider: 'anthropic', status: 429, inStream: false, retryAfterMs: 12_000 },
                  { tier: ErrorTier.ExternalRateLimit, code: 'llm.rate_limited' },
                ),
              },
            ]
          : reply('ok'),
    });
    const res = await time.settle(gate.submit(req('r', 60, { onRetry: (r) => seen.push(r) })));
    expect(res.content).toBe('ok');
    expect(seen).toEqual([
      expect.objectContaining({
        requestId: 'r',
        code: 'llm.rate_limited',
        delayMs: 12_000,
        attempt: 1,
        maxRetries: 10,
      }),
    ]);
    expect(retryNoticeText(seen[0] as Parameters<typeof retryNoticeText>[0])).toBe(
      'anthropic rate limited the request; retrying in 12 s (retry 1 of 10)',
    );
  });

  it('marks a provider whose key was rejected until a request succeeds or the key changes', async () => {
    const { gate, time } = gateFixture({ script: (r) => (nameOf(r) === 'bad' ? [{ fail: rejected() }] : reply('ok')) });
    const err = await rejection(time.settle(gate.submit(req('bad', 60))));
    expect(err).toMatchObject({ code: 'llm.auth_failed', hint: 'sylk auth login anthropic', details: { attempts: 1 } });
    expect(gate.authFailure('anthropic')?.message).toContain('rejected the API key');
    await time.settle(gate.submit(req('good', 60)));
    expect(gate.authFailure('anthropic')).toBeUndefined();
    await rejection(time.settle(gate.submit(req('bad', 60))));
    gate.clearAuthFailure('anthropic');
    expect(gate.authFailure('anthropic')).toBeUndefined();
  });
});

describe('LLMGate degraded streaming', () => {
  const dropped = () =>
    new ProviderError(
      'anthropic stream dropped',
      { provider: 'anthropic', inStream: true },
      { tier: ErrorTier.Transient, code: 'llm.network' },
    );

  it('after 5 consecutive stream failures sends requests non-streaming, then probes streaming again after 5 min', async () => {
    let streamWorks = false;
    const { gate, adapter, time, of } = gateFixture({
      breakers: { 'llm:anthropic': { consecutiveFailures: 100 } },
      script: (r) =>
        streamWorks ? reply(`streamed ${nameOf(r)}`) : [{ type: 'start', model: 'sonnet' }, { fail: dropped() }],
    });
    const generated: string[] = [];
    adapter.generate = async (r) => {
      generated.push(nameOf(r));
      return {
        content: `whole ${nameOf(r)}`,
        model: 'sonnet',
        stopReason: 'tool_use',
        usage: { inputTokens: 9, outputTokens: 4, cacheReadTokens: 0, cacheWriteTokens: 0 },
        toolCalls: [{ id: 't1', name: 'read_file', arguments: { path: 'a' } }],
      };
    };

    // One request: five streamed attempts fail, the sixth (a retry) goes out whole and succeeds.
    const first = await time.settle(gate.submit(req('one', 60)));
    expect(first).toMatchObject({
      content: 'whole one',
      stopReason: 'tool_use',
      toolCalls: [{ id: 't1', name: 'read_file', arguments: { path: 'a' } }],
    });
    expect(first.usage).toMatchObject({ inputTokens: 9, outputTokens: 4 });
    expect(adapter.calls).toHaveLength(5);
    const [degraded] = of('stream_mode');
    expect(degraded).toMatchObject({ provider: 'anthropic', mode: 'degraded' });
    expect(gate.streamingDegradedUntil('anthropic')).toBe(degraded?.until);

    // While degraded, a stream consumer still gets its chunks, from the whole response.
    const s = gate.stream(req('two', 60));
    const seen: StreamChunk[] = [];
    await time.settle(
      (async () => {
        for await (const c of s) seen.push(c);
      })(),
    );
    expect(seen.map((c) => c.type)).toEqual(['start', 'text', 'tool_start', 'tool_delta', 'tool_end', 'usage', 'stop']);
    expect(generated).toEqual(['one', 'two']);
    expect(adapter.calls).toHaveLength(5);

    // Five minutes on, the next request streams as a probe; its success restores streaming.
    streamWorks = true;
    await time.advance(5 * 60_000);
    expect((await time.settle(gate.submit(req('three', 60)))).content).toBe('streamed three');
    expect(of('stream_mode').map((e) => e.mode)).toEqual(['degraded', 'restored']);
    expect(gate.streamingDegradedUntil('anthropic')).toBeUndefined();
  });

  it('a failed probe keeps the provider non-streaming for another period; overload and other errors do not count', async () => {
    const { gate, adapter, time, of } = gateFixture({
      breakers: { 'llm:anthropic': { consecutiveFailures: 100 } },
      streamHealth: { failures: 2, probeAfterMs: 60_000 },
      retryPolicies: { [ErrorTier.Transient]: { retries: 0 }, [ErrorTier.ExternalDegrading]: { retries: 0 } },
      script: (r) => [
        { type: 'start', model: 'sonnet' },
        { fail: nameOf(r).startsWith('busy') ? overloaded() : dropped() },
      ],
    });
    adapter.generate = async (r) => ({
      content: `whole ${nameOf(r)}`,
      model: 'sonnet',
      stopReason: 'end_turn',
      usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
      toolCalls: [],
    });
    for (const name of ['busy1', 'busy2', 'busy3']) await rejection(time.settle(gate.submit(req(name, 60))));
    expect(of('stream_mode')).toEqual([]);
    for (const name of ['drop1', 'drop2']) await rejection(time.settle(gate.submit(req(name, 60))));
    expect(of('stream_mode')).toHaveLength(1);
    const until = gate.streamingDegradedUntil('anthropic') as number;
    expect((await time.settle(gate.submit(req('whole', 60)))).content).toBe('whole whole');
    await time.advance(60_000);
    await rejection(time.settle(gate.submit(req('probe', 60))));
    expect(gate.streamingDegradedUntil('anthropic')).toBeGreaterThan(until);
    expect(of('stream_mode')).toHaveLength(1);
    expect(adapter.calls.map(nameOf)).toEqual(['busy1', 'busy2', 'busy3', 'drop1', 'drop2', 'probe']);
  });

  it('retries a failed non-streaming request as such; its failures do not count against streaming', async () => {
    const { gate, adapter, time, of } = gateFixture({
      breakers: { 'llm:anthropic': { consecutiveFailures: 100 } },
      streamHealth: { failures: 1 },
      script: () => [{ type: 'start', model: 'sonnet' }, { fail: dropped() }],
    });
    let generateCalls = 0;
    adapter.generate = async () => {
      if (++generateCalls === 1) throw dropped();
      return {
        content: 'whole',
        model: 'sonnet',
        stopReason: 'end_turn',
        usage: { inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
        toolCalls: [],
      };
    };
    // Attempt 1 streams and fails (degraded); attempt 2 goes whole and fails; attempt 3 goes whole again.
    expect((await time.settle(gate.submit(req('r', 60)))).content).toBe('whole');
    expect([adapter.calls.length, generateCalls]).toEqual([1, 2]);
    expect(of('retry_scheduled')).toHaveLength(2);
    expect(of('stream_mode').map((e) => e.mode)).toEqual(['degraded']);
  });
});
