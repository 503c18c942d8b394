import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime, silentLogger } from '@sylk/core';
import type { Message } from '@sylk/llm';
import type { ProcessRecord } from '@sylk/tools';
import { ProcessRecordStore } from './recovery-records.js';
import {
  answerInterruptedCalls,
  killRecordedLeftovers,
  leftoverNotice,
  loadInterruptedRuns,
  saveInterruptedRuns,
} from './recovery.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) {
    try {
      process.kill(-(c.pid as number), 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tempDir = () => {
  const d = mkdtempSync(join(tmpdir(), 'sylk-recovery-'));
  dirs.push(d);
  return d;
};

const record = (over: Partial<ProcessRecord>): ProcessRecord => ({
  id: 'run_1',
  pid: 999_999,
  pgid: 999_999,
  startTime: '1',
  command: 'node job.js',
  background: false,
  startedAt: 0,
  ...over,
});

/** A process group like a tool's: a leader with a background child that ignores SIGTERM. */
async function group(): Promise<ChildProcess> {
  const child = spawn('sh', ['-c', 'trap "" TERM; sleep 30 & wait'], { detached: true, stdio: 'ignore' });
  children.push(child);
  await new Promise((r) => setTimeout(r, 100));
  return child;
}

const groupAlive = (pgid: number) =>
  readdirSync('/proc').some((e) => {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(f[2]) === pgid && f[0] !== 'Z';
    } catch {
      return false;
    }
  });

describe('ProcessRecordStore', () => {
  it('keeps one file per group until it has ended, and drops what it cannot read', async () => {
    const store = new ProcessRecordStore(join(tempDir(), 'processes'), silentLogger());
    await store.add(record({ id: 'run_a' }));
    await store.add(record({ id: 'run_b', sessionId: 's1' }));
    writeFileSync(join(store.dir, 'run_c.json'), '{"pid": 1, "comm'); // torn
    writeFileSync(join(store.dir, 'run_d.json.tmp'), '{}');
    expect(
      store
        .list()
        .map((r) => r.id)
        .sort(),
    ).toEqual(['run_a', 'run_b']);
    expect(readdirSync(store.dir).sort()).toEqual(['run_a.json', 'run_b.json']);
    await store.remove('run_a');
    expect(store.list().map((r) => r.id)).toEqual(['run_b']);
  });

  it('records through the executor hook with the session id, and chains the next hook', async () => {
    const store = new ProcessRecordStore(join(tempDir(), 'processes'), silentLogger());
    const seen: string[] = [];
    const log = store.processLog('sess_1', {
      spawned: (r) => seen.push(`+${r.id}`),
      exited: (r) => seen.push(`-${r.id}`),
    });
    await log.spawned(record({ id: 'run_x' }));
    expect(store.list()).toEqual([expect.objectContaining({ id: 'run_x', sessionId: 'sess_1' })]);
    log.exited(record({ id: 'run_x' }));
    await expect.poll(() => store.list()).toEqual([]);
    expect(seen).toEqual(['+run_x', '-run_x']);
  });
});

describe('killRecordedLeftovers', () => {
  it('kills a recorded group that is still the same process, background child included; never a recycled pid', async () => {
    const store = new ProcessRecordStore(join(tempDir(), 'processes'), silentLogger());
    const left = await group();
    const other = await group();
    const pid = left.pid as number;
    await store.add(record({ id: 'run_left', pid, pgid: pid, startTime: processStartTime(pid), sessionId: 's1' }));
    // Same pid, other start time: a different process now; left alone.
    await store.add(
      record({
        id: 'run_reused',
        pid: other.pid as number,
        pgid: other.pid as number,
        startTime: 'not-its-start-time',
        sessionId: 's1',
      }),
    );
    const bySession = await killRecordedLeftovers(store, silentLogger());
    expect(groupAlive(pid)).toBe(false);
    expect(groupAlive(other.pid as number)).toBe(true);
    const runs = bySession.get('s1') ?? [];
    expect(runs.map((r) => [r.id, r.killed]).sort()).toEqual([
      ['run_left', true],
      ['run_reused', false],
    ]);
    expect(store.list()).toEqual([]);
    expect(leftoverNotice(runs).message).toContain('`node job.js` (pid');
  });
});

describe('answerInterruptedCalls', () => {
  it('gives every unanswered call of the last reply a result; a running command is reported interrupted with its output', () => {
    const dir = tempDir();
    const spool = join(dir, 'run_1.log');
    writeFileSync(spool, 'job started\nstep 1 done\n');
    saveInterruptedRuns(dir, [{ id: 'run_1', command: 'node job.js', pid: 42, killed: true, spoolPath: spool }]);
    const history: Message[] = [
      { role: 'user', content: 'start the job' },
      {
        role: 'assistant',
        content: 'Starting.',
        toolCalls: [
          { id: 'c1', name: 'run_command', arguments: { command: 'node job.js' } },
          { id: 'c2', name: 'write_file', arguments: { path: 'a' } },
        ],
      },
    ];
    expect(answerInterruptedCalls(history, loadInterruptedRuns(dir))).toBe(2);
    const [run, write] = history.slice(2);
    expect(run).toMatchObject({ role: 'tool', toolCallId: 'c1', isError: true });
    expect(run?.content).toContain('has NOT been run again');
    expect(run?.content).toContain('step 1 done');
    expect(write).toMatchObject({ role: 'tool', toolCallId: 'c2' });
    expect(write?.content).toContain('not been run again');
    // Idempotent: every call has its result now.
    expect(answerInterruptedCalls(history, [])).toBe(0);
  });

  it('adds nothing when the last reply has no calls or all are answered', () => {
    expect(
      answerInterruptedCalls(
        [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
        [],
      ),
    ).toBe(0);
    expect(
      answerInterruptedCalls(
        [
          { role: 'assistant', content: '', toolCalls: [{ id: 'c1', name: 'read_file', arguments: {} }] },
          { role: 'tool', toolCallId: 'c1', content: 'x' },
        ],
        [],
      ),
    ).toBe(0);
  });
});
