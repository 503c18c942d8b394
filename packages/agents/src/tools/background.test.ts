import { afterEach, describe, expect, it } from 'vitest';
import { ProcessRegistry, ToolExecutor } from '@sylk/tools';
import { tempProject, type TempProject } from '../testing/tool-env.js';
import { processOutputTool, stopProcessTool } from './background.js';
import { runCommandTool } from './run-command.js';

let p: TempProject | undefined;
afterEach(async () => {
  await p?.env.executor.close();
  p?.cleanup();
  p = undefined;
});

function alive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

const idOf = (content: string) => /id (bg_[\w-]+)/.exec(content)?.[1] ?? '';
const TICKER = `node -e "let i=0; console.log('ready on http://localhost:1'); setInterval(() => console.log('tick ' + ++i), 20)"`;

describe('run_command background', () => {
  it('starts, returns the first lines and an id, reads on by offset and stops the group', async () => {
    p = tempProject();
    const started = await runCommandTool.run({ command: TICKER, background: true }, p.env);
    expect(started.isError).toBe(false);
    expect(started.content).toContain('ready on http://localhost:1');
    expect(started.content).toMatch(/process_output \{"id": "bg_[^"]+", "since_offset": \d+\}/);
    const id = idOf(started.content);
    const handle = p.env.executor.registry.get(id);
    expect(handle?.running).toBe(true);
    const first = await processOutputTool.run({ id, last_lines: 2 }, p.env);
    expect(first.content).toMatch(/is running \(pid \d+\); next since_offset: \d+/);
    const offset = Number(/next since_offset: (\d+)/.exec(first.content)?.[1]);
    let later = '';
    while (!/tick/.test(later)) {
      await new Promise((resolve) => setTimeout(resolve, 20));
      later = (await processOutputTool.run({ id, since_offset: offset }, p.env)).content;
    }
    expect(later).not.toContain('ready on');
    const stopped = await stopProcessTool.run({ id }, p.env);
    expect(stopped.content).toMatch(/^Stopped bg_\S+ \(node -e .*\) by SIG/);
    expect(alive(handle?.pgid ?? 0)).toBe(false);
    expect((await processOutputTool.run({ id }, p.env)).content).toContain(`${id} is stopped`);
  });

  it('reports a process that ends at once with its exit code', async () => {
    p = tempProject();
    const r = await runCommandTool.run({ command: 'sh -c "echo boom; exit 3"', background: true }, p.env);
    expect(r).toMatchObject({ isError: false, ok: false, exit: { code: 3, signal: null, timedOut: false } });
    expect(r.content).toContain('boom');
    expect(r.content).toContain('ended at once (exit code 3)');
  });

  it('asks permission exactly like a foreground command', async () => {
    p = tempProject({}, { allowed: false, message: 'not now' });
    const r = await runCommandTool.run({ command: 'sleep 30', background: true }, p.env);
    expect(r).toMatchObject({ isError: true, content: 'Permission denied: not now' });
    expect(p.env.executor.registry.list()).toEqual([]);
  });

  it('refuses another session’s ids and garbage without stopping anything', async () => {
    p = tempProject();
    const mine = idOf((await runCommandTool.run({ command: 'sleep 30', background: true }, p.env)).content);
    const theirs = idOf(
      (await runCommandTool.run({ command: 'sleep 30', background: true }, { ...p.env, sessionId: 'other' })).content,
    );
    for (const id of [theirs, 'bg_nope', '../../etc/passwd']) {
      const stop = await stopProcessTool.run({ id }, p.env);
      expect(stop.isError).toBe(true);
      expect(stop.content).toContain('in this session. Running: ' + mine);
      expect((await processOutputTool.run({ id }, p.env)).isError).toBe(true);
    }
    expect(p.env.executor.registry.get(theirs)?.running).toBe(true);
    expect(p.env.executor.registry.get(mine)?.running).toBe(true);
  });

  it('reads and reports a process the session kept from before its runtime was loaded', async () => {
    p = tempProject();
    const kept = {
      id: 'bg_kept',
      command: 'npm run dev',
      stopped: false,
      exitCode: 3,
      signal: null,
      read: async (since: number) => ({ text: 'line one\nline two\n'.slice(since), nextOffset: 18, truncated: false }),
    };
    const env = { ...p.env, endedProcess: (id: string) => (id === kept.id ? kept : undefined) };
    const out = await processOutputTool.run({ id: 'bg_kept' }, env);
    expect(out.isError).toBe(false);
    expect(out.content).toBe('line one\nline two\nbg_kept is exited with code 3; next since_offset: 18');
    const stop = await stopProcessTool.run({ id: 'bg_kept' }, env);
    expect(stop.content).toBe('bg_kept had already ended: exited with code 3.');
    expect((await processOutputTool.run({ id: 'bg_other' }, env)).isError).toBe(true);
  });

  it('says so when the session is at its limit', async () => {
    p = tempProject();
    const env = {
      ...p.env,
      executor: new ToolExecutor({
        roots: [p.root],
        baseEnv: process.env,
        spoolDir: p.root,
        registry: new ProcessRegistry({ maxPerSession: 1 }),
      }),
    };
    const ready = 'node -e "console.log(\'ready\'); setInterval(() => {}, 1000)"';
    await runCommandTool.run({ command: ready, background: true }, env);
    const r = await runCommandTool.run({ command: ready, background: true }, env);
    await env.executor.close();
    expect(r.isError).toBe(true);
    expect(r.content).toContain('already runs 1 background processes');
    expect(r.content).toContain('Stop a background process');
  });

  it('a cancelled turn leaves a started process running', async () => {
    p = tempProject();
    const abort = new AbortController();
    const pending = runCommandTool.run({ command: 'sleep 30', background: true }, { ...p.env, signal: abort.signal });
    // Cancelled while it waits for its first lines: it has started, and stays.
    while (p.env.executor.registry.list('s').length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    abort.abort();
    const id = idOf((await pending).content);
    await p.env.executor.cancelAll({ sessionId: 's' });
    expect(p.env.executor.registry.get(id)?.running).toBe(true);
  });
});
