import { ErrorTier, SylkError } from '@sylk/core';
import type { BackgroundHandle } from './background.js';
import type { ExecResult, KillReport, ProcessRecord } from './types.js';

export interface ProcessRegistryOptions {
  /** Background processes one session may run at once (16). */
  maxPerSession?: number;
  /** Ended processes kept for `get` and `list` (their exit and output), oldest dropped first (32). */
  keepEnded?: number;
  /** Told once a process has ended, on its own or stopped. Must not throw. */
  onExit?: (handle: BackgroundHandle, result: ExecResult) => void;
}

/**
 * Every background process by session, so none outlives its owner: `stopSession` when a
 * session ends, `stopAll` at daemon shutdown. Ended processes stay listed (bounded) so their
 * exit code and last output can still be read.
 */
export class ProcessRegistry {
  private readonly handles = new Map<string, BackgroundHandle>();
  private readonly ended: BackgroundHandle[] = [];
  private readonly maxPerSession: number;
  private readonly keepEnded: number;

  constructor(private readonly options: ProcessRegistryOptions = {}) {
    this.maxPerSession = options.maxPerSession ?? 16;
    this.keepEnded = options.keepEnded ?? 32;
  }

  /** Throws tools.too_many_background when the session is at its limit. */
  ensureCapacity(sessionId: string): void {
    // A registry of none (a delegated task's executor): background processes are not offered there.
    if (this.maxPerSession === 0)
      throw new SylkError('background processes are not available to this agent', {
        tier: ErrorTier.Permanent,
        code: 'tools.background_unavailable',
        hint: 'Run the command in the foreground with a timeout; the session’s own agent can start background processes.',
      });
    if (this.list(sessionId).length >= this.maxPerSession) {
      throw new SylkError(`session ${sessionId} already runs ${this.maxPerSession} background processes`, {
        tier: ErrorTier.Permanent,
        code: 'tools.too_many_background',
        details: { sessionId, limit: this.maxPerSession },
        hint: 'Stop a background process (stop_process, or `sylk ps stop <id>`) before starting another.',
      });
    }
  }

  add(handle: BackgroundHandle): void {
    this.handles.set(handle.id, handle);
    void handle.exited.then(
      (result) => {
        this.handles.delete(handle.id);
        this.ended.push(handle);
        if (this.ended.length > this.keepEnded) this.ended.shift();
        this.options.onExit?.(handle, result);
      },
      () => this.handles.delete(handle.id),
    );
  }

  /** A running or recently ended process. */
  get(id: string): BackgroundHandle | undefined {
    return this.handles.get(id) ?? this.ended.find((h) => h.id === id);
  }

  /** Running processes (of one session, or all). */
  list(sessionId?: string): BackgroundHandle[] {
    return [...this.handles.values()].filter((h) => sessionId === undefined || h.sessionId === sessionId);
  }

  /** Running processes, then the recently ended ones (newest first). */
  listWithEnded(sessionId?: string): BackgroundHandle[] {
    const ended = [...this.ended].reverse().filter((h) => sessionId === undefined || h.sessionId === sessionId);
    return [...this.list(sessionId), ...ended];
  }

  /** What a restarted daemon needs to find leftovers (persist these). */
  records(): ProcessRecord[] {
    return this.list().map((h) => h.record);
  }

  async stopSession(sessionId: string): Promise<KillReport[]> {
    return this.stopEach(this.list(sessionId));
  }

  async stopAll(): Promise<KillReport[]> {
    return this.stopEach(this.list());
  }

  private async stopEach(handles: BackgroundHandle[]): Promise<KillReport[]> {
    return Promise.all(
      handles.map(async (h) => {
        const report = await h.stop();
        await h.exited; // leaves the running list once fully settled
        return report;
      }),
    );
  }
}
