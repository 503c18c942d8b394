export { CommandSandbox } from './sandbox.js';
export type { CommandSandboxOptions, SandboxCommand, SandboxedCommand, SandboxMode, SandboxReport } from './sandbox.js';
export { CachedProbe, systemProbeDeps } from './probe.js';
export type { ProbeDeps, ProcessRunner } from './probe.js';
export type { BwrapPlan, BwrapPlanInput, FsView, PathKind } from './bwrap.js';
export type { SeatbeltInput } from './seatbelt.js';
export { PidsCgroups } from './cgroup.js';
export {
  /** @internal exported for tests */ DEFAULT_SANDBOX_LIMITS,
  SANDBOX_PROXY_PORT,
  SANDBOX_PROXY_SOCKET,
} from './types.js';
export type {
  MountEntry,
  SandboxBackend,
  SandboxLimits,
  SandboxNetwork,
  SandboxPolicy,
  SandboxProbe,
} from './types.js';
