export type { StreamName } from './types.js';
export { /** @internal exported for tests */ OutputCapture } from './capture.js';
export { readRaw } from './spool.js';
export { truncateForModel } from './truncate.js';
