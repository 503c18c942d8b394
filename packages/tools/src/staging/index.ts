export { StagingArea } from './staging-area.js';
export type { StagingOptions, ModifiedFiles, StagingConflict, MergeStep } from './staging-area.js';
export type { MergeReport, RecoverOutcome } from './merge.js';
export { sweepStagingOrphans } from './sweep.js';
