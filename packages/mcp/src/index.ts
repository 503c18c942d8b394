export { McpManager } from './manager.js';
export type { McpManagerOptions, ServerTools } from './manager.js';
export { DEFAULT_RESTART } from './server.js';
export type { RestartPolicy } from './server.js';
export { serversFromConfig, sameLaunch, launchLine, toolName, unknownServer, isSecretName } from './spec.js';
export type { McpServerEntry, SpecProblem } from './spec.js';
export { truncateResult, resultText } from './result.js';
export type * from './types.js';
