// sylkd killed with SIGKILL while a session waits for approval: the restarted daemon still lists
// the session and its pending approval, and deciding it afterwards resumes the turn to the end;
// and the conversation of finished turns comes back with it.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { daemonPidsOf, exited } from '../helpers/sylk.js';
import {
  answeringScenario,
  eventsOfKind,
  sessionAwaitingApproval,
  sessionHarness,
  type SessionJson,
} from '../helpers/sessions.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses } = cleanedAfterEach();

describe('daemon crash and restart', () => {
  it('keeps sessions and pending approvals across kill -9; deciding one resumes the turn to completion', async () => {
    // Its daemon runs in the foreground, so the killed process is reaped: packages/core's liveness
    // check takes a zombie for a live daemon and would refuse to start a new one (environments
    // without an init).
    const { s, created, approval } = await sessionAwaitingApproval(harnesses);
    expect((await s.session(created.id)).state).toBe('waiting_approval');

    const daemon = s.daemon;
    expect(daemonPidsOf(s.h.home)).toEqual([daemon?.pid]);
    daemon?.kill('SIGKILL');
    await exited(daemon as NonNullable<typeof daemon>);
    const pid = daemon?.pid;

    // The next command starts a new daemon, which recovers the session.
    const after = await s.session(created.id);
    expect(daemonPidsOf(s.h.home)).toHaveLength(1);
    expect(daemonPidsOf(s.h.home)[0]).not.toBe(pid);
    expect(after).toMatchObject({
      id: created.id,
      name: created.name,
      state: 'idle',
      interrupted: true,
      pendingApprovals: 1,
    });
    const table = await s.cli(['ls']);
    expect(table.stdout).toMatch(
      new RegExp(`${created.name}\\s+idle \\(1 approval\\) \\(interrupted\\)\\s.*${created.id}`),
    );
    const pending = await s.approvals();
    expect(pending.map((a) => [a.id, a.sessionId, a.detail])).toEqual([[approval.id, created.id, 'node --test']]);
    const before = await s.events(created.id);
    expect(eventsOfKind(before, 'turn_interrupted')).toHaveLength(1);

    const ok = await s.cli(['approve', approval.id]);
    expect(ok.code, ok.stderr).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'The tests ran.',
      'the resumed turn to finish',
    );
    const done = await s.waitState(created.id, ['idle']);
    expect(done).toMatchObject({ interrupted: false, pendingApprovals: 0 });

    const events = await s.events(created.id);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    const resumed = events.slice(before.length);
    expect(resumed[0]).toMatchObject({
      kind: 'approval_resolved',
      data: { approvalId: approval.id, decision: 'allow_once' },
    });
    expect(eventsOfKind(resumed, 'notice').map((e) => e.data.message)).toContain('resuming the interrupted turn');
    // The decision taken after the restart answers the resumed turn's request: no second approval.
    expect(eventsOfKind(events, 'approval_requested')).toHaveLength(1);
    expect(eventsOfKind(resumed, 'tool_output').length).toBeGreaterThan(0);
    expect(eventsOfKind(resumed, 'tool_finished').map((e) => e.data.name)).toEqual(['run_command']);
    expect(await s.approvals()).toEqual([]);
    // The resumed turn still knows what the task was.
    const resumedRequest = s.emu.requests()[1];
    expect(JSON.stringify((resumedRequest?.body as { messages: unknown[] }).messages)).toContain('run the tests');
  });
  it('keeps the conversation across kill -9: the next turn is sent every earlier one', async () => {
    const scenario = answeringScenario('conversation', [
      ['one', 'first question', 'Answer one.'],
      ['two', 'second question', 'Answer two.'],
      ['three', 'third question', 'Answer three.'],
    ]);
    const s = await sessionHarness({ scenario }, { foreground: true });
    harnesses.push(s);
    const created = await s.json<SessionJson>(['new', '-C', s.project('conversation')]);
    for (const [text, answer] of [
      ['first question', 'Answer one.'],
      ['second question', 'Answer two.'],
    ] as const) {
      const sent = await s.cli(['send', created.id, text]);
      expect(sent.code, sent.stderr).toBe(0);
      await s.waitEvent(created.id, (e) => e.kind === 'assistant_message' && e.data.text === answer, answer);
      await s.waitState(created.id, ['idle']);
    }
    expect(existsSync(join(s.h.home, 'data', 'sessions', created.id, 'history.jsonl'))).toBe(true);

    const daemon = s.daemon as NonNullable<typeof s.daemon>;
    daemon.kill('SIGKILL');
    await exited(daemon);
    const sent = await s.cli(['send', created.id, 'third question']); // starts a new daemon
    expect(sent.code, sent.stderr).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'Answer three.',
      'the third answer',
    );

    const third = s.emu.requests().find((r) => r.stepName === 'three');
    const messages = (third?.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const texts = messages.map(
      (m) => `${m.role}: ${typeof m.content === 'string' ? m.content : JSON.stringify(m.content)}`,
    );
    expect(texts).toEqual([
      'user: first question',
      expect.stringMatching(/^assistant: .*Answer one\./),
      'user: second question',
      expect.stringMatching(/^assistant: .*Answer two\./),
      'user: third question',
    ]);
  });
});
