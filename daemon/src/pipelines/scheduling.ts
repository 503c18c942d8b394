import type { PipelineScheduler } from '@sylk/resources';

/** What a session's tasks need of the daemon's one pipeline scheduler. */
export type PipelineScheduling = Pick<PipelineScheduler, 'submit' | 'cancel' | 'onChange'> & {
  /** Throws what `submit` would for the daemon's state (a full disk quota); absent: always admissible. */
  assertAdmissible?(): void;
};
