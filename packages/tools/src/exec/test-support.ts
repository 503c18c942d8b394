// Helpers shared by the exec/output tests (not exported from the package).
import { mkdtempSync, mkdirSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ToolExecutor, type ToolExecutorOptions } from './executor.js';

/** Alive and not a zombie (zombies linger under a PID 1 that does not reap). */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export interface Sandbox {
  base: string;
  project: string;
  outside: string;
  spool: string;
  dispose(): void;
}

export function sandbox(): Sandbox {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-exec-')));
  const project = join(base, 'project');
  const outside = join(base, 'outside');
  const spool = join(base, 'spool');
  for (const dir of [project, outside]) mkdirSync(dir);
  return { base, project, outside, spool, dispose: () => rmSync(base, { recursive: true, force: true }) };
}

/** An executor with short kill waits so tests stay fast. */
export function testExecutor(box: Sandbox, overrides: Partial<ToolExecutorOptions> = {}): ToolExecutor {
  return new ToolExecutor({
    roots: [box.project],
    baseEnv: { PATH: process.env.PATH, HOME: box.base, LANG: 'C' },
    spoolDir: box.spool,
    killWaits: { interruptMs: 400, terminateMs: 400, killMs: 1000, reapGraceMs: 50 },
    drainMs: 500,
    ...overrides,
  });
}

export async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
