// Attached clients: several at once on one session, a client that attaches after the approval was
// raised, and the interactive prompt driven through a real terminal (tmux).
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import { CLI, parseJson, waitFor } from '../helpers/sylk.js';
import {
  eventsOfKind,
  parseNdjson,
  scenarioFile,
  sessionHarness,
  startDetached,
  type SessionHarness,
} from '../helpers/sessions.js';
import { count, startTmux, type Tmux } from '../helpers/tmux.js';

let harnesses: SessionHarness[] = [];
let terminals: Tmux[] = [];
async function harness(name: string): Promise<SessionHarness> {
  const s = await sessionHarness({ path: scenarioFile(name) });
  harnesses.push(s);
  return s;
}
afterEach(async () => {
  for (const t of terminals) t.kill();
  terminals = [];
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

describe('several clients on one session', () => {
  it('all stream it, two race to approve, exactly one decision wins and everyone sees it', async () => {
    const s = await harness('approve-run');
    const project = s.fixtureProject('failing-test');
    const created = await startDetached(s, project, 'run the tests');
    const approval = await s.waitApproval(created.id);
    const observer = s.spawnCli(['attach', created.id, '--json']);
    const approverA = s.spawnCli(['attach', created.id, '--json', '--yes']);
    const approverB = s.spawnCli(['attach', created.name, '--json', '--yes']);
    const clients = [observer, approverA, approverB];

    expect(await Promise.all(clients.map((c) => c.exit))).toEqual([0, 0, 0]);
    const log = await s.cli(['logs', created.id, '--json']);
    const events = parseNdjson(log.stdout);
    const resolved = eventsOfKind(events, 'approval_resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.data).toMatchObject({
      approvalId: approval.id,
      decision: 'allow_once',
      by: expect.stringMatching(/^client /),
    });
    expect(eventsOfKind(events, 'tool_output').length).toBeGreaterThan(0); // the command ran once
    expect(eventsOfKind(events, 'tool_finished')).toHaveLength(1);
    for (const c of clients) {
      // Every client printed clean NDJSON (a refused second decision must not corrupt it) and the whole log.
      const out = parseNdjson(c.stdout());
      expect(out).toEqual(events);
      expect(c.stdout()).toBe(log.stdout);
    }
    expect(await s.approvals()).toEqual([]);
    expect((await s.session(created.id)).attachedClients).toBe(0);
  });

  it('shows a pending approval to a client that attaches later, and follows it to the end', async () => {
    const s = await harness('approve-run');
    const project = s.fixtureProject('failing-test');
    const created = await startDetached(s, project, 'run the tests');
    const approval = await s.waitApproval(created.id);
    const late = s.spawnCli(['attach', created.id]);
    await waitText(late.stdout, `sylk approve ${approval.id}`);
    expect(late.stdout()).toContain(`Approval needed [${approval.id}] run \`node --test\``);
    await waitText(async () => String((await s.session(created.id)).attachedClients), '1');

    const ok = await s.cli(['approve', approval.id, '--json']);
    expect(parseJson(ok.stdout)).toMatchObject({ id: approval.id, resolution: 'allow_once' });
    expect(await late.exit).toBe(0);
    expect(late.stdout()).toContain(`allow once [${approval.id}]`);
    expect(late.stdout()).toContain('The tests ran.');
  });
});

describe('interactive attach in a real terminal (tmux)', () => {
  it('prompts for each approval; a letter allows once, arrows + Enter allow always', async () => {
    const s = await harness('fix-failing-test');
    const project = s.fixtureProject('failing-test');
    const created = await startDetached(s, project, 'The test fails. Fix it.');
    const first = await s.waitApproval(created.id);
    const term = startTmux(`${process.execPath} ${CLI} attach ${created.name}`, s.h.env);
    terminals.push(term);

    let screen = await term.waitFor((t) => t.includes('Allow this?'), 'the approval prompt');
    expect(screen).toContain(`attached to ${created.name} (${created.id})`);
    expect(screen).toContain(`Approval needed [${first.id}] run \`node --test\``);
    expect(screen).toContain('Let me look at the code first.'); // replayed history
    for (const label of [
      '[a] allow once',
      '[s] allow for this session',
      '[p] allow always in this project',
      '[d] deny',
      '[m] deny with a message',
    ])
      expect(screen).toContain(label);
    term.keys(['a']);

    // The tests fail, the agent edits the file and asks to run them again.
    let second = first;
    await waitText(
      async () => {
        second = (await s.approvals(created.id))[0] ?? first;
        return second.id;
      },
      (id) => id !== first.id,
    );
    screen = await term.waitFor(
      (t) => t.includes(`[${second.id}]`) && count(t, 'Allow this?') === 2,
      'the second prompt',
    );
    expect(screen).toContain(`allow once [${first.id}]`);
    // The first run's output, collapsed: its summary on the ✗ line, then the failed test.
    expect(screen).toMatch(/✗ run_command \([\d.]+s[^)]*\) — \[exit code 1\]/);
    expect(screen).toContain('│ ✗ add adds');
    expect(screen).toContain('edit_file');
    term.keys(['Down', 'Down']); // one send-keys: the CLI usually reads both presses at once
    await term.waitFor((t) => /❯ \[p\] allow always in this project/.test(t), 'the highlight on "allow always"');
    term.keys(['Enter']);

    await s.waitState(created.id, ['idle']);
    screen = await term.waitFor((t) => t.includes('the tests pass now'), 'the final answer');
    expect(screen).toContain(`allow always [${second.id}]`);
    expect(screen).toMatch(/# pass 1|ℹ pass 1/); // node --test's TAP (Node 22) or spec (Node 23+) summary
    // The user's own rules live in the state dir keyed by project, never in the project.
    expect(existsSync(join(project, '.sylk', 'local', 'permissions.yaml'))).toBe(false);
    const rules = readFileSync(join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`), 'utf8');
    // "node --test" persists exactly that prefix (never bare `node`, which would allow any script); the prompt said so.
    expect(rules).toMatch(/pattern: node --test\n/);
    expect(screen).toContain('allow always adds the rule: command: node --test');
    const events = await s.events(created.id);
    expect(
      eventsOfKind(events, 'approval_resolved').map((e) => [e.data.decision, String(e.data.by).startsWith('client ')]),
    ).toEqual([
      ['allow_once', true],
      ['allow_always', true],
    ]);

    // The interactive client stays attached at idle; Ctrl-] detaches and the CLI exits 0.
    expect((await s.session(created.id)).attachedClients).toBe(1);
    term.keys(['C-]']);
    screen = await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
    expect(screen).toContain(`detached; the session keeps running (sylk attach ${created.name})`);
    expect(existsSync(project)).toBe(true);
  });
});

async function waitText(
  read: () => string | Promise<string>,
  want: string | ((text: string) => boolean),
  timeoutMs = 30_000,
): Promise<void> {
  const ok = typeof want === 'string' ? (t: string) => t.includes(want) : want;
  await waitFor(async () => ok(await read()), timeoutMs, typeof want === 'string' ? want : 'a condition');
}
