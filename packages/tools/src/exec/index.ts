export { ToolExecutor } from './executor.js';
export type { CommandWrapper, CommandWrapInput, WrappedCommand } from './wrapper.js';
export { GIT_HARDENING, withGitHardening } from './git-env.js';
export type { ToolExecutorOptions, OutputLimits } from './executor.js';
export { BoundedSlotPool } from './slots.js';
export type { SlotPool, SlotLease } from './slots.js';
export { planCommand, tokenize, needsShell, DEFAULT_SHELL_METACHARACTERS } from './command.js';
export type { CommandPlan } from './command.js';
export { resolveWorkingDirectory } from './cwd.js';
export { buildChildEnv, defaultToolEnvBlocklist } from './env.js';
export { AdaptiveTimeout, defaultTimeoutPolicy, defaultNoisePatterns, isNoise, timeoutDeadline } from './adaptive-timeout.js';
export type { TimeoutPolicy, TimeoutInfo } from './adaptive-timeout.js';
export { runKillSequence, reapGroup, DEFAULT_KILL_WAITS } from './kill.js';
export { signalGroup, groupAlive, liveGroupMembers } from './process-group.js';
export { ProcessRegistry } from './registry.js';
export type { BackgroundHandle } from './background.js';
export { killLeftovers } from './leftovers.js';
export type { LeftoverReport } from './leftovers.js';
export { cascadeBudgets } from './cancel.js';
export type { CancelOptions, CancelOutcome, CancelReport, CancelBudgets } from './cancel.js';
export type {
  BackgroundOptions, CancelScope, ExecResult, KillReport, KillWaits, PartialReason, ProcessRecord, ProgressEvent, RunOptions,
} from './types.js';
