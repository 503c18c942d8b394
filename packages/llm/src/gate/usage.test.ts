import { afterEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import type { SylkError } from '@sylk/core';
import type { ModelInfo } from '../types.js';
import { BudgetGuard } from './budget.js';
import type { BudgetWarning } from './budget.js';
import { callCost } from './cost.js';
import { costUsd } from '../catalog/index.js';
import { QuotaTracker, periodBounds } from './quota.js';
import type { QuotaWarning } from './quota.js';
import { ManualTime } from './testing/manual-time.js';
import { tempSystemDb } from './testing/system-db.js';
import { UsageStore } from './usage-store.js';
import type { UsageRecord } from './usage-store.js';
import { UsageTotals } from './usage-totals.js';

const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((c) => c()));

function db() {
  const sys = tempSystemDb();
  cleanups.push(sys.cleanup);
  return sys;
}

const sonnet: ModelInfo = {
  id: 'sonnet',
  provider: 'anthropic',
  contextWindow: 200_000,
  maxOutputTokens: 8_192,
  inputPrice: 3,
  outputPrice: 15,
  cacheReadPrice: 0.3,
  cacheWritePrice: 3.75,
};

function rec(over: Partial<UsageRecord>): UsageRecord {
  return {
    ts: Date.UTC(2025, 0, 6, 12),
    requestId: 'r',
    provider: 'anthropic',
    model: 'sonnet',
    inputTokens: 1000,
    outputTokens: 100,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    costUsd: 0.0045,
    latencyMs: 10,
    outcome: 'ok',
    ...over,
  };
}

describe('cost', () => {
  it('prices tokens per million, cache reads and writes separately', () => {
    expect(
      costUsd(sonnet, { inputTokens: 1_000_000, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 }),
    ).toBeCloseTo(3, 10);
    expect(
      costUsd(sonnet, { inputTokens: 2_000, outputTokens: 1_000, cacheReadTokens: 10_000, cacheWriteTokens: 1_000 }),
    ).toBeCloseTo(0.006 + 0.015 + 0.003 + 0.00375, 10);
    expect(callCost(undefined, { inputTokens: 5, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 })).toBe(0);
  });
});

describe('UsageStore', () => {
  it('batches many records into few transactions and keeps O(1) totals', () => {
    const { db: handle } = db();
    const time = new ManualTime();
    const store = new UsageStore(handle, { logger: silentLogger(), timers: time.timers });
    for (let i = 0; i < 1_200; i++)
      store.record(rec({ requestId: `r${i}`, sessionId: i % 2 ? 's1' : 's2', costUsd: 0.01 }));
    expect(store.transactions).toBe(2); // two full batches of 500
    expect(store.pending).toBe(200);
    expect(handle.prepare('SELECT COUNT(*) AS n FROM usage').get()).toEqual({ n: 1_000 });
    expect(store.totals.get('session', 's1')).toMatchObject({ requests: 600, tokens: 600 * 1_100 });
    expect(store.totals.global.costUsd).toBeCloseTo(12, 8);
    store.close();
    expect(store.transactions).toBe(3);
    expect(handle.prepare('SELECT COUNT(*) AS n FROM usage').get()).toEqual({ n: 1_200 });
  });

  it('flushes a partial buffer after the interval, in one transaction', async () => {
    const { db: handle } = db();
    const time = new ManualTime();
    const store = new UsageStore(handle, { logger: silentLogger(), timers: time.timers });
    for (let i = 0; i < 30; i++) store.record(rec({ requestId: `r${i}` }));
    expect(store.transactions).toBe(0);
    await time.advance(100);
    expect(store.transactions).toBe(1);
    expect(store.pending).toBe(0);
  });

  it('rebuilds totals from the table at start', () => {
    const sys = db();
    const first = new UsageStore(sys.db, { logger: silentLogger() });
    first.record(rec({ sessionId: 's1', taskId: 't1', agentType: 'engineer', costUsd: 0.5 }));
    first.record(rec({ sessionId: 's1', taskId: 't2', provider: 'openai', costUsd: 0.25 }));
    first.close();
    const second = new UsageStore(sys.reopen(), { logger: silentLogger() });
    expect(second.totals.get('session', 's1')).toEqual({ requests: 2, tokens: 2_200, costUsd: 0.75 });
    expect(second.totals.get('task', 't1').costUsd).toBe(0.5);
    expect(second.totals.get('provider', 'openai').costUsd).toBe(0.25);
    expect(second.totals.get('agentType', 'engineer').requests).toBe(1);
  });

  it('reports grouped by provider, model, session, agent, task and day with filters', () => {
    const { db: handle } = db();
    const store = new UsageStore(handle, { logger: silentLogger() });
    const day1 = new Date(2025, 0, 6, 10).getTime();
    const day2 = new Date(2025, 0, 7, 10).getTime();
    store.record(rec({ ts: day1, sessionId: 's1', taskId: 't1', agentType: 'engineer', costUsd: 1 }));
    store.record(
      rec({
        ts: day1,
        sessionId: 's1',
        taskId: 't2',
        agentType: 'tester',
        model: 'haiku',
        costUsd: 0.5,
        cacheReadTokens: 7,
      }),
    );
    store.record(
      rec({
        ts: day2,
        sessionId: 's2',
        provider: 'openai',
        model: 'gpt',
        agentType: 'engineer',
        costUsd: 2,
        cacheWriteTokens: 3,
      }),
    );
    expect(store.report({ groupBy: 'provider' })).toEqual([
      { key: 'openai', requests: 1, inputTokens: 1000, outputTokens: 100, cacheRead: 0, cacheWrite: 3, costUsd: 2 },
      {
        key: 'anthropic',
        requests: 2,
        inputTokens: 2000,
        outputTokens: 200,
        cacheRead: 7,
        cacheWrite: 0,
        costUsd: 1.5,
      },
    ]);
    expect(store.report({ groupBy: 'model', provider: 'anthropic' }).map((r) => [r.key, r.costUsd])).toEqual([
      ['sonnet', 1],
      ['haiku', 0.5],
    ]);
    expect(store.report({ groupBy: 'session' }).map((r) => [r.key, r.requests])).toEqual([
      ['s2', 1],
      ['s1', 2],
    ]);
    expect(store.report({ groupBy: 'agent' }).map((r) => [r.key, r.costUsd])).toEqual([
      ['engineer', 3],
      ['tester', 0.5],
    ]);
    expect(store.report({ groupBy: 'task', sessionId: 's1' }).map((r) => r.key)).toEqual(['t1', 't2']);
    expect(store.report({ groupBy: 'day' }).map((r) => [r.key, r.requests])).toEqual([
      ['2025-01-07', 1],
      ['2025-01-06', 2],
    ]);
    expect(store.report({ groupBy: 'day', since: day2 }).map((r) => r.key)).toEqual(['2025-01-07']);
    expect(store.report({ groupBy: 'day', until: day2 }).map((r) => r.key)).toEqual(['2025-01-06']);
  });
});

describe('BudgetGuard', () => {
  it('refuses a request that would pass a limit, naming it; checks global → session → task → provider', () => {
    const totals = new UsageTotals();
    const warnings: BudgetWarning[] = [];
    const guard = new BudgetGuard(
      { global: { usd: 100 }, session: { usd: 2 }, task: { tokens: 10_000 }, provider: { openai: { usd: 0.1 } } },
      totals,
      (w) => warnings.push(w),
    );
    const key = { sessionId: 's_abc', taskId: 't1', provider: 'anthropic' };
    totals.add(key, { requests: 1, tokens: 9_000, costUsd: 1.98 });
    guard.afterRecord(key);
    expect(warnings).toEqual([
      { scope: 'session', key: 's_abc', kind: 'usd', spent: 1.98, limit: 2 },
      { scope: 'task', key: 't1', kind: 'tokens', spent: 9_000, limit: 10_000 },
    ]);
    guard.afterRecord(key);
    expect(warnings).toHaveLength(2); // once only
    const err = (() => {
      try {
        guard.check(key, { tokens: 500, usd: 0.05 });
      } catch (e) {
        return e as SylkError;
      }
      return undefined;
    })();
    expect(err?.code).toBe('llm.budget_exceeded');
    expect(err?.tier).toBe('user_fixable');
    expect(err?.message).toBe('session s_abc budget of $2.00 exceeded: spent $1.98, this request needs ~$0.05');
    expect(() => guard.check(key, { tokens: 1_500, usd: 0.01 })).toThrow(
      'task t1 budget of 10,000 tokens exceeded: spent 9,000 tokens, this request needs ~1,500 tokens',
    );
    expect(() =>
      guard.check({ ...key, provider: 'openai', sessionId: 's2', taskId: 't9' }, { tokens: 1, usd: 0.2 }),
    ).toThrow('provider openai budget of $0.10');
    expect(() => guard.check({ provider: 'anthropic' }, { tokens: 1, usd: 99 })).toThrow(
      'global budget of $100.00 exceeded: spent $1.98',
    );
    expect(() => guard.check({ sessionId: 'other', provider: 'anthropic' }, { tokens: 1, usd: 1.5 })).not.toThrow();
    const unlimited = new BudgetGuard({ global: { usd: -1, tokens: -1 } }, totals, () => {});
    expect(() => unlimited.check(key, { tokens: 1e12, usd: 1e9 })).not.toThrow();
  });
});

describe('QuotaTracker', () => {
  it('computes local day, Monday-based week and month periods', () => {
    const wed = new Date(2025, 0, 8, 15, 30).getTime(); // Wednesday
    expect(periodBounds('day', wed)).toEqual({
      start: new Date(2025, 0, 8).getTime(),
      end: new Date(2025, 0, 9).getTime(),
    });
    expect(periodBounds('week', wed)).toEqual({
      start: new Date(2025, 0, 6).getTime(),
      end: new Date(2025, 0, 13).getTime(),
    });
    const sunday = new Date(2025, 0, 12, 23, 59).getTime();
    expect(periodBounds('week', sunday).start).toBe(new Date(2025, 0, 6).getTime());
    expect(periodBounds('month', wed)).toEqual({
      start: new Date(2025, 0, 1).getTime(),
      end: new Date(2025, 1, 1).getTime(),
    });
  });

  it('warns at 80% and 95% once, is exhausted at 100%, rolls over at the boundary and persists', () => {
    const sys = db();
    const clock = new ManualClock(new Date(2025, 0, 12, 22).getTime()); // Sunday night
    const warnings: QuotaWarning[] = [];
    const quotas = { anthropic: { period: 'week' as const, maxRequests: 20, maxTokens: null } };
    const q = new QuotaTracker(quotas, clock, (w) => warnings.push(w), sys.db);
    for (let i = 0; i < 15; i++) q.record('anthropic', 100);
    expect(warnings).toEqual([]);
    q.record('anthropic', 100);
    expect(q.level('anthropic')).toBe('warning');
    q.record('anthropic', 100);
    q.record('anthropic', 100);
    q.record('anthropic', 100);
    expect(q.level('anthropic')).toBe('critical');
    q.record('anthropic', 100);
    expect(q.level('anthropic')).toBe('exhausted');
    expect(warnings.map((w) => w.level)).toEqual(['warning', 'critical', 'exhausted']);
    expect(warnings[0]).toMatchObject({
      provider: 'anthropic',
      resource: 'requests',
      used: 16,
      limit: 20,
      periodEnd: new Date(2025, 0, 13).getTime(),
    });
    q.persist();
    // A restart mid-period reloads the count.
    const again = new QuotaTracker(quotas, clock, () => {}, sys.reopen());
    expect(again.usage('anthropic')?.requests).toBe(20);
    clock.advance(2 * 3_600_000); // Monday 00:00: new week
    expect(q.level('anthropic')).toBe('ok');
    expect(q.usage('anthropic')).toEqual({ requests: 0, tokens: 0, periodEnd: new Date(2025, 0, 20).getTime() });
    q.record('anthropic', 5);
    q.persist();
    const rows = sys.db
      .prepare('SELECT period_start, requests_used FROM subscription_usage ORDER BY period_start')
      .all();
    expect(rows).toEqual([
      { period_start: new Date(2025, 0, 6).getTime(), requests_used: 20 },
      { period_start: new Date(2025, 0, 13).getTime(), requests_used: 1 },
    ]);
    expect(new QuotaTracker({ openai: { period: 'day', maxRequests: null } }, clock, () => {}).level('openai')).toBe(
      'ok',
    );
  });
});
