import { createHash } from 'node:crypto';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmdirSync,
  rmSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { gitEnv, gitRunner, nulList, type GitRun } from './git.js';
import type { RunFile } from '../exec/run-file.js';

/** Files above this size are not recorded (a turn's snapshot must stay cheap); see docs/sessions.md. */
const DEFAULT_MAX_SNAPSHOT_FILE_BYTES = 10 * 1024 * 1024;

export interface SnapshotStoreOptions {
  /** Where every project's store lives (`<data>/snapshots`); never inside the project. */
  storeRoot: string;
  projectRoot: string;
  maxFileBytes?: number;
  /** Wall clock (ms), compared with file times for git's racy-clean window. */
  now?: () => number;
  /** For PATH only; nothing else of it reaches git. */
  env?: Readonly<Record<string, string | undefined>>;
  /** How git runs (sylkd: through its spawn broker, off the main thread); default in this process. */
  runFile?: RunFile;
}

/** The project's files at one moment: a git tree id, and the files too large to record. */
export interface Snapshot {
  tree: string;
  skipped: string[];
}

/** One turn to revert: the project's files before and after it. */
export interface TurnTrees {
  before: string;
  after: string;
}

type RestoreAction = 'restored' | 'deleted';
export interface RestoredFile {
  path: string;
  action: RestoreAction;
}
export interface KeptFile {
  path: string;
  reason: string;
}
export interface RevertReceipt {
  restored: RestoredFile[];
  /** Changed since the turn (by the user, or something else): left as they are. */
  kept: KeptFile[];
  /** Already as they were before the turn. */
  unchanged: string[];
}

interface Entry {
  mode: string;
  oid: string;
}

/** Per store: the tree the index held when last written, and when it was written (ms). */
const lastWrite = new Map<string, { tree: string; at: number }>();

/**
 * Index entries written within the same second as the files they record are "racily clean":
 * git compares their content on every scan until the index is rewritten later (git's stat data
 * has whole seconds here). A refresh a little after such a write keeps the no-change scan cheap.
 */
const RACY_MS = 1_100;

/** An `index.lock` older than this was left by a git that died (git calls time out sooner). */
const STALE_LOCK_MS = 3 * 60_000;

/** From this many files to add, `git add` writes them into a pack (bulk check-in). */
const PACK_FROM_FILES = 500;

/** Serializes git calls per store (one index per project, shared by its sessions). */
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(key: string, work: () => Promise<T>): Promise<T> {
  const prev = queues.get(key) ?? Promise.resolve();
  const next = prev.then(work, work);
  const tail = next.catch(() => undefined);
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return next;
}

/**
 * Snapshots of a project's files in a private git object store outside the working tree
 * (`<storeRoot>/<hash of the project path>`), so an agent's turn can be reverted. `.gitignore`
 * rules apply; symlinks are recorded as links (never followed); files over `maxFileBytes` are
 * skipped and reported. The store's index keeps stat data, so a snapshot of an unchanged project
 * is one `ls-files` scan (the tree last written is reused).
 */
export class SnapshotStore {
  readonly gitDir: string;
  readonly projectRoot: string;
  private readonly git: GitRun;
  private readonly maxFileBytes: number;
  private ready = false;
  private readonly largeExclude: string;
  private readonly now: () => number;

  constructor(opts: SnapshotStoreOptions) {
    this.projectRoot = resolve(opts.projectRoot);
    this.gitDir = SnapshotStore.dirFor(opts.storeRoot, this.projectRoot);
    this.maxFileBytes = opts.maxFileBytes ?? DEFAULT_MAX_SNAPSHOT_FILE_BYTES;
    this.now = opts.now ?? Date.now;
    this.largeExclude = join(this.gitDir, 'sylk-too-large');
    this.git = gitRunner(this.gitDir, this.projectRoot, gitEnv(opts.env ?? process.env, this.gitDir), opts.runFile);
  }

  static dirFor(storeRoot: string, projectRoot: string): string {
    return join(storeRoot, createHash('sha256').update(resolve(projectRoot)).digest('hex').slice(0, 32));
  }

  /** Records the project's files now. */
  track(): Promise<Snapshot> {
    return serialized(this.gitDir, () => this.trackNow());
  }

  /** track() without the queue (callers hold it). */
  private async trackNow(): Promise<Snapshot> {
    await this.init();
    this.clearStaleLock();
    const last = lastWrite.get(this.gitDir);
    if (last === undefined || (last.at > 0 && this.now() - last.at > RACY_MS)) {
      await this.git(['update-index', '-q', '--refresh']).catch(() => undefined); // exit 1 = some entries need update
      if (last !== undefined) lastWrite.set(this.gitDir, { tree: last.tree, at: 0 });
    }
    // Only what differs from the index is looked at: nothing changed means nothing to add.
    const changed = nulList(await this.git(['ls-files', '-z', '--others', '--modified', '--exclude-standard']));
    const skipped: string[] = [];
    const add: string[] = [];
    for (const path of new Set(changed.map((p) => p.replace(/\/$/, '')))) {
      const size = sizeOf(join(this.projectRoot, path));
      if (size !== undefined && size > this.maxFileBytes) skipped.push(path);
      else add.push(path);
    }
    if (skipped.length > 0)
      await this.git(['rm', '-q', '--cached', '--ignore-unmatch', '--pathspec-from-file=-', '--pathspec-file-nul'], {
        input: skipped.join('\0'),
      });
    // The whole tree is added (a path list fails where a symlink became a directory); the files
    // too large to record are excluded for this add only.
    writeFileSync(this.largeExclude, skipped.map(excludePattern).join(''));
    // Many new files (a project's first snapshot): streamed into one pack instead of a loose
    // object file each (10,000 files: ~2.5 s instead of ~7 s on a busy disk).
    const packed = add.length >= PACK_FROM_FILES ? ['-c', 'core.bigFileThreshold=1'] : [];
    if (add.length > 0) await this.git([...packed, '-c', `core.excludesFile=${this.largeExclude}`, 'add', '-A']);
    const known = lastWrite.get(this.gitDir);
    if (add.length === 0 && skipped.length === 0 && known !== undefined) return { tree: known.tree, skipped };
    const tree = (await this.git(['write-tree'])).toString('utf8').trim();
    lastWrite.set(this.gitDir, { tree, at: add.length > 0 || known === undefined ? this.now() : known.at });
    return { tree, skipped };
  }

  /** Paths that differ between two snapshots. */
  async changedPaths(from: string, to: string): Promise<string[]> {
    return nulList(await this.git(['diff-tree', '-r', '-z', '--no-renames', '--name-only', from, to]));
  }

  /**
   * Returns the files the given turns changed (oldest first) to how they are in `target` (the
   * snapshot before the first of them). A file whose current content is not what the last turn
   * that changed it left is kept (and reported) unless `force`.
   */
  revert(target: Snapshot, turns: readonly TurnTrees[], opts: { force?: boolean } = {}): Promise<RevertReceipt> {
    if (turns.length === 0) return Promise.resolve({ restored: [], kept: [], unchanged: [] });
    return serialized(this.gitDir, async () => {
      await this.init();
      const expected = new Map<string, string>(); // path → tree of the last turn that changed it
      for (const t of turns) for (const path of await this.changedPaths(t.before, t.after)) expected.set(path, t.after);
      const now = await this.trackNow();
      const paths = [...expected.keys()].sort();
      const wanted = await this.entries(target.tree, paths);
      const current = await this.entries(now.tree, paths);
      const afterTrees = new Map<string, Map<string, Entry>>();
      for (const tree of new Set(expected.values()))
        afterTrees.set(
          tree,
          await this.entries(
            tree,
            paths.filter((p) => expected.get(p) === tree),
          ),
        );
      const tooLargeBefore = new Set(target.skipped);
      const tooLargeNow = new Set(now.skipped);

      const receipt: RevertReceipt = { restored: [], kept: [], unchanged: [] };
      const checkout: string[] = [];
      const remove: string[] = [];
      for (const path of paths) {
        const tgt = wanted.get(path);
        const cur = current.get(path);
        const exp = afterTrees.get(expected.get(path) as string)?.get(path);
        if (tgt === undefined && tooLargeBefore.has(path)) {
          receipt.kept.push({ path, reason: 'was larger than the snapshot size limit before the turn: not recorded' });
          continue;
        }
        if (!tooLargeNow.has(path) && same(cur, tgt)) {
          receipt.unchanged.push(path);
          continue;
        }
        if (!opts.force && (tooLargeNow.has(path) || !same(cur, exp))) {
          receipt.kept.push({
            path,
            reason: cur === undefined && !tooLargeNow.has(path) ? 'deleted since the turn' : 'changed since the turn',
          });
          continue;
        }
        if (tgt === undefined) remove.push(path);
        else checkout.push(path);
      }
      for (const path of remove) {
        const refused = removeFile(this.projectRoot, path);
        if (refused === undefined) receipt.restored.push({ path, action: 'deleted' });
        else receipt.kept.push({ path, reason: refused });
      }
      if (checkout.length > 0) {
        // A private index holding the target tree; checkout-index replaces a symlinked parent
        // directory rather than writing through it.
        const index = join(this.gitDir, `rewind-${process.pid}.index`);
        try {
          await this.git(['read-tree', target.tree], { env: { GIT_INDEX_FILE: index } });
          await this.git(['checkout-index', '-f', '-z', '--stdin'], {
            env: { GIT_INDEX_FILE: index },
            input: checkout.join('\0'),
          });
        } finally {
          rmSync(index, { force: true });
        }
        for (const path of checkout) receipt.restored.push({ path, action: 'restored' });
      }
      // The store's index learns the restored state, so the next snapshot stays cheap.
      if (receipt.restored.length > 0) await this.trackNow();
      return receipt;
    });
  }

  /** Entries of `tree` for `paths` (absent paths are missing from the map). */
  private async entries(tree: string, paths: readonly string[]): Promise<Map<string, Entry>> {
    const map = new Map<string, Entry>();
    if (paths.length === 0) return map;
    const wanted = new Set(paths);
    for (const line of nulList(await this.git(['ls-tree', '-r', '-z', '--full-tree', tree]))) {
      const tab = line.indexOf('\t');
      const path = line.slice(tab + 1);
      if (!wanted.has(path)) continue;
      const [mode, , oid] = line.slice(0, tab).split(' ');
      map.set(path, { mode: mode as string, oid: oid as string });
    }
    return map;
  }

  /**
   * A git killed mid-write (the daemon's process group killed, OOM) leaves `index.lock`, and every
   * later snapshot would fail. Calls are serialized and time out after 2 minutes, so an older
   * lock belongs to no running git.
   */
  private clearStaleLock(): void {
    const lock = join(this.gitDir, 'index.lock');
    try {
      if (this.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) rmSync(lock, { force: true });
    } catch {
      // no lock
    }
  }

  /** Creates the store when it is missing (first use, or someone deleted it to free the space). */
  private async init(): Promise<void> {
    const exists = existsSync(join(this.gitDir, 'HEAD'));
    if (this.ready && exists) return;
    if (!exists) {
      lastWrite.delete(this.gitDir);
      mkdirSync(this.gitDir, { recursive: true, mode: 0o700 });
      await this.git(['init', '-q']);
      for (const [key, value] of [
        ['core.autocrlf', 'false'],
        ['core.symlinks', 'true'],
        ['core.untrackedCache', 'true'],
        ['core.fsmonitor', 'false'],
        ['gc.auto', '0'],
      ] as const) {
        await this.git(['config', key, value]);
      }
    }
    // Byte-exact: the project's .gitattributes must not convert line endings, expand idents or
    // name filters on the way in or out (info/attributes takes precedence over the project's).
    mkdirSync(join(this.gitDir, 'info'), { recursive: true, mode: 0o700 });
    writeFileSync(join(this.gitDir, 'info', 'attributes'), '* -text !eol -ident -filter -working-tree-encoding\n');
    this.ready = true;
  }
}

function same(a: Entry | undefined, b: Entry | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.mode === b.mode && a.oid === b.oid;
}

/** A gitignore line matching exactly `path` from the root. */
function excludePattern(path: string): string {
  return `/${path.replace(/[\\*?[\]!# ]/g, (c) => `\\${c}`)}\n`;
}

function sizeOf(path: string): number | undefined {
  try {
    const st = lstatSync(path);
    return st.isFile() ? st.size : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deletes a file the turn created (a symlink itself, never its target), then its parent
 * directories that became empty. Never leaves the project: a path through a symlinked
 * directory is left alone. Returns why it was not deleted, if it was not.
 */
function removeFile(root: string, path: string): string | undefined {
  const parts = path.split('/');
  let dir = root;
  for (const part of parts.slice(0, -1)) {
    dir = join(dir, part);
    try {
      if (!lstatSync(dir).isDirectory()) return `${dir.slice(root.length + 1)} is no longer a directory`;
    } catch {
      return undefined; // already gone
    }
  }
  const full = join(root, path);
  try {
    // A nested repository the turn created is recorded as one entry: never deleted wholesale.
    if (lstatSync(full).isDirectory()) return 'a nested repository: delete it yourself if it should go';
    unlinkSync(full);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  for (let d = dirname(full); d.startsWith(root + sep) && d !== root; d = dirname(d)) {
    try {
      if (readdirSync(d).length > 0) break;
      rmdirSync(d);
    } catch {
      break;
    }
  }
  return undefined;
}
