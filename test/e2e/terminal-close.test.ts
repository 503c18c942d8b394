// `sylk close` while an approval waits, against a real sylkd: the approval is denied ("session
// closed"), the menu of an attached terminal (tmux) closes, `sylk approvals` no longer lists it,
// and the audit log records the denial as for any other.
import type { EntryJson } from '../../cli/src/commands/audit.js';
import { describe, expect, it } from 'vitest';
import { CLI, parseJson } from '../helpers/sylk.js';
import { scenarioFile, sessionHarness, startDetached } from '../helpers/sessions.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

describe('sylk close with a waiting approval', () => {
  it('denies it: the attached menu closes, approvals no longer lists it, the audit log says so', async () => {
    const s = await sessionHarness({ path: scenarioFile('approve-run') });
    harnesses.push(s);
    const created = await startDetached(s, s.fixtureProject('failing-test'), 'run the tests');
    const approval = await s.waitApproval(created.id);
    const term = startTmux(`${process.execPath} ${CLI} attach ${created.name}`, s.h.env);
    terminals.push(term);
    await term.waitFor((t) => t.includes('Allow this?'), 'the approval menu');

    const closed = await s.cli(['close', created.name]);
    expect(closed.code, closed.stderr).toBe(0);
    await term.waitFor(
      (t) => t.includes(`→ deny: session closed [${approval.id}]`) && t.includes('— session closed —'),
      'the denial and the close in the transcript',
    );
    // The menu is gone: "d" would have been "deny" to it; here it goes to the prompt.
    term.keys(['draft'], true);
    await term.waitFor((t) => /› draft\s*$/.test(t), 'the typed text at the prompt');
    expect(await s.approvals()).toEqual([]);
    expect((await s.session(created.id)).state).toBe('closed');

    const resolved = (await s.events(created.id)).filter((e) => e.kind === 'approval_resolved');
    expect(resolved.map((e) => e.data)).toEqual([
      { approvalId: approval.id, decision: 'deny', message: 'session closed', by: 'sylk close', state: 'decided' },
    ]);
    const approve = await s.cli(['approve', approval.id]);
    expect(approve.code).not.toBe(0);
    expect(approve.stderr).toContain('no longer pending');

    const q = await s.cli(['audit', 'query', '--session', created.id, '--json']);
    expect(q.code, q.stderr).toBe(0);
    const entries = parseJson<EntryJson[]>(q.stdout);
    expect(entries.find((e) => e.category === 'permission' && e.action === 'approval')).toMatchObject({
      target: 'node --test',
      outcome: 'deny',
      details: { approvalId: approval.id, decidedBy: 'sylk close' },
    });
    expect(entries.map((e) => e.action)).toContain('session_close');
  });
});
