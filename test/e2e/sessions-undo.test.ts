// Undo and rollback end to end: a real sylkd + sylk, the emulator scripting a session that edits
// and creates files over two turns; the files really go back, and a user's edit is kept.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import type { Scenario } from '@sylk/emulator';
import { CLI, parseJson, waitFor } from '../helpers/sylk.js';
import { startTmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';
import { sessionHarness, startDetached } from '../helpers/sessions.js';

const scenario: Scenario = {
  name: 'e2e-undo',
  apiKey: 'test-key',
  steps: [
    {
      name: 'turn1',
      match: { lastUser: '/first change/' },
      reply: {
        text: 'Changing a.txt and adding new1.txt.',
        toolCalls: [
          { id: 'w1', name: 'write_file', arguments: { path: 'a.txt', content: 'a from turn 1\n' } },
          { id: 'w2', name: 'write_file', arguments: { path: 'new1.txt', content: 'created in turn 1\n' } },
        ],
      },
    },
    {
      name: 'turn2',
      match: { lastUser: '/second change/' },
      reply: {
        text: 'Changing a.txt and b.txt, adding src/new2.txt.',
        toolCalls: [
          { id: 'w3', name: 'write_file', arguments: { path: 'a.txt', content: 'a from turn 2\n' } },
          { id: 'w4', name: 'write_file', arguments: { path: 'b.txt', content: 'b from turn 2\n' } },
          { id: 'w5', name: 'write_file', arguments: { path: 'src/new2.txt', content: 'created in turn 2\n' } },
          { id: 'r1', name: 'run_command', arguments: { command: 'echo hello' } },
        ],
      },
    },
    { name: 'done', match: { lastTool: '/.*/' }, reply: { text: 'Done.' } },
    { name: 'unexpected', reply: { text: 'UNEXPECTED: no step matched' } },
  ],
};

interface Receipt {
  turn: number;
  rewoundTurns: number[];
  restored: { path: string; action: string }[];
  kept: { path: string; reason: string }[];
  unchanged: number;
  sideEffects: { turn: number; summary: string }[];
  conversationRewound: boolean;
}

const { harnesses, terminals } = cleanedAfterEach();

/** sylkd's child processes that are its spawn broker (`node --max-semi-space-size=1 -e <program>`). */
function brokersOf(daemonPid: number): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((entry) => {
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        return ppid === daemonPid && argv.includes('--max-semi-space-size=1') && argv.includes('-e');
      } catch {
        return false; // exited meanwhile
      }
    })
    .map(Number);
}

describe('sylk undo / rollback', () => {
  it('undoes the last turn, keeps a user edit, and rolls back to before turn 1', async () => {
    const s = await sessionHarness({ scenario });
    harnesses.push(s);
    const project = s.project('undo', { 'a.txt': 'original a\n', 'b.txt': 'original b\n', 'keep.txt': 'untouched\n' });
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: echo hello\n',
      { mode: 0o600 },
    );
    const read = (p: string) => readFileSync(join(project, p), 'utf8');

    const created = await startDetached(s, project, 'Make the first change.');
    await s.waitState(created.id, ['idle', 'failed']);
    expect(read('a.txt')).toBe('a from turn 1\n');
    const sent = await s.cli(['send', created.id, 'Now the second change.']);
    expect(sent.code, sent.stderr).toBe(0);
    const snapshotCount = async () => (await s.events(created.id)).filter((e) => e.kind === 'turn_snapshot').length;
    await waitFor(async () => (await snapshotCount()) === 4, 30_000, 'the after-snapshot of turn 2');
    await s.waitState(created.id, ['idle', 'failed']);
    expect(read('src/new2.txt')).toBe('created in turn 2\n');
    const snapshots = (await s.events(created.id)).filter((e) => e.kind === 'turn_snapshot');
    expect(snapshots.map((e) => e.data.phase)).toEqual(['before', 'after', 'before', 'after']);
    // The snapshots' git ran from sylkd's spawn broker (a helper process), not forked from sylkd itself.
    const status = await s.cli(['status', '--json']);
    expect(brokersOf(parseJson<{ daemon: { pid: number } }>(status.stdout).daemon.pid)).toHaveLength(1);

    // The user edits a file turn 2 wrote: undo reports it and leaves it.
    writeFileSync(join(project, 'b.txt'), 'user edit\n');
    const undo = await s.cli(['undo', created.id, '--json']);
    expect(undo.code, undo.stderr).toBe(1); // partial: a file was kept
    const r1 = parseJson<Receipt>(undo.stdout);
    expect(r1).toMatchObject({
      turn: 2,
      rewoundTurns: [2],
      kept: [{ path: 'b.txt', reason: 'changed since the turn' }],
      conversationRewound: true,
    });
    expect(r1.restored).toEqual(
      expect.arrayContaining([
        { path: 'a.txt', action: 'restored' },
        { path: 'src/new2.txt', action: 'deleted' },
      ]),
    );
    expect(r1.sideEffects).toEqual([{ turn: 2, summary: expect.stringContaining('echo hello') }]);
    expect(read('a.txt')).toBe('a from turn 1\n');
    expect(read('b.txt')).toBe('user edit\n');
    expect(existsSync(join(project, 'src'))).toBe(false);
    // The conversation went back too; the store lives in the data dir, not in the project.
    const history = () => readFileSync(join(s.h.home, 'data', 'sessions', created.id, 'history.jsonl'), 'utf8');
    expect(history()).toContain('first change');
    expect(history()).not.toContain('second change');
    expect(existsSync(join(project, '.git'))).toBe(false);
    expect(existsSync(join(s.h.home, 'data', 'snapshots'))).toBe(true);

    // Human receipt of the rollback to before turn 1: turn 1's files go back, the user's b.txt stays.
    const back = await s.cli(['rollback', created.id, '--turn', '1']);
    expect(back.code, back.stderr).toBe(0);
    expect(back.stdout).toContain('Files are back to before turn 1');
    expect(back.stdout).toMatch(/restored a\.txt/);
    expect(back.stdout).toMatch(/deleted  new1\.txt/);
    expect(read('a.txt')).toBe('original a\n');
    expect(existsSync(join(project, 'new1.txt'))).toBe(false);
    expect(read('b.txt')).toBe('user edit\n');
    expect(read('keep.txt')).toBe('untouched\n');

    expect(history()).not.toContain('first change');
    const logs = await s.cli(['logs', created.id]);
    expect(logs.stdout).toContain('files and conversation back to before turn 1');
    const rewound = (await s.events(created.id)).filter((e) => e.kind === 'turn_rewound').map((e) => e.data.turns);
    expect(rewound).toEqual([[2], [1]]);
    const none = await s.cli(['undo', created.id]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain('no turn to undo');
  }, 60_000);

  it('refuses while a turn runs and says to cancel first', async () => {
    const slow: Scenario = {
      name: 'e2e-undo-running',
      apiKey: 'test-key',
      steps: [
        {
          name: 'slow',
          match: { lastUser: '/wait/' },
          reply: {
            text: 'Waiting.',
            toolCalls: [{ id: 'r1', name: 'run_command', arguments: { command: 'sleep 30' } }],
          },
        },
        { name: 'done', reply: { text: 'Done.' } },
      ],
    };
    const s = await sessionHarness({ scenario: slow });
    harnesses.push(s);
    const project = s.project('busy', { 'a.txt': 'a\n' });
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(project)}.yaml`),
      'version: 1\ncommands:\n  - pattern: sleep 30\n',
      { mode: 0o600 },
    );
    const created = await startDetached(s, project, 'Please wait.');
    await s.waitEvent(created.id, (e) => e.kind === 'tool_started', 'the command to start');
    const refused = await s.cli(['undo', created.id, '--json']);
    expect(refused.code).toBe(1);
    const { error } = parseJson<{ error: { code: string; message: string; hint: string } }>(refused.stderr);
    expect(error).toMatchObject({
      code: 'failed_precondition',
      message: expect.stringContaining('is running a turn'),
      hint: expect.stringContaining(`sylk cancel ${created.id}`),
    });
    expect((await s.cli(['cancel', created.id])).code).toBe(0);
    await s.waitState(created.id, ['idle', 'failed']);
    const undo = await s.cli(['undo', created.id, '--json']);
    expect(undo.code, undo.stderr).toBe(0);
    expect(parseJson<Receipt>(undo.stdout)).toMatchObject({
      turn: 1,
      sideEffects: [{ turn: 1, summary: expect.stringContaining('sleep 30') }],
    });
  }, 60_000);

  it('/undo in the attached view rewinds the last turn and never reaches the model', async () => {
    const s = await sessionHarness({ scenario });
    harnesses.push(s);
    const project = s.project('undo-view', { 'a.txt': 'original a\n' });
    const created = await startDetached(s, project, 'Make the first change.');
    await s.waitState(created.id, ['idle', 'failed']);
    expect(readFileSync(join(project, 'a.txt'), 'utf8')).toBe('a from turn 1\n');

    const term = startTmux(`${process.execPath} ${CLI} attach ${created.name}`, s.h.env);
    terminals.push(term);
    await term.waitFor((t) => t.includes(`attached to ${created.name}`), 'the attached view');
    term.keys(['/undo'], true);
    term.keys(['Enter']);
    const screen = await term.waitFor((t) => t.includes('Files are back to before turn 1'), 'the /undo receipt');
    expect(screen).toMatch(/restored a\.txt/);
    expect(readFileSync(join(project, 'a.txt'), 'utf8')).toBe('original a\n');
    expect(existsSync(join(project, 'new1.txt'))).toBe(false);
    const inputs = (await s.events(created.id)).filter((e) => e.kind === 'user_input').map((e) => e.data.text);
    expect(inputs).toEqual(['Make the first change.']);
  }, 60_000);
});
