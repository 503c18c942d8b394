// Pressure (memory, disk quota, degradation)
export { pressureRank, MemoryMonitor, DEFAULT_MEMORY_THRESHOLDS, defaultMemoryCeilingBytes } from './memory.js';
export type { PressureLevel, MemoryComponent, MemoryThresholds, LevelChange } from './memory.js';
export { DiskQuota, formatBytes } from './disk.js';
export type { DiskCleaner, DiskLevel, DiskState } from './disk.js';
export { DiskUsage, treeBytes } from './disk-usage.js';
export { removeOldest, entriesOf } from './disk-cleanup.js';
export type { Removable } from './disk-cleanup.js';
export { DegradationController } from './degradation.js';
export type { PausablePipelines } from './degradation.js';

// Scheduling, fair share, pools, broker (the types of their options and results are reached through them)
export { PipelineScheduler } from './scheduler.js';
export { FairShare } from './fair-share.js';
export { ResourcePool } from './pool.js';
export { ResourceBroker } from './broker.js';
