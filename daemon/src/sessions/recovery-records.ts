import {
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@sylk/core';
import type { ProcessRecord, ToolExecutorOptions } from '@sylk/tools';

/**
 * Every process group sylkd has running, one small fsync'd file each (`<dir>/<id>.json`),
 * written the moment the group exists and removed when it has ended. A daemon that dies
 * with `kill -9` leaves its files behind; the next one reads them to kill what is left
 * (see recovery.ts). One file per group keeps each write a create + rename, with no shared
 * file to rewrite or to corrupt.
 */
export class ProcessRecordStore {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  add(record: ProcessRecord): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(record.id);
    const tmp = `${path}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, JSON.stringify(record));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
    syncDir(this.dir);
  }

  remove(id: string): void {
    rmSync(this.pathOf(id), { force: true });
  }

  /** The records left in the directory; unreadable ones (a torn write) are dropped with a warning. */
  list(): ProcessRecord[] {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return [];
    }
    const records: ProcessRecord[] = [];
    for (const name of names) {
      const path = join(this.dir, name);
      if (!name.endsWith('.json')) {
        rmSync(path, { force: true }); // a temp file of a write cut short
        continue;
      }
      try {
        const r = JSON.parse(readFileSync(path, 'utf8')) as ProcessRecord;
        if (
          Number.isInteger(r.pid) &&
          Number.isInteger(r.pgid) &&
          typeof r.command === 'string' &&
          typeof r.id === 'string'
        )
          records.push(r);
        else throw new Error('not a process record');
      } catch (err) {
        this.logger.warn({ path, err: (err as Error).message }, 'unreadable process record; dropping it');
        rmSync(path, { force: true });
      }
    }
    return records;
  }

  /** The executor hook of one session: every group it starts is recorded with the session id. */
  processLog(
    sessionId: string,
    next?: ToolExecutorOptions['processLog'],
  ): NonNullable<ToolExecutorOptions['processLog']> {
    return {
      spawned: (record) => {
        try {
          this.add({ ...record, sessionId });
        } catch (err) {
          this.logger.error(
            { err, id: record.id },
            'could not record a process group; a crash now would leave it running',
          );
        }
        next?.spawned(record);
      },
      exited: (record) => {
        this.remove(record.id);
        next?.exited(record);
      },
    };
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Some filesystems cannot fsync a directory; the file itself is synced.
  }
}
