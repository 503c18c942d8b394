import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { processStartTime } from '@sylk/core';
import { killLeftovers } from './leftovers.js';
import { ProcessRegistry } from './registry.js';
import { BoundedSlotPool } from './slots.js';
import { alive, sandbox, testExecutor, waitFor, type Sandbox } from './test-support.js';
import type { ProcessRecord } from './types.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

describe('background processes', () => {
  it('reads output by offset, writes to stdin and stops with a kill report', async () => {
    const exec = testExecutor(box);
    const handle = await exec.startBackground('while read line; do echo "got $line"; done', {
      cwd: box.project,
      sessionId: 's1',
    });
    expect(handle.record).toMatchObject({ pid: handle.pid, pgid: handle.pid, sessionId: 's1', background: true });
    expect(handle.record.startTime).toBe(processStartTime(handle.pid));
    handle.write('one\n');
    await waitFor(() => handle.read().text.includes('got one'));
    const first = handle.read();
    handle.write('two\n');
    await waitFor(() => handle.read(first.nextOffset).text !== '');
    expect(handle.read(first.nextOffset)).toMatchObject({ text: 'got two\n', truncated: false });
    const report = await handle.stop();
    expect(report.endedBy).toBe('SIGINT');
    const result = await handle.exited;
    expect(result).toMatchObject({ partial: true, partialReason: 'stopped' });
    expect(result.output.tail.map((l) => l.text)).toEqual(['got one', 'got two']);
    expect(alive(handle.pid)).toBe(false);
    expect(() => handle.write('late\n')).toThrow(/input is closed/);
  });

  it('stopSession stops only that session, stopAll the rest; none outlives its owner', async () => {
    const exec = testExecutor(box, { slots: new BoundedSlotPool(8) });
    const a1 = await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 'a' });
    const a2 = await exec.startBackground('sleep 30 & sleep 30', { cwd: box.project, sessionId: 'a' });
    const b = await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 'b' });
    expect(
      exec.registry
        .records()
        .map((r) => r.sessionId)
        .sort(),
    ).toEqual(['a', 'a', 'b']);
    const reports = await exec.registry.stopSession('a');
    expect(reports).toHaveLength(2);
    expect(alive(a1.pid) || alive(a2.pid)).toBe(false);
    expect(alive(b.pid)).toBe(true);
    expect(exec.registry.list('a')).toEqual([]);
    await exec.close();
    expect(alive(b.pid)).toBe(false);
    expect(exec.registry.list()).toEqual([]);
  });

  it('limits background processes per session', async () => {
    const exec = testExecutor(box, { registry: new ProcessRegistry({ maxPerSession: 1 }) });
    await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 's' });
    await expect(exec.startBackground('sleep 30', { cwd: box.project, sessionId: 's' })).rejects.toMatchObject({
      code: 'tools.too_many_background',
    });
    await exec.registry.stopAll();
  });

  it('refuses to start a program that does not exist', async () => {
    await expect(
      testExecutor(box).startBackground('no-such-program-xyz', { cwd: box.project, sessionId: 's' }),
    ).rejects.toMatchObject({
      code: 'tools.spawn_failed',
    });
  });
});

describe('killLeftovers', () => {
  it('kills a recorded group whose leader is the same process, skips recycled and gone pids', async () => {
    const records: ProcessRecord[] = [];
    const exec = testExecutor(box, { processLog: { spawned: (r) => records.push(r), exited: () => undefined } });
    // Simulates processes left by a crashed daemon.
    const survivor = await exec.startBackground('sleep 30 & exec sleep 30', { cwd: box.project, sessionId: 's' });
    const recycled = await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 's' });
    expect(records.map((r) => r.pid)).toEqual([survivor.pid, recycled.pid]);
    const fakeReuse = { ...records[1]!, startTime: '1' }; // same pid, different start: not ours any more
    const gone = { ...records[0]!, pid: 2 ** 22 + 1, pgid: 2 ** 22 + 1 };
    const report = await killLeftovers([records[0]!, fakeReuse, gone], { termWaitMs: 200 });
    expect(report.killed.map((r) => r.pid)).toEqual([survivor.pid]);
    expect(report.skipped.map((s) => s.reason)).toEqual(['pid reused', 'gone']);
    await waitFor(() => !alive(survivor.pid));
    expect(alive(recycled.pid)).toBe(true);
    await exec.registry.stopAll();
  });
});

describe('process registry', () => {
  it('keeps ended processes for reading, tells onExit once, and counts only running ones', async () => {
    const exits: Array<{ id: string; code: number | null; stopped: boolean }> = [];
    const registry = new ProcessRegistry({
      keepEnded: 1,
      onExit: (h, r) => exits.push({ id: h.id, code: r.exitCode, stopped: h.stopRequested }),
    });
    const exec = testExecutor(box, { registry });
    const quick = await exec.startBackground('sh -c "echo done; exit 4"', { cwd: box.project, sessionId: 's' });
    const slow = await exec.startBackground('sleep 30', { cwd: box.project, sessionId: 's' });
    await quick.exited;
    await waitFor(() => exits.length === 1);
    expect(registry.get(quick.id)?.result?.exitCode).toBe(4);
    expect(registry.get(quick.id)?.read().text).toBe('done\n');
    expect(registry.list('s').map((h) => h.id)).toEqual([slow.id]);
    expect(registry.listWithEnded('s').map((h) => h.id)).toEqual([slow.id, quick.id]);
    await exec.close();
    await waitFor(() => exits.length === 2);
    expect(exits).toEqual([
      { id: quick.id, code: 4, stopped: false },
      { id: slow.id, code: null, stopped: true },
    ]);
    // keepEnded: 1 — the older ended one is no longer held.
    expect(registry.get(quick.id)).toBeUndefined();
    expect(registry.listWithEnded().map((h) => h.id)).toEqual([slow.id]);
  });
});
