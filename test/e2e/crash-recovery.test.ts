// sylkd killed with SIGKILL while a session runs a long command with a background child that
// ignores SIGTERM: the restarted daemon kills what is left (checked by pid + start time), says so
// in the session, and the resumed turn gets an "interrupted" tool result instead of a second run.
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { projectHash } from '@sylk/config';
import { mulberry32, processesIn, same, type Proc } from '../helpers/crash-loop.js';
import { daemonPidsOf, exited, startForeground, waitFor } from '../helpers/sylk.js';
import {
  eventsOfKind,
  parseNdjson,
  scenarioFile,
  sessionHarness,
  startDetached,
  type EventJson,
  type SessionHarness,
} from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
let projects: string[] = [];
afterEach(async () => {
  // Whatever a failed test left running in its projects.
  for (const p of processesIn(projects)) killQuietly(p.pid);
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
  projects = [];
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // gone
  }
}

async function crashHarness(sandbox: boolean): Promise<{ s: SessionHarness; project: string }> {
  const s = await sessionHarness({ path: scenarioFile('crash-job') });
  harnesses.push(s);
  if (!sandbox)
    writeFileSync(
      join(s.h.home, 'config', 'config.yaml'),
      `${readFileSync(join(s.h.home, 'config', 'config.yaml'), 'utf8')}security:\n  sandbox:\n    enabled: false\n`,
    );
  const project = s.fixtureProject('crash-job');
  projects.push(project);
  // Allowlisted, so the command runs without an approval.
  mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
    'version: 1\ncommands:\n  - pattern: node job.js\n',
  );
  return { s, project };
}

const runs = (project: string) =>
  existsSync(join(project, 'runs.txt'))
    ? readFileSync(join(project, 'runs.txt'), 'utf8').split('\n').filter(Boolean).length
    : 0;

/** Start the job in a new session on a foreground daemon; returns the daemon, the session and the job's processes. */
async function startJob(s: SessionHarness, project: string, running?: ChildProcess) {
  // A foreground daemon, so the killed process is reaped (see sessions-recovery.test.ts).
  const daemon = running ?? (await startForeground(s.h));
  const created = await startDetached(s, project, 'start the long job');
  await s.waitEvent(created.id, (e) => e.kind === 'tool_output' && e.data.line === 'job started', 'the job to start');
  let procs: Proc[] = [];
  // The job (node) and its background child (sh, sleep): all there before the crash.
  await waitFor(() => (procs = processesIn([project])).length >= 3, 10_000, 'the job and its background child');
  return { daemon, created, procs };
}

describe('crash during a command', () => {
  it('kills the leftovers after kill -9, tells the session, and the resumed turn is told the command was interrupted', async () => {
    // Unsandboxed: the job's process group outlives the daemon (bwrap's --die-with-parent does not apply).
    const { s, project } = await crashHarness(false);
    const { daemon, created, procs } = await startJob(s, project);
    const before = await s.events(created.id);
    daemon.kill('SIGKILL');
    await exited(daemon);
    await new Promise((r) => setTimeout(r, 200));
    // The crash itself kills nothing: this is what the restart must clean up.
    expect(procs.every(same)).toBe(true);

    await startForeground(s.h);
    await waitFor(() => !procs.some(same), 5_000, 'the leftover job and its child to be killed');
    const after = await s.session(created.id);
    expect(after).toMatchObject({ state: 'idle', interrupted: true });
    const events = await s.events(created.id);
    // Every event the client had seen is still there, unchanged.
    expect(events.slice(0, before.length)).toEqual(before);
    const notice = eventsOfKind(events, 'notice').find((e) => e.data.code === 'recovery.leftovers');
    expect(notice?.data.message).toContain('`node job.js`');
    expect(notice?.data.message).toContain('killed');
    expect(eventsOfKind(events, 'turn_interrupted')).toHaveLength(1);

    const resumed = await s.cli(['resume', created.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'The job was interrupted; I will not run it again.',
      'the resumed reply',
    );
    await s.waitState(created.id, ['idle']);
    const request = s.emu.requests().find((r) => r.stepName === 'interrupted');
    const sent = JSON.stringify((request?.body as { messages: unknown[] }).messages);
    // The turn's history came back (the task and the call), with the interrupted result for the call.
    expect(sent).toContain('start the long job');
    expect(sent).toContain('interrupted: sylkd stopped while this command was running');
    expect(sent).toContain('has NOT been run again');
    expect(sent).toContain('job started');
    expect(runs(project)).toBe(1);
    expect(processesIn([project])).toEqual([]);
  });

  // Sandboxed, one session, the CLI as the client; test/e2e/crash-loop.test.ts is the 50-cycle loop.
  const seed = Number(process.env.SYLK_CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
  it(`survives a crash loop: events kept, no session stuck, nothing left running, nothing run twice (seed ${seed})`, async () => {
    const random = mulberry32(seed);
    const { s, project } = await crashHarness(true);
    const cycles = 5;
    const sessions: string[] = [];
    let current: ChildProcess | undefined;
    for (let cycle = 1; cycle <= cycles; cycle++) {
      const { daemon, created, procs } = await startJob(s, project, current);
      sessions.push(created.id);
      // A client following the session; it must never start a daemon itself on reconnect.
      const client = s.spawnCli(['--no-autostart', 'attach', created.id, '--json']);
      await waitFor(
        () => client.stdout().includes('job started'),
        10_000,
        `cycle ${cycle}: the client to follow the job`,
      );
      const seen = await s.events(created.id);
      // A random moment while the command runs.
      await new Promise((r) => setTimeout(r, Math.floor(random() * 300)));
      daemon.kill('SIGKILL');
      await exited(daemon);

      const next = await startForeground(s.h);
      await waitFor(() => !procs.some(same), 5_000, `cycle ${cycle}: the previous run's processes to be gone`);
      const log = await s.events(created.id);
      expect(log.slice(0, seen.length), `cycle ${cycle}`).toEqual(seen);
      expect(log.map((e) => e.seq)).toEqual(log.map((_, i) => i + 1));
      // The client rode through the crash: it re-attached to the new daemon and saw the interruption;
      // every event it had received is in the log as it was.
      const interrupted = log.find((e) => e.kind === 'turn_interrupted') as EventJson;
      await waitFor(
        () => parseNdjson(client.stdout()).some((e) => e.seq === interrupted.seq),
        10_000,
        `cycle ${cycle}: the client to re-attach`,
      );
      for (const e of parseNdjson(client.stdout())) expect(log[e.seq - 1], `cycle ${cycle}: event ${e.seq}`).toEqual(e);
      expect(daemonPidsOf(s.h.home), `cycle ${cycle}: only the restarted daemon runs`).toEqual([next.pid]);
      const states = new Map((await s.sessions()).map((x) => [x.id, x.state]));
      for (const id of sessions) expect(states.get(id), `cycle ${cycle}: session ${id}`).toBe('idle');
      const resumed = await s.cli(['resume', created.id]);
      expect(resumed.code, resumed.stderr).toBe(0);
      await s.waitEvent(
        created.id,
        (e) => e.kind === 'assistant_message' && e.data.text === 'The job was interrupted; I will not run it again.',
        `cycle ${cycle}: the resumed reply`,
      );
      await s.waitState(created.id, ['idle']);
      expect(runs(project), `cycle ${cycle}: runs of the job`).toBe(cycle);
      expect(processesIn([project]), `cycle ${cycle}: processes left`).toEqual([]);
      current = next; // the next cycle crashes this one
    }
  }, 180_000);

  it('`sylk close` and `sylk daemon stop` leave nothing of the job running', async () => {
    const { s, project } = await crashHarness(false);
    const { daemon, created, procs } = await startJob(s, project);
    const closed = await s.cli(['close', created.id], { timeoutMs: 30_000 });
    expect(closed.code, closed.stderr).toBe(0);
    expect(procs.filter(same)).toEqual([]);

    const second = await startDetached(s, project, 'start the long job');
    await s.waitEvent(
      second.id,
      (e) => e.kind === 'tool_output' && e.data.line === 'job started',
      'the second job to start',
    );
    let running: Proc[] = [];
    await waitFor(() => (running = processesIn([project])).length >= 2, 10_000, 'the second job and its child');
    const stopped = await s.cli(['daemon', 'stop'], { timeoutMs: 60_000 });
    expect(stopped.code, stopped.stderr).toBe(0);
    await exited(daemon);
    expect(running.filter(same)).toEqual([]);
    expect(runs(project)).toBe(2);
  });
});
