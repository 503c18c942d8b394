import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ProgressEvent } from './types.js';
import { alive, sandbox, testExecutor, type Sandbox } from './test-support.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

/** Start a command, abort it once it printed its first line, return the result. */
async function cancelAfterFirstLine(command: string) {
  const controller = new AbortController();
  const progress: string[] = [];
  const seen: string[] = [];
  const result = await testExecutor(box).run(command, {
    cwd: box.project,
    signal: controller.signal,
    onLine: (line) => {
      seen.push(line);
      controller.abort();
    },
    onProgress: (event: ProgressEvent) => progress.push(event.message),
  });
  return { result, progress, seen };
}

describe('kill sequence', () => {
  it('stops a cooperative child with SIGINT', async () => {
    const { result, progress } = await cancelAfterFirstLine('echo ready; exec sleep 30');
    expect(result.killed).toMatchObject({ signalsSent: ['SIGINT'], endedBy: 'SIGINT' });
    expect(result.signal).toBe('SIGINT');
    expect(result).toMatchObject({ partial: true, partialReason: 'cancelled by user' });
    expect(progress).toEqual(['Stopping echo…']);
    expect(alive(result.pid)).toBe(false);
  });

  it('escalates to SIGTERM when SIGINT is ignored', async () => {
    const { result, progress } = await cancelAfterFirstLine('trap "" INT; echo ready; sleep 30');
    expect(result.killed).toMatchObject({ signalsSent: ['SIGINT', 'SIGTERM'], endedBy: 'SIGTERM' });
    expect(progress).toEqual(['Stopping trap…', 'Force stopping trap…']);
  });

  it('escalates to SIGKILL when SIGINT and SIGTERM are ignored', async () => {
    const { result, progress } = await cancelAfterFirstLine('trap "" INT TERM; echo ready; sleep 30');
    expect(result.killed).toMatchObject({ signalsSent: ['SIGINT', 'SIGTERM', 'SIGKILL'], endedBy: 'SIGKILL' });
    expect(result.signal).toBe('SIGKILL');
    expect(progress).toEqual(['Stopping trap…', 'Force stopping trap…', 'Killed trap']);
    expect(result.killed?.durationMs).toBeGreaterThan(0);
  });

  it('kills grandchildren that ignore every catchable signal once the leader is gone', async () => {
    const { result, seen } = await cancelAfterFirstLine(
      // The grandchild prints its pid once its traps are set.
      `sh -c 'trap "" INT TERM HUP; echo $$; exec sleep 30' & exec sleep 30`,
    );
    const grandchild = Number(seen[0]);
    expect(grandchild).toBeGreaterThan(0);
    expect(result.killed?.endedBy).toBe('SIGINT');
    expect(result.killed?.leftoversKilled).toBe(1);
    expect(alive(grandchild)).toBe(false);
    expect(alive(result.pid)).toBe(false);
  });

  it('does nothing to a command that already finished', async () => {
    const controller = new AbortController();
    const result = await testExecutor(box).run('echo done', { cwd: box.project, signal: controller.signal });
    controller.abort();
    expect(result).toMatchObject({ exitCode: 0, partial: false });
    expect(result.killed).toBeUndefined();
  });
});
