import { spawn } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { processStartTime, sleep } from '@sylk/core';
import { killLeftovers } from './leftovers.js';
import { groupAlive, signalGroup } from './process-group.js';
import { waitFor } from './test-support.js';
import type { ProcessRecord } from './types.js';

const groups: number[] = [];
afterEach(() => {
  for (const pgid of groups.splice(0)) signalGroup(pgid, 'SIGKILL');
});

describe('killLeftovers after the leader has exited', () => {
  it('kills the background child still holding the group id (it ignores SIGTERM)', async () => {
    // The shell (the recorded leader) exits at once; its child stays in the group.
    const leader = spawn('sh', ['-c', '(trap "" TERM; exec sleep 30) & echo started'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const pid = leader.pid as number;
    groups.push(pid);
    const startTime = processStartTime(pid);
    await new Promise((resolve) => leader.once('exit', resolve));
    await sleep(50);
    expect(groupAlive(pid)).toBe(true);
    const record: ProcessRecord = {
      id: 'run_1',
      pid,
      pgid: pid,
      startTime,
      command: 'sh',
      background: false,
      startedAt: 0,
    };
    const report = await killLeftovers([record], { termWaitMs: 100 });
    expect(report.killed.map((r) => r.id)).toEqual(['run_1']);
    await waitFor(() => !groupAlive(pid));
  });

  it('leaves a record alone whose group is gone entirely', async () => {
    const leader = spawn('true', [], { detached: true, stdio: 'ignore' });
    const pid = leader.pid as number;
    await new Promise((resolve) => leader.once('exit', resolve));
    const report = await killLeftovers([
      { id: 'run_2', pid, pgid: pid, startTime: '1', command: 'true', background: false, startedAt: 0 },
    ]);
    expect(report).toMatchObject({ killed: [], skipped: [{ reason: 'gone' }] });
  });
});
