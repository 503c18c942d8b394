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
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as unknown;
    return Array.isArray(parsed) ? (parsed as Message[]) : [];
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') logger.warn({ path, err: (err as Error).message }, 'session history unreadable; starting without it');
    return [];
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
 * The input of the turn in progress, kept until the turn ends. The history is only written
 * at the end of a turn, so after a crash this is the one place the interrupted task is known.
 */
export function saveTurnInput(path: string, text: string): void {
  writeJson(path, { text });
}

export function loadTurnInput(path: string): string | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as { text?: unknown };
    return typeof parsed.text === 'string' ? parsed.text : undefined;
  } catch {
    return undefined;
  }
}

export function clearTurnInput(path: string): void {
  rmSync(path, { force: true });
}
