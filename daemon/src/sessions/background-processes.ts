import type { Logger } from '@sylk/core';
import { ProcessRegistry, type BackgroundHandle, type ExecResult, type KillReport } from '@sylk/tools';
import { join } from 'node:path';
import { KEEP_ENDED, ProcessHistory, type ProcessHistoryOptions } from './process-history.js';
import { readJsonFile, removeFile, writeJsonWhole } from './recovery-files.js';

/** `exit code 3`, `signal SIGTERM`. */
function how(result: ExecResult): string {
  return result.exitCode !== null ? `exit code ${result.exitCode}` : `signal ${result.signal ?? 'unknown'}`;
}

/** The `process_exited` event: what ended, how, and who stopped it (`by`: "itself" or "user"). */
export function processExitedEvent(handle: BackgroundHandle, result: ExecResult, by: 'itself' | 'user') {
  const verb = by === 'user' ? 'was stopped by the user' : 'exited';
  return {
    message: `Background process ${handle.id} (${handle.command}) ${verb} (${how(result)})`,
    processId: handle.id,
    command: handle.command,
    pid: handle.pid,
    exitCode: result.exitCode,
    signal: result.signal,
    durationMs: Math.round(result.durationMs),
    by,
  };
}

/** Processes the user stopped from outside the session (`sylk ps stop`). */
const stoppedByUser = new WeakSet<BackgroundHandle>();

/** `sylk ps stop`: the kill sequence, and the session is told (see sessionProcesses). */
export function stopByUser(handle: BackgroundHandle): Promise<KillReport> {
  stoppedByUser.add(handle);
  return handle.stop();
}

const MAX_NOTES = 10;

/**
 * What the model is told at its next turn: the processes (and delegated tasks) that ended since,
 * one short note each. With a `path` they are kept there too, so the session can be unloaded
 * before its next turn and still tell them.
 */
export class ProcessNotes {
  private readonly notes: string[];
  /** The notes as on disk (false when the last write failed: they are only in memory). */
  private saved = true;

  constructor(private readonly store?: { path: string; logger: Logger; redact?: (text: string) => string }) {
    const kept = store === undefined ? undefined : readJsonFile(store.path);
    this.notes = Array.isArray(kept) ? kept.filter((n): n is string => typeof n === 'string').slice(-MAX_NOTES) : [];
  }

  add(message: string): void {
    this.notes.push(this.store?.redact?.(message) ?? message);
    if (this.notes.length > MAX_NOTES) this.notes.shift();
    this.save();
  }

  /** Notes not told yet that live only in memory (the runtime stays loaded until they are told). */
  get pending(): number {
    return this.saved && this.store !== undefined ? 0 : this.notes.length;
  }

  /** The user's text with the pending notes before it (each told once). */
  withNotes(text: string): string {
    if (this.notes.length === 0) return text;
    const told = this.notes.splice(0);
    this.save();
    return `${told.map((n) => `[system note: ${n}]`).join('\n')}\n\n${text}`;
  }

  private save(): void {
    if (this.store === undefined) return;
    try {
      if (this.notes.length === 0) removeFile(this.store.path);
      else writeJsonWhole(this.store.path, this.notes);
      this.saved = true;
    } catch (err) {
      this.saved = false;
      this.store.logger.warn({ err }, 'could not keep the notes for the next turn');
    }
  }
}

/**
 * A session's background processes: at most `maxPerSession` at once (`tools.background.max_per_session`).
 * Every one that ends is kept in the session's `history` (`sylk ps` lists it after an unload).
 * One that ends on its own or is stopped by the user (`sylk ps stop`) is posted as a `process_exited`
 * event (the attached view shows it) and noted for the model's next turn. Those stopped by the
 * session's own `stop_process` (the model knows) or by its close are not.
 */
export function sessionProcesses(opts: {
  maxPerSession: number;
  history?: ProcessHistory;
  post: (data: ReturnType<typeof processExitedEvent>) => void;
  logger: Logger;
}): ProcessRegistry {
  return new ProcessRegistry({
    maxPerSession: opts.maxPerSession,
    keepEnded: KEEP_ENDED,
    onExit: (handle, result) => {
      opts.history?.add(handle, result);
      const byUser = stoppedByUser.has(handle);
      if (handle.stopRequested && !byUser) return;
      try {
        opts.post(processExitedEvent(handle, result, byUser ? 'user' : 'itself'));
      } catch (err) {
        opts.logger.warn({ err, id: handle.id }, 'could not report a background process exit');
      }
    },
  });
}

/** What a session keeps in its directory of its background processes: the ended ones, and the notes for its next turn. */
export function keptProcesses(opts: ProcessHistoryOptions): { history: ProcessHistory; notes: ProcessNotes } {
  return {
    history: new ProcessHistory(opts),
    notes: new ProcessNotes({
      path: join(opts.sessionDir, 'notes.json'),
      logger: opts.logger,
      ...(opts.redact !== undefined ? { redact: opts.redact } : {}),
    }),
  };
}
