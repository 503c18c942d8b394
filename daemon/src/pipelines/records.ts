import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@sylk/core';
import type { TaskReport, TaskRole } from '@sylk/agents';
import { writeJsonAtomic } from '@sylk/tools';

export type PipelineState =
  | 'waiting'
  | 'queued'
  | 'running'
  | 'paused'
  | 'done'
  | 'failed'
  | 'cancelled'
  | 'timed_out'
  | 'conflict'
  | 'interrupted';

const FINAL: ReadonlySet<PipelineState> = new Set([
  'done',
  'failed',
  'cancelled',
  'timed_out',
  'conflict',
  'interrupted',
]);

export function isFinal(state: PipelineState): boolean {
  return FINAL.has(state);
}

/** One delegated task of a session, as persisted (`<session dir>/pipelines.json`) and shown. */
export interface PipelineRecord extends TaskReport {
  /** `t1`, `t2`, … within the session (what the model and the user type). */
  id: string;
  /** Unique in the daemon: `<session id>.<id>` (scheduler key, staging directory). */
  key: string;
  role: TaskRole;
  state: PipelineState;
  files: string[];
  dependsOn: string[];
  budgetUsd: number;
  createdAt: number;
  startedAt?: number;
  endedAt?: number;
  /** Where its staged changes are kept (a conflict, or an interrupted engineer task). */
  stagingDir?: string;
}

const FILE = 'pipelines.json';

/**
 * A session's tasks on disk, rewritten whole (temp + rename) at each change. What a previous
 * daemon left unfinished is loaded as `interrupted`: it ran in that daemon's memory.
 */
export class PipelineRecords {
  private writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly sessionDir: string,
    private readonly logger: Logger,
    /** Known secrets out of what is kept on disk (a goal or an answer may quote one). */
    private readonly redact: (value: unknown) => unknown = (value) => value,
  ) {}

  load(): PipelineRecord[] {
    let text: string;
    try {
      text = readFileSync(join(this.sessionDir, FILE), 'utf8');
    } catch {
      return [];
    }
    try {
      const list = JSON.parse(text) as PipelineRecord[];
      if (!Array.isArray(list)) return [];
      return list.map((p) =>
        isFinal(p.state)
          ? p
          : { ...p, state: 'interrupted', error: 'interrupted: sylkd stopped while the task was unfinished' },
      );
    } catch (err) {
      this.logger.warn({ err, file: join(this.sessionDir, FILE) }, 'unreadable pipelines file ignored');
      return [];
    }
  }

  /** Queued behind earlier saves, so the file always ends with the latest list. */
  save(list: readonly PipelineRecord[]): Promise<void> {
    const snapshot = this.redact(JSON.parse(JSON.stringify(list)));
    this.writing = this.writing
      .then(() => writeJsonAtomic(this.sessionDir, FILE, snapshot))
      .catch((err: unknown) => this.logger.error({ err }, 'could not save the session’s tasks'));
    return this.writing;
  }
}
