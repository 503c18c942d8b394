export { ToolExecutor } from './executor.js';
export type { CommandWrapper } from './wrapper.js';
export type { ToolExecutorOptions } from './executor.js';
export { BoundedSlotPool } from './slots.js';
export type { SlotPool } from './slots.js';
export {
  /** @internal exported for tests */ buildChildEnv,
  /** @internal exported for tests */ defaultToolEnvBlocklist,
} from './env.js';
export { /** @internal exported for tests */ groupAlive } from './process-group.js';
export type { BackgroundHandle } from './background.js';
export { killLeftovers } from './leftovers.js';
export { ProcessRegistry } from './registry.js';
export type { BackgroundOptions, ExecResult, KillReport, ProcessLog, ProcessRecord, RunOptions } from './types.js';
export { SpawnBroker } from './spawn-broker.js';
export { runFileHere } from './run-file.js';
export type { RunFile } from './run-file.js';
