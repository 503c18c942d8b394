// Sessions end to end: real sylkd + sylk processes, the Anthropic provider pointed at an in-process
// sylk-emulator over real HTTP, real projects with real files and subprocesses.
import { afterEach, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import { parseJson, waitFor } from '../helpers/sylk.js';
import {
  eventsOfKind,
  parseNdjson,
  scenarioFile,
  sessionHarness,
  startDetached,
  type SessionHarness,
} from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
async function harness(name: string): Promise<SessionHarness> {
  const s = await sessionHarness({ path: scenarioFile(name) });
  harnesses.push(s);
  return s;
}
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

const toolResults = (body: unknown): string => JSON.stringify((body as { messages: unknown[] }).messages.at(-1));

describe('sylk run', () => {
  it('fixes a failing test: files really change and the tests really pass', async () => {
    const s = await harness('fix-failing-test');
    const project = s.fixtureProject('failing-test');
    expect(spawnSync(process.execPath, ['--test'], { cwd: project }).status).toBe(1);

    const r = await s.cli(['run', '--yes', '-C', project, 'The test fails. Fix it.'], { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(0);
    // The rendered transcript: the approvals it answered, the tool calls and the final answer.
    expect(r.stdout).toContain('Approval needed');
    expect(r.stdout).toContain('allow once');
    expect(r.stdout).toContain('edit_file');
    expect(r.stdout).toContain('the tests pass now');

    expect(readFileSync(join(project, 'src', 'math.js'), 'utf8')).toContain('return a + b;');
    const tests = spawnSync(process.execPath, ['--test'], { cwd: project, encoding: 'utf8' });
    expect(tests.status, tests.stdout).toBe(0);

    const [session] = await s.sessions();
    expect(session).toMatchObject({ state: 'idle', projectRoot: project, pendingApprovals: 0, interrupted: false });
    const events = await s.events(session?.id ?? '');
    expect(eventsOfKind(events, 'approval_requested')).toHaveLength(2);
    expect(eventsOfKind(events, 'approval_resolved').map((e) => e.data.decision)).toEqual(['allow_once', 'allow_once']);
    const finished = eventsOfKind(events, 'tool_finished').map((e) => [
      e.data.name,
      e.data.ok !== false && e.data.isError !== true,
    ]);
    expect(finished).toEqual([
      ['read_file', true],
      ['run_command', false],
      ['edit_file', true],
      ['run_command', true],
    ]);
    // Five model round-trips, each carrying the previous tool result.
    expect(s.emu.requests().map((q) => q.stepName)).toEqual(['read', 'run-tests', 'fix', 'rerun', 'done']);
  });

  it('keeps running with nobody attached; `sylk logs` then shows the whole turn', async () => {
    const s = await harness('fix-failing-test');
    const project = s.fixtureProject('failing-test');
    // The tests need approval: persist "node --test" for this project (the user's own rules, in
    // the state dir keyed by project) so nobody has to answer.
    allowAlways(s.h.home, project, 'version: 1\ncommands:\n  - pattern: node --test\n');
    const created = await startDetached(s, project, 'The test fails. Fix it.');
    expect(created.attachedClients).toBe(0);
    const done = await s.waitState(created.id, ['idle', 'failed']);
    expect(done).toMatchObject({ state: 'idle', attachedClients: 0, pendingApprovals: 0 });

    const events = await s.events(created.name);
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]).toMatchObject({ kind: 'user_input', data: { text: 'The test fails. Fix it.' } });
    expect(eventsOfKind(events, 'approval_requested')).toEqual([]);
    expect(eventsOfKind(events, 'tool_finished').map((e) => e.data.name)).toEqual([
      'read_file',
      'run_command',
      'edit_file',
      'run_command',
    ]);
    expect(eventsOfKind(events, 'assistant_message').at(-1)?.data).toMatchObject({
      text: expect.stringContaining('the tests pass now'),
    });
    expect(events.at(-1)).toMatchObject({ kind: 'state_changed', data: { to: 'idle' } });
    expect(spawnSync(process.execPath, ['--test'], { cwd: project }).status).toBe(0);

    const plain = await s.cli(['logs', created.name]);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('The test fails. Fix it.');
    expect(plain.stdout).toContain('the tests pass now');
  });

  it('detach and re-attach replays the same transcript as `sylk logs`, byte for byte', async () => {
    const s = await harness('approve-run');
    const project = s.fixtureProject('failing-test');
    const created = await startDetached(s, project, 'run the tests');
    // First client: attached while the session waits for approval, then detached (Ctrl-C).
    const first = s.spawnCli(['attach', created.id, '--json']);
    const approval = await s.waitApproval(created.id);
    await waitOutput(first.stdout, (t) => t.includes(approval.id), 'the approval in the first client');
    first.child.kill('SIGINT');
    await first.exit;
    const partial = first.stdout();

    const decided = await s.cli(['approve', approval.id]);
    expect(decided.code, decided.stderr).toBe(0);
    await s.waitState(created.id, ['idle']);

    const logs = await s.cli(['logs', created.id, '--json']);
    const again = await s.cli(['attach', created.id, '--json']);
    const third = await s.cli(['attach', created.name, '--json', '--from', '1']);
    expect(logs.code).toBe(0);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toBe(logs.stdout);
    expect(third.stdout).toBe(logs.stdout);
    // What the detached client saw is a prefix of the whole transcript.
    expect(partial.length).toBeGreaterThan(0);
    expect(logs.stdout.startsWith(partial)).toBe(true);
    const events = parseNdjson(logs.stdout);
    expect(eventsOfKind(events, 'approval_resolved')).toHaveLength(1);
    expect(events.at(-1)).toMatchObject({ kind: 'state_changed', data: { to: 'idle' } });
    // --from and --tail replay slices of the same log.
    const from = await s.cli(['attach', created.id, '--json', '--from', '4']);
    expect(from.stdout).toBe(
      events
        .slice(3)
        .map((e) => `${JSON.stringify(e)}\n`)
        .join(''),
    );
    // Past the end is an empty answer at once, not a wait for the session's next event.
    const past = await s.cli(['logs', created.id, '--json', '--from', String(Number(events.at(-1)?.seq) + 1)]);
    expect(past.code, past.stderr).toBe(0);
    expect(past.stdout).toBe('');
    // A session that does not exist is an error from the stream, not a wait for ever.
    const missing = await s.cli(['logs', 'no-such-session']);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no session with id or name "no-such-session"');
  });

  it('turns malformed tool arguments into tool errors and carries on to idle', async () => {
    const s = await harness('malformed-arguments');
    const project = s.project('malformed', { 'src/a.js': 'export const a = 1;\n' });
    const created = await startDetached(s, project, 'read a.js');
    const done = await s.waitState(created.id, ['idle', 'failed']);
    expect(done.state).toBe('idle');
    const events = await s.events(created.id);
    const finished = eventsOfKind(events, 'tool_finished');
    expect(finished.map((e) => [e.data.callId, e.data.isError === true])).toEqual([
      ['bad1', true],
      ['bad2', true],
      ['bad3', true],
      ['good', false],
    ]);
    expect(eventsOfKind(events, 'error')).toEqual([]);
    expect(eventsOfKind(events, 'assistant_message').at(-1)?.data).toMatchObject({ text: 'I will fix my arguments.' });
    // The model got each error back as a tool result, and the good call's content.
    const second = s.emu.requests()[1];
    expect(second?.stepName).toBe('recovers');
    const results = toolResults(second?.body);
    expect(results).toContain('Invalid arguments for read_file');
    expect(results).toContain('edit_file');
    expect(results).toContain('delete_everything');
    expect(results).toContain('export const a = 1;');
  });
});

describe('sylk approve / deny', () => {
  it('deny with a message reaches the model in the next request', async () => {
    const s = await harness('approve-run');
    const project = s.fixtureProject('failing-test');
    const created = await startDetached(s, project, 'run the tests');
    const approval = await s.waitApproval(created.id);
    expect(approval).toMatchObject({ sessionId: created.id, kind: 'command', detail: 'node --test' });
    expect((await s.session(created.id)).state).toBe('waiting_approval');

    const denied = await s.cli(['deny', approval.id, '-m', 'use the CI, not this machine', '--json']);
    expect(denied.code, denied.stderr).toBe(0);
    expect(parseJson(denied.stdout)).toMatchObject({ id: approval.id, resolution: 'deny_with_message' });
    await s.waitState(created.id, ['idle']);

    const requests = s.emu.requests();
    expect(requests.map((q) => q.stepName)).toEqual(['run', 'denied']);
    expect(toolResults(requests[1]?.body)).toContain('use the CI, not this machine');
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'approval_resolved')[0]?.data).toMatchObject({
      decision: 'deny_with_message',
      message: 'use the CI, not this machine',
    });
    expect(eventsOfKind(events, 'tool_started')).toHaveLength(1);
    expect(eventsOfKind(events, 'tool_output')).toEqual([]); // the command never ran
  });

  it('a .sylk/local/permissions.yaml shipped in the project grants nothing; the session says it was ignored', async () => {
    const s = await harness('approve-run');
    const project = s.fixtureProject('failing-test');
    s.project('failing-test', { '.sylk/local/permissions.yaml': 'version: 1\ncommands:\n  - pattern: node --test\n' });
    const created = await startDetached(s, project, 'run the tests');
    const approval = await s.waitApproval(created.id);
    expect(approval).toMatchObject({ kind: 'command', detail: 'node --test' });
    const notices = eventsOfKind(await s.events(created.id), 'notice').map((e) => String(e.data.message));
    expect(notices.filter((m) => m.includes('.sylk/local/permissions.yaml'))).toHaveLength(1);
    expect(notices.join('\n')).toContain('allow always');
    // `sylk permissions list` reads the user's own file in the state dir, which is empty.
    const listed = parseJson((await s.cli(['permissions', 'list', '-C', project, '--json'])).stdout) as {
      file: string;
      rules: unknown[];
    };
    expect(listed).toMatchObject({
      file: join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      rules: [],
    });
    expect((await s.cli(['deny', approval.id])).code).toBe(0);
    await s.waitState(created.id, ['idle', 'failed']);
  });

  it('refuses unknown and already-resolved approvals with a clear error and exit 1', async () => {
    const s = await harness('approve-run');
    const project = s.fixtureProject('failing-test');
    const unknown = await s.cli(['approve', 'ap_nosuchapproval']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/ap_nosuchapproval/);
    expect(unknown.stderr).toMatch(/no approval request/i);
    const unknownJson = await s.cli(['deny', 'ap_nosuchapproval', '--json']);
    expect(unknownJson.code).toBe(1);
    expect(parseJson<{ error: { code: string; exitCode: number } }>(unknownJson.stderr).error).toMatchObject({
      code: 'approvals.not_found',
      exitCode: 1,
    });

    const created = await startDetached(s, project, 'run the tests');
    const approval = await s.waitApproval(created.id);
    expect((await s.cli(['approve', approval.id])).code).toBe(0);
    for (const args of [
      ['approve', approval.id],
      ['deny', approval.id, '-m', 'too late'],
    ]) {
      const again = await s.cli(args);
      expect(again.code, args.join(' ')).toBe(1);
      expect(again.stderr).toContain(
        `approval ${approval.id} is no longer pending: it was resolved as allow_once by sylk approve`,
      );
    }
    const json = await s.cli(['approve', approval.id, '--json']);
    expect(parseJson<{ error: { code: string } }>(json.stderr).error.code).toBe('approvals.already_resolved');
    await s.waitState(created.id, ['idle']);
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'approval_resolved')).toHaveLength(1);
  });
});

function waitOutput(
  read: () => string,
  pred: (text: string) => boolean,
  what: string,
  timeoutMs = 30_000,
): Promise<void> {
  return waitFor(() => pred(read()), timeoutMs, what);
}

/** What "allow always" would have written for this project: `{state}/permissions/<projectHash>.yaml`. */
function allowAlways(home: string, project: string, yaml: string): void {
  mkdirSync(join(home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
  writeFileSync(join(home, 'state', 'permissions', `${projectHash(project)}.yaml`), yaml, { mode: 0o600 });
}
