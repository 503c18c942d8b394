// Everyday CLI basics through the real CLI and a real sylkd (emulator provider): a task piped in
// with `sylk run -` / `sylk send <session> -`, `sylk rm` of idle and busy sessions (and on a
// terminal, its question), and the note of `sylk approve -m` reaching the model.
import { describe, expect, it } from 'vitest';
import { CLI, runCli, waitFor } from '../helpers/sylk.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';
import { answeringScenario, scenarioFile, sessionHarness, type SessionHarness } from '../helpers/sessions.js';

const { harnesses, terminals } = cleanedAfterEach();
async function harness(scenario: Parameters<typeof sessionHarness>[0]): Promise<SessionHarness> {
  const s = await sessionHarness(scenario);
  harnesses.push(s);
  return s;
}
const piped = (s: SessionHarness, args: string[], input: string) =>
  runCli(args, { env: s.h.env, input, timeoutMs: 45_000 });

describe('text from standard input', () => {
  it('`echo task | sylk run -` sends the piped task; `sylk send <session> -` the piped input', async () => {
    const s = await harness({
      scenario: answeringScenario('stdin', [
        ['task', '/^Say hello\\.\\nThen stop\\.$/', 'hello from the piped task'],
        ['more', 'And goodbye.', 'goodbye from the piped input'],
      ]),
    });
    const project = s.project('stdin');
    const run = await piped(s, ['run', '--name', 'piped', '-C', project, '-'], 'Say hello.\nThen stop.\n');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('hello from the piped task');

    const sent = await piped(s, ['send', 'piped', '-'], 'And goodbye.\n');
    expect(sent.code, sent.stderr).toBe(0);
    await s.waitEvent('piped', (e) => JSON.stringify(e.data).includes('goodbye from the piped input'), 'the reply');
    expect(s.emu.requests().map((q) => q.stepName)).toEqual(['task', 'more']);
  });

  it('empty standard input is a usage error (exit 2) and starts no session', async () => {
    const s = await harness({ scenario: answeringScenario('stdin-empty', [], 'UNEXPECTED') });
    const project = s.project('stdin-empty');
    const run = await piped(s, ['run', '-C', project, '-'], '\n');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('standard input was empty');
    expect(run.stderr).toContain('sylk run -');
    expect(await s.sessions()).toEqual([]);

    await s.json(['new', '--name', 'idle', '-C', project]);
    const sent = await piped(s, ['send', 'idle', '-'], '');
    expect(sent.code).toBe(2);
    expect(sent.stderr).toContain('standard input was empty');
    expect(s.emu.requests()).toEqual([]);
  });
});

describe('sylk rm', () => {
  it('deletes an idle session at once; one in use only with --force (refused without a terminal)', async () => {
    const s = await harness({ path: scenarioFile('approve-run') });
    const project = s.project('rm');
    await s.json(['new', '--name', 'idle-one', '-C', project]);
    const idle = await s.cli(['rm', 'idle-one']);
    expect(idle.code, idle.stderr).toBe(0);
    expect(idle.stdout).toMatch(/^deleted s_/);

    await s.json(['run', '-d', '--name', 'busy', '-C', project, 'run the tests']);
    await s.waitApproval('busy');
    const watcher = s.spawnCli(['attach', 'busy']);
    await s.waitState('busy', ['waiting_approval']);
    await waitFor(async () => (await s.session('busy')).attachedClients === 1, 30_000, 'the attached client');

    const refused = await s.cli(['rm', 'busy']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('busy is in use (1 client is attached, a turn is waiting for approval)');
    expect(refused.stderr).toContain('sylk rm busy --force');
    expect((await s.session('busy')).state).toBe('waiting_approval');

    const forced = await s.json<{ deleted: string }>(['rm', 'busy', '--force']);
    expect(forced.deleted).toMatch(/^s_/);
    expect((await s.sessions()).map((x) => x.name)).toEqual([]);
    expect(await s.approvals()).toEqual([]);
    // The attached client ends instead of following a session that is gone.
    await watcher.exit;
    expect(s.emu.requests().map((q) => q.stepName)).toEqual(['run']);
  });
});

describe('sylk rm on a terminal', () => {
  it('asks before deleting a session whose turn runs: no keeps it, yes deletes it', async () => {
    const s = await harness({ path: scenarioFile('approve-run') });
    const project = s.project('rm-ask');
    await s.json(['run', '-d', '--name', 'asked', '-C', project, 'run the tests']);
    await s.waitApproval('asked');
    const question = 'asked: a turn is waiting for approval.';

    const no = startTmux(`${process.execPath} ${CLI} rm asked`, s.h.env);
    terminals.push(no);
    await no.waitFor((t) => t.includes(question) && t.includes('[y/N]'), 'the question');
    no.keys(['n', 'Enter']);
    const kept = await no.waitFor((t) => t.includes('[exited'), 'rm to end');
    expect(kept).toContain('asked not deleted');
    expect(kept).toContain('[exited 1]');
    expect((await s.session('asked')).state).toBe('waiting_approval');

    const yes = startTmux(`${process.execPath} ${CLI} rm asked`, s.h.env);
    terminals.push(yes);
    await yes.waitFor((t) => t.includes(question), 'the question');
    yes.keys(['y', 'Enter']);
    const deleted = await yes.waitFor((t) => t.includes('[exited'), 'rm to end');
    expect(deleted).toMatch(/deleted s_\w+/);
    expect(deleted).toContain('[exited 0]');
    expect(await s.sessions()).toEqual([]);
  });
});

describe('sylk approve -m', () => {
  it("the note reaches the model with the tool's result", async () => {
    const s = await harness({ path: scenarioFile('approve-run') });
    const project = s.fixtureProject('failing-test');
    await s.json(['run', '-d', '--name', 'noted', '-C', project, 'run the tests']);
    const approval = await s.waitApproval('noted');
    const approved = await s.json<{ resolution: string }>([
      'approve',
      approval.id,
      '-m',
      'only the unit tests, please',
    ]);
    expect(approved.resolution).toBe('allow_once');
    await s.waitState('noted', ['idle']);

    const requests = s.emu.requests();
    expect(requests.map((q) => q.stepName)).toEqual(['run', 'ran']);
    const lastMessage = JSON.stringify((requests[1]?.body as { messages: unknown[] }).messages.at(-1));
    expect(lastMessage).toContain('exit code 1');
    expect(lastMessage).toContain('[The user allowed this and says: only the unit tests, please]');
    const events = await s.events('noted');
    expect(events.find((e) => e.kind === 'approval_resolved')?.data).toMatchObject({
      decision: 'allow_once',
      message: 'only the unit tests, please',
    });
  });
});
