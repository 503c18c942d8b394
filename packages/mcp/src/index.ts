export { McpManager } from './manager.js';
export { serversFromConfig, sameLaunch, launchLine, toolName, unknownServer, isSecretName } from './spec.js';
export type * from './types.js';
