// @sylk/tools: running agent commands (exec), capturing their output (output), and the
// parsers, output cache, filesystem manager and staging built on them.
export * from './exec/index.js';
export * from './output/index.js';
export * from './parsers/index.js';
export * from './cache/index.js';
export * from './batch/index.js';
export * from './fs/index.js';
export * from './staging/index.js';
export * from './snapshots/index.js';
