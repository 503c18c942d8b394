import type { Logger } from '@sylk/core';
import type { ProcessLog, ProcessRecord } from './types.js';

/** A started command's record and the write of it, which the command waits for. */
export interface RecordedSpawn {
  record: ProcessRecord;
  written: Promise<void>;
}

/**
 * `log.spawned(record)`, never rejecting: a record that cannot be written is logged and the command
 * runs anyway (the store says so itself; a crash then would leave it running).
 */
export async function recordSpawn(log: ProcessLog, record: ProcessRecord, logger: Logger): Promise<void> {
  try {
    await log.spawned(record);
  } catch (err) {
    logger.warn({ err, id: record.id }, 'processLog.spawned threw');
  }
}
