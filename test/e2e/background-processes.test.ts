// Background processes end to end: the model (emulator) starts a ticker with run_command
// background: true, reads it with process_output and ends its turn while it runs; `sylk ps` lists
// it, `sylk ps logs` shows its output, `sylk ps stop` kills its whole process group, closing a
// session stops the rest, one that exits by itself is told in the session's log, and a model
// cannot touch another session's process. A session unloaded while idle still lists its ended
// processes with their exit and output, without being loaded for it.
import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import { waitFor } from '../helpers/sylk.js';
import { scenarioFile, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';

interface PsJson {
  id: string;
  session: string;
  sessionId: string;
  command: string;
  pid: number;
  state: string;
  uptimeSeconds: number;
  exitCode: number | null;
}

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

/** Live (not zombie) processes from /proc: pid → [ppid, pgid, cmdline]. */
function processes(): Map<number, { ppid: number; pgid: number; cmd: string }> {
  const all = new Map<number, { ppid: number; pgid: number; cmd: string }>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (fields[0] !== 'Z') all.set(Number(entry), { ppid: Number(fields[1]), pgid: Number(fields[2]), cmd });
    } catch {
      // gone meanwhile
    }
  }
  return all;
}

/**
 * A background process's whole tree: its group (the sandbox, or the command itself) and every
 * descendant (inside the sandbox's own session: the ticker and its sleep).
 */
function tree(pid: number): number[] {
  const all = processes();
  const found = new Set([...all].filter(([, p]) => p.pgid === pid).map(([id]) => id));
  for (let grew = true; grew;) {
    grew = false;
    for (const [id, p] of all)
      if (!found.has(id) && found.has(p.ppid)) {
        found.add(id);
        grew = true;
      }
  }
  return [...found];
}

const commands = (pids: number[]) => {
  const all = processes();
  return pids.map((pid) => all.get(pid)?.cmd ?? '');
};

describe('background processes', () => {
  it('run, are listed, tailed and stopped per session; closing a session stops the rest', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('background') }));
    const project = s.fixtureProject('dev-server');
    // Allowlisted, so the commands run without an approval (the same rule a foreground command needs).
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node ticker.js\n  - pattern: node ticker.js 3\n',
    );
    const ps = async (session?: string) =>
      (await s.json<{ processes: PsJson[] }>(['ps', ...(session ? [session] : [])])).processes;

    const a = await startDetached(s, project, 'start the ticker', ['--name', 'alpha']);
    await s.waitEvent(a.id, (e) => e.kind === 'assistant_message' && e.data.text === 'The ticker is running.', 'end');
    await s.waitState(a.id, ['idle']);
    const b = await startDetached(s, project, 'start the ticker', ['--name', 'beta']);
    await s.waitEvent(b.id, (e) => e.kind === 'assistant_message' && e.data.text === 'The ticker is running.', 'end');
    await s.waitState(b.id, ['idle']);

    // What the model read: the first lines, then process_output with the id it was given.
    const finished = (await s.events(a.id)).filter((e) => e.kind === 'tool_finished');
    expect(finished.map((e) => e.data.name)).toEqual(['run_command', 'process_output']);
    const read = s.emu.requests().find((r) => r.stepName === 'done');
    expect(JSON.stringify(read?.body)).toMatch(/ticker ready on [^"]*is running \(pid \d+\); next since_offset: \d+/);

    // The turn ended; both run on, each in its own session.
    const [procA] = await ps('alpha');
    const [procB] = await ps(b.id);
    expect(procA).toMatchObject({ session: 'alpha', command: 'node ticker.js', state: 'running', exitCode: null });
    expect(procB).toMatchObject({ session: 'beta', state: 'running' });
    if (procA === undefined || procB === undefined) throw new Error('unreachable');
    expect((await ps()).map((p) => p.id).sort()).toEqual([procA.id, procB.id].sort());
    const treeA = tree(procA.pid);
    expect(commands(treeA).join('|')).toMatch(/node ticker\.js.*\|.*sleep 300|sleep 300.*\|.*node ticker\.js/);
    const table = await s.cli(['ps']);
    expect(table.stdout).toMatch(/^ID\s+SESSION\s+COMMAND\s+PID\s+STATE\s+UPTIME\s+EXIT/);
    expect(table.stdout).toContain(`${procA.id}  alpha`);

    // A hostile model in alpha: beta's process and garbage are refused, nothing is stopped.
    expect((await s.cli(['send', a.id, `stop ${procB.id}`])).code).toBe(0);
    await s.waitEvent(
      a.id,
      (e) => e.kind === 'assistant_message' && e.data.text === 'That process is not mine.',
      'refusal',
    );
    const refused = (await s.events(a.id)).filter((e) => e.kind === 'tool_finished').slice(-2);
    expect(refused.map((e) => [e.data.name, e.data.isError])).toEqual([
      ['stop_process', true],
      ['process_output', true],
    ]);
    expect((await ps('beta'))[0]?.state).toBe('running');
    expect((await s.cli(['ps', 'stop', 'bg_no_such'])).code).not.toBe(0);

    // sylk ps logs: its output so far.
    const logs = await s.cli(['ps', 'logs', procA.id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('ticker ready on http://localhost:3999');
    expect(logs.stdout).toMatch(/tick \d+/);

    // sylk ps stop: the whole group is gone; the session's log says so.
    const stopped = await s.json<{ endedBy: string; process: PsJson }>(['ps', 'stop', procA.id]);
    expect(stopped.process.state).toBe('stopped');
    expect(treeA.filter((pid) => processes().has(pid))).toEqual([]);
    await s.waitEvent(a.id, (e) => e.kind === 'process_exited' && e.data.by === 'user', 'the stop');
    expect((await ps('alpha'))[0]).toMatchObject({ id: procA.id, state: 'stopped' });

    // One that exits by itself: told in the session's log with its exit code.
    expect((await s.cli(['send', a.id, 'start the short ticker'])).code).toBe(0);
    const exited = await s.waitEvent(a.id, (e) => e.kind === 'process_exited' && e.data.by === 'itself', 'the exit');
    expect(exited.data).toMatchObject({ command: 'node ticker.js 3', exitCode: 3 });
    // The model was told of the stop at its next turn, once.
    const short = s.emu.requests().find((r) => r.stepName === 'start-short');
    const note = `[system note: Background process ${procA.id} (node ticker.js) was stopped by the user (signal SIGINT)]`;
    expect(JSON.stringify(short?.body)).toContain(note);

    // Closing beta stops its process (and its group); a follower of its output sees it end.
    const treeB = tree(procB.pid);
    expect(commands(treeB).join('|')).toContain('sleep 300');
    const follow = s.spawnCli(['ps', 'logs', procB.id, '-f']);
    await waitFor(() => /tick \d+\n/.test(follow.stdout()), 10_000, 'followed output');
    expect((await s.cli(['close', b.id])).code).toBe(0);
    expect(await follow.exit).toBe(0);
    expect(follow.stderr()).toContain(`[${procB.id} stopped]`);
    await waitFor(() => !treeB.some((pid) => processes().has(pid)), 10_000, "beta's ticker and its child to be gone");
    expect((await ps('beta')).filter((p) => p.state === 'running')).toEqual([]);

    // sylkd's shutdown stops what still runs.
    expect((await s.cli(['send', a.id, 'start the ticker'])).code).toBe(0);
    let treeLast: number[] = [];
    await waitFor(
      async () => {
        const running = (await ps('alpha')).find((p) => p.state === 'running');
        treeLast = running === undefined ? [] : tree(running.pid);
        return commands(treeLast).join('|').includes('sleep 300');
      },
      10_000,
      'a new ticker with its child',
    );
    expect((await s.cli(['daemon', 'stop'])).code).toBe(0);
    expect(treeLast.filter((pid) => processes().has(pid))).toEqual([]);
  });

  it('an unloaded session still lists its ended processes and their output', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('background') }));
    appendFileSync(join(s.h.home, 'config', 'config.yaml'), 'sessions:\n  unload_idle_after_seconds: 1\n');
    const project = s.fixtureProject('dev-server');
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node ticker.js 3\n',
    );
    const loaded = async () =>
      (await s.json<{ daemon: { loadedSessions: number } }>(['top', '--once'])).daemon.loadedSessions;
    const ps = async () => (await s.json<{ processes: PsJson[] }>(['ps'])).processes;

    const a = await startDetached(s, project, 'start the short ticker', ['--name', 'short']);
    await s.waitEvent(a.id, (e) => e.kind === 'process_exited' && e.data.by === 'itself', 'the exit');
    await s.waitState(a.id, ['idle']);
    // Nothing holds it now (its note for the next turn is kept on disk): it unloads.
    await waitFor(async () => (await loaded()) === 0, 30_000, 'the idle session to be unloaded');

    const [proc] = await ps();
    expect(proc).toMatchObject({ session: 'short', command: 'node ticker.js 3', state: 'exited', exitCode: 3 });
    if (proc === undefined) throw new Error('unreachable');
    const logs = await s.cli(['ps', 'logs', proc.id]);
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('ticker ready on http://localhost:3999');
    expect(logs.stdout).toContain('tick 3\n');
    expect(logs.stderr).toContain(`[${proc.id} exited]`);
    const stop = await s.json<{ endedBy: string; process: PsJson }>(['ps', 'stop', proc.id]);
    expect(stop).toMatchObject({ endedBy: 'exit', process: { id: proc.id, state: 'exited', exitCode: 3 } });
    // Reading them loaded nothing.
    expect(await loaded()).toBe(0);

    // Loaded again: the model is told of the exit at its next turn, and the process is still listed.
    expect((await s.cli(['send', a.id, 'start the short ticker'])).code).toBe(0);
    await waitFor(
      async () => (await ps()).filter((p) => p.sessionId === a.id).length === 2,
      30_000,
      'the second ticker listed beside the first',
    );
    expect((await ps()).map((p) => p.id)).toContain(proc.id);
    const told = s.emu.requests().filter((r) => r.stepName === 'start-short')[1];
    expect(JSON.stringify(told?.body)).toContain(
      `[system note: Background process ${proc.id} (node ticker.js 3) exited (exit code 3)]`,
    );
    // The model can still read it: process_output finds it where the session kept it.
    await s.waitState(a.id, ['idle']);
    const readBefore = s.emu.requests().filter((r) => r.stepName === 'done').length;
    expect((await s.cli(['send', a.id, `read the output of ${proc.id}`])).code).toBe(0);
    await waitFor(
      async () => s.emu.requests().filter((r) => r.stepName === 'done').length > readBefore,
      30_000,
      'the model to read the kept process',
    );
    const result = JSON.stringify(
      s.emu
        .requests()
        .filter((r) => r.stepName === 'done')
        .at(-1)?.body,
    );
    expect(result).toContain('tick 3');
    expect(result).toContain(`${proc.id} is exited with code 3`);
  });
});
