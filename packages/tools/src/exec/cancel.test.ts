import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cascadeBudgets } from './cancel.js';
import { BoundedSlotPool } from './slots.js';
import { alive, sandbox, testExecutor, waitFor, type Sandbox } from './test-support.js';
import type { ProgressEvent } from './types.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

describe('cascadeBudgets', () => {
  it('gives each level 5 s less', () => {
    expect(cascadeBudgets()).toEqual({ totalMs: 30_000, agentMs: 25_000, toolMs: 20_000 });
    expect(cascadeBudgets(6000)).toEqual({ totalMs: 6000, agentMs: 1000, toolMs: 0 });
  });
});

describe('cancelAll', () => {
  it("cancels every tool of an agent, keeps partial output, leaves other agents' tools running", async () => {
    const exec = testExecutor(box);
    const started: string[] = [];
    const run = (agentId: string, command: string) =>
      exec.run(command, {
        cwd: box.project,
        sessionId: 's',
        agentId,
        onLine: (line) => started.push(`${agentId}:${line}`),
      });
    const a1 = run('a', 'echo first-a1; exec sleep 30');
    const a2 = run('a', 'trap "" INT; echo first-a2; sleep 30');
    const b = run('b', 'echo first-b; sleep 0.5; echo done-b');
    await waitFor(() => started.length === 3);
    const progress: ProgressEvent[] = [];
    const report = await exec.cancelAll({ agentId: 'a' }, { budgetMs: 20_000, onProgress: (e) => progress.push(e) });
    expect(report.results.map((r) => r.outcome)).toEqual(['partial', 'partial']);
    for (const r of report.results) {
      expect(r.result).toMatchObject({ partial: true, partialReason: 'cancelled by user' });
      expect(r.result?.output.head[0]?.text).toMatch(/^first-a/);
      expect(alive(r.result?.pid ?? 0)).toBe(false);
    }
    expect(report.results[1]?.result?.killed?.endedBy).toBe('SIGTERM');
    expect(report.uncleaned).toEqual([]);
    expect(progress[0]?.message).toBe('Cancelling operation…');
    await expect(a1).resolves.toMatchObject({ partial: true });
    await expect(a2).resolves.toMatchObject({ partial: true });
    await expect(b).resolves.toMatchObject({ exitCode: 0, partial: false });
  });

  it('squeezes the kill sequence into the tool budget', async () => {
    // Default 5 s / 3 s stage waits; a 10.5 s total with 5 s margins leaves 0.5 s for the tool.
    const exec = testExecutor(box, { killWaits: { interruptMs: 5000, terminateMs: 3000 } });
    let ready = false;
    const run = exec.run('trap "" INT TERM; echo ready; sleep 30', {
      cwd: box.project,
      agentId: 'a',
      onLine: () => (ready = true),
    });
    await waitFor(() => ready);
    const report = await exec.cancelAll({ agentId: 'a' }, { budgetMs: 10_500 });
    const killed = report.results[0]?.result?.killed;
    expect(killed?.signalsSent).toEqual(['SIGINT', 'SIGKILL']);
    expect(killed?.endedBy).toBe('SIGKILL');
    await run;
  });

  // An undeletable path even for root: procfs refuses removals.
  it.runIf(process.platform === 'linux')(
    'removes the tool temp paths and reports what it could not clean',
    async () => {
      const exec = testExecutor(box);
      const scratch = join(box.project, 'scratch');
      mkdirSync(scratch);
      writeFileSync(join(scratch, 'f'), 'x');
      let ready = false;
      const run = exec.run('echo ready; exec sleep 30', {
        cwd: box.project,
        sessionId: 's',
        cleanupPaths: [scratch, '/proc/self/status'],
        onLine: () => (ready = true),
      });
      await waitFor(() => ready);
      const progress: string[] = [];
      const report = await exec.cancelAll({ sessionId: 's' }, { onProgress: (e) => progress.push(e.message) });
      await run;
      expect(existsSync(scratch)).toBe(false);
      expect(report.uncleaned).toHaveLength(1);
      expect(report.uncleaned[0]).toContain('/proc/self/status');
      expect(report.results[0]?.result?.uncleaned).toEqual(report.uncleaned);
      expect(progress).toEqual(['Cancelling operation…', 'Cleanup incomplete, temp files may remain']);
    },
  );

  it('cancels a call still waiting for a slot without starting it', async () => {
    const slots = new BoundedSlotPool(1);
    const exec = testExecutor(box, { slots });
    let ready = false;
    const running = exec.run('echo ready; exec sleep 30', {
      cwd: box.project,
      agentId: 'a',
      onLine: () => (ready = true),
    });
    // Only once the first holds the slot: calls prepare (cwd checks) concurrently, so the
    // second, issued at once, could otherwise take the slot first and simply finish.
    await waitFor(() => ready);
    const queued = exec.run('echo never', { cwd: box.project, agentId: 'a' });
    await waitFor(() => slots.waiting === 1);
    const report = await exec.cancelAll({ agentId: 'a' });
    expect(report.results.map((r) => r.outcome).sort()).toEqual(['not_started', 'partial']);
    await expect(queued).rejects.toMatchObject({ code: 'tools.cancelled' });
    await running;
  });
});
