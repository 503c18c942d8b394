import type { Logger } from '@sylk/core';
import { ProcessRegistry, type BackgroundHandle, type ExecResult, type KillReport } from '@sylk/tools';

/** How a background process ended, for `sylk ps` and the session's log. */
export type ProcessState = 'running' | 'exited' | 'stopped';

export function processState(handle: BackgroundHandle): ProcessState {
  if (handle.result === undefined) return 'running';
  return handle.stopRequested ? 'stopped' : 'exited';
}

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

/** What the model is told at its next turn: the processes that ended since, one short note each. */
export class ProcessNotes {
  private readonly notes: string[] = [];

  add(message: string): void {
    this.notes.push(message);
    if (this.notes.length > 10) this.notes.shift();
  }

  /** Notes the model has not been told yet (they live only here: the runtime stays loaded until told). */
  get pending(): number {
    return this.notes.length;
  }

  /** The user's text with the pending notes before it (each told once). */
  withNotes(text: string): string {
    if (this.notes.length === 0) return text;
    return `${this.notes
      .splice(0)
      .map((n) => `[system note: ${n}]`)
      .join('\n')}\n\n${text}`;
  }
}

/**
 * A session's background processes: at most `maxPerSession` at once (`tools.background.max_per_session`).
 * One that ends on its own or is stopped by the user (`sylk ps stop`) is posted as a `process_exited`
 * event (the attached view shows it) and noted for the model's next turn. Those stopped by the
 * session's own `stop_process` (the model knows) or by its close are not.
 */
export function sessionProcesses(opts: {
  maxPerSession: number;
  post: (data: ReturnType<typeof processExitedEvent>) => void;
  logger: Logger;
}): ProcessRegistry {
  return new ProcessRegistry({
    maxPerSession: opts.maxPerSession,
    onExit: (handle, result) => {
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
