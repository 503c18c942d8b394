// Memory follows active work: a session that went idle is unloaded from sylkd (`sylk status`
// says how many are loaded), and `sylk send` / `sylk attach` load it again from disk: the model
// gets the whole earlier conversation, the log goes on with the next seq, nothing is repeated.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from '../helpers/sylk.js';
import {
  answeringScenario,
  parseNdjson,
  sessionHarness,
  startDetached,
  type EventJson,
  type SessionHarness,
} from '../helpers/sessions.js';

const scenario = answeringScenario('e2e-unload', [
  ['first', 'remember the word PLUM', 'I will remember PLUM.'],
  ['second', 'which word did I ask you to remember?', 'You asked me to remember PLUM.'],
]);

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

interface StatusJson {
  daemon: { components: Array<{ name: string; state: string; detail: string }> };
}

/** "loaded N of M" from `sylk status --json` (which loads no session). */
async function loadedSessions(s: SessionHarness): Promise<{ loaded: number; total: number }> {
  const status = await s.json<StatusJson>(['status']);
  const detail = status.daemon.components.find((c) => c.name === 'sessions')?.detail ?? '';
  const m = /^loaded (\d+) of (\d+)/.exec(detail);
  if (m === null) throw new Error(`no sessions line in sylk status: ${JSON.stringify(status.daemon.components)}`);
  return { loaded: Number(m[1]), total: Number(m[2]) };
}

async function waitUnloaded(s: SessionHarness): Promise<void> {
  let last = { loaded: -1, total: -1 };
  await waitFor(
    async () => {
      last = await loadedSessions(s);
      return last.loaded === 0;
    },
    30_000,
    `the idle session to be unloaded (last: loaded ${last.loaded} of ${last.total})`,
  );
  expect(last.total).toBe(1);
}

/** Each seq once, from 1, with no gap. */
function expectContiguous(events: EventJson[]): void {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
}

describe('idle sessions unloaded and loaded again', () => {
  it('unloads an idle session; send and attach load it again and continue the same conversation', async () => {
    const s = await sessionHarness({ scenario });
    harnesses.push(s);
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), 'sessions:\n  unload_idle_after_seconds: 1\n');
    const project = s.project('unload');
    // A problem in the project's config: the session is told once, not again at each load.
    writeFileSync(join(project, '.sylk', 'config.yaml'), 'sessions:\n  max_turns: lots\n');

    const created = await startDetached(s, project, 'remember the word PLUM');
    await s.waitState(created.id, ['idle']);
    await waitUnloaded(s);
    const before = (await s.session(created.id)).lastSeq;

    // `sylk send` loads it again and the next turn sees the earlier conversation.
    const sent = await s.json<{ seq: number }>(['send', created.id, 'which word did I ask you to remember?']);
    expect(sent.seq).toBe(before + 1);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'You asked me to remember PLUM.',
      'the second reply',
    );
    await s.waitState(created.id, ['idle']);
    const second = s.emu.requests().find((r) => r.stepName === 'second');
    const conversation = JSON.stringify((second?.body as { messages: unknown[] }).messages);
    expect(conversation).toContain('remember the word PLUM');
    expect(conversation).toContain('I will remember PLUM.');
    expect(s.emu.requests().map((r) => r.stepName)).toEqual(['first', 'second']);

    const log = await s.events(created.id);
    expectContiguous(log);
    expect(log.filter((e) => e.kind === 'user_input').map((e) => e.data.text)).toEqual([
      'remember the word PLUM',
      'which word did I ask you to remember?',
    ]);
    expect(log.filter((e) => e.kind === 'assistant_message' && e.data.partial !== true)).toHaveLength(2);
    expect(log.filter((e) => e.kind === 'notice' && e.data.code === 'config.project')).toHaveLength(1);

    // Unloaded again once idle. `sylk logs` reads the log from disk and leaves it unloaded;
    // `sylk attach` loads it, replays the whole log once and follows it.
    await waitUnloaded(s);
    expect(await s.events(created.id)).toHaveLength(log.length);
    expect((await loadedSessions(s)).loaded).toBe(0);
    const attach = s.spawnCli(['attach', created.id, '--json']);
    expect(await attach.exit).toBe(0);
    const replayed = parseNdjson(attach.stdout());
    const after = await s.events(created.id);
    expectContiguous(after);
    expect(replayed).toEqual(after.slice(0, replayed.length));
    expect(replayed.length).toBeGreaterThanOrEqual(log.length);
    expect(after.filter((e) => e.kind === 'notice' && e.data.code === 'config.project')).toHaveLength(1);
    expect((await s.session(created.id)).attachedClients).toBe(0);
    await waitUnloaded(s);
  });
});
