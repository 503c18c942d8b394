export { NetworkProxy } from './server.js';
export { domainAllowed } from './domains.js';
export { socketPathFits } from './socket.js';
export type {
  HostResolver,
  NetworkProxyOptions,
  ProxyAuthorize,
  ProxyCounters,
  ProxyOutcome,
  ProxyOutcomeKind,
  ProxyRequest,
  ProxyTimeouts,
  ProxyVerdict,
} from './types.js';
