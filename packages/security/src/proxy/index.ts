export { NetworkProxy, endToEndHeaders } from './server.js';
export { addressProblem } from './addresses.js';
export { domainAllowed, domainMatches } from './domains.js';
export { systemResolver } from './admission.js';
export { MAX_SOCKET_PATH_BYTES, socketPathFits } from './socket.js';
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
