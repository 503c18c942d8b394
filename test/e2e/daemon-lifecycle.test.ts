import { describe, expect, it } from 'vitest';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  exited,
  parseJson,
  runCli,
  runSylkd,
  startForeground,
  waitFor,
  daemonPidsOf,
  useHomes,
} from '../helpers/sylk.js';

const home = useHomes();

describe('sylkd lifecycle', () => {
  it('start → status → stop through the CLI', async () => {
    const h = home();
    const start = await runCli(['daemon', 'start', '--json'], { env: h.env });
    expect(start.code, start.stderr).toBe(0);
    const started = parseJson<{ started: boolean; pid: number }>(start.stdout);
    expect(started.started).toBe(true);

    const status = await runCli(['daemon', 'status', '--json'], { env: h.env });
    expect(status.code, status.stderr).toBe(0);
    const s = parseJson<{
      running: boolean;
      pid: number;
      state: string;
      socket: string;
      storage: { schemaVersion: number; journalMode: string };
    }>(status.stdout);
    expect(s).toMatchObject({ running: true, pid: started.pid, state: 'ready', socket: h.socket });
    expect(s.storage.schemaVersion).toBeGreaterThanOrEqual(1);
    expect(s.storage.journalMode).toBe('wal');
    expect(existsSync(join(h.home, 'data', 'system.db'))).toBe(true);

    const again = await runCli(['daemon', 'start', '--json'], { env: h.env });
    expect(parseJson<{ started: boolean; pid: number }>(again.stdout)).toMatchObject({
      started: false,
      pid: started.pid,
    });

    const stop = await runCli(['daemon', 'stop', '--json'], { env: h.env });
    expect(stop.code, stop.stderr).toBe(0);
    expect(parseJson(stop.stdout)).toMatchObject({ stopped: true, pid: started.pid });
    expect(existsSync(h.socket)).toBe(false);
    expect(existsSync(join(h.home, 'run', 'sylkd.lock'))).toBe(false);

    const after = await runCli(['daemon', 'status', '--json'], { env: h.env });
    expect(after.code).toBe(3);
    expect(parseJson(after.stdout)).toMatchObject({ running: false });
  });

  it('refuses a second instance and names the running pid', async () => {
    const h = home();
    const first = await startForeground(h);
    const second = await runSylkd(['--foreground'], { env: h.env });
    expect(second.code).toBe(3);
    expect(second.stderr).toContain(`already running (pid ${first.pid}`);
    // The first one is untouched.
    const status = await runCli(['daemon', 'status', '--json'], { env: h.env });
    expect(parseJson<{ pid: number }>(status.stdout).pid).toBe(first.pid);
  });

  it('recovers from kill -9: stale lock and socket are cleaned on the next start', async () => {
    const h = home();
    const first = await startForeground(h);
    first.kill('SIGKILL');
    await exited(first);
    expect(existsSync(h.socket)).toBe(true); // left behind
    expect(existsSync(join(h.home, 'run', 'sylkd.lock'))).toBe(true);

    const second = await startForeground(h);
    expect(second.pid).not.toBe(first.pid);
    const status = await runCli(['daemon', 'status', '--json'], { env: h.env });
    const s = parseJson<{ pid: number; components: { name: string; state: string }[] }>(status.stdout);
    expect(s.pid).toBe(second.pid);
    expect(s.components).toContainEqual(expect.objectContaining({ name: 'recovery', state: 'recovered' }));
    const lock = parseJson<{ pid: number }>(readFileSync(join(h.home, 'run', 'sylkd.lock'), 'utf8'));
    expect(lock.pid).toBe(second.pid);
  });

  it('SIGTERM shuts down gracefully and removes socket, lock and running marker', async () => {
    const h = home();
    const d = await startForeground(h);
    d.kill('SIGTERM');
    expect(await exited(d)).toBe(0);
    expect(existsSync(h.socket)).toBe(false);
    expect(existsSync(join(h.home, 'run', 'sylkd.lock'))).toBe(false);
    expect(existsSync(join(h.home, 'state', 'sylkd.running'))).toBe(false);
    const log = readFileSync(join(h.home, 'state', 'logs', 'current.log'), 'utf8');
    expect(log).toContain('sylkd shutting down');
    expect(log).toContain('signal SIGTERM');
  });

  it('reloads config on SIGHUP and on file edits', async () => {
    const h = home();
    const configFile = join(h.home, 'config', 'config.yaml');
    mkdirSync(join(h.home, 'config'), { recursive: true });
    writeFileSync(configFile, 'llm:\n  timeout: 111\n');
    const d = await startForeground(h);
    const get = async () =>
      parseJson<{ value: number }>((await runCli(['config', 'get', 'llm.timeout', '--json'], { env: h.env })).stdout)
        .value;
    expect(await get()).toBe(111);

    // File edit: picked up by the watcher without any signal.
    writeFileSync(configFile, 'llm:\n  timeout: 222\n');
    await waitFor(async () => (await get()) === 222, 10_000, 'file-change reload');

    // SIGHUP: reload on demand (e.g. after editing through a symlink the watcher cannot see).
    writeFileSync(configFile, 'llm:\n  timeout: 333\n');
    d.kill('SIGHUP');
    await waitFor(async () => (await get()) === 333, 10_000, 'SIGHUP reload');
    const log = readFileSync(join(h.home, 'state', 'logs', 'current.log'), 'utf8');
    expect(log).toMatch(/"reason":"file change: [^"]*config\.yaml"/);
    expect(log).toContain('"reason":"SIGHUP"');
  });

  it('keeps running on a broken config file and reports the warning', async () => {
    const h = home();
    mkdirSync(join(h.home, 'config'), { recursive: true });
    writeFileSync(join(h.home, 'config', 'config.yaml'), 'llm:\n  timeout: "soon"\n  bogus_key: 1\n');
    await startForeground(h);
    const status = parseJson<{ daemon: { config: { warnings: { file: string; path: string; reason: string }[] } } }>(
      (await runCli(['status', '--json'], { env: h.env })).stdout,
    );
    const warnings = status.daemon.config.warnings;
    expect(warnings.map((w) => w.path)).toEqual(expect.arrayContaining(['llm.timeout', 'llm.bogus_key']));
    expect(warnings.every((w) => w.file.endsWith('config.yaml'))).toBe(true);
    const timeout = parseJson<{ value: number }>(
      (await runCli(['config', 'get', 'llm.timeout', '--json'], { env: h.env })).stdout,
    );
    expect(timeout.value).toBe(600);
  });
});

describe('socket security', () => {
  it('creates the socket directory 0700 and the socket 0600', async () => {
    const h = home();
    await startForeground(h);
    expect(statSync(join(h.home, 'run')).mode & 0o777).toBe(0o700);
    expect(statSync(h.socket).mode & 0o777).toBe(0o600);
    expect(statSync(h.socket).isSocket()).toBe(true);
  });

  it('refuses to start in a group/world-writable socket directory', async () => {
    const h = home();
    const unsafe = join(h.home, 'shared');
    mkdirSync(unsafe);
    chmodSync(unsafe, 0o777);
    const env = { ...h.env, SYLK_SOCKET: join(unsafe, 'sylkd.sock') };
    const r = await runSylkd(['--foreground'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /refusing to listen: socket directory .*shared is writable by group and others \(mode 777\)/,
    );
    expect(existsSync(join(unsafe, 'sylkd.sock'))).toBe(false);
    expect(daemonPidsOf(h.home)).toEqual([]);
  });

  it('opens no TCP listener', async () => {
    const h = home();
    const d = await startForeground(h);
    const fds = readFileSync(`/proc/${d.pid}/net/tcp`, 'utf8') + readFileSync(`/proc/${d.pid}/net/tcp6`, 'utf8');
    // Listening sockets (state 0A) in the daemon's network namespace that belong to it: check via its fd inodes.
    const { readdirSync, readlinkSync } = await import('node:fs');
    const inodes = new Set(
      readdirSync(`/proc/${d.pid}/fd`)
        .map((fd) => {
          try {
            return readlinkSync(`/proc/${d.pid}/fd/${fd}`);
          } catch {
            return '';
          }
        })
        .filter((l) => l.startsWith('socket:['))
        .map((l) => l.slice(8, -1)),
    );
    const listening = fds
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((cols) => cols[3] === '0A' && inodes.has(cols[9] ?? ''));
    expect(listening).toEqual([]);
  });
});
