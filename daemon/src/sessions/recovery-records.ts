import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@sylk/core';
import type { ProcessLog, ProcessRecord } from '@sylk/tools';

/**
 * Every process group sylkd has running, one small fsync'd file each (`<dir>/<id>.json`),
 * written the moment the group exists and removed when it has ended. A daemon that dies
 * with `kill -9` leaves its files behind; the next one reads them to kill what is left
 * (see recovery.ts). One file per group keeps each write a create + rename, with no shared
 * file to rewrite or to corrupt. The writes run off the event loop (two fsyncs each, which a
 * busy disk can make long, stalled every stream sylkd relays); the executor holds the command
 * until its record is written.
 */
export class ProcessRecordStore {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
  ) {}

  async add(record: ProcessRecord): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const path = this.pathOf(record.id);
    const tmp = `${path}.tmp`;
    const file = await open(tmp, 'w', 0o600);
    try {
      await file.writeFile(JSON.stringify(record));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, path);
    await syncDir(this.dir);
  }

  async remove(id: string): Promise<void> {
    await rm(this.pathOf(id), { force: true });
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
  processLog(sessionId: string, next?: ProcessLog): ProcessLog {
    return {
      spawned: async (record) => {
        try {
          await this.add({ ...record, sessionId });
        } catch (err) {
          this.logger.error(
            { err, id: record.id },
            'could not record a process group; a crash now would leave it running',
          );
        }
        await next?.spawned(record);
      },
      exited: (record) => {
        this.remove(record.id).catch((err: unknown) =>
          this.logger.warn({ err, id: record.id }, 'could not remove the record of an ended process group'),
        );
        next?.exited(record);
      },
    };
  }

  private pathOf(id: string): string {
    return join(this.dir, `${id.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
  }
}

async function syncDir(dir: string): Promise<void> {
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // Some filesystems cannot fsync a directory; the file itself is synced.
  }
}
