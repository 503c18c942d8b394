// Delegated tasks end to end (real sylkd, the emulator as the model for the session's agent and
// its tasks' agents): spawn_task → the daemon's scheduler → a task agent whose edits are staged →
// merged at its end, or reported as a conflict when another task changed the file first; a role
// narrower than the session's; dependencies; a bad dependency refused; cancel stops the tasks; a
// user's command borrows a task's subprocess slot (the task's command stopped, then continued).
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { projectHash } from '@sylk/config';
import { waitFor } from '../helpers/sylk.js';
import {
  scenarioFile,
  sessionHarness,
  startDetached,
  type EventJson,
  type SessionHarness,
} from '../helpers/sessions.js';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** `git apply [--check] <patch>` in `dir` (not a repository: applied as a plain patch). */
function gitApply(dir: string, patch: string, ...flags: string[]) {
  const run = spawnSync('git', ['apply', ...flags, patch], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, GIT_CEILING_DIRECTORIES: dirname(dir) },
  });
  return { code: run.status, stderr: run.stderr };
}

const said = (text: string) => (e: EventJson) => e.kind === 'assistant_message' && e.data.text === text;
const taskStates = (events: EventJson[], task: string) =>
  events.filter((e) => e.kind === 'pipeline' && e.data.pipeline === task).map((e) => e.data.state);
const finalOf = (events: EventJson[], task: string) =>
  events.filter((e) => e.kind === 'pipeline' && e.data.pipeline === task).at(-1)?.data;

describe('delegated tasks (pipelines)', () => {
  it('an engineer task edits in staging and its change is merged when it ends', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    const project = s.project('one-edit', { 'hello.txt': 'Hello\n' });
    const session = await startDetached(s, project, 'delegate one edit');
    await s.waitEvent(session.id, said('PARENT: the changes are merged.'), 'the parent read the result');
    expect(readFileSync(join(project, 'hello.txt'), 'utf8')).toBe('Good day, world\n');
    const events = await s.events(session.id);
    expect(taskStates(events, 't1')).toEqual(['queued', 'running', 'done']);
    expect(finalOf(events, 't1')).toMatchObject({ role: 'engineer', merged: ['hello.txt'] });
    // The task's tool calls are nested in the session's log, marked with the task.
    const nested = events.filter((e) => e.kind === 'tool_finished' && e.data.pipeline === 't1');
    expect(nested.map((e) => e.data.name)).toEqual(['write_file']);
    // The parent's wait_tasks result carried the task's answer.
    const merged = s.emu.requests().find((r) => r.stepName === 'merged');
    expect(JSON.stringify(merged?.body)).toContain('TASK: edited as asked.');
    await s.waitState(session.id, ['idle']);
  });

  it('two tasks editing the same file: one merges, the other is reported as a conflict', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    const project = s.project('two-edits', { 'hello.txt': 'Hello\n' });
    const session = await startDetached(s, project, 'delegate two edits');
    await s.waitEvent(session.id, said('PARENT: a conflict was reported.'), 'the conflict reached the parent');
    const events = await s.events(session.id);
    const ends = [finalOf(events, 't1'), finalOf(events, 't2')];
    const winner = ends.find((d) => d?.state === 'done');
    const loser = ends.find((d) => d?.state === 'conflict');
    expect(winner?.merged).toEqual(['hello.txt']);
    expect(loser?.conflicts).toEqual([{ path: 'hello.txt', reason: 'changed in the project since the task read it' }]);
    // Never overwritten: the file is the winner's.
    const content = readFileSync(join(project, 'hello.txt'), 'utf8');
    expect(content).toBe(winner?.pipeline === 't1' ? 'A was here\n' : 'B was here\n');
    // The loser's staged edit is kept for the user.
    expect(existsSync(String(loser?.stagingDir))).toBe(true);

    // …and offered as a patch, outside the project: named in a notice, to the parent and in `sylk ls`.
    const patch = String(loser?.patch);
    expect(patch).toMatch(new RegExp(`/sessions/${session.id}/patches/${String(loser?.pipeline)}\\.patch$`));
    expect(patch.startsWith(project)).toBe(false);
    const notice = events.find((e) => e.kind === 'notice' && e.data.code === 'pipelines.conflict');
    expect(notice?.data).toMatchObject({ pipeline: loser?.pipeline, patch });
    expect(String(notice?.data.message)).toContain(`git apply ${patch}`);
    const told = s.emu.requests().find((r) => r.stepName === 'conflict');
    expect(JSON.stringify(told?.body)).toContain(`Its edits are kept as a patch the user can apply`);
    expect(JSON.stringify(told?.body)).toContain(patch);
    const listed = (await s.session(session.id)) as unknown as { tasks: Array<{ id: string; patch?: string }> };
    expect(listed.tasks.find((t) => t.id === loser?.pipeline)?.patch).toBe(patch);
    // It applies to the task's base (the user's, or here the winner's, edit reverted) and gives the loser's edit.
    const loserText = loser?.pipeline === 't1' ? 'A was here\n' : 'B was here\n';
    expect(gitApply(project, patch, '--check').code).not.toBe(0);
    writeFileSync(join(project, 'hello.txt'), 'Hello\n');
    const checked = gitApply(project, patch, '--check');
    expect(checked.code, checked.stderr).toBe(0);
    expect(gitApply(project, patch).code).toBe(0);
    expect(readFileSync(join(project, 'hello.txt'), 'utf8')).toBe(loserText);
  });

  it('a dependency runs first; a dependency on an unknown task is refused', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    const project = s.project('chain');
    const session = await startDetached(s, project, 'delegate a chain');
    await s.waitEvent(session.id, said('PARENT: the changes are merged.'), 'both tasks merged');
    expect(readFileSync(join(project, 'two.txt'), 'utf8')).toBe('two after one\n');
    const events = await s.events(session.id);
    expect(taskStates(events, 't2')[0]).toBe('waiting');
    const firstDone = events.findIndex(
      (e) => e.kind === 'pipeline' && e.data.pipeline === 't1' && e.data.state === 'done',
    );
    const secondRuns = events.findIndex(
      (e) => e.kind === 'pipeline' && e.data.pipeline === 't2' && e.data.state === 'running',
    );
    expect(firstDone).toBeGreaterThan(-1);
    expect(secondRuns).toBeGreaterThan(firstDone);

    expect((await s.cli(['send', session.id, 'delegate nonsense'])).code).toBe(0);
    await s.waitEvent(session.id, said('PARENT: the task was refused.'), 'the refusal');
  });

  it('an explorer task cannot change the project', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    const project = s.project('look', { 'hello.txt': 'Hello\n' });
    const session = await startDetached(s, project, 'delegate a look');
    await s.waitEvent(session.id, said('PARENT: the explorer reported.'), 'the explorer reported');
    expect(existsSync(join(project, 'hacked.txt'))).toBe(false);
    const events = await s.events(session.id);
    const run = events.find((e) => e.kind === 'tool_finished' && e.data.pipeline === 't1');
    expect(run?.data).toMatchObject({ name: 'run_command', isError: true });
    // Nothing was asked of the user: the role refuses outright.
    expect(await s.approvals(session.id)).toEqual([]);
  });

  it('cancelling the session’s turn cancels its running tasks', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    const project = s.project('slow');
    const session = await startDetached(s, project, 'delegate a slow task');
    await s.waitEvent(session.id, (e) => e.kind === 'pipeline' && e.data.state === 'running', 'the task runs');
    expect((await s.cli(['cancel', session.id])).code).toBe(0);
    const cancelled = await s.waitEvent(
      session.id,
      (e) => e.kind === 'pipeline' && e.data.state === 'cancelled',
      'the task cancelled',
    );
    expect(cancelled.data.pipeline).toBe('t1');
    await s.waitState(session.id, ['idle']);
  });

  it('a user command preempts another session’s task command, which resumes afterwards', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('pipelines') }));
    // One subprocess slot and no reserve: the user's command can only run by borrowing the task's.
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), 'tools:\n  max_subprocesses: 1\n');
    const project = s.project('preempt', {
      // 40 ticks 50 ms apart (2 s of its own time); stopped meanwhile, it makes them up after.
      'ticks.js':
        "const fs = require('fs'); let n = 0; const t = setInterval(() => { fs.appendFileSync('ticks.log', Date.now() + '\\n'); if (++n === 40) { clearInterval(t); console.log('ticks finished'); } }, 50);\n",
      'probe.js':
        "const s = Date.now(); setTimeout(() => { require('fs').writeFileSync('probe.json', JSON.stringify({ start: s, end: Date.now() })); console.log('probe finished'); }, 1500);\n",
    });
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node ticks.js\n  - pattern: node probe.js\n',
    );
    const ticks = () =>
      existsSync(join(project, 'ticks.log'))
        ? readFileSync(join(project, 'ticks.log'), 'utf8').trim().split('\n').map(Number)
        : [];
    const b = await startDetached(s, project, 'delegate the ticker', ['--name', 'busy']);
    await waitFor(() => ticks().length >= 3, 30_000, 'the task’s command ticking');
    const a = await startDetached(s, project, 'run the probe', ['--name', 'user']);
    await s.waitEvent(a.id, said('USER: probe done.'), 'the user’s command ran');
    await s.waitEvent(b.id, said('PARENT: the task is done.'), 'the task resumed and finished');
    const probe = JSON.parse(readFileSync(join(project, 'probe.json'), 'utf8')) as { start: number; end: number };
    const all = ticks();
    expect(all).toHaveLength(40);
    // While the user's command ran, the task's was stopped: no tick inside that window (a margin for the signals).
    expect(all.filter((t) => t > probe.start + 150 && t < probe.end - 150)).toEqual([]);
    expect(all.some((t) => t > probe.end)).toBe(true);
    const task = finalOf(await s.events(b.id), 't1');
    expect(task).toMatchObject({ state: 'done' });
  });
});
