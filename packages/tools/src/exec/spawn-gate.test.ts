import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { canStart, gatedSpawn } from './spawn-gate.js';
import { sandbox, testExecutor, type Sandbox } from './test-support.js';
import type { ProcessRecord } from './types.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

/** Blocks this thread (a record write that takes long): a command not held would run meanwhile. */
const stall = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

describe('spawn gate', () => {
  it('runs nothing when the gate closes without the go line (the daemon died before recording)', async () => {
    const marker = join(box.project, 'ran');
    const spawn = gatedSpawn({ file: 'touch', args: [marker] });
    const child = execa(spawn.file, spawn.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], reject: false });
    (child.stdio[3] as NodeJS.WritableStream & { destroy(): void }).destroy();
    const result = await child;
    expect(result.exitCode).toBe(125);
    expect(existsSync(marker)).toBe(false);
  });

  it('execs the command in place once released: same pid, arguments intact, fd 3 closed', async () => {
    const spawn = gatedSpawn({
      file: 'sh',
      args: ['-c', 'echo "$$ $1"; test -e /dev/fd/3 && echo fd3 open', 'sh', 'a b'],
    });
    const child = execa(spawn.file, spawn.args, { stdio: ['ignore', 'pipe', 'pipe', 'pipe'], reject: false });
    (child.stdio[3] as NodeJS.WritableStream).end('\n');
    const result = await child;
    expect(result.stdout).toBe(`${child.pid} a b`);
  });

  it('holds a recorded command until its record is written', async () => {
    const records: ProcessRecord[] = [];
    const seenAtRecord: boolean[] = [];
    const marker = join(box.project, 'ran');
    const exec = testExecutor(box, {
      processLog: {
        spawned: (record) => {
          records.push(record);
          stall(300);
          seenAtRecord.push(existsSync(marker));
        },
        exited: () => undefined,
      },
    });
    const result = await exec.run(`touch ${marker}`, { cwd: box.project });
    expect(result.exitCode).toBe(0);
    expect(seenAtRecord).toEqual([false]);
    expect(existsSync(marker)).toBe(true);
    expect(records[0]?.pid).toBe(result.pid);
  });

  it('holds a command, foreground or background, while its record is written off the event loop', async () => {
    const pending: Array<{ record: ProcessRecord; write: () => void }> = [];
    const order: string[] = [];
    const exec = testExecutor(box, {
      processLog: {
        spawned: (record) => new Promise<void>((resolve) => pending.push({ record, write: resolve })),
        exited: (record) => order.push(`exited ${record.background ? 'background' : 'foreground'}`),
      },
    });
    const marker = join(box.project, 'ran');
    const run = exec.run(`touch ${marker}`, { cwd: box.project });
    await expect.poll(() => pending.length).toBe(1);
    await new Promise((r) => setTimeout(r, 200)); // the loop is free: a command not held would run meanwhile
    expect(existsSync(marker)).toBe(false);
    pending[0]?.write();
    expect((await run).exitCode).toBe(0);
    expect(existsSync(marker)).toBe(true);

    const background = join(box.project, 'bg');
    const handle = await exec.startBackground(`touch ${background}`, { cwd: box.project, sessionId: 's' });
    await expect.poll(() => pending.length).toBe(2);
    await new Promise((r) => setTimeout(r, 200));
    expect(existsSync(background)).toBe(false);
    pending[1]?.write();
    expect((await handle.exited).exitCode).toBe(0);
    expect(existsSync(background)).toBe(true);
    expect(order).toEqual(['exited foreground', 'exited background']);
  });

  it('never runs a command, foreground or background, stopped while its record was written', async () => {
    const pending: Array<() => void> = [];
    const exec = testExecutor(box, {
      processLog: { spawned: () => new Promise<void>((resolve) => pending.push(resolve)), exited: () => undefined },
    });
    const marker = join(box.project, 'ran');
    const run = exec.run(`touch ${marker}`, { cwd: box.project, agentId: 'a' });
    await expect.poll(() => pending.length).toBe(1);
    const cancelled = exec.cancelAll({ agentId: 'a' });
    pending[0]?.();
    expect(await run).toMatchObject({ partial: true, partialReason: 'cancelled by user' });
    await cancelled;
    expect(existsSync(marker)).toBe(false);

    const background = join(box.project, 'bg');
    const handle = await exec.startBackground(`touch ${background}`, { cwd: box.project, sessionId: 's' });
    await expect.poll(() => pending.length).toBe(2);
    const stopped = handle.stop();
    pending[1]?.();
    await stopped;
    expect((await handle.exited).partial).toBe(true);
    expect(existsSync(background)).toBe(false);
  });

  it('keeps the plain spawn error for a command that would not start', async () => {
    const exec = testExecutor(box, { processLog: { spawned: () => undefined, exited: () => undefined } });
    const missing = await exec.run('no-such-command-xyz', { cwd: box.project });
    expect(missing.exitCode).toBe(127);
    expect(missing.message).toBe('command not found: no-such-command-xyz');
    writeFileSync(join(box.project, 'script.sh'), '#!/bin/sh\necho hi\n');
    const denied = await exec.run('./script.sh', { cwd: box.project });
    expect(denied.exitCode).toBe(126);
    expect(denied.message).toBe('permission denied: ./script.sh');
  });

  it('finds programs the way spawn does', () => {
    const script = join(box.project, 'tool');
    writeFileSync(script, '#!/bin/sh\n');
    expect(canStart('./tool', box.project, '')).toBe(false);
    chmodSync(script, 0o755);
    expect(canStart('./tool', box.project, '')).toBe(true);
    expect(canStart('tool', '/', box.project)).toBe(true);
    expect(canStart('tool', '/', `/nonexistent:${box.outside}`)).toBe(false);
    expect(canStart('sh', box.project, process.env.PATH)).toBe(true);
    expect(canStart(box.project, '/', '')).toBe(false); // a directory
  });
});
