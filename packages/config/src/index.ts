export { resolveDirs, resolveSocketPath, findProjectRoot, broadProjectRoot, projectHash, ensureDir } from './paths.js';
export type { SylkDirs } from './paths.js';
export { /** @internal exported for tests */ DEFAULT_CONFIG } from './schema.js';
export { loadConfig, validateConfigText, formatWarning } from './load.js';
export { getConfigValue, redactConfig } from './access.js';
export { editConfigFile } from './edit.js';
export { ConfigStore } from './store.js';
export type * from './types.js';
