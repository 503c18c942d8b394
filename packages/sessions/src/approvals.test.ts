import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorTier, ManualClock, type SylkError } from '@sylk/core';
import { openSystemDatabase, type SqliteDatabase } from '@sylk/storage';
import { ApprovalStore, type ApprovalRequest } from './approvals.js';
import { EventLogs } from './event-logs.js';
import { SessionRegistry } from './registry.js';
import { bundleForChildren, finished, seededRandom, spawnNode, tempDir } from './test-support/harness.js';
import { caughtSylkError as caught } from '@sylk/core/testing';

let dir: ReturnType<typeof tempDir>;
let clock: ManualClock;
const opened: { db: SqliteDatabase; store: ApprovalStore }[] = [];
let store: ApprovalStore;
let sessionId: string;
let otherSessionId: string;

function connect(pollIntervalMs = 5): ApprovalStore {
  const db = openSystemDatabase(dir.path);
  const s = new ApprovalStore({ db, clock, random: seededRandom(opened.length + 11), pollIntervalMs });
  opened.push({ db, store: s });
  return s;
}
const ask = (over: Partial<ApprovalRequest> = {}): ApprovalRequest => ({
  sessionId,
  agentId: 'engineer-1',
  kind: 'command',
  summary: 'run the test suite',
  detail: 'npm test -- --runInBand',
  reason: 'not on the allowlist',
  ...over,
});

beforeEach(async () => {
  dir = tempDir('sylk-approvals-');
  clock = new ManualClock(1_700_000_000_000);
  const db = openSystemDatabase(dir.path);
  const logs = new EventLogs({ dataDir: dir.path, clock });
  const registry = new SessionRegistry({ db, logs, clock, random: seededRandom(5) });
  sessionId = registry.create({ projectRoot: '/p', provider: 'anthropic', model: 'm', name: 'one' }).id;
  otherSessionId = registry.create({ projectRoot: '/p', provider: 'anthropic', model: 'm', name: 'two' }).id;
  registry.close();
  await logs.close();
  db.close();
  store = connect();
});
afterEach(() => {
  for (const { db, store: s } of opened.splice(0)) {
    s.close();
    db.close();
  }
  dir.remove();
});

describe('ApprovalStore', () => {
  it('stores requests as pending and lists them per session', () => {
    const a = store.request(ask({ proposedRule: 'npm test *', expiresAt: clock.now() + 60_000 }));
    clock.advance(1);
    const b = store.request(ask({ sessionId: otherSessionId, kind: 'path', detail: '--- a/x\n+++ b/x' }));
    expect(a).toMatchObject({
      state: 'pending',
      decision: null,
      proposedRule: 'npm test *',
      createdAt: 1_700_000_000_000,
      expiresAt: 1_700_000_060_000,
    });
    expect(a.id).toMatch(/^ap_/);
    expect(store.pending().map((x) => x.id)).toEqual([a.id, b.id]);
    expect(store.pending(otherSessionId)).toEqual([b]);
    expect(caught(() => store.request(ask({ sessionId: 's_missing' }))).code).toBe('sessions.not_found');
    expect(caught(() => store.request(ask({ summary: ' ' }))).code).toBe('approvals.invalid');
  });

  it('records the first decision and names it when a later one arrives', () => {
    const a = store.request(ask());
    clock.advance(500);
    const decided = store.decide(a.id, { decision: 'allow_always', decidedBy: 'alice' });
    expect(decided).toMatchObject({
      state: 'decided',
      decision: 'allow_always',
      decidedBy: 'alice',
      decidedAt: 1_700_000_000_500,
    });
    expect(store.pending()).toEqual([]);
    const late = caught(() => store.decide(a.id, { decision: 'deny', decidedBy: 'bob' }));
    expect([late.code, late.tier]).toEqual(['approvals.already_resolved', ErrorTier.UserFixable]);
    expect(late.message).toBe(
      `approval ${a.id} is no longer pending: it was resolved as allow_always by alice at 2023-11-14T22:13:20.500Z`,
    );
    const unknown = caught(() => store.decide('ap_nope', { decision: 'deny', decidedBy: 'bob' }));
    expect([unknown.code, unknown.message]).toEqual(['approvals.not_found', 'no approval request with id "ap_nope"']);
  });

  it('validates decisions', () => {
    const a = store.request(ask());
    expect(caught(() => store.decide(a.id, { decision: 'deny_with_message', decidedBy: 'alice' })).message).toMatch(
      /needs a message/,
    );
    expect(caught(() => store.decide(a.id, { decision: 'maybe' as 'deny', decidedBy: 'alice' })).code).toBe(
      'approvals.invalid',
    );
    expect(store.decide(a.id, { decision: 'deny_with_message', message: 'use pnpm', decidedBy: 'alice' }).message).toBe(
      'use pnpm',
    );
  });

  it('lets exactly one of several processes deciding at once win', async () => {
    const a = store.request(ask());
    const bundle = await bundleForChildren(dir.path);
    const script = `
      const { ApprovalStore, openSystemDatabase } = await import(process.env.SYLK_SESSIONS_BUNDLE);
      const store = new ApprovalStore({ db: openSystemDatabase(process.env.DATA_DIR) });
      process.stdout.write('ready\\n');
      process.stdin.once('data', () => {
        try {
          store.decide(process.env.APPROVAL_ID, { decision: 'allow_once', decidedBy: process.env.WHO });
          process.stdout.write('won\\n');
        } catch (err) {
          process.stdout.write(err.code + '\\n');
        }
        process.exit(0);
      });`;
    const children = Array.from({ length: 6 }, (_, i) =>
      spawnNode(script, bundle, { DATA_DIR: dir.path, APPROVAL_ID: a.id, WHO: `client-${i}` }),
    );
    const results = children.map((c) => finished(c));
    await Promise.all(children.map((c) => new Promise<void>((r) => c.stdout?.once('data', () => r()))));
    for (const c of children) c.stdin?.write('go\n');
    const outputs = (await Promise.all(results)).map((r) => r.stdout.replace('ready\n', '').trim());
    expect(outputs.filter((o) => o === 'won')).toHaveLength(1);
    expect(outputs.filter((o) => o === 'approvals.already_resolved')).toHaveLength(5);
    expect(store.get(a.id).decidedBy).toBe(`client-${outputs.indexOf('won')}`);
  });

  it('keeps pending requests across a restart', () => {
    const a = store.request(ask());
    const { db } = opened.splice(0, 1)[0]!;
    store.close();
    db.close();
    const reopened = connect();
    expect(reopened.pending()).toEqual([a]);
    expect(reopened.decide(a.id, { decision: 'deny', decidedBy: 'alice' }).state).toBe('decided');
  });

  it('resolves waitFor on a decision from this store or from another connection', async () => {
    const a = store.request(ask());
    const b = store.request(ask());
    const waitA = store.waitFor(a.id);
    const waitB = store.waitFor(b.id);
    store.decide(a.id, { decision: 'allow_session', decidedBy: 'alice' });
    expect(await waitA).toMatchObject({ id: a.id, decision: 'allow_session' });
    connect().decide(b.id, { decision: 'deny', decidedBy: 'cli' }); // another connection, as after a restart
    expect(await waitB).toMatchObject({ id: b.id, decision: 'deny', decidedBy: 'cli' });
    expect(await store.waitFor(a.id)).toMatchObject({ decision: 'allow_session' }); // already resolved
    expect(await store.waitFor('ap_nope').catch((e: SylkError) => e.code)).toBe('approvals.not_found');
  });

  it('stops waiting when the signal aborts, leaving the request pending', async () => {
    const a = store.request(ask());
    const controller = new AbortController();
    const waiting = store.waitFor(a.id, controller.signal);
    controller.abort(new Error('client went away'));
    await expect(waiting).rejects.toThrow('client went away');
    expect(store.get(a.id).state).toBe('pending');
  });

  it('expires due requests as a deny that says it timed out', async () => {
    const due = store.request(ask({ expiresAt: clock.now() + 1_000 }));
    const later = store.request(ask({ expiresAt: clock.now() + 5_000 }));
    const never = store.request(ask());
    const waiting = store.waitFor(due.id);
    expect(store.expireDue(clock.now() + 999)).toEqual([]);
    clock.advance(1_000);
    const expired = store.expireDue();
    expect(expired.map((x) => x.id)).toEqual([due.id]);
    expect(await waiting).toMatchObject({
      state: 'expired',
      decision: 'deny',
      message: 'timed out',
      decidedBy: 'sylkd',
      decidedAt: clock.now(),
    });
    expect(store.pending().map((x) => x.id)).toEqual([later.id, never.id]);
    expect(caught(() => store.decide(due.id, { decision: 'allow_once', decidedBy: 'alice' })).message).toMatch(
      /expired \(timed out\) at 2023-11-14T22:13:21.000Z/,
    );
  });
});
