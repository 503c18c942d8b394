export { InvocationBatcher } from './batcher.js';
export type { BatchedOutput, InvocationBatcherOptions } from './batcher.js';
export { DEFAULT_BATCH_SPECS, eslintBatch, prettierBatch } from './specs.js';
export type { BatchSpec, RunCommand, RunOutput, Timers } from './types.js';
