// Cancelling a turn: while the model's stream stalls, and while a 30 s command runs. The cancel
// returns at once, the log says the turn was interrupted, and the command's processes are gone.
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, readlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import { parseJson, waitFor } from '../helpers/sylk.js';
import { eventsOfKind, scenarioFile, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});
async function harness(): Promise<SessionHarness> {
  const s = await sessionHarness({ path: scenarioFile('cancel') });
  harnesses.push(s);
  return s;
}

/**
 * The host pid of a process that wrote its pid from inside the OS sandbox (its own PID namespace):
 * the process whose cwd is `cwd` and whose innermost NSpid is `nsPid`. Unsandboxed, the same pid.
 */
function hostPid(nsPid: number, cwd: string): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const nspid =
        /^NSpid:\s+(.*)$/m
          .exec(readFileSync(`/proc/${entry}/status`, 'utf8'))?.[1]
          ?.trim()
          .split(/\s+/)
          .map(Number) ?? [];
      if (nspid.at(-1) === nsPid && readlinkSync(`/proc/${entry}/cwd`) === cwd) return Number(entry);
    } catch {
      // gone, or not ours to inspect
    }
  }
  throw new Error(`no process with pid ${nsPid} in its namespace and cwd ${cwd}`);
}

/** Running, not a zombie waiting to be reaped. */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

/** `sylk cancel` must answer well before the stalled stream or the 30 s command would end by itself. */
async function cancel(s: SessionHarness, session: string): Promise<void> {
  const r = await s.cli(['cancel', session, '--json'], { timeoutMs: 10_000 });
  expect(r.code, r.stderr).toBe(0);
  expect(parseJson(r.stdout)).toEqual({ cancelled: true });
}

describe('sylk cancel', () => {
  it('stops a turn whose model stream stalled; the partial answer is marked and the session goes on', async () => {
    const s = await harness();
    const project = s.project('stall');
    const created = await startDetached(s, project, 'explain the code');
    await s.waitEvent(created.id, (e) => e.kind === 'assistant_delta', 'streamed text');
    expect((await s.session(created.id)).state).toBe('running');

    await cancel(s, created.id);
    await s.waitState(created.id, ['idle']);
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'turn_interrupted')).toEqual([
      expect.objectContaining({ data: { reason: 'cancelled by the user' } }),
    ]);
    expect(eventsOfKind(events, 'error')).toEqual([]);
    const partial = eventsOfKind(events, 'assistant_delta')
      .map((e) => String(e.data.text))
      .join('');
    expect(partial.length).toBeGreaterThan(0);
    expect('Let me explain this in great detail, step by step, until the end of time.'.startsWith(partial)).toBe(true);
    expect((await s.cli(['cancel', created.id, '--json'])).stdout).toContain('"cancelled":false');

    // The next turn carries the partial answer, marked as interrupted, in its history.
    expect((await s.cli(['send', created.id, 'are you there?'])).code).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'Still here.',
      'the next answer',
    );
    await s.waitState(created.id, ['idle']);
    const next = s.emu.requests().at(-1);
    expect(next?.stepName).toBe('after');
    const history = JSON.stringify((next?.body as { messages: unknown[] }).messages);
    expect(history).toContain(partial);
    expect(history).toContain('[interrupted by the user]');
  });

  it('stops a running command: its process group is killed and the turn ends interrupted', async () => {
    const s = await harness();
    const project = s.fixtureProject('slow-command');
    // Allowlisted, so the command runs without an approval.
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node slow.js\n',
    );
    const created = await startDetached(s, project, 'run the slow script');
    const pidFile = join(project, 'pids.txt');
    await waitFor(
      () => existsSync(pidFile) && readFileSync(pidFile, 'utf8').endsWith('\n'),
      30_000,
      'the slow script to start',
    );
    // Written inside the sandbox: namespace pids, mapped to the host's.
    const pids = readFileSync(pidFile, 'utf8')
      .trim()
      .split(' ')
      .map((pid) => hostPid(Number(pid), project));
    expect(pids).toHaveLength(2);
    expect(pids.every(alive)).toBe(true);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'tool_output' && e.data.line === 'slow script started',
      'the script output',
    );

    await cancel(s, created.id);
    await waitFor(() => !pids.some(alive), 10_000, 'the script and its child to be gone');
    await s.waitState(created.id, ['idle']);
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'turn_interrupted')).toHaveLength(1);
    expect(eventsOfKind(events, 'approval_requested')).toEqual([]);
    const finished = eventsOfKind(events, 'tool_finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]?.data).toMatchObject({ name: 'run_command', ok: false });
    expect(events.some((e) => e.kind === 'tool_output' && e.data.line === 'slow script finished')).toBe(false);
    // The model was asked once: the cancelled turn does not go back to it.
    expect(s.emu.requests()).toHaveLength(1);
  });
});
