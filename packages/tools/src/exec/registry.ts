import { ErrorTier, SylkError } from '@sylk/core';
import type { BackgroundHandle } from './background.js';
import type { KillReport, ProcessRecord } from './types.js';

/**
 * Every background process by session, so none outlives its owner: `stopSession` when a
 * session ends, `stopAll` at daemon shutdown. Exited processes drop out on their own.
 */
export class ProcessRegistry {
  private readonly handles = new Map<string, BackgroundHandle>();

  constructor(private readonly maxPerSession = 16) {}

  /** Throws tools.too_many_background when the session is at its limit. */
  ensureCapacity(sessionId: string): void {
    if (this.list(sessionId).length >= this.maxPerSession) {
      throw new SylkError(`session ${sessionId} already runs ${this.maxPerSession} background processes`, {
        tier: ErrorTier.Permanent,
        code: 'tools.too_many_background',
        details: { sessionId, limit: this.maxPerSession },
        hint: 'Stop a background process before starting another.',
      });
    }
  }

  add(handle: BackgroundHandle): void {
    this.handles.set(handle.id, handle);
    void handle.exited.finally(() => this.handles.delete(handle.id));
  }

  get(id: string): BackgroundHandle | undefined {
    return this.handles.get(id);
  }

  list(sessionId?: string): BackgroundHandle[] {
    return [...this.handles.values()].filter((h) => sessionId === undefined || h.sessionId === sessionId);
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
        await h.exited; // leaves the registry once fully settled
        return report;
      }),
    );
  }
}
