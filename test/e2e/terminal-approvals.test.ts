// An approval menu in a real terminal (tmux) against a real sylkd: answered from another terminal
// it closes at once and what is typed next goes to the prompt; Ctrl-] detaches while it is up.
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/sylk.js';
import { scenarioFile, sessionHarness, startDetached } from '../helpers/sessions.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

async function pendingApproval() {
  const s = await sessionHarness({ path: scenarioFile('approve-run') });
  harnesses.push(s);
  const created = await startDetached(s, s.fixtureProject('failing-test'), 'run the tests');
  const approval = await s.waitApproval(created.id);
  const term = startTmux(`${process.execPath} ${CLI} attach ${created.name}`, s.h.env);
  terminals.push(term);
  await term.waitFor((t) => t.includes('Allow this?'), 'the approval menu');
  return { s, created, approval, term };
}

describe('approval menus (tmux)', () => {
  it('close when answered in another terminal; keys typed after go to the prompt', async () => {
    const { s, created, approval, term } = await pendingApproval();
    const ok = await s.cli(['approve', approval.id]);
    expect(ok.code).toBe(0);
    await term.waitFor((t) => t.includes('The tests ran.'), 'the turn to finish');
    await s.waitState(created.id, ['idle']);

    // "d" would have been "deny" to a menu left open; here it is the start of a message.
    term.keys(['do it again'], true);
    await term.waitFor((t) => t.includes('› do it again'), 'the typed text at the prompt');
    term.keys(['Enter']);
    await s.waitEvent(created.id, (e) => e.kind === 'user_input' && e.data.text === 'do it again', 'the input sent');
    const resolved = (await s.events(created.id)).filter((e) => e.kind === 'approval_resolved');
    expect(resolved.map((e) => e.data.decision)).toEqual(['allow_once']);
    term.keys(['C-]']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });

  it('Ctrl-] detaches while the menu is up and leaves the approval pending', async () => {
    const { s, created, approval, term } = await pendingApproval();
    term.keys(['C-]']);
    const screen = await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
    expect(screen).toContain(`detached; the session keeps running (sylk attach ${created.name})`);
    expect((await s.approvals(created.id)).map((a) => a.id)).toEqual([approval.id]);
    expect((await s.session(created.id)).state).toBe('waiting_approval');
  });
});
