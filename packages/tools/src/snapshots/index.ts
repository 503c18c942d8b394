export { SnapshotStore } from './store.js';
export type { Snapshot, TurnTrees, RestoredFile, KeptFile } from './store.js';
