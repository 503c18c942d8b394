import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Message } from '@sylk/llm';
import type { Logger } from '@sylk/core';

/**
 * The conversation of a session, kept beside its event log so a restarted daemon
 * continues where the last turn ended. Written whole after each turn (temp + rename):
 * a crash mid-turn leaves the previous turn's history, and the event log says the
 * turn was interrupted.
 */
export function loadHistory(path: string, logger: Logger): Message[] {
  const parsed = readJson(path, logger, 'session history');
  return Array.isArray(parsed) ? (parsed as Message[]) : [];
}

/** A JSON file's value; undefined when it is missing, or (with a warning) unreadable. */
function readJson(path: string, logger: Logger, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ path, err: (err as Error).message }, `${what} unreadable; starting without it`);
    return undefined;
  }
}

/** Whole-file replace (temp + rename): a crash leaves the old file or the new one, never half. */
function writeJson(path: string, value: unknown): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
  renameSync(tmp, path);
}

export function saveHistory(path: string, history: readonly Message[]): void {
  writeJson(path, history);
}

/**
 * A session's inputs not yet answered: the one whose turn is in progress and those queued
 * behind it (several sends during a turn, or while paused). Written whole on every change, so
 * after a crash the interrupted task is known (the history is only written when a turn ends)
 * and queued inputs are still there.
 */
export interface PendingInputs {
  current?: string;
  queued: string[];
}

export function savePendingInputs(path: string, inputs: PendingInputs): void {
  if (inputs.current === undefined && inputs.queued.length === 0) rmSync(path, { force: true });
  else writeJson(path, inputs);
}

export function loadPendingInputs(path: string, logger: Logger): PendingInputs {
  const { current, queued } = (readJson(path, logger, 'pending inputs') ?? {}) as { current?: unknown; queued?: unknown };
  return {
    ...(typeof current === 'string' ? { current } : {}),
    queued: Array.isArray(queued) ? queued.filter((q): q is string => typeof q === 'string') : [],
  };
}
