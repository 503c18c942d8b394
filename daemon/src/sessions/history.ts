import { appendFileSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Message } from '@sylk/llm';
import { redactJson, type Logger } from '@sylk/core';
import { mapSqliteError } from '@sylk/storage';

/** ENOSPC/EDQUOT become `storage.disk_full` (with its hint); anything else is rethrown as is. */
function diskFull(err: unknown, path: string): unknown {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT'
    ? mapSqliteError(Object.assign(err as object, { code: 'ENOSPC' }), path, 'saving the session history')
    : err;
}

/**
 * The conversation of a session, kept beside its event log so a restarted daemon continues
 * where the last turn ended: `history.jsonl`, one message per line. A conversation only grows,
 * so each turn's messages are appended in one write when it ends; rewriting the whole file
 * every turn cost time in proportion to the history on the main thread, and held back the reply's
 * last events behind it. A crash mid-turn leaves the previous turns (the event log says the turn
 * was interrupted); a line cut short by a crash mid-write is dropped when the file is read, and
 * the next save rewrites the file whole (temp + rename) so nothing is appended after it.
 * `history.json`, the whole-array file of earlier versions, is read when there is no
 * `history.jsonl` and replaced by it at the next save.
 */
export class HistoryFile {
  private readonly path: string;
  private readonly legacyPath: string;
  /** Messages the file holds, in order: the next save appends those after them. */
  private persisted = 0;
  /** The file has a torn or unreadable tail, or is still the legacy one: rewrite it whole. */
  private rewrite = false;

  constructor(
    sessionDir: string,
    private readonly logger: Logger,
    /** Known-secret redaction of every line written (the daemon's SecretValues). */
    private readonly redact: (text: string) => string = (text) => text,
  ) {
    this.path = join(sessionDir, 'history.jsonl');
    this.legacyPath = join(sessionDir, 'history.json');
  }

  /** The saved conversation; empty (with a warning when something was unreadable) otherwise. */
  load(): Message[] {
    const messages = this.readLines() ?? this.readLegacy();
    this.persisted = messages.length;
    return messages;
  }

  /** Saves `history`, of which the messages already saved must be an unchanged prefix. */
  save(history: readonly Message[]): void {
    // Nothing saved yet (no file, or an empty one) is written whole as well: it makes the directory.
    if (this.rewrite || this.persisted === 0 || history.length < this.persisted) return this.saveWhole(history);
    if (history.length === this.persisted) return;
    try {
      appendFileSync(this.path, lines(history.slice(this.persisted), this.redact), { mode: 0o600 });
    } catch (err) {
      this.rewrite = true; // a failed append may have left part of a line
      throw diskFull(err, this.path);
    }
    this.persisted = history.length;
  }

  /** The conversation was replaced rather than extended (compaction): the next save writes it whole. */
  replaced(): void {
    this.rewrite = true;
  }

  private saveWhole(history: readonly Message[]): void {
    try {
      writeWhole(this.path, lines(history, this.redact));
    } catch (err) {
      throw diskFull(err, this.path);
    }
    rmSync(this.legacyPath, { force: true });
    this.persisted = history.length;
    this.rewrite = false;
  }

  /** The messages of `history.jsonl`; undefined when there is none. */
  private readLines(): Message[] | undefined {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      this.logger.warn(
        { path: this.path, err: (err as Error).message },
        'session history unreadable; starting without it',
      );
      this.rewrite = true;
      return [];
    }
    const rows = text.split('\n');
    const torn = rows.pop() !== ''; // the text after the last newline: empty unless a write was cut
    const messages: Message[] = [];
    for (const row of rows) {
      const message = parseMessage(row);
      if (message === undefined) {
        this.logger.warn(
          { path: this.path, line: messages.length + 1 },
          'session history has an unreadable line; keeping the messages before it',
        );
        this.rewrite = true;
        return messages;
      }
      messages.push(message);
    }
    if (torn) {
      this.logger.warn(
        { path: this.path },
        'session history ends in a cut-off line (a write was interrupted); dropping it',
      );
      this.rewrite = true;
    }
    return messages;
  }

  private readLegacy(): Message[] {
    const parsed = readJson(this.legacyPath, this.logger, 'session history');
    if (parsed === undefined) return [];
    this.rewrite = true;
    return Array.isArray(parsed) ? (parsed as Message[]) : [];
  }
}

function lines(messages: readonly Message[], redact: (text: string) => string): string {
  let text = '';
  for (const m of messages) text += `${redactJson(JSON.stringify(m), redact)}\n`;
  return text;
}

function parseMessage(row: string): Message | undefined {
  try {
    const value = JSON.parse(row) as unknown;
    return typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      typeof (value as Message).role === 'string'
      ? (value as Message)
      : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON file's value; undefined when it is missing, or (with a warning) unreadable. */
function readJson(path: string, logger: Logger, what: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as unknown;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      logger.warn({ path, err: (err as Error).message }, `${what} unreadable; starting without it`);
    return undefined;
  }
}

/** Whole-file replace (temp + rename): a crash leaves the old file or the new one, never half. */
function writeWhole(path: string, text: string): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text, { mode: 0o600 });
  } catch (err) {
    rmSync(tmp, { force: true }); // a partial temp file on a full disk only takes more space
    throw err;
  }
  renameSync(tmp, path);
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
  else writeWhole(path, JSON.stringify(inputs));
}

export function loadPendingInputs(path: string, logger: Logger): PendingInputs {
  const { current, queued } = (readJson(path, logger, 'pending inputs') ?? {}) as {
    current?: unknown;
    queued?: unknown;
  };
  return {
    ...(typeof current === 'string' ? { current } : {}),
    queued: Array.isArray(queued) ? queued.filter((q): q is string => typeof q === 'string') : [],
  };
}
