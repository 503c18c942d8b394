import { promises as fsp } from 'node:fs';
import { resolve } from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Clock, type Logger } from '@sylk/core';
import { sha256, writeFileAtomic } from './atomic.js';
import { PathBoundary, type ResolveOptions, type ResolvedPath, type Roots } from './boundary.js';
import { fsError, type FsOp } from './errors.js';

type PermissionVerdict = 'allow' | 'deny';
/** Asked with the resolved target (what will really be touched), after the boundary check. */
type PermissionCheck = (op: FsOp, path: string) => Promise<PermissionVerdict>;

export interface FsAuditEntry {
  op: FsOp;
  /** Resolved target (for rename: the destination). */
  path: string;
  requested: string;
  from?: string;
  size?: number;
  sha256?: string;
  staged: boolean;
  outcome: 'ok' | 'denied' | 'refused' | 'failed';
  errorCode?: string;
  at: number;
}

/** What the manager needs from a staging area (implemented by staging/StagingArea). */
export interface StagingSink {
  write(target: string, data: Uint8Array): Promise<void>;
  delete(target: string): Promise<void>;
  mkdir(target: string): Promise<void>;
  read(target: string): Promise<Buffer>;
}

export interface FileSystemManagerOptions {
  roots: Roots;
  permissionCheck?: PermissionCheck;
  audit?: (entry: FsAuditEntry) => void;
  /** When attached (inside a pipeline) project writes go to staging instead of the live tree. */
  staging?: StagingSink;
  clock: Clock;
  logger?: Logger;
  /** Test hook: runs between the boundary check and the syscall (to swap links in tests). */
  afterCheck?: (resolved: ResolvedPath) => Promise<void>;
}

/**
 * The one path for agent-driven writes, deletes, renames and mkdirs: boundary check,
 * permission pre-check, staging routing, atomic whole-file writes and auditing. Reads are
 * direct (staged copies preferred).
 */
export class FileSystemManager {
  readonly boundary: PathBoundary;
  private readonly logger: Logger;

  constructor(private readonly options: FileSystemManagerOptions) {
    this.boundary = new PathBoundary(options.roots);
    this.logger = options.logger ?? silentLogger();
  }

  async readFile(path: string): Promise<Buffer> {
    const staging = this.options.staging;
    if (staging !== undefined) {
      const resolved = await this.boundary
        .resolve(path, { followLeaf: true, allowMissingParents: true })
        .catch(() => undefined);
      if (resolved?.root.name === 'project') return staging.read(resolved.target);
    }
    return fsp.readFile(resolve(this.boundary.projectRoot, path));
  }

  async writeFile(path: string, data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    const meta = { size: bytes.byteLength, sha256: sha256(bytes) };
    await this.guarded('write', path, { createParents: true, followLeaf: true }, meta, async (r, staged) => {
      if (r.stat?.isDirectory())
        throw fsError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), 'write', r.target);
      if (staged) return this.options.staging?.write(r.target, bytes);
      await writeFileAtomic(r.parent, r.leaf, bytes, {
        mode: r.stat === undefined ? 0o666 : r.stat.mode & 0o7777,
        beforeRename: () => this.boundary.recheck(r),
      });
    });
  }

  async deleteFile(path: string): Promise<void> {
    await this.guarded('delete', path, { followLeaf: false }, {}, async (r, staged) => {
      if (r.stat === undefined)
        throw fsError(Object.assign(new Error('missing'), { code: 'ENOENT' }), 'delete', r.target);
      if (r.stat.isDirectory())
        throw fsError(Object.assign(new Error('is a directory'), { code: 'EISDIR' }), 'delete', r.target);
      if (staged) return this.options.staging?.delete(r.target);
      await this.boundary.recheck(r);
      // unlink never follows a leaf symlink: deleting a link removes only the link.
      await fsp.unlink(r.target);
    });
  }

  async mkdir(path: string, options: { recursive?: boolean } = {}): Promise<void> {
    await this.guarded(
      'mkdir',
      path,
      { createParents: options.recursive === true, followLeaf: false },
      {},
      async (r, staged) => {
        if (r.stat?.isDirectory() === true) {
          if (options.recursive === true) return;
          throw fsError(Object.assign(new Error('exists'), { code: 'EEXIST' }), 'mkdir', r.target);
        }
        if (r.stat !== undefined)
          throw fsError(Object.assign(new Error('exists'), { code: 'EEXIST' }), 'mkdir', r.target);
        if (staged) return this.options.staging?.mkdir(r.target);
        await this.boundary.recheck(r);
        await fsp.mkdir(r.target);
      },
    );
  }

  async rename(from: string, to: string): Promise<void> {
    const source = await this.checked('rename', from, { followLeaf: false }, {});
    if (source.stat === undefined)
      throw fsError(Object.assign(new Error('missing'), { code: 'ENOENT' }), 'rename', source.target);
    await this.guarded(
      'rename',
      to,
      { createParents: true, followLeaf: false },
      { from: source.target },
      async (dest, staged) => {
        const sourceStaged = this.isStaged(source);
        if (staged || sourceStaged) {
          if (!source.stat?.isFile() && !sourceStaged) throw refusedStagedRename(from);
          const data = await this.readFile(source.target);
          await this.writeFile(dest.target, data);
          await this.deleteFile(source.target);
          return;
        }
        await this.boundary.recheck(source);
        await this.boundary.recheck(dest);
        await fsp.rename(source.target, dest.target);
      },
    );
  }

  private isStaged(r: ResolvedPath): boolean {
    return this.options.staging !== undefined && r.root.name === 'project';
  }

  /** Boundary + permission check, audited when refused. */
  private async checked(
    op: FsOp,
    path: string,
    resolveOptions: ResolveOptions,
    meta: Partial<FsAuditEntry>,
  ): Promise<ResolvedPath> {
    let resolved: ResolvedPath;
    try {
      resolved = await this.boundary.resolve(path, resolveOptions);
    } catch (err) {
      const e = fsError(err, op, path);
      this.record({ op, path, requested: path, staged: false, outcome: 'refused', errorCode: e.code, ...meta });
      throw e;
    }
    const verdict =
      this.options.permissionCheck === undefined ? 'allow' : await this.options.permissionCheck(op, resolved.target);
    if (verdict !== 'allow') {
      this.record({
        op,
        path: resolved.target,
        requested: path,
        staged: false,
        outcome: 'denied',
        errorCode: 'tools.permission_denied',
        ...meta,
      });
      throw new SylkError(`Permission denied: ${op} ${resolved.target}`, {
        code: 'tools.permission_denied',
        tier: ErrorTier.UserFixable,
        details: { op, requested: path, resolved: resolved.target },
      });
    }
    return resolved;
  }

  private async guarded(
    op: FsOp,
    path: string,
    resolveOptions: { createParents?: boolean; followLeaf: boolean },
    meta: Partial<FsAuditEntry>,
    action: (resolved: ResolvedPath, staged: boolean) => Promise<void>,
  ): Promise<void> {
    // With staging attached, resolve without creating live parents; create them only if the
    // target turns out not to be staged (temp/extra roots).
    const wantsParents = resolveOptions.createParents === true;
    const lazy = wantsParents && this.options.staging !== undefined;
    let resolved = await this.checked(
      op,
      path,
      { ...resolveOptions, createParents: !lazy && wantsParents, allowMissingParents: lazy },
      meta,
    );
    const staged = this.isStaged(resolved);
    if (lazy && !staged) resolved = await this.boundary.resolve(path, resolveOptions);
    const base = { op, path: resolved.target, requested: path, staged, ...meta };
    try {
      await this.options.afterCheck?.(resolved);
      await action(resolved, staged);
    } catch (err) {
      const e = fsError(err, op, resolved.target);
      this.record({ ...base, outcome: 'failed', errorCode: e.code });
      throw e;
    }
    this.record({ ...base, outcome: 'ok' });
  }

  private record(entry: Omit<FsAuditEntry, 'at'>): void {
    const full: FsAuditEntry = { ...entry, at: this.options.clock.now() };
    this.logger.debug({ fs: full }, 'fs operation');
    this.options.audit?.(full);
  }
}

function refusedStagedRename(path: string): SylkError {
  return new SylkError(`Only regular files can be renamed inside a pipeline (staging): ${path}`, {
    code: 'tools.staging_unsupported',
    tier: ErrorTier.Permanent,
  });
}
