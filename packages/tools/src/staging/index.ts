export { StagingArea } from './staging-area.js';
export type { StagingOptions, StagingConflict, MergeStep } from './staging-area.js';
export { sweepStagingOrphans } from './sweep.js';
