// Backups and integrity through the real sylkd + sylk: `sylk backup`, a system.db damaged while
// the daemon is stopped, and the next start restoring it from the newest good backup.
import { closeSync, existsSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseJson, runCli, useHomes } from '../helpers/sylk.js';

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

/** Overwrites the start (b-tree page headers) of pages 2..4 with garbage, as a bad disk or a stray write would. */
function corruptPages(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    for (let page = 2; page <= 4; page++) writeSync(fd, Buffer.alloc(1024, 0x5a), 0, 1024, (page - 1) * 4096);
  } finally {
    closeSync(fd);
  }
}

describe('backup and restore', () => {
  it('backs up, detects a damaged system.db at start, restores it and says so', async () => {
    const h = home();
    const cli = async (args: string[]) => {
      const r = await runCli([...args, '--json'], { env: h.env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      return r.stdout;
    };
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
});
