// `llm.providers.<name>.rate_limits` against a real sylkd and the emulator: one per-minute bucket
// per provider, shared by every session of the daemon; a request over the limit waits (its
// session shows a notice, `sylk providers` / `sylk status` show it throttled) and holds no worker;
// the limit follows config reloads, and a bad value is refused while the last good one stays.
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scenario } from '@sylk/emulator';
import { waitFor } from '../helpers/sylk.js';
import { KEY, sessionHarness, startDetached, type EventJson, type SessionHarness } from '../helpers/sessions.js';

const scenario: Scenario = {
  name: 'e2e-rate-limits',
  apiKey: KEY,
  steps: [{ name: 'answer', reply: { text: 'Done.' } }],
};

interface ProviderJson {
  name: string;
  state: string;
  detail: string;
  rateLimit: { waiting: number; waitingUntil: string | null; usedRequests: number; buckets: unknown[] };
}

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

async function harness(limits: string): Promise<SessionHarness & { configFile: string }> {
  const s = await sessionHarness({ scenario });
  harnesses.push(s);
  const configFile = join(s.h.home, 'config', 'config.yaml');
  appendFileSync(configFile, `      rate_limits: ${limits}\n`);
  expect((await s.cli(['daemon', 'start'])).code).toBe(0);
  return Object.assign(s, { configFile });
}

/** Model requests the emulator received (health and model-list calls aside). */
const modelRequests = (s: SessionHarness) => s.emu.requests().filter((r) => r.path === '/v1/messages').length;

async function anthropic(s: SessionHarness): Promise<ProviderJson> {
  const { providers } = await s.json<{ providers: ProviderJson[] }>(['providers']);
  return providers.find((p) => p.name === 'anthropic') as ProviderJson;
}

const waitNotice = (e: EventJson) => e.kind === 'notice' && e.data.code === 'llm.rate_limit_wait';

describe('configured rate limits', () => {
  it('a rate-limit bucket shared by all sessions holds: with 2 requests/min, the third session waits', async () => {
    const s = await harness('{requests_per_minute: 2}');
    expect((await anthropic(s)).detail).toContain('rate limit 2 requests/min');
    expect((await anthropic(s)).rateLimit).toEqual({
      buckets: [{ model: null, requestsPerMinute: 2, tokensPerMinute: 0 }],
      usedRequests: 0,
      usedTokens: 0,
      waiting: 0,
      waitingUntil: null,
    });
    expect((await s.cli(['providers'])).stdout).toMatch(/^\s*anthropic\s+ok\s.*\s2 req\/min\s*$/m);
    const projects = ['one', 'two', 'three'].map((n) => s.project(n));
    const sessions = await Promise.all(projects.map((p, i) => startDetached(s, p, `question ${i}`)));

    // Two answered; the third waits for the next minute's window and its session says so.
    let waiting: string | undefined;
    await waitFor(
      async () => {
        const logs = await Promise.all(sessions.map(async (x) => ({ id: x.id, events: await s.events(x.id) })));
        const answered = logs.filter((l) => l.events.some((e) => e.kind === 'assistant_message'));
        waiting = logs.find((l) => l.events.some(waitNotice))?.id;
        return answered.length === 2 && waiting !== undefined;
      },
      30_000,
      'two sessions answered and one waiting for the rate limit',
    );
    // Read in this order: a request still waiting after the count was read was not sent before it.
    const sent = modelRequests(s);
    const provider = await anthropic(s);
    expect(sent).toBe(2);
    expect(provider.state).toBe('throttled');
    expect(provider.rateLimit).toMatchObject({ usedRequests: 2, waiting: 1 });
    expect(provider.rateLimit.waitingUntil).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(provider.detail).toMatch(
      /^1 request waiting for the rate limit \(2 requests\/min\) until \d{4}-\d\d-\d\dT.*; llm\.providers\.anthropic\.rate_limits sets it$/,
    );
    const notice = (await s.events(waiting as string)).find(waitNotice);
    expect(notice?.data.message).toMatch(
      /^waiting \d+ s for the anthropic limit of 2 requests per minute \(llm\.providers\.anthropic\.rate_limits\)$/,
    );
    expect((await s.session(waiting as string)).state).toBe('running');
    const { daemon } = await s.json<{ daemon: { components: ProviderJson[] } }>(['status']);
    expect(daemon.components).toContainEqual(expect.objectContaining({ name: 'llm:anthropic', state: 'throttled' }));

    // Cancelled while waiting: it is never sent, and nothing waits any more.
    expect((await s.cli(['cancel', waiting as string])).code).toBe(0);
    await s.waitState(waiting as string, ['idle']);
    expect((await anthropic(s)).state).toBe('ok');
    expect(modelRequests(s)).toBe(2);
    for (const x of sessions.filter((x) => x.id !== waiting))
      expect((await s.events(x.id)).filter(waitNotice)).toEqual([]);
  });

  it('follows config reloads without a restart; a bad value is refused and the last good limit stays', async () => {
    const s = await harness('{requests_per_minute: 1}');
    const { daemon: before } = await s.json<{ daemon: { pid: number } }>(['status']);
    const [first, second] = await Promise.all(['a', 'b'].map((n, i) => startDetached(s, s.project(n), `q ${i}`)));
    await waitFor(async () => (await anthropic(s)).state === 'throttled', 30_000, 'one request waiting');
    const waiting = (await s.events(first?.id as string)).some(waitNotice) ? first : second;

    // A bad value: refused with a message naming the key; the daemon keeps 1 request/min.
    const good = readFileSync(s.configFile, 'utf8');
    writeFileSync(s.configFile, good.replace('requests_per_minute: 1', 'requests_per_minute: -5'));
    let warnings: Array<{ path: string; reason: string }> = [];
    await waitFor(
      async () => {
        warnings = (await s.json<{ daemon: { config: { warnings: typeof warnings } } }>(['status'])).daemon.config
          .warnings;
        return warnings.length > 0;
      },
      15_000,
      'the bad value to be reported',
    );
    expect(warnings).toEqual([
      expect.objectContaining({
        path: 'llm.providers.anthropic.rate_limits.requests_per_minute',
        reason: 'must be >= 0; got -5; the last good value stays in effect until it is fixed',
      }),
    ]);
    const config = await s.json<{ value: unknown }>(['config', 'get', 'llm.providers.anthropic.rate_limits']);
    expect(config.value).toMatchObject({ requests_per_minute: 1 });
    const kept = await anthropic(s);
    expect(kept.state).toBe('throttled');
    expect(kept.detail).toContain('(1 requests/min)');
    expect(modelRequests(s)).toBe(1);

    // A raised limit applies at once: the waiting request goes, no restart.
    writeFileSync(s.configFile, good.replace('requests_per_minute: 1', 'requests_per_minute: 3'));
    await s.waitEvent(waiting?.id as string, (e) => e.kind === 'assistant_message', 'the released answer');
    expect(modelRequests(s)).toBe(2);
    expect((await anthropic(s)).detail).toContain('rate limit 3 requests/min');
    const { daemon: after } = await s.json<{ daemon: { pid: number; config: { warnings: unknown[] } } }>(['status']);
    expect(after.pid).toBe(before.pid);
    expect(after.config.warnings).toEqual([]);
  });
});

describe('connections per provider', () => {
  it('with max_concurrent 1, three sessions at once reach the provider one request at a time', async () => {
    const slow: Scenario = { ...scenario, steps: [{ name: 'answer', reply: { text: 'Done slowly.', delayMs: 150 } }] };
    const s = await sessionHarness({ scenario: slow });
    harnesses.push(s);
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), '      rate_limits: {max_concurrent: 1}\n');
    expect((await s.cli(['daemon', 'start'])).code).toBe(0);
    expect((await anthropic(s)).detail).toContain('1 connections');
    const sessions = await Promise.all(['a', 'b', 'c'].map((n, i) => startDetached(s, s.project(n), `q ${i}`)));
    for (const x of sessions) await s.waitState(x.id, ['idle']);
    const calls = s.emu.requests().filter((r) => r.path === '/v1/messages');
    expect(calls).toHaveLength(3);
    expect(calls.map((r) => r.concurrent)).toEqual([1, 1, 1]);
  });
});
