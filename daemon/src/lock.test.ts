import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireLock, liveLockHolder, releaseLock } from './lock.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sylk-lock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('single-instance lock', () => {
  it('is taken once and refused to a second taker naming the holder', () => {
    const path = join(tmp(), 'sylkd.lock');
    const info = acquireLock(path, '/s.sock', '1.0.0');
    expect(info.pid).toBe(process.pid);
    expect(liveLockHolder(path)?.pid).toBe(process.pid);
    expect(() => acquireLock(path, '/s.sock', '1.0.0')).toThrow(/already running \(pid \d+, socket \/s\.sock\)/);
    releaseLock(path);
    expect(existsSync(path)).toBe(false);
  });

  it('reclaims a lock whose process is dead', async () => {
    const path = join(tmp(), 'sylkd.lock');
    const child = spawn('true');
    await new Promise((r) => child.once('exit', r));
    writeFileSync(path, JSON.stringify({ pid: child.pid, startTime: '1', socket: '/old', version: '0' }));
    expect(liveLockHolder(path)).toBeUndefined();
    acquireLock(path, '/new', '1.0.0');
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, socket: '/new' });
  });

  it('reclaims a lock whose pid was recycled by another process (start time differs)', () => {
    const path = join(tmp(), 'sylkd.lock');
    // Our own pid is alive, but the recorded start time is not ours: a recycled pid.
    writeFileSync(
      path,
      JSON.stringify({ pid: process.pid, startTime: 'not-our-start-time', socket: '/old', version: '0' }),
    );
    acquireLock(path, '/new', '1.0.0');
    expect(JSON.parse(readFileSync(path, 'utf8')).socket).toBe('/new');
  });

  it('treats an unreadable lock file as stale', () => {
    const path = join(tmp(), 'sylkd.lock');
    writeFileSync(path, 'garbage');
    acquireLock(path, '/new', '1.0.0');
    expect(liveLockHolder(path)?.pid).toBe(process.pid);
  });

  // Real processes racing over the built module (the test command builds first).
  it('lets exactly one of many racing processes win a stale lock', async () => {
    const dir = tmp();
    const path = join(dir, 'sylkd.lock');
    writeFileSync(path, JSON.stringify({ pid: 999_999_999, startTime: 'x', socket: '/old', version: '0' }));
    const script = `
      import { acquireLock } from ${JSON.stringify(new URL('../dist/lock.js', import.meta.url).pathname)};
      try { acquireLock(${JSON.stringify(path)}, '/racer', '1'); process.stdout.write('won'); setTimeout(() => {}, 1500); }
      catch (e) { process.stdout.write(e.code); }
    `;
    const racers = Array.from(
      { length: 6 },
      () =>
        new Promise<string>((resolve) => {
          const c = spawn(process.execPath, ['--input-type=module', '-e', script], {
            stdio: ['ignore', 'pipe', 'pipe'],
          });
          let out = '';
          c.stdout.on('data', (d: Buffer) => (out += d.toString()));
          c.on('exit', () => resolve(out));
        }),
    );
    const outcomes = await Promise.all(racers);
    expect(outcomes.filter((o) => o === 'won')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'daemon.already_running')).toHaveLength(5);
  });
});
