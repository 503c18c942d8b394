import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorTier, ManualClock, SylkError, type RandomSource } from '@sylk/core';
import { SYSTEM_MIGRATIONS, openDatabase, openSystemDatabase, type SqliteDatabase } from '@sylk/storage';
import { EventLogs } from './event-logs.js';
import { SessionRegistry } from './registry.js';
import { seededRandom, tempDir } from './test-support/harness.js';
import { caughtSylkError as caught } from '@sylk/core/testing';

let dir: ReturnType<typeof tempDir>;
let clock: ManualClock;
let db: SqliteDatabase;
let logs: EventLogs;
let registry: SessionRegistry;

function start(random: RandomSource = seededRandom(7)): void {
  db = openSystemDatabase(dir.path);
  logs = new EventLogs({ dataDir: dir.path, clock });
  registry = new SessionRegistry({ db, logs, clock, random });
}
async function stop(): Promise<void> {
  registry.close();
  await logs.close();
  db.close();
}
const base = { projectRoot: '/work/app', provider: 'anthropic', model: 'claude-sonnet' };

beforeEach(() => {
  dir = tempDir('sylk-registry-');
  clock = new ManualClock(1_700_000_000_000);
  start();
});
afterEach(async () => {
  await stop();
  dir.remove();
});

describe('SessionRegistry', () => {
  it('creates sessions with generated friendly names and finds them by id or name', async () => {
    const s = registry.create({ ...base, budgetUsd: 2.5 });
    expect(s).toMatchObject({
      ...base,
      state: 'created',
      budgetUsd: 2.5,
      interrupted: false,
      lastSeq: 0,
      createdAt: clock.now(),
    });
    expect(s.id).toMatch(/^s_[0-9a-z]{26}$/);
    expect(s.name).toMatch(/^[a-z]+-[a-z]+$/);
    expect(registry.get(s.id)).toEqual(s);
    expect(registry.get(s.name)).toEqual(s);
    // Same injected randomness, same names and ids: reproducible.
    await stop();
    dir.remove();
    dir = tempDir('sylk-registry-');
    start();
    expect(registry.create({ ...base, budgetUsd: 2.5 })).toEqual(s);
  });

  it('adds a suffix when every generated name is taken', async () => {
    await stop();
    const ids = seededRandom(3);
    // Every name draw (4 bytes) comes out the same; id draws (16 bytes) stay random.
    start((n) => (n === 4 ? new Uint8Array(4) : ids(n)));
    const names = [registry.create(base).name, registry.create(base).name, registry.create(base).name];
    expect(names).toEqual(['agile-badger', 'agile-badger-2', 'agile-badger-3']);
  });

  it('validates chosen names and keeps live names unique', () => {
    registry.create({ ...base, name: 'fix-tests' });
    const taken = caught(() => registry.create({ ...base, name: 'fix-tests' }));
    expect([taken.code, taken.tier]).toEqual(['sessions.name_taken', ErrorTier.UserFixable]);
    expect(caught(() => registry.create({ ...base, name: 'has space' })).code).toBe('sessions.invalid_name');
    expect(caught(() => registry.create({ ...base, name: 's_lookslikeanid' })).message).toMatch(
      /reserved for session ids/,
    );
  });

  it('reports an unknown session without listing the others', () => {
    registry.create({ ...base, name: 'secret-project' });
    const err = caught(() => registry.get('nope'));
    expect([err.code, err.tier]).toEqual(['sessions.not_found', ErrorTier.UserFixable]);
    expect(err.message).toBe('no session with id or name "nope"');
    expect(JSON.stringify({ ...err, message: err.message })).not.toContain('secret-project');
  });

  it('lists by state and project', async () => {
    const a = registry.create({ ...base, name: 'a' });
    const b = registry.create({ ...base, name: 'b', projectRoot: '/work/other' });
    clock.advance(1);
    const c = registry.create({ ...base, name: 'c' });
    await registry.setState('b', 'running');
    expect(registry.list().map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(registry.list({ state: 'running' }).map((s) => s.id)).toEqual([b.id]);
    expect(registry.list({ state: ['created', 'running'], projectRoot: '/work/app' }).map((s) => s.id)).toEqual([
      a.id,
      c.id,
    ]);
    expect(registry.list({ state: [] })).toEqual([]);
  });

  it('records activity in system.db in coalesced writes, and shows it to readers at once', async () => {
    const s = registry.create({ ...base, name: 'busy' });
    const log = logs.get(s.id);
    for (let i = 0; i < 50; i++) {
      clock.advance(1);
      await log.append('assistant_delta', { text: 'x' });
    }
    expect(registry.get(s.id)).toMatchObject({ lastSeq: 50, lastActivityAt: clock.now() });
    const stored = () => db.raw.prepare('SELECT last_seq FROM sessions WHERE id = ?').pluck().get(s.id);
    expect(stored()).toBe(0); // nothing written yet: one UPDATE for all 50 commits comes later
    registry.flushActivity();
    expect(stored()).toBe(50);
    await log.append('assistant_delta', { text: 'y' });
    registry.close(); // closing writes what is pending
    expect(stored()).toBe(51);
  });

  it('allows only valid transitions and records each one as a state_changed event', async () => {
    const s = registry.create({ ...base, name: 'flow' });
    clock.advance(5);
    for (const to of ['running', 'waiting_approval', 'running', 'completed', 'closed'] as const) {
      await registry.setState('flow', to, { reason: `to ${to}` });
    }
    const now = registry.get(s.id);
    expect(now).toMatchObject({ state: 'closed', updatedAt: clock.now(), lastSeq: 5, lastActivityAt: clock.now() });
    const events = logs.get(s.id).read(1);
    expect(events.map((e) => [e.kind, e.data['from'], e.data['to']])).toEqual([
      ['state_changed', 'created', 'running'],
      ['state_changed', 'running', 'waiting_approval'],
      ['state_changed', 'waiting_approval', 'running'],
      ['state_changed', 'running', 'completed'],
      ['state_changed', 'completed', 'closed'],
    ]);
    const err = await registry.setState('flow', 'running').catch((e: unknown) => e as SylkError);
    expect(err).toBeInstanceOf(SylkError);
    expect([err.code, err.message, err.hint]).toEqual([
      'sessions.invalid_transition',
      'session flow cannot go from closed to running',
      'A closed session is final.',
    ]);
    const idle = registry.create({ ...base, name: 'idle-one' });
    await registry.setState(idle.id, 'idle');
    const bad = await registry.setState(idle.id, 'waiting_approval').catch((e: unknown) => e as SylkError);
    expect(bad.hint).toBe('From idle it can go to: running, paused, completed, failed, closed.');
    expect((await registry.setState(idle.id, 'idle')).lastSeq).toBe(1); // same state: no-op, no event
  });

  it('switches the provider and model later turns use, and keeps them across a reopen', async () => {
    const s = registry.create({ ...base, name: 'switchy' });
    clock.advance(1000);
    const after = registry.setModel('switchy', 'openai', 'gpt-5');
    expect([after.provider, after.model, after.updatedAt]).toEqual(['openai', 'gpt-5', s.createdAt + 1000]);
    await stop();
    start();
    expect(registry.get(s.id)).toMatchObject({ provider: 'openai', model: 'gpt-5' });
  });

  it('renames, and deletes only finished sessions, removing their log but freeing the name', async () => {
    const s = registry.create({ ...base, name: 'old' });
    expect(registry.rename('old', 'new').name).toBe('new');
    expect(caught(() => registry.get('old')).code).toBe('sessions.not_found');
    registry.create({ ...base, name: 'other' });
    expect(caught(() => registry.rename('new', 'other')).code).toBe('sessions.name_taken');

    await registry.setState('new', 'running');
    const refused = caught(() => registry.delete('new'));
    expect([refused.code, refused.tier]).toEqual(['sessions.not_deletable', ErrorTier.UserFixable]);
    expect(refused.message).toMatch(/is running; only closed, completed, failed sessions can be deleted/);

    await registry.setState('new', 'failed');
    expect(existsSync(logs.dirFor(s.id))).toBe(true);
    registry.delete('new');
    expect(existsSync(logs.dirFor(s.id))).toBe(false);
    expect(caught(() => registry.get(s.id)).code).toBe('sessions.not_found');
    expect(registry.list().map((x) => x.name)).toEqual(['other']);
    expect(registry.create({ ...base, name: 'new' }).id).not.toBe(s.id);
  });

  it('marks sessions a crashed daemon left mid-turn as idle and interrupted, with events', async () => {
    const running = registry.create({ ...base, name: 'running' });
    const waiting = registry.create({ ...base, name: 'waiting' });
    const idle = registry.create({ ...base, name: 'idle' });
    await registry.setState('running', 'running');
    await registry.setState('waiting', 'running');
    await registry.setState('waiting', 'waiting_approval');
    await registry.setState('idle', 'idle');
    await stop(); // the "crash": nothing else happens before the next start
    clock.advance(60_000);
    start();

    const marked = await registry.markInterruptedOnStartup();
    expect(marked.map((s) => [s.name, s.state, s.interrupted])).toEqual([
      ['running', 'idle', true],
      ['waiting', 'idle', true],
    ]);
    expect(registry.get(idle.id)).toMatchObject({ state: 'idle', interrupted: false });
    const tail = logs.get(waiting.id).read(3);
    expect(tail.map((e) => e.kind)).toEqual(['turn_interrupted', 'state_changed']);
    expect(tail[0]?.data).toMatchObject({ previousState: 'waiting_approval' });
    expect(String(tail[0]?.data['message'])).toMatch(/interrupted and can be resumed/);
    expect(tail[1]?.data).toEqual({ from: 'waiting_approval', to: 'idle', reason: 'daemon restarted' });
    expect(await registry.markInterruptedOnStartup()).toEqual([]);

    const resumed = await registry.setState(running.id, 'running', { reason: 'resume' });
    expect(resumed.interrupted).toBe(false);
  });

  it('upgrades a version-1 system.db to the sessions schema', async () => {
    await stop();
    const path = join(dir.path, 'v1', 'system.db');
    openDatabase({ path, migrations: SYSTEM_MIGRATIONS.slice(0, 1) }).close();
    const upgraded = openDatabase({ path, migrations: SYSTEM_MIGRATIONS });
    expect(upgraded.schemaVersion()).toBeGreaterThanOrEqual(2);
    const tables = upgraded.raw.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
    expect(tables).toEqual(expect.arrayContaining(['sessions', 'approvals', 'usage']));
    upgraded.close();
    start();
  });
});
