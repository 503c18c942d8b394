import { sleep, type Clock, type Logger } from '@sylk/core';
import { groupAlive, liveGroupMembers, signalGroup } from './process-group.js';
import type { KillReport, KillWaits, ProgressEvent } from './types.js';

export const DEFAULT_KILL_WAITS: KillWaits = { interruptMs: 5000, terminateMs: 3000, killMs: 2000, reapGraceMs: 100 };

/** What the kill sequence needs to know about the process it stops. */
export interface KillTarget {
  pgid: number;
  tool: string;
  /** Resolves true when the leader exited within `ms`. */
  waitForExit(ms: number): Promise<boolean>;
  hasExited(): boolean;
}

export interface KillSequenceOptions {
  waits: KillWaits;
  /** Monotonic time by which the sequence should be over; stages shrink to fit, then SIGKILL. */
  deadline?: number;
  clock: Clock;
  logger: Logger;
  onProgress?: (event: ProgressEvent) => void;
}

/** A stage with less time than this left is skipped: the signal could not take effect anyway. */
const MIN_STAGE_MS = 20;

type Stage = { signal: 'SIGINT' | 'SIGTERM' | 'SIGKILL'; waitMs: number; progress: (tool: string) => ProgressEvent };

/**
 * SIGINT → wait → SIGTERM → wait → SIGKILL, always to the whole process group. Each wait is cut
 * to what remains before the deadline; with nothing left the sequence goes straight to SIGKILL.
 */
export async function runKillSequence(target: KillTarget, options: KillSequenceOptions): Promise<KillReport> {
  const { clock, waits } = options;
  const started = clock.monotonic();
  const signalsSent: string[] = [];
  const report = (endedBy: KillReport['endedBy']): KillReport => ({
    signalsSent,
    endedBy,
    durationMs: clock.monotonic() - started,
    leftoversKilled: 0,
  });
  if (target.hasExited()) return report('exit');
  const stages: Stage[] = [
    {
      signal: 'SIGINT',
      waitMs: waits.interruptMs,
      progress: (t) => ({ kind: 'stopping', tool: t, message: `Stopping ${t}…` }),
    },
    {
      signal: 'SIGTERM',
      waitMs: waits.terminateMs,
      progress: (t) => ({ kind: 'force_stopping', tool: t, message: `Force stopping ${t}…` }),
    },
    {
      signal: 'SIGKILL',
      waitMs: waits.killMs ?? 2000,
      progress: (t) => ({ kind: 'killed', tool: t, message: `Killed ${t}` }),
    },
  ];
  for (const stage of stages) {
    const remaining = options.deadline === undefined ? Infinity : options.deadline - clock.monotonic();
    const isLast = stage.signal === 'SIGKILL';
    if (!isLast && remaining < MIN_STAGE_MS) continue; // out of budget: skip to SIGKILL
    if (target.hasExited()) return report(lastSignal(signalsSent));
    emit(options, stage.progress(target.tool));
    if (!signalGroup(target.pgid, stage.signal) && !target.hasExited()) {
      // The group vanished between checks; the leader's exit is on its way.
      await target.waitForExit(stage.waitMs);
      return report(lastSignal(signalsSent));
    }
    signalsSent.push(stage.signal);
    const waitMs = isLast ? stage.waitMs : Math.min(stage.waitMs, remaining);
    if (await target.waitForExit(waitMs)) return report(stage.signal);
  }
  options.logger.error({ pgid: target.pgid, tool: target.tool }, 'process survived SIGKILL');
  return report('unkillable');
}

function lastSignal(sent: string[]): KillReport['endedBy'] {
  return (sent[sent.length - 1] as KillReport['endedBy'] | undefined) ?? 'exit';
}

function emit(options: KillSequenceOptions, event: ProgressEvent): void {
  try {
    options.onProgress?.(event);
  } catch (err) {
    options.logger.warn({ err }, 'progress callback threw');
  }
}

/**
 * After the leader is gone, make sure nothing of its group survives (a grandchild ignoring
 * signals, a forgotten `&`): give members `graceMs` to go, then SIGKILL the group.
 * Returns how many live members had to be killed.
 */
export async function reapGroup(pgid: number, graceMs: number, killWaitMs = 1000): Promise<number> {
  if (!groupAlive(pgid)) return 0;
  for (let waited = 0; waited < graceMs; waited += 20) {
    await sleep(20);
    if (!groupAlive(pgid)) return 0;
  }
  const members = process.platform === 'linux' ? liveGroupMembers(pgid).length : 1;
  signalGroup(pgid, 'SIGKILL');
  for (let waited = 0; waited < killWaitMs && groupAlive(pgid); waited += 10) await sleep(10);
  return members;
}
