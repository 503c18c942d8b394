import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sandbox, testExecutor, type Sandbox } from './test-support.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

/** The /proc state letter of a process (T: stopped). */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] ?? '';
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`never: ${what}`);
}

describe.skipIf(process.platform !== 'linux')('ToolExecutor.suspendRunning / resumeRunning', () => {
  it('stops a running command’s whole tree and continues it; it then finishes normally', async () => {
    // A parent in the command's group and a child that leaves it (setsid), as a sandboxed command does.
    writeFileSync(
      join(box.project, 'tree.sh'),
      "setsid sh -c 'echo $$ > child.pid; sleep 0.5; echo child-done' & echo $$ > parent.pid; wait; echo parent-done\n",
    );
    const executor = testExecutor(box);
    const run = executor.run('sh tree.sh', { cwd: box.project });
    const pidOf = (file: string) => Number(readFileSync(join(box.project, file), 'utf8'));
    await until(() => {
      try {
        return pidOf('parent.pid') > 0 && pidOf('child.pid') > 0;
      } catch {
        return false;
      }
    }, 'both started');
    expect(executor.suspendRunning()).toBe(1);
    await until(() => procState(pidOf('parent.pid')) === 'T' && procState(pidOf('child.pid')) === 'T', 'both stopped');
    // Stopped well past its own run time: nothing finishes meanwhile.
    await new Promise((r) => setTimeout(r, 800));
    expect(procState(pidOf('child.pid'))).toBe('T');
    expect(executor.resumeRunning()).toBe(1);
    const result = await run;
    expect(result.exitCode).toBe(0);
    expect(result.output.head.map((l) => l.text)).toEqual(['child-done', 'parent-done']);
  }, 20_000); // a loaded CI machine starts the shells slowly; the test itself sleeps 0.8 s

  it('a stopped command can still be cancelled', async () => {
    const executor = testExecutor(box);
    const abort = new AbortController();
    const run = executor.run('sleep 30', { cwd: box.project, signal: abort.signal });
    await until(() => executor.runningTools().length === 1, 'started');
    await new Promise((r) => setTimeout(r, 100));
    executor.suspendRunning();
    abort.abort();
    const result = await run;
    expect(result.partial).toBe(true);
    expect(result.killed?.endedBy).not.toBe('exit');
  });
});
