export { FileSystemManager } from './manager.js';
export type { FileSystemManagerOptions, FsAuditEntry, PermissionCheck, PermissionVerdict, StagingSink } from './manager.js';
export { PathBoundary, isWithin } from './boundary.js';
export type { Roots, NamedRoot, ResolvedPath, ResolveOptions } from './boundary.js';
export { TempDirs, checkId } from './temp-dirs.js';
export { sha256, sha256File, writeFileAtomic, writeJsonAtomic } from './atomic.js';
export type { FsOp } from './errors.js';
