// Backups and integrity through the real sylkd + sylk: `sylk backup`, a system.db or a session log
// damaged while the daemon is stopped, and the next start restoring it from the newest good backup.
import { closeSync, existsSync, mkdirSync, openSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNdjson } from '../helpers/sessions.js';
import { parseJson, runCli, useHomes, waitFor, type SylkHome } from '../helpers/sylk.js';

const home = useHomes();

interface BackupJson {
  database: string;
  path: string;
  bytes: number;
}
interface CheckJson {
  name: string;
  status: string;
  detail: string;
}

/** Overwrites the start (b-tree page headers) of pages 2..4 (those it has) with garbage, as a bad disk or a stray write would. */
function corruptPages(path: string): void {
  const pages = Math.min(4, Math.floor(statSync(path).size / 4096));
  const fd = openSync(path, 'r+');
  try {
    for (let page = 2; page <= pages; page++) writeSync(fd, Buffer.alloc(1024, 0x5a), 0, 1024, (page - 1) * 4096);
  } finally {
    closeSync(fd);
  }
}

/** `sylk <args> --json` in that home: its stdout, once it exited 0. */
function jsonCli(h: SylkHome): (args: string[]) => Promise<string> {
  return async (args) => {
    const r = await runCli([...args, '--json'], { env: h.env });
    expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
}

describe('backup and restore', () => {
  it('backs up, detects a damaged system.db at start, restores it and says so', async () => {
    const h = home();
    const cli = jsonCli(h);
    await cli(['daemon', 'start']);
    const project = join(h.home, 'project');
    mkdirSync(project);
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) ids.push(parseJson<{ id: string }>(await cli(['new', '-C', project])).id);

    const { backups } = parseJson<{ backups: BackupJson[] }>(await cli(['backup']));
    expect(backups.map((b) => b.database).sort()).toEqual(['system', ...ids.map((id) => `session ${id}`)].sort());
    const systemBackup = backups.find((b) => b.database === 'system') as BackupJson;
    expect(existsSync(systemBackup.path)).toBe(true);
    const listed = parseJson<{ backups: BackupJson[] }>(await cli(['backup', '--list'])).backups;
    expect(listed.map((b) => b.path)).toContain(systemBackup.path);

    await cli(['daemon', 'stop']);
    const systemDb = join(h.home, 'data', 'system.db');
    corruptPages(systemDb);

    await cli(['daemon', 'start']);
    const status = parseJson<{ daemon: { components: { name: string; state: string; detail: string }[] } }>(
      await cli(['status']),
    );
    const integrity = status.daemon.components.find((c) => c.name === 'integrity');
    expect(integrity?.state).toBe('restored');
    expect(integrity?.detail).toContain('system was damaged and restored from backup');
    expect(existsSync(`${systemDb}.corrupt`)).toBe(true);
    const human = await runCli(['status'], { env: h.env });
    expect(human.stdout).toMatch(/integrity\s+restored\s+system was damaged and restored from backup system-v\d+-/);

    const doctor = await runCli(['doctor', '--json'], { env: h.env });
    const storage = parseJson<{ checks: CheckJson[] }>(doctor.stdout).checks.find((c) => c.name === 'storage');
    expect(storage).toMatchObject({ status: 'warn' });
    expect(storage?.detail).toContain('restored from backup');

    const sessions = parseJson<{ id: string }[] | { sessions: { id: string }[] }>(await cli(['ls']));
    const listedIds = (Array.isArray(sessions) ? sessions : sessions.sessions).map((s) => s.id);
    expect(listedIds.sort()).toEqual([...ids].sort());

    const onDemand = await runCli(['doctor', '--check-storage', '--json'], { env: h.env });
    const checked = parseJson<{ checks: CheckJson[] }>(onDemand.stdout).checks.find((c) => c.name === 'storage');
    expect(checked).toMatchObject({ status: 'ok' });
    expect(checked?.detail).toContain('integrity_check passed for 3 database(s)');

    // A user restore is checked, staged, and applied by the restart it triggers.
    const restored = parseJson<{ restored: string; restores: string[] }>(await cli(['restore', systemBackup.path]));
    expect(restored.restored).toBe('system');
    expect(restored.restores.join(' ')).toContain('sylk restore');
    const refused = await runCli(['restore', join(h.home, 'nope.db')], { env: h.env });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('sylk backup --list');
  });

  it('a damaged session log is restored before it opens, without holding up the start', async () => {
    const h = home();
    const cli = jsonCli(h);
    const project = join(h.home, 'project');
    mkdirSync(project);
    const { id } = parseJson<{ id: string }>(await cli(['new', '-C', project, '--name', 'kept']));
    const before = parseNdjson(await cli(['logs', id])).map((e) => e.kind);
    await cli(['backup']);
    await cli(['daemon', 'stop']);
    const log = join(h.home, 'data', 'sessions', id, 'events.db');
    expect(statSync(log).size).toBeGreaterThanOrEqual(2 * 4096);
    corruptPages(log);

    // The first thing after the start reads the log: whichever comes first, the start-up check
    // coming back or this open, restores it before anything reads it.
    await cli(['daemon', 'start']);
    const after = parseNdjson(await cli(['logs', id]));
    expect(after.map((e) => e.kind).slice(0, before.length)).toEqual(before);
    expect(existsSync(`${log}.corrupt`)).toBe(true);
    // The notice is written into the log once it is open.
    await waitFor(
      async () =>
        parseNdjson(await cli(['logs', id])).some(
          (e) =>
            e.kind === 'notice' && JSON.stringify(e).includes('failed its integrity check at start: restored events-v'),
        ),
      10_000,
      'the integrity notice in the session log',
    );
    const status = parseJson<{ daemon: { components: { name: string; state: string; detail: string }[] } }>(
      await cli(['status']),
    );
    expect(status.daemon.components.find((c) => c.name === 'integrity')).toMatchObject({
      state: 'restored',
      detail: expect.stringContaining(`session ${id} was damaged and restored from backup`),
    });
  });
});
