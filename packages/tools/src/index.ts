// @sylk/tools: running agent commands (exec), capturing their output (output), and the
// parsers, filesystem manager, staging and turn snapshots built on them.
export * from './exec/index.js';
export * from './output/index.js';
export * from './parsers/index.js';
export * from './fs/index.js';
export * from './staging/index.js';
export * from './snapshots/index.js';
