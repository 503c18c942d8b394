import { describe, expect, it } from 'vitest';
import { SylkError } from '@sylk/core';
import { reply } from './testing/fake-adapter.js';
import { gateFixture, latch, nameOf, req } from './testing/gate-fixture.js';
import { flush } from './testing/manual-time.js';
import type { RateWait } from './events.js';
import { Priority } from './types.js';
import { rateWaitNoticeText } from './retry-notice.js';

const MINUTE = 60_000;

describe('LLMGate configured rate limits', () => {
  it('one bucket per provider holds across sessions: the over-limit request waits without a worker, then goes', async () => {
    const { gate, adapter, time } = gateFixture({
      workers: 1,
      rateLimits: { anthropic: { requestsPerMinute: 2 } },
      script: (r) => reply(nameOf(r)),
    });
    const start = time.clock.now();
    const waits: RateWait[] = [];
    const sessions = ['s1', 's2', 's3'].map((s) =>
      gate.submit(req(s, 100, { user: true, sessionId: s, onWait: (w) => waits.push(w) })),
    );
    await Promise.all(sessions.slice(0, 2));
    await flush();
    expect(adapter.calls.map(nameOf)).toEqual(['s1', 's2']);
    expect(waits).toEqual([
      expect.objectContaining({
        requestId: 's3',
        sessionId: 's3',
        provider: 'anthropic',
        resource: 'requests',
        bucketModel: undefined,
        limit: 2,
        until: start + MINUTE,
        delayMs: MINUTE,
      }),
    ]);
    expect(rateWaitNoticeText(waits[0] as RateWait)).toBe(
      'waiting 60 s for the anthropic limit of 2 requests per minute (llm.providers.anthropic.rate_limits)',
    );
    expect(gate.rateLimitState('anthropic')).toEqual({
      limits: { requestsPerMinute: 2 },
      used: { requests: 2, tokens: 0 },
      waiting: 1,
      waitingUntil: start + MINUTE,
    });
    // The waiting request holds no worker: another provider's request goes through the one worker.
    expect(gate.stats()).toMatchObject({ inFlight: 0, waiting: 1 });
    expect((await time.settle(gate.submit(req('other', 100, { user: true }, 'openai')))).content).toBe('other');

    await time.advance(MINUTE);
    expect((await sessions[2])?.content).toBe('s3');
    expect(waits).toHaveLength(1);
    expect(gate.rateLimitState('anthropic')).toMatchObject({ waiting: 0, waitingUntil: 0, used: { requests: 1 } });
  });

  it('when a window refills, a waiting user request goes before waiting pipeline requests', async () => {
    const { gate, adapter, time } = gateFixture({
      rateLimits: { anthropic: { requestsPerMinute: 1 } },
      script: (r) => reply(nameOf(r)),
    });
    await time.settle(gate.submit(req('first', 60)));
    const pipeline = [gate.submit(req('bg', 20)), gate.submit(req('exec', 60))];
    const user = gate.submit(req('user', 100, { user: true }));
    await flush();
    expect(gate.rateLimitState('anthropic').waiting).toBe(3);
    await time.advance(MINUTE);
    expect((await user).content).toBe('user');
    expect(gate.rateLimitState('anthropic').waiting).toBe(2);
    await time.advance(2 * MINUTE);
    await Promise.all(pipeline);
    expect(adapter.calls.map(nameOf)).toEqual(['first', 'user', 'exec', 'bg']);
  });

  it('a cancelled waiting request is never sent and uses none of the next window', async () => {
    const { gate, adapter, time } = gateFixture({
      rateLimits: { anthropic: { requestsPerMinute: 1 } },
      script: (r) => reply(nameOf(r)),
    });
    await time.settle(gate.submit(req('a', 60)));
    const controller = new AbortController();
    const waiting = gate.submit(req('b', 60), controller.signal);
    await flush();
    expect(gate.rateLimitState('anthropic').waiting).toBe(1);
    controller.abort();
    await expect(waiting).rejects.toMatchObject({ code: 'llm.cancelled' });
    expect(gate.rateLimitState('anthropic').waiting).toBe(0);
    await time.advance(MINUTE);
    expect((await time.settle(gate.submit(req('c', 60)))).content).toBe('c');
    expect(adapter.calls.map(nameOf)).toEqual(['a', 'c']);
  });

  it('per-model and token buckets: a request waits for the fullest window it needs', async () => {
    const { gate, time } = gateFixture({
      estimateTokens: () => 400,
      estimateOutputTokens: () => 100,
      rateLimits: { anthropic: { tokensPerMinute: 1_000, models: { sonnet: { requestsPerMinute: 5 } } } },
      script: (r) => reply(nameOf(r)),
    });
    const start = time.clock.now();
    const waits: RateWait[] = [];
    await time.settle(gate.submit(req('a', 60)));
    await time.settle(gate.submit(req('b', 60)));
    const c = gate.submit(req('c', 60, { onWait: (w) => waits.push(w) }));
    await flush();
    expect(waits.map((w) => [w.resource, w.bucketModel, w.limit, w.until])).toEqual([
      ['tokens', undefined, 1_000, start + MINUTE],
    ]);
    await time.advance(MINUTE);
    expect((await c).content).toBe('c');
  });

  it('setRateLimits applies at once: a raised limit releases waiting requests, a lowered one holds the next', async () => {
    const { gate, adapter, time } = gateFixture({
      rateLimits: { anthropic: { requestsPerMinute: 1 } },
      script: (r) => reply(nameOf(r)),
    });
    await time.settle(gate.submit(req('a', 60)));
    const b = gate.submit(req('b', 60));
    await flush();
    expect(gate.rateLimitState('anthropic').waiting).toBe(1);
    gate.setRateLimits({ anthropic: { requestsPerMinute: 3 } });
    expect((await time.settle(b)).content).toBe('b');
    expect(gate.rateLimitState('anthropic')).toMatchObject({ limits: { requestsPerMinute: 3 }, waiting: 0 });

    gate.setRateLimits({ anthropic: { requestsPerMinute: 2 } });
    const d = gate.submit(req('d', 60));
    await flush();
    expect(gate.rateLimitState('anthropic').waiting).toBe(1);
    gate.setRateLimits({});
    expect((await time.settle(d)).content).toBe('d');
    expect(gate.rateLimitState('anthropic')).toEqual({
      limits: undefined,
      used: { requests: 0, tokens: 0 },
      waiting: 0,
      waitingUntil: 0,
    });
    expect(adapter.calls.map(nameOf)).toEqual(['a', 'b', 'd']);
  });

  it('close rejects requests waiting for a window with llm.gate_closed', async () => {
    const { gate, time } = gateFixture({
      rateLimits: { anthropic: { requestsPerMinute: 1 } },
      script: (r) => reply(nameOf(r)),
    });
    await time.settle(gate.submit(req('a', 60)));
    const b = gate.submit(req('b', 60));
    await flush();
    await gate.close();
    const err = await b.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SylkError);
    expect(err).toMatchObject({ code: 'llm.gate_closed' });
  });
});

describe('LLMGate per-provider connections (rate_limits.maxConcurrent)', () => {
  it('holds pipeline requests to the cap while workers are free; a user request takes the lowest one, which re-runs', async () => {
    const hold = latch();
    const { gate, adapter, of } = gateFixture({
      workers: 8,
      rateLimits: { anthropic: { maxConcurrent: 2 } },
      script: (r, call) =>
        call < 2
          ? [{ type: 'start', model: 'sonnet' }, { until: hold.promise }, ...reply(nameOf(r))]
          : reply(nameOf(r)),
    });
    const exec = gate.submit(req('exec', Priority.Execution, { sessionId: 'sB' }));
    const bg = gate.submit(req('bg', Priority.Background, { sessionId: 'sB' }));
    const third = gate.submit(req('third', Priority.Background, { sessionId: 'sB' }));
    await flush();
    // Two connections in use, the third waits although six workers are free; another provider is not held.
    expect(adapter.calls.map(nameOf)).toEqual(['exec', 'bg']);
    expect(gate.stats()).toMatchObject({ inFlight: 2, waiting: 1 });
    expect((await gate.submit(req('elsewhere', Priority.Background, {}, 'openai'))).content).toBe('elsewhere');

    const user = await gate.submit(req('user', Priority.UserInteractive, { user: true, sessionId: 'sA' }));
    expect(user.content).toBe('user');
    expect(of('preempted')).toEqual([expect.objectContaining({ requestId: 'bg', byRequestId: 'user' })]);
    hold.open();
    expect((await exec).content).toBe('exec');
    expect((await bg).content).toBe('bg');
    expect((await third).content).toBe('third');
    const anthropic = adapter.calls.map(nameOf).filter((n) => n !== 'elsewhere');
    expect(anthropic.slice(0, 3)).toEqual(['exec', 'bg', 'user']);
    expect(anthropic.filter((n) => n === 'bg')).toHaveLength(2); // preempted, then re-run
  });
});
