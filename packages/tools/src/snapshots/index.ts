export { SnapshotStore, DEFAULT_MAX_SNAPSHOT_FILE_BYTES } from './store.js';
export type { Snapshot, SnapshotStoreOptions, TurnTrees, RevertReceipt, RestoredFile, KeptFile, RestoreAction } from './store.js';
