export { ErrorTier, SylkError, isSylkError, tierOf, tierForNodeCode, errorMessage } from './errors.js';
export type { SylkErrorOptions } from './errors.js';
export { systemClock, /** @internal exported for tests */ ManualClock } from './clock.js';
export type { Clock } from './clock.js';
export { newId, cryptoRandom } from './ids.js';
export type { RandomSource } from './ids.js';
export {
  REDACTED,
  scrubSecrets,
  filterEnv,
  defaultEnvBlocklist,
  secretEnvEntries,
  looksLikeSecretEnvName,
} from './secrets.js';
export { SecretValues, redactJson } from './secret-values.js';
export type { Redactor, RedactingStream, RedactingByteStream } from './secret-values.js';
export { createLogger, silentLogger } from './logger.js';
export type { Logger } from './logger.js';
export { sleep, abortReason } from './abort.js';
export { VERSION, PROTOCOL_MAJOR, compareVersions } from './version.js';
export { isProcessAlive, processStartTime, isSameProcess } from './process.js';
export { DAEMON_NODE_FLAGS, startDetachedDaemon } from './daemon-launch.js';
export type { DaemonStartReport, DetachedDaemonOptions } from './daemon-launch.js';
export { TextPieces } from './text-pieces.js';
export { systemTimers } from './timers.js';
export type { Timers, TimerHandle } from './timers.js';
