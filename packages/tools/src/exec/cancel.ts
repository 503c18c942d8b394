import { rm } from 'node:fs/promises';
import { errorMessage } from '@sylk/core';
import { groupAlive, signalGroup } from './process-group.js';
import type { ExecResult, ProgressEvent } from './types.js';

export interface CancelOptions {
  /** Whole cancellation budget (default 30 s). */
  budgetMs?: number;
  /** Each level down gets 5 s less: agent = total − margin, tool = agent − margin. */
  stageMarginMs?: number;
  onProgress?: (event: ProgressEvent) => void;
}

export interface CancelBudgets {
  totalMs: number;
  agentMs: number;
  toolMs: number;
}

export function cascadeBudgets(totalMs = 30_000, marginMs = 5_000): CancelBudgets {
  const agentMs = Math.max(0, totalMs - marginMs);
  return { totalMs, agentMs, toolMs: Math.max(0, agentMs - marginMs) };
}

export interface CancelOutcome {
  id: string;
  command: string;
  /** complete: finished before the cancel bit; partial: stopped, output kept; timeout: still not done at budget end. */
  outcome: 'complete' | 'partial' | 'timeout' | 'not_started';
  result?: ExecResult;
}

export interface CancelReport {
  results: CancelOutcome[];
  /** What could not be cleaned up (live group members, temp paths, overruns). */
  uncleaned: string[];
  durationMs: number;
}

/**
 * Best-effort cleanup after a stopped command: leftover group members and the call's temp
 * paths. Returns what remains; never throws.
 */
export async function cleanupAfterStop(pgid: number, tool: string, paths: readonly string[]): Promise<string[]> {
  const left: string[] = [];
  if (pgid > 1 && groupAlive(pgid)) {
    signalGroup(pgid, 'SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (groupAlive(pgid)) left.push(`process group ${pgid} (${tool}) still has live members`);
  }
  await Promise.all(
    paths.map(async (path) => {
      try {
        await rm(path, { recursive: true, force: true, maxRetries: 2 });
      } catch (err) {
        left.push(`temp path ${path}: ${errorMessage(err)}`);
      }
    }),
  );
  return left;
}

/** Race a promise against a budget; undefined when the budget ran out first. */
export async function within<T>(promise: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then((value) => ({ value })),
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, ms)))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
