import { readdirSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorTier, ManualClock, REDACTED, SecretValues, SylkError } from '@sylk/core';
import { EventLog, MAX_GROUP_COMMIT } from './event-log.js';
import type { EventKind, SessionEvent } from './events.js';
import { bundleForChildren, finished, spawnNode, tempDir } from './test-support/harness.js';

let dir: ReturnType<typeof tempDir>;
const logs: EventLog[] = [];
function open(name = 'events.db', clock = new ManualClock(1_000)): EventLog {
  const log = new EventLog({ path: join(dir.path, 'sessions', 's_test', name), clock });
  logs.push(log);
  return log;
}
async function rejection(promise: Promise<unknown>): Promise<SylkError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SylkError);
  return err as SylkError;
}
const tick = () => new Promise<void>((r) => setImmediate(r));

beforeEach(() => {
  dir = tempDir('sylk-events-');
});
afterEach(() => {
  for (const log of logs.splice(0)) log.close();
  dir.remove();
});

describe('EventLog', () => {
  it('numbers events 1, 2, 3… without gaps under concurrent producers', async () => {
    const log = open();
    const perProducer: number[][] = [];
    await Promise.all(
      Array.from({ length: 16 }, async (_, p) => {
        const mine: number[] = [];
        perProducer.push(mine);
        for (let i = 0; i < 150; i++) {
          // Mix awaited appends, fire-and-forget bursts and yields so batches interleave.
          if (i % 7 === 0) await tick();
          const burst = Array.from({ length: 1 + ((p + i) % 4) }, () => log.append('assistant_delta', { p, i }));
          for (const e of await Promise.all(burst)) mine.push(e.seq);
        }
      }),
    );
    const all = perProducer.flat().sort((a, b) => a - b);
    expect(all).toEqual(Array.from({ length: all.length }, (_, k) => k + 1));
    for (const mine of perProducer) expect(mine).toEqual([...mine].sort((a, b) => a - b));
    expect(log.lastSeq).toBe(all.length);
    expect(log.read(1, all.length + 10).map((e) => e.seq)).toEqual(all);
  });

  it('tells its commit hook how many events each group commit held and how long it took', async () => {
    const clock = new ManualClock(1_000);
    const commits: Array<[number, number, number]> = [];
    const log = new EventLog({
      path: join(dir.path, 'sessions', 's_test', 'events.db'),
      clock,
      onCommit: (lastSeq, _ts, events, commitMs) => commits.push([lastSeq, events, commitMs]),
    });
    logs.push(log);
    await Promise.all([log.append('notice', { n: 1 }), log.append('notice', { n: 2 }), log.append('notice', { n: 3 })]);
    await log.append('notice', { n: 4 });
    // The manual clock stands still: the commits took 0 ms of it.
    expect(commits).toEqual([
      [3, 3, 0],
      [4, 1, 0],
    ]);
  });

  it('commits a long synchronous burst in bounded groups, so no subscriber gets it all at once', async () => {
    const log = open();
    const sub = log.subscribe(1);
    const biggest: number[] = [];
    const total = MAX_GROUP_COMMIT * 3 + 10;
    const appended: Promise<SessionEvent>[] = [];
    for (let i = 0; i < total; i++) {
      appended.push(log.append('assistant_delta', { text: 'xy', i }));
      biggest.push(sub.buffered);
    }
    // Three full groups are committed and broadcast before the producer ever yields.
    expect(log.lastSeq).toBe(MAX_GROUP_COMMIT * 3);
    expect(Math.max(...biggest)).toBe(MAX_GROUP_COMMIT * 3);
    expect(new Set(biggest.filter((n) => n > 0))).toEqual(
      new Set([MAX_GROUP_COMMIT, MAX_GROUP_COMMIT * 2, MAX_GROUP_COMMIT * 3]),
    );
    const events = await Promise.all(appended);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: total }, (_, k) => k + 1));
    expect(log.lastSeq).toBe(total);
    void sub.return();
  });

  it('resolves an append only once the event is committed, visible to another connection', async () => {
    const log = open();
    const reader = new BetterSqlite3(log.path, { readonly: true });
    try {
      const count = () => reader.prepare('SELECT count(*) FROM events').pluck().get();
      const pending = [log.append('user_input', { text: 'hi' }), log.append('notice', { text: 'two' })];
      expect(count()).toBe(0);
      const events = await Promise.all(pending);
      expect(count()).toBe(2);
      expect(events.map((e) => [e.seq, e.ts, e.kind])).toEqual([
        [1, 1_000, 'user_input'],
        [2, 1_000, 'notice'],
      ]);
    } finally {
      reader.close();
    }
  });

  it('keeps events across close and reopen and continues the numbering', async () => {
    const first = open();
    const kinds: EventKind[] = ['user_input', 'assistant_message', 'tool_started', 'tool_output', 'tool_finished'];
    for (const kind of kinds) await first.append(kind, { kind, nested: { list: [1, 2] } });
    // Not awaited: close() must commit it.
    const last = first.append('usage', { tokens: 12 });
    first.close();
    expect((await last).seq).toBe(6);

    const again = open();
    expect(again.lastSeq).toBe(6);
    const events = again.read(1);
    expect(events.map((e) => e.kind)).toEqual([...kinds, 'usage']);
    expect(events[0]?.data).toEqual({ kind: 'user_input', nested: { list: [1, 2] } });
    expect((await again.append('notice', {})).seq).toBe(7);
  });

  it('pages read() and replays every event with the async iterator', async () => {
    const log = open();
    await Promise.all(Array.from({ length: 2_500 }, (_, i) => log.append('assistant_delta', { i })));
    expect(log.read(2_400, 50).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, k) => 2_400 + k));
    const seen: number[] = [];
    for await (const e of log.replay(3, 100)) seen.push(e.seq);
    expect(seen).toEqual(Array.from({ length: 2_498 }, (_, k) => k + 3));
  });

  it('gives subscribers a copy the caller cannot change afterwards', async () => {
    const log = open();
    const data = { text: 'before' };
    const sub = log.subscribe(1);
    const appended = log.append('notice', data);
    data.text = 'after';
    await appended;
    const first = await sub.next();
    expect((first.value as SessionEvent).data).toEqual({ text: 'before' });
  });

  it('stores and broadcasts events with known secrets redacted, quotes in the value included', async () => {
    const secrets = new SecretValues();
    secrets.add('plain-secret-123');
    secrets.add('quo"ted-secret');
    const log = new EventLog({
      path: join(dir.path, 'sessions', 's_test', 'events.db'),
      clock: new ManualClock(1),
      redact: (t) => secrets.redact(t),
    });
    logs.push(log);
    const sub = log.subscribe(1);
    await log.append('tool_started', { args: { command: 'echo plain-secret-123' }, summary: 'x quo"ted-secret y' });
    await log.append('notice', { ['quo"ted-secret']: 1 });
    expect(((await sub.next()).value as SessionEvent).data).toEqual({
      args: { command: `echo ${REDACTED}` },
      summary: `x ${REDACTED} y`,
    });
    expect(log.read(1).map((e) => e.data)).toEqual([
      { args: { command: `echo ${REDACTED}` }, summary: `x ${REDACTED} y` },
      { [REDACTED]: 1 },
    ]);
  });

  it('rejects bad events without using up a seq', async () => {
    const log = open();
    const unknownKind = await rejection(log.append('shout' as EventKind, {}));
    expect([unknownKind.code, unknownKind.tier]).toEqual(['sessions.invalid_event', ErrorTier.Permanent]);
    expect((await rejection(log.append('notice', [] as unknown as Record<string, unknown>))).code).toBe(
      'sessions.invalid_event',
    );
    const cyclic: Record<string, unknown> = {};
    cyclic['self'] = cyclic;
    expect((await rejection(log.append('notice', cyclic))).message).toMatch(/not serialisable/);
    expect((await log.append('notice', { ok: true })).seq).toBe(1);
  });

  it('refuses appends after close', async () => {
    const log = open();
    log.close();
    expect((await rejection(log.append('notice', {}))).code).toBe('sessions.log_closed');
  });

  it('stores every field of a group commit that spans several multi-row inserts and a remainder', async () => {
    const log = open();
    const appended = await Promise.all(
      Array.from({ length: 37 }, (_, i) =>
        log.append(i % 3 === 0 ? 'notice' : 'assistant_delta', { i, text: 'é'.repeat(i) }),
      ),
    );
    expect(log.read(1, 100)).toEqual(appended);
    expect(log.read(1, 100).map((e) => (e.data as { i: number }).i)).toEqual(Array.from({ length: 37 }, (_, i) => i));
  });

  it('post() appends without a promise, in seq order with append(), and reports failures to onError', async () => {
    const log = open();
    const sub = log.subscribe(1);
    const failures: SylkError[] = [];
    const onError = (err: unknown) => failures.push(err as SylkError);
    log.post('assistant_delta', { text: 'a' }, onError);
    const appended = log.append('assistant_delta', { text: 'b' });
    log.post('assistant_delta', { text: 'c' }, onError);
    expect((await appended).seq).toBe(2);
    await tick();
    expect(log.read(1).map((e) => [e.seq, e.data])).toEqual([
      [1, { text: 'a' }],
      [2, { text: 'b' }],
      [3, { text: 'c' }],
    ]);
    const live: number[] = [];
    for (let i = 0; i < 3; i++) live.push(((await sub.next()).value as SessionEvent).seq);
    expect(live).toEqual([1, 2, 3]);
    // An unencodable event uses up no seq; a commit that fails (a second writer) reaches onError.
    log.post('shout' as EventKind, {}, onError);
    const rival = open();
    await rival.append('notice', { from: 'rival' });
    log.post('assistant_delta', { text: 'd' }, onError);
    await tick();
    log.close();
    log.post('assistant_delta', { text: 'e' }, onError);
    expect(failures.map((f) => f.code)).toEqual([
      'sessions.invalid_event',
      'sessions.log_conflict',
      'sessions.log_closed',
    ]);
  });

  it('reports a second writer on the same file as sessions.log_conflict and keeps no gap', async () => {
    const a = open();
    const b = open();
    await a.append('notice', { from: 'a' });
    const err = await rejection(b.append('notice', { from: 'b' }));
    expect(err.code).toBe('sessions.log_conflict');
    expect(err.hint).toMatch(/only the daemon/);
    expect(a.read(1).map((e) => e.data)).toEqual([{ from: 'a' }]);
  });

  it('after kill -9 mid-burst, holds a gapless prefix containing every acknowledged event', async () => {
    const bundle = await bundleForChildren(dir.path);
    const path = join(dir.path, 'sessions', 's_crash', 'events.db');
    const script = `
      import { writeSync } from 'node:fs';
      const { EventLog } = await import(process.env.SYLK_SESSIONS_BUNDLE);
      const log = new EventLog({ path: process.env.LOG_PATH });
      for (let round = 0; ; round++) {
        const burst = [];
        for (let i = 0; i < 50; i++) burst.push(log.append('assistant_delta', { round, i, text: 'x'.repeat(64) }));
        const events = await Promise.all(burst);
        writeSync(1, events[events.length - 1].seq + '\\n');
      }`;
    const child = spawnNode(script, bundle, { LOG_PATH: path });
    let acked = 0;
    let buffered = '';
    const done = finished(child);
    await new Promise<void>((resolve) => {
      child.stdout?.on('data', (chunk: Buffer) => {
        buffered += chunk.toString();
        const lines = buffered.split('\n');
        buffered = lines.pop() ?? '';
        for (const line of lines) acked = Math.max(acked, Number(line));
        if (acked >= 20_000 && child.kill('SIGKILL')) resolve();
      });
    });
    const { code, stderr } = await done;
    expect(code, stderr).toBe('SIGKILL');

    const log = open(join('..', 's_crash', 'events.db'));
    expect(log.lastSeq).toBeGreaterThanOrEqual(acked);
    let expected = 1;
    for await (const e of log.replay(1, 5_000)) {
      expect(e.seq).toBe(expected);
      expect(e.data).toEqual({ round: Math.floor((e.seq - 1) / 50), i: (e.seq - 1) % 50, text: 'x'.repeat(64) });
      expected++;
    }
    expect(expected - 1).toBe(log.lastSeq);
  });
});

/** Descriptors this process holds on `path` (and its -wal/-shm files); Linux only. */
function descriptorsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith(path)) n++;
    } catch {
      // closed while listing
    }
  }
  return n;
}

describe('EventLog sleeping', () => {
  it.runIf(process.platform === 'linux')(
    'closes its file when idle and reopens it on the next use, without a gap',
    async () => {
      const clock = new ManualClock(1_000);
      const log = open('events.db', clock);
      for (let i = 0; i < 5; i++) await log.append('assistant_delta', { text: `d${i}` });
      expect(descriptorsOn(log.path)).toBeGreaterThan(0);
      clock.advance(59_000);
      expect(log.sleepIfIdle(60_000)).toBe(false); // used 59 s ago
      clock.advance(1_000);
      expect(log.sleepIfIdle(60_000)).toBe(true);
      expect(log.asleep).toBe(true);
      expect(descriptorsOn(log.path)).toBe(0);
      expect(log.lastSeq).toBe(5);
      expect(log.read(4).map((e) => e.data['text'])).toEqual(['d3', 'd4']); // a read wakes it
      expect(log.asleep).toBe(false);
      clock.advance(60_000);
      expect(log.sleepIfIdle(60_000)).toBe(true);
      expect((await log.append('assistant_delta', { text: 'd5' })).seq).toBe(6); // so does an append
      expect(log.read(1).map((e) => e.seq)).toEqual([1, 2, 3, 4, 5, 6]);
    },
  );

  it('stays awake while subscribed, and a closed log does not reopen', async () => {
    const clock = new ManualClock(1_000);
    const log = open('events.db', clock);
    await log.append('user_input', { text: 'hi' });
    const sub = log.subscribe(1);
    clock.advance(3_600_000);
    expect(log.sleepIfIdle(60_000)).toBe(false);
    await sub.return();
    expect(log.sleepIfIdle(60_000)).toBe(true);
    log.close();
    expect(log.asleep).toBe(false);
    expect(log.read(1)).toEqual([]);
    expect((await rejection(log.append('notice', { message: 'late' }))).code).toBe('sessions.log_closed');
  });
});

describe('EventLogs', () => {
  it('closes the files of logs idle for idleCloseMs, not the others', async () => {
    const { EventLogs } = await import('./event-logs.js');
    const clock = new ManualClock(1_000);
    const manager = new EventLogs({ dataDir: dir.path, clock, idleCloseMs: 60_000 });
    try {
      await manager.get('s_quiet').append('user_input', { text: 'a' });
      clock.advance(50_000);
      await manager.get('s_busy').append('user_input', { text: 'b' });
      clock.advance(10_000);
      expect(manager.sleepIdle()).toBe(1);
      expect([manager.get('s_quiet').asleep, manager.get('s_busy').asleep]).toEqual([true, false]);
      expect(manager.isOpen('s_quiet')).toBe(true); // still loaded: only its file is closed
    } finally {
      await manager.close();
    }
  });

  it('checkpoints in the background so the WAL stays bounded while appends continue', async () => {
    const { statSync } = await import('node:fs');
    const { EventLogs } = await import('./event-logs.js');
    const manager = new EventLogs({ dataDir: dir.path, checkpointBytes: 256 * 1024 });
    try {
      const log = manager.get('s_big');
      expect(log.path).toBe(join(dir.path, 'sessions', 's_big', 'events.db'));
      expect(manager.get('s_big')).toBe(log);
      const chunk = 'z'.repeat(1_000);
      for (let round = 0; round < 40; round++) {
        await Promise.all(Array.from({ length: 250 }, () => log.append('tool_output', { chunk })));
        await manager.whenCheckpointsIdle();
      }
      // 10 MB appended; without checkpoints (automatic ones are off) the WAL would hold all of it.
      expect(statSync(`${log.path}-wal`).size).toBeLessThan(2 * 1024 * 1024);
      expect(log.lastSeq).toBe(10_000);
      manager.unload('s_big');
      expect(manager.isOpen('s_big')).toBe(false);
      expect(
        manager
          .get('s_big')
          .read(9_999)
          .map((e) => e.seq),
      ).toEqual([9_999, 10_000]);
      expect(() => manager.get('../escape')).toThrow(/not a session id/);
    } finally {
      await manager.close();
    }
  });
});
