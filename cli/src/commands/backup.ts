import type { Command } from 'commander';
import type { BackupFile } from '@sylk/proto/daemon';
import { connectDaemon, locate, startDaemon } from '../connection.js';
import { emit, style, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';
import { stopDaemon } from './daemon.js';

function backupJson(b: BackupFile) {
  return {
    database: b.database,
    path: b.path,
    bytes: Number(b.bytes),
    createdAt: new Date(Number(b.createdAtUnixMs)).toISOString(),
    schemaVersion: b.schemaVersion,
  };
}

function renderBackups(list: readonly BackupFile[], st: Style, empty: string): string {
  if (list.length === 0) return empty;
  return list
    .map(
      (b) =>
        `${b.database.padEnd(24)} ${new Date(Number(b.createdAtUnixMs)).toISOString()}  ${String(Number(b.bytes)).padStart(10)} B  ${st.dim(b.path)}`,
    )
    .join('\n');
}

/** `sylk backup [--list]` and `sylk restore <backup>`. */
export function registerBackupCommands(program: Command, rt: Runtime): void {
  program
    .command('backup')
    .description('back up system.db and every session log now (online: sessions keep running)')
    .option('--list', 'list the backups instead, newest first')
    .action(async (o: { list?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      try {
        const st = style(rt.color(opts));
        if (o.list) {
          const { backups } = await conn.daemon.listBackups({});
          emit(opts, { backups: backups.map(backupJson) }, () =>
            renderBackups(backups, st, 'no backups yet: `sylk backup` takes one'),
          );
          return;
        }
        const { backups } = await conn.daemon.backupNow({}, { timeoutMs: 600_000 });
        emit(
          opts,
          { backups: backups.map(backupJson) },
          () => `${renderBackups(backups, st, 'nothing to back up')}\n${backups.length} database(s) backed up`,
        );
      } finally {
        conn.close();
      }
    });

  program
    .command('restore')
    .description(
      'replace a database with one of its backups (checked first); restarts sylkd, refused while a turn runs',
    )
    .argument('<backup>', 'a backup path from `sylk backup --list`')
    .action(async (backup: string, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      let database: string;
      try {
        // The daemon checks the backup and stages it; the swap happens at its next start, when
        // nothing has the file open, so a restore never meets a live connection.
        database = (await conn.daemon.restoreBackup({ backup }, { timeoutMs: 120_000 })).database;
      } finally {
        conn.close();
      }
      await stopDaemon(rt, opts);
      await startDaemon(locate(opts, rt.env), rt.env);
      const after = await connectDaemon(opts, rt.env, false);
      try {
        const s = await after.daemon.status({});
        const restores = s.storage?.restores ?? [];
        emit(
          opts,
          { restored: database, backup, pid: s.pid, restores },
          () => `${database} restored from ${backup}; sylkd restarted (pid ${s.pid})`,
        );
      } finally {
        after.close();
      }
    });
}
