import { constants, createWriteStream, promises as fsp } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Clock, type Logger } from '@sylk/core';
import { PathBoundary, sha256, sha256File, writeFileAtomic, type StagingSink } from '../fs/index.js';
import { JOURNAL, MANIFEST, readJson, saveJson, type Manifest } from './manifest.js';
import { Mutex } from './mutex.js';
import { mergeStaged, recoverMerge, type MergeReport, type RecoverOutcome } from './merge.js';

export type MergeStep = 'backup' | 'apply' | 'rollback';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkId(kind: string, id: string): string {
  if (!SAFE_ID.test(id) || id.includes('..')) {
    throw new SylkError(`Invalid ${kind} id ${JSON.stringify(id)}`, {
      code: 'tools.invalid_id',
      tier: ErrorTier.Permanent,
    });
  }
  return id;
}

export interface StagingOptions {
  /** `{data}/staging`; this pipeline's dir is `<stagingRoot>/<pipelineId>/`. */
  stagingRoot: string;
  pipelineId: string;
  projectRoot: string;
  clock: Clock;
  logger?: Logger;
  /** Test hook: throw to simulate a failure at a merge step. */
  faultInjector?: (step: MergeStep, relPath: string) => void | Promise<void>;
}

export interface ModifiedFiles {
  modified: string[];
  created: string[];
  deleted: string[];
}

export interface StagingConflict {
  path: string;
  reason: 'changed' | 'created_exists' | 'deleted_live' | 'not_a_file' | 'outside_roots';
}

/** Live state of one project-relative path, as merge and conflict checks see it. */
export interface LiveState {
  hash: string | null;
  problem?: StagingConflict['reason'];
}

/**
 * Copy-on-write staging for one pipeline. Paths are project-relative keys; staged
 * content lives in `blobs/<sha256(path)>` so agent-chosen names never shape the staging tree.
 */
export class StagingArea implements StagingSink {
  readonly dir: string;
  readonly boundary: PathBoundary;
  readonly logger: Logger;
  private readonly lock = new Mutex();

  private constructor(
    readonly options: StagingOptions,
    readonly projectReal: string,
    public manifest: Manifest,
  ) {
    this.dir = join(options.stagingRoot, options.pipelineId);
    this.boundary = new PathBoundary({ project: projectReal });
    this.logger = options.logger ?? silentLogger();
  }

  static async open(options: StagingOptions): Promise<StagingArea> {
    checkId('pipeline', options.pipelineId);
    const projectReal = await fsp.realpath(options.projectRoot);
    const dir = join(options.stagingRoot, options.pipelineId);
    await fsp.mkdir(join(dir, 'blobs'), { recursive: true, mode: 0o700 });
    await fsp.chmod(dir, 0o700);
    const now = options.clock.now();
    const manifest = (await readJson<Manifest>(dir, MANIFEST)) ?? {
      version: 1,
      pipelineId: options.pipelineId,
      projectRoot: projectReal,
      createdAt: now,
      updatedAt: now,
      entries: {},
      dirs: [],
    };
    if (manifest.projectRoot !== projectReal) {
      throw new SylkError(`Staging ${dir} belongs to project ${manifest.projectRoot}, not ${projectReal}`, {
        code: 'tools.staging_project_mismatch',
        tier: ErrorTier.Permanent,
      });
    }
    return new StagingArea(options, projectReal, manifest);
  }

  /** Project-relative key for a path (absolute or relative to the project). */
  relOf(path: string): string {
    const rel = relative(this.projectReal, resolve(this.projectReal, path));
    if (rel === '' || rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) {
      throw new SylkError(`Path "${path}" is outside the project root "${this.projectReal}"`, {
        code: 'tools.path_outside_roots',
        tier: ErrorTier.Permanent,
        details: { requested: path, boundary: this.projectReal },
      });
    }
    return rel.split(sep).join('/');
  }

  livePath(rel: string): string {
    return join(this.projectReal, ...rel.split('/'));
  }

  blobPath(rel: string): string {
    return join(this.dir, 'blobs', sha256(rel));
  }

  /** The live file as the pipeline first touched it (absent for a file it created): a patch's base. */
  basePath(rel: string): string {
    return join(this.dir, 'base', sha256(rel));
  }

  async write(path: string, data: string | Uint8Array): Promise<void> {
    const rel = this.relOf(path);
    await this.lock.run(async () => {
      const entry = this.manifest.entries[rel] ?? { original: await this.originalHash(rel), state: 'written' as const };
      await writeFileAtomic(join(this.dir, 'blobs'), sha256(rel), data, { mode: 0o600 });
      this.manifest.entries[rel] = { ...entry, state: 'written', staged: sha256(data) };
      await this.save();
    });
  }

  async delete(path: string): Promise<void> {
    const rel = this.relOf(path);
    await this.lock.run(async () => {
      const entry = this.manifest.entries[rel];
      if (entry === undefined) {
        const original = await this.originalHash(rel);
        if (original === null) throw missing(path);
        this.manifest.entries[rel] = { original, state: 'deleted' };
      } else if (entry.state === 'deleted') {
        throw missing(path);
      } else if (entry.original === null) {
        delete this.manifest.entries[rel]; // created then deleted inside the pipeline: nothing to merge
      } else {
        this.manifest.entries[rel] = { original: entry.original, state: 'deleted' };
      }
      await fsp.rm(this.blobPath(rel), { force: true });
      await this.save();
    });
  }

  async mkdir(path: string): Promise<void> {
    const rel = this.relOf(path);
    await this.lock.run(async () => {
      if (!this.manifest.dirs.includes(rel)) this.manifest.dirs.push(rel);
      await this.save();
    });
  }

  /** Staged content if any, a tombstone as ENOENT, else the live file. */
  async read(path: string): Promise<Buffer> {
    const rel = this.relOf(path);
    const entry = this.manifest.entries[rel];
    if (entry?.state === 'deleted') throw missing(path);
    return fsp.readFile(entry === undefined ? this.livePath(rel) : this.blobPath(rel));
  }

  listModified(): ModifiedFiles {
    const out: ModifiedFiles = { modified: [], created: [], deleted: [] };
    for (const [rel, e] of Object.entries(this.manifest.entries).sort(([a], [b]) => a.localeCompare(b))) {
      if (e.state === 'deleted') out.deleted.push(rel);
      else if (e.original === null) out.created.push(rel);
      else out.modified.push(rel);
    }
    return out;
  }

  async conflicts(): Promise<StagingConflict[]> {
    const found: StagingConflict[] = [];
    for (const [rel, e] of Object.entries(this.manifest.entries)) {
      const live = await this.liveState(rel);
      if (live.problem !== undefined) found.push({ path: rel, reason: live.problem });
      else if (live.hash !== e.original) {
        found.push({
          path: rel,
          reason: e.original === null ? 'created_exists' : live.hash === null ? 'deleted_live' : 'changed',
        });
      }
    }
    return found.sort((a, b) => a.path.localeCompare(b.path));
  }

  /** Hash of the live file through the project boundary; a symlink or dir at the path is a problem. */
  async liveState(rel: string): Promise<LiveState> {
    try {
      const r = await this.boundary.resolve(this.livePath(rel), { followLeaf: false });
      if (r.stat === undefined) return { hash: null };
      if (!r.stat.isFile()) return { hash: null, problem: 'not_a_file' };
      return { hash: await sha256File(r.target) };
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return { hash: null };
      if (err instanceof SylkError && err.code === 'tools.path_outside_roots')
        return { hash: null, problem: 'outside_roots' };
      throw err;
    }
  }

  /** All-or-nothing merge into the live tree; refuses on conflicts; removes staging after. */
  merge(): Promise<MergeReport> {
    return this.lock.run(() => mergeStaged(this));
  }

  /** Completes or rolls back a merge interrupted by a crash (journal in the staging dir). */
  recover(options: { prefer?: 'rollback' | 'complete' } = {}): Promise<RecoverOutcome> {
    return this.lock.run(() => recoverMerge(this, options.prefer ?? 'rollback'));
  }

  async abort(): Promise<void> {
    await this.lock.run(async () => {
      if ((await readJson(this.dir, JOURNAL)) !== undefined) await recoverMerge(this, 'rollback');
      await fsp.rm(this.dir, { recursive: true, force: true });
    });
  }

  async inject(step: MergeStep, rel: string): Promise<void> {
    await this.options.faultInjector?.(step, rel);
  }

  /** The live file's hash at first touch, with a copy of it kept (basePath): the hash is the copy's. */
  private async originalHash(rel: string): Promise<string | null> {
    const live = await this.liveState(rel);
    if (live.problem !== undefined) {
      throw new SylkError(`Cannot stage "${rel}": the live path is ${live.problem.replace('_', ' ')}`, {
        code: 'tools.staging_unsupported',
        tier: ErrorTier.Permanent,
      });
    }
    if (live.hash === null) return null;
    const target = (await this.boundary.resolve(this.livePath(rel), { followLeaf: false })).target;
    await fsp.mkdir(join(this.dir, 'base'), { recursive: true, mode: 0o700 });
    // Never through a link put there since the check: the copy is of a regular file or nothing.
    const source = await fsp.open(target, constants.O_RDONLY | constants.O_NOFOLLOW);
    try {
      await pipeline(
        source.createReadStream({ autoClose: false }),
        createWriteStream(this.basePath(rel), { mode: 0o600 }),
      );
    } finally {
      await source.close();
    }
    return sha256File(this.basePath(rel));
  }

  private async save(): Promise<void> {
    this.manifest.updatedAt = this.options.clock.now();
    await saveJson(this.dir, MANIFEST, this.manifest);
  }
}

function missing(path: string): SylkError {
  return new SylkError(`No such file: ${path}`, {
    code: 'tools.fs_enoent',
    tier: ErrorTier.Permanent,
    details: { path, errno: 'ENOENT' },
  });
}
