// A graceful `sylk daemon restart` while a session waits for approval, with a client attached:
// the log says the daemon stopped (once), not that the user denied or cancelled anything; the
// client re-attaches to the new daemon instead of exiting; the approval is still there and
// deciding it resumes the turn.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import { accepts, exited, waitFor } from '../helpers/sylk.js';
import {
  eventsOfKind,
  parseNdjson,
  scenarioFile,
  sessionAwaitingApproval,
  sessionHarness,
  startDetached,
  type EventJson,
} from '../helpers/sessions.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses } = cleanedAfterEach();

describe('graceful restart', () => {
  it('keeps a pending approval, records the stop truthfully, and attached clients re-attach', async () => {
    const { s, created, approval } = await sessionAwaitingApproval(harnesses);
    const client = s.spawnCli(['attach', created.id, '--json']);
    await s.waitState(created.id, ['waiting_approval']);
    await s.waitEvent(
      created.id,
      () => client.stdout().includes('"approval_requested"'),
      'the client to replay the approval request',
    );

    const restarted = await s.cli(['daemon', 'restart', '--json'], { timeoutMs: 60_000 });
    expect(restarted.code, restarted.stderr).toBe(0);
    await exited(s.daemon as NonNullable<typeof s.daemon>);

    const after = await s.session(created.id);
    expect(after).toMatchObject({ state: 'idle', interrupted: true, pendingApprovals: 1 });
    expect((await s.approvals()).map((a) => a.id)).toEqual([approval.id]);
    const events = await s.events(created.id);
    // What happened: the daemon stopped; nothing was denied, nothing cancelled by the user, once.
    expect(eventsOfKind(events, 'turn_interrupted')).toHaveLength(1);
    expect(eventsOfKind(events, 'turn_interrupted')[0]?.data.message).toMatch(/daemon stopped/);
    expect(JSON.stringify(events)).not.toMatch(/Permission denied|cancelled by the user/);
    expect(eventsOfKind(events, 'tool_finished')).toEqual([]);

    // The client rode through the restart: it shows what the new daemon appended, and never said it was shutting down.
    const interrupted = eventsOfKind(events, 'turn_interrupted')[0] as EventJson;
    await s.waitEvent(
      created.id,
      () => parseNdjson(client.stdout()).some((e) => e.seq === interrupted.seq),
      'the attached client to see the interruption',
    );
    expect(client.stderr()).not.toContain('shutting down');
    expect(client.child.exitCode === null || client.child.exitCode === 0).toBe(true);

    const ok = await s.cli(['approve', approval.id]);
    expect(ok.code, ok.stderr).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'The tests ran.',
      'the resumed turn to finish',
    );
    const all = await s.events(created.id);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(eventsOfKind(all, 'approval_requested')).toHaveLength(1);
  });

  it('recreates a deleted socket on SIGHUP and `sylk daemon start`; `daemon stop` finds the daemon by its lock', async () => {
    const s = await sessionHarness({ path: scenarioFile('approve-run') }, { foreground: true });
    harnesses.push(s);
    const daemon = s.daemon as NonNullable<typeof s.daemon>;
    rmSync(s.h.socket);
    expect(await accepts(s.h.socket)).toBe(false);
    daemon.kill('SIGHUP');
    await waitFor(() => accepts(s.h.socket), 15_000, 'the socket to be recreated after SIGHUP');

    rmSync(s.h.socket);
    const started = await s.cli(['daemon', 'start', '--json']);
    expect(started.code, started.stderr).toBe(0);
    expect(JSON.parse(started.stdout)).toMatchObject({ started: false, pid: daemon.pid });
    expect(await accepts(s.h.socket)).toBe(true);

    rmSync(s.h.socket);
    const stopped = await s.cli(['daemon', 'stop', '--json']);
    expect(stopped.code, stopped.stderr).toBe(0);
    expect(JSON.parse(stopped.stdout)).toMatchObject({ stopped: true, pid: daemon.pid });
    await exited(daemon);
  });

  it('a command running at a graceful restart is reported interrupted, with its output, and not run again', async () => {
    const s = await sessionHarness({ path: scenarioFile('crash-job') }, { foreground: true });
    harnesses.push(s);
    const project = s.fixtureProject('crash-job');
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node job.js\n',
    );
    const created = await startDetached(s, project, 'start the long job');
    await s.waitEvent(created.id, (e) => e.kind === 'tool_output' && e.data.line === 'job started', 'the job to start');

    const restarted = await s.cli(['daemon', 'restart'], { timeoutMs: 60_000 });
    expect(restarted.code, restarted.stderr).toBe(0);
    const events = await s.events(created.id);
    expect(eventsOfKind(events, 'turn_interrupted')).toHaveLength(1);
    expect(eventsOfKind(events, 'tool_finished')).toEqual([]);

    const resumed = await s.cli(['resume', created.id]);
    expect(resumed.code, resumed.stderr).toBe(0);
    await s.waitEvent(
      created.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'The job was interrupted; I will not run it again.',
      'the resumed reply',
    );
    const sent = JSON.stringify(
      (s.emu.requests().find((r) => r.stepName === 'interrupted')?.body as { messages: unknown[] }).messages,
    );
    expect(sent).toContain('interrupted: sylkd stopped while this command was running');
    expect(sent).toContain('job started');
    const runs = existsSync(join(project, 'runs.txt'))
      ? readFileSync(join(project, 'runs.txt'), 'utf8').split('\n').filter(Boolean)
      : [];
    expect(runs).toHaveLength(1);
  });
});
