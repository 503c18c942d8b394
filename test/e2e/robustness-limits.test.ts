// Limits that agree end to end (issue 14): whatever the daemon accepted stays readable through
// the real CLI, oversized input is refused up front with a clear error, and a hostile id never
// breaks the client's connection.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, createClient, SessionService, unixTarget, versionStamp } from '@sylk/proto';
import { isSylkError } from '@sylk/core';
import { KEY, parseNdjson, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

const MIB = 1024 * 1024;
const BIG_REPLY = `${'x'.repeat(5 * MIB)} END-OF-REPLY`;

async function harness(): Promise<SessionHarness> {
  const s = await sessionHarness({
    scenario: {
      name: 'big-reply',
      apiKey: KEY,
      steps: [
        { name: 'big', match: { lastUser: 'say a lot' }, reply: { text: BIG_REPLY, chunkSize: 256 * 1024 } },
        { name: 'short', reply: { text: 'ok' } },
      ],
    },
  });
  harnesses.push(s);
  return s;
}

describe('a 5 MiB model reply', () => {
  it('is readable with `sylk logs` and `sylk attach`', async () => {
    const s = await harness();
    const project = s.project('big');
    const created = await startDetached(s, project, 'say a lot');
    await s.waitState(created.id, ['idle', 'failed'], 60_000);
    const logs = await s.cli(['logs', created.id, '--json'], { timeoutMs: 60_000 });
    expect(logs.code, logs.stderr).toBe(0);
    const events = parseNdjson(logs.stdout);
    expect(events.some((e) => JSON.stringify(e.data).includes('END-OF-REPLY'))).toBe(true);
    expect(logs.stdout.length).toBeGreaterThan(5 * MIB);

    const attach = s.spawnCli(['attach', created.id, '--json']);
    expect(await attach.exit, attach.stderr()).toBe(0);
    expect(attach.stdout()).toBe(logs.stdout);
  }, 120_000);
});

describe('a large prompt', () => {
  it('up to the input limit is accepted and stays readable; a larger one is refused up front', async () => {
    const s = await harness();
    const project = s.project('prompt');
    const created = await startDetached(s, project, 'hello');
    await s.waitState(created.id, ['idle', 'failed'], 30_000);
    const channel = connect(unixTarget(s.h.socket), { interceptors: [versionStamp('test', () => undefined)] });
    try {
      const sessions = createClient(SessionService, channel);
      const tooBig = await sessions
        .sendInput({ session: created.id, text: 'z'.repeat(20 * MIB) }, { timeoutMs: 30_000 })
        .catch((err: unknown) => err);
      expect(isSylkError(tooBig) && [tooBig.code, tooBig.message]).toEqual([
        'invalid_argument',
        'input is 20.0 MiB; the limit is 16.0 MiB',
      ]);

      await sessions.sendInput(
        { session: created.id, text: `${'y'.repeat(10 * MIB)} END-OF-PROMPT` },
        { timeoutMs: 30_000 },
      );
    } finally {
      channel.close();
    }
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'user_input' && String(e.data.text).endsWith('END-OF-PROMPT'),
      'the 10 MiB input',
      60_000,
    );
    // Accepted, but far past the model's context window: the turn fails at once with the reason.
    await s.waitState(created.id, ['failed'], 60_000);
    const logs = await s.cli(['logs', created.id, '--json'], { timeoutMs: 60_000 });
    expect(logs.code, logs.stderr).toBe(0);
    expect(parseNdjson(logs.stdout).some((e) => e.kind === 'error' && e.data.code === 'agents.context_overflow')).toBe(
      true,
    );
    const attach = s.spawnCli(['attach', created.id, '--json']);
    expect(await attach.exit, attach.stderr()).toBe(1); // the session's last turn failed
    expect(attach.stdout()).toBe(logs.stdout);
  }, 120_000);
});

describe('a 100 KB session id', () => {
  it('gets a clear, short error and the next command on the same daemon works', async () => {
    const s = await harness();
    const created = await startDetached(s, s.project('ids'), 'hello');
    const hostile = 'a'.repeat(100 * 1024);
    for (const args of [
      ['logs', hostile],
      ['attach', hostile, '--json'],
      ['send', hostile, 'hi'],
      ['close', hostile],
    ]) {
      const r = await s.cli(args);
      expect(r.code, `sylk ${args[0]}`).not.toBe(0);
      expect(r.stderr).toMatch(/session id or name 'a{64}… \(102400 characters\)' is too long: at most 256 characters/);
      expect(r.stderr.length).toBeLessThan(2_000);
      expect((await s.session(created.id)).id).toBe(created.id);
    }
  }, 60_000);
});
