import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Database } from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, SylkError } from '@sylk/core';
import { EventLogs } from './event-logs.js';
import type { EventLog } from './event-log.js';
import { tempDir } from './test-support/harness.js';

let dir: ReturnType<typeof tempDir>;
let logs: EventLogs | undefined;
beforeEach(() => {
  dir = tempDir('sylk-reserve-');
});
afterEach(async () => {
  await logs?.close();
  logs = undefined;
  dir.remove();
});

/** Caps the log's database at its current size: SQLite then fails writes with SQLITE_FULL, as on a full disk. */
function fillUp(log: EventLog): void {
  const raw = (log as unknown as { file: { db: { raw: Database } } }).file.db.raw;
  const pages = raw.pragma('page_count', { simple: true }) as number;
  raw.pragma(`max_page_count = ${pages}`);
}

describe('the disk reserve', () => {
  it('is held from the start, and released when an append finds the disk full', async () => {
    const clock = new ManualClock(1_000);
    logs = new EventLogs({
      dataDir: dir.path,
      clock,
      diskReserveBytes: 256 * 1024,
      backgroundCheckpoints: false,
      idleCloseMs: 0,
    });
    const reserve = join(dir.path, 'sessions', '.disk-reserve');
    expect(statSync(reserve).size).toBe(256 * 1024);

    const log = logs.get('s_full');
    await log.append('notice', { message: 'fits' });
    fillUp(log);
    const err = await log.append('notice', { message: 'x'.repeat(200_000) }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SylkError);
    expect(err).toMatchObject({ code: 'storage.disk_full', hint: expect.stringMatching(/free some disk space/i) });
    expect(existsSync(reserve)).toBe(false);
    expect(log.lastSeq).toBe(1); // nothing half-written, no gap

    // Writes succeed again: the reserve comes back, at most once per retry interval.
    const raw = (log as unknown as { file: { db: { raw: Database } } }).file.db.raw;
    raw.pragma('max_page_count = 1073741823');
    await log.append('notice', { message: 'space again' });
    expect(existsSync(reserve)).toBe(false);
    clock.advance(31_000);
    await log.append('notice', { message: 'later' });
    expect(statSync(reserve).size).toBe(256 * 1024);
  });

  it('can be turned off', () => {
    logs = new EventLogs({ dataDir: dir.path, diskReserveBytes: 0, backgroundCheckpoints: false, idleCloseMs: 0 });
    expect(existsSync(join(dir.path, 'sessions', '.disk-reserve'))).toBe(false);
  });
});
