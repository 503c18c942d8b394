// Inputs queued behind a session (paused, or behind a running turn) are on disk: a sylkd killed
// with SIGKILL loses none of them, and the restarted daemon answers them in order on resume.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exited } from '../helpers/sylk.js';
import {
  answeringScenario,
  sessionAwaitingApproval,
  sessionHarness,
  type SessionHarness,
  type SessionJson,
} from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

const scenario = answeringScenario(
  'queue',
  [
    ['one', 'first question', 'Answer one.'],
    ['two', 'second question', 'Answer two.'],
  ],
  'UNEXPECTED',
);

describe('queued inputs', () => {
  it('survive kill -9 while the session is paused and run in order on resume', async () => {
    const s = await sessionHarness({ scenario }, { foreground: true });
    harnesses.push(s);
    const project = s.project('queue');
    const created = await s.json<SessionJson>(['new', '-C', project]);
    expect((await s.cli(['pause', created.id])).code).toBe(0);
    for (const text of ['first question', 'second question']) {
      const sent = await s.cli(['send', created.id, text]);
      expect(sent.code, sent.stderr).toBe(0);
    }
    const pending = JSON.parse(
      readFileSync(join(s.h.home, 'data', 'sessions', created.id, 'inputs.json'), 'utf8'),
    ) as unknown;
    expect(pending).toEqual({ queued: ['first question', 'second question'] });

    const daemon = s.daemon as NonNullable<typeof s.daemon>;
    daemon.kill('SIGKILL');
    await exited(daemon);

    // The next command starts a new daemon; the session is still paused with nothing answered.
    expect((await s.session(created.id)).state).toBe('paused');
    expect(s.emu.requests()).toHaveLength(0);
    const resumed = await s.cli(['resume', created.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'Answer two.',
      'the second answer',
    );
    await s.waitState(created.id, ['idle']);

    expect(s.emu.requests().map((r) => r.stepName)).toEqual(['one', 'two']);
    const events = await s.events(created.id);
    expect(events.filter((e) => e.kind === 'user_input').map((e) => e.data.text)).toEqual([
      'first question',
      'second question',
    ]);
    expect(events.filter((e) => e.kind === 'assistant_message').map((e) => e.data.text)).toEqual([
      'Answer one.',
      'Answer two.',
    ]);
  });

  it('wait while a pause stops the turn that waited for an approval, and run on resume', async () => {
    const { s, created } = await sessionAwaitingApproval(harnesses);
    expect((await s.session(created.id)).state).toBe('waiting_approval');
    const paused = await s.cli(['pause', created.id]);
    expect(paused.code, paused.stderr).toBe(0);
    expect((await s.session(created.id)).state).toBe('paused');
    expect((await s.cli(['send', created.id, 'second question'])).code).toBe(0);
    expect(s.emu.requests()).toHaveLength(1);

    expect((await s.cli(['resume', created.id])).code).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && s.emu.requests().length === 2,
      'the queued input answered',
    );
    await s.waitState(created.id, ['idle']);
    const last = (s.emu.requests()[1]?.body as { messages: Array<{ role: string; content: unknown }> }).messages.at(-1);
    expect(JSON.stringify(last)).toContain('second question');
    const moves = (await s.events(created.id))
      .filter((e) => e.kind === 'state_changed')
      .map((e) => `${String(e.data.from)}>${String(e.data.to)}`);
    expect(moves).toEqual([
      'created>running',
      'running>waiting_approval',
      'waiting_approval>paused',
      'paused>idle',
      'idle>running',
      'running>idle',
    ]);
  });

  it('queued behind a turn that kill -9 interrupted, run after the resumed turn', async () => {
    const { s, created, approval } = await sessionAwaitingApproval(harnesses);
    const sent = await s.cli(['send', created.id, 'second question']);
    expect(sent.code, sent.stderr).toBe(0);

    const daemon = s.daemon as NonNullable<typeof s.daemon>;
    daemon.kill('SIGKILL');
    await exited(daemon);

    expect(await s.session(created.id)).toMatchObject({ state: 'idle', interrupted: true });
    // Approving resumes the interrupted turn (restated with its task), then the queued input runs.
    expect((await s.cli(['approve', approval.id])).code).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && String(e.data.text).startsWith('UNEXPECTED'),
      'the queued input answered',
    );
    await s.waitState(created.id, ['idle']);

    const requests = s.emu.requests();
    expect(requests.map((r) => r.stepName)).toEqual(['run', 'run', 'ran', 'unexpected']);
    expect(JSON.stringify((requests[1]?.body as { messages: unknown[] }).messages)).toContain('run the tests');
    const last = (requests[3]?.body as { messages: Array<{ role: string; content: unknown }> }).messages.at(-1);
    expect(JSON.stringify(last)).toContain('second question');
  });
});
