export * from './types.js';
export * from './providers/index.js';
export * from './gate/index.js';
