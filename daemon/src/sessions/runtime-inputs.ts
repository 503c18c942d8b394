import { join } from 'node:path';
import type { Logger } from '@sylk/core';
import type { Message } from '@sylk/llm';
import { loadPendingInputs, savePendingInputs } from './history.js';

/**
 * A session's inputs not yet answered: the current turn's, the queue behind it, and the restated
 * task of an interrupted turn, which runs first. On disk (`inputs.json`) at every change, so a
 * restart loses none of them.
 */
export class TurnInputs {
  private readonly path: string;
  private readonly queued: string[];
  /** The input of the turn in progress (kept at shutdown: the restarted daemon restates it). */
  private current: string | undefined;
  /** What an interrupted turn was asked, from before the restart; `restate` turns it into `resumeText`. */
  private interruptedTask: string | undefined;
  /** The restated task of an interrupted turn. */
  private resumeText: string | undefined;

  constructor(
    sessionDir: string,
    interrupted: boolean,
    private readonly logger: Logger,
  ) {
    this.path = join(sessionDir, 'inputs.json');
    const pending = loadPendingInputs(this.path, logger);
    this.queued = pending.queued;
    // A current input of a session not marked interrupted never started its turn: queue it again.
    if (pending.current !== undefined && !interrupted) this.queued.unshift(pending.current);
    else this.interruptedTask = pending.current;
  }

  push(prompt: string): void {
    this.queued.push(prompt);
    this.save();
  }

  /** The next turn's input (an interrupted turn's restated task first), now the current one. */
  take(): string | undefined {
    const text = this.resumeText ?? this.queued.shift();
    if (text === undefined) return undefined;
    this.resumeText = undefined;
    this.current = text;
    this.save();
    return text;
  }

  /** The current turn was answered. */
  done(): void {
    this.current = undefined;
    this.save();
  }

  /** Close: nothing waiting runs any more. */
  drop(): void {
    this.queued.length = 0;
    this.resumeText = undefined;
    this.save();
  }

  /**
   * Resuming an interrupted turn: its task is restated to run before the queue, unless a turn
   * already runs or is restated. False when there is nothing to restate.
   */
  restate(history: readonly Message[]): boolean {
    if (this.resumeText !== undefined || this.current !== undefined) return false;
    const task = this.interruptedTask;
    this.interruptedTask = undefined;
    // A crash before the turn's first reply lost its user message too: restate the task then.
    const kept = task !== undefined && history.some((m) => m.role === 'user' && m.content === task);
    this.resumeText = `Continue the task that was interrupted, from where it stopped.${task === undefined || kept ? ' sylkd stopped during the turn; calls it interrupted say so in their results.' : ` The task was:\n\n${task}`}`;
    return true;
  }

  private save(): void {
    try {
      savePendingInputs(this.path, {
        ...(this.current !== undefined ? { current: this.current } : {}),
        queued: this.queued,
      });
    } catch (err) {
      this.logger.error({ err }, 'could not save pending inputs');
    }
  }
}
