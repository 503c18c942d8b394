export { FileSystemManager } from './manager.js';
export type { FsAuditEntry, StagingSink } from './manager.js';
export { PathBoundary } from './boundary.js';
export { sha256, sha256File, writeFileAtomic, writeJsonAtomic } from './atomic.js';
