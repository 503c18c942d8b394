import { isProcessAlive, processStartTime, silentLogger, sleep, type Logger } from '@sylk/core';
import { groupAlive, signalGroup } from './process-group.js';
import type { ProcessRecord } from './types.js';

export interface LeftoverReport {
  killed: ProcessRecord[];
  skipped: Array<{ record: ProcessRecord; reason: 'gone' | 'pid reused' | 'no start time' }>;
}

/**
 * After a daemon crash: kill the process groups recorded by the previous daemon, but only
 * those that are provably the same: a leader whose start time is unchanged (never a recycled
 * pid), or, when the leader has exited, a group still holding its id (a background child that
 * outlived its shell: the kernel does not hand out a pid that is still some group's id).
 */
export async function killLeftovers(
  records: readonly ProcessRecord[],
  { logger = silentLogger(), termWaitMs = 500 }: { logger?: Logger; termWaitMs?: number } = {},
): Promise<LeftoverReport> {
  const report: LeftoverReport = { killed: [], skipped: [] };
  const toKill: ProcessRecord[] = [];
  for (const record of records) {
    if (!isProcessAlive(record.pid)) {
      if (record.pgid === record.pid && groupAlive(record.pgid)) toKill.push(record);
      else report.skipped.push({ record, reason: 'gone' });
    } else if (record.startTime === undefined) report.skipped.push({ record, reason: 'no start time' });
    else if (processStartTime(record.pid) !== record.startTime) report.skipped.push({ record, reason: 'pid reused' });
    else toKill.push(record);
  }
  // Nobody is waiting for these results any more: a short SIGTERM grace, then SIGKILL.
  for (const record of toKill) signalGroup(record.pgid, 'SIGTERM');
  for (let waited = 0; waited < termWaitMs && toKill.some((r) => groupAlive(r.pgid)); waited += 20) await sleep(20);
  for (const record of toKill) {
    if (groupAlive(record.pgid)) signalGroup(record.pgid, 'SIGKILL');
    logger.info({ pid: record.pid, command: record.command }, 'killed leftover process group');
    report.killed.push(record);
  }
  return report;
}
