import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startDetachedDaemon } from './daemon-launch.js';
import { isSylkError } from './errors.js';

let dir: string;
const started: number[] = [];
afterEach(() => {
  for (const pid of started.splice(0)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A stand-in for sylkd: a script that reports (or not) the way `sylkd --foreground` does. */
function entry(body: string): string {
  dir = mkdtempSync(join(tmpdir(), 'sylk-launch-'));
  const path = join(dir, 'fake-sylkd.cjs');
  writeFileSync(path, body);
  return path;
}

async function failure(p: Promise<unknown>): Promise<{ code: string; message: string; hint?: string }> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!isSylkError(err)) throw new Error(`expected a SylkError, got ${String(err)}`);
  return { code: err.code, message: err.message, hint: err.hint };
}

describe('startDetachedDaemon', () => {
  it('resolves with the pid and socket it reports, and leaves it running in its own session', async () => {
    const path = entry(
      "process.send({ type: 'ready', pid: process.pid, socket: '/s.sock' }); process.disconnect();" +
        "process.stdout.write(['args', JSON.stringify(process.execArgv), process.argv[2]].join(' ') + '\\n'); setTimeout(() => {}, 60_000);",
    );
    const out = join(dir, 'sylkd.out');
    const ready = await startDetachedDaemon({ entry: path, env: { PATH: process.env.PATH }, logsDir: dir });
    started.push(ready.pid);
    expect(ready.socket).toBe('/s.sock');
    expect(() => process.kill(ready.pid, 0)).not.toThrow();
    // setsid: its own process group, so the starter's terminal signals do not reach it.
    if (process.platform !== 'linux') return;
    const stat = readFileSync(`/proc/${ready.pid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2])).toBe(ready.pid);
    for (let i = 0; i < 100 && !readFileSync(out, 'utf8').includes('args'); i++)
      await new Promise((r) => setTimeout(r, 20));
    expect(readFileSync(out, 'utf8')).toContain('args ["--max-semi-space-size=4"] --foreground');
  });

  it('rejects with the reason and hint the daemon reports, and tells "already running" apart', async () => {
    const report = (code: number) =>
      `process.send({ type: 'failed', message: 'socket in use', hint: 'stop the other one', code: ${code} }, () => process.exit(${code}));`;
    const failed = await failure(startDetachedDaemon({ entry: entry(report(1)), env: {}, logsDir: dir }));
    expect(failed).toEqual({ code: 'daemon.start_failed', message: 'socket in use', hint: 'stop the other one' });
    rmSync(dir, { recursive: true, force: true });
    const running = await failure(startDetachedDaemon({ entry: entry(report(3)), env: {}, logsDir: dir }));
    expect(running.code).toBe('daemon.already_running');
  });

  it('rejects when it exits without reporting, or reports nothing in time', async () => {
    const crashed = await failure(startDetachedDaemon({ entry: entry('process.exit(7)'), env: {}, logsDir: dir }));
    expect(crashed.code).toBe('daemon.start_failed');
    expect(crashed.message).toContain('exit 7');
    rmSync(dir, { recursive: true, force: true });
    const path = entry('setTimeout(() => {}, 2_000)'); // ends by itself: its pid is not known here
    const silent = await failure(startDetachedDaemon({ entry: path, env: {}, logsDir: dir, timeoutMs: 300 }));
    expect(silent.code).toBe('daemon.start_timeout');
    expect(silent.message).toContain(join(dir, 'sylkd.out'));
  });
});
