/** The daemon's live config: one immutable snapshot, swapped whole on reload. */
import { existsSync } from 'node:fs';
import nodePath from 'node:path';
import { watch as chokidarWatch, type FSWatcher } from 'chokidar';
import { errorMessage, silentLogger, type Clock, type Logger } from '@sylk/core';
import { formatWarning, loadConfig } from './load.js';
import type { Env, SylkDirs } from './paths.js';
import { deepEqual, type Tree } from './tree.js';
import type { LoadedConfig, SylkConfig } from './types.js';

export interface ConfigStoreOptions {
  dirs: SylkDirs;
  env: Env;
  logger?: Logger;
  projectRoot?: string;
  /** Quiet time after the last file event before reloading. */
  debounceMs?: number;
  clock?: Clock;
}

export type ConfigListener = (loaded: LoadedConfig, reason: string) => void;
export type ReloadListener = (
  loaded: LoadedConfig,
  info: { reason: string; changed: boolean; previous: LoadedConfig },
) => void;
/** Internal form: section listeners also need the snapshot being replaced. */
type Subscriber = (loaded: LoadedConfig, reason: string, previous: LoadedConfig) => void;

const WATCHED_LAYERS = new Set(['project', 'user', 'project_local', 'env_file']);

/** The nearest existing directory at or above `dir`. */
function existingAncestor(dir: string): string {
  let current = dir;
  while (!existsSync(current) && nodePath.dirname(current) !== current) current = nodePath.dirname(current);
  return current;
}

export class ConfigStore {
  readonly #opts: ConfigStoreOptions;
  readonly #logger: Logger;
  readonly #debounceMs: number;
  readonly #listeners = new Set<Subscriber>();
  readonly #reloadListeners = new Set<ReloadListener>();
  #loaded: LoadedConfig;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  #pending = new Set<string>();
  /** Each config file's last accepted content: a broken edit keeps it instead of the defaults. */
  readonly #lastGood = new Map<string, Tree>();

  constructor(opts: ConfigStoreOptions) {
    this.#opts = opts;
    this.#logger = opts.logger ?? silentLogger();
    this.#debounceMs = opts.debounceMs ?? 500;
    this.#loaded = this.#load();
    this.#announce('configuration loaded', 'startup', true, this.#loaded);
  }

  current(): LoadedConfig {
    return this.#loaded;
  }

  /** Load every layer again, then swap the snapshot in one assignment and tell listeners if it differs. */
  reload(reason: string): { changed: boolean; loaded: LoadedConfig } {
    const previous = this.#loaded;
    const next = this.#load();
    const changed = !deepEqual(previous.config, next.config);
    this.#loaded = next;
    this.#announce('configuration reloaded', reason, changed, next);
    for (const listener of [...this.#reloadListeners]) {
      try {
        listener(next, { reason, changed, previous });
      } catch (err) {
        this.#logger.error({ err: errorMessage(err), reason }, 'config reload listener failed');
      }
    }
    if (changed) {
      for (const listener of [...this.#listeners]) {
        try {
          listener(next, reason, previous);
        } catch (err) {
          this.#logger.error({ err: errorMessage(err), reason }, 'config change listener failed');
        }
      }
    }
    return { changed, loaded: next };
  }

  /** Called after a reload that changed the config (never for an identical one); returns an unsubscribe function. */
  onChange(listener: ConfigListener): () => void {
    return this.#subscribe(listener);
  }

  /**
   * Called after every reload, changed or not: a file that broke keeps its last good content (no
   * change), and its new warnings still need telling. Returns an unsubscribe function.
   */
  onReload(listener: ReloadListener): () => void {
    const entry: ReloadListener = (...args) => listener(...args);
    this.#reloadListeners.add(entry);
    return () => {
      this.#reloadListeners.delete(entry);
    };
  }

  /** Like onChange, but only when `section` itself changed. */
  onSectionChange<K extends keyof SylkConfig>(
    section: K,
    listener: (value: SylkConfig[K], loaded: LoadedConfig) => void,
  ): () => void {
    return this.#subscribe((next, _reason, previous) => {
      if (!deepEqual(next.config[section], previous.config[section])) listener(next.config[section], next);
    });
  }

  #subscribe(subscriber: Subscriber): () => void {
    // Wrapped so the same function can be added twice and removed independently.
    const entry: Subscriber = (...args) => subscriber(...args);
    this.#listeners.add(entry);
    return () => {
      this.#listeners.delete(entry);
    };
  }

  /**
   * Reload after config files change. Files that do not exist yet are watched through their nearest
   * existing ancestor directory, filtered by name, so creating them is noticed too.
   */
  async watch(): Promise<void> {
    if (this.#watcher !== undefined) return;
    const targets = new Set(
      this.#loaded.sources.filter((s) => WATCHED_LAYERS.has(s.layer)).map((s) => nodePath.resolve(s.path)),
    );
    const anchors = [...targets].map((t) => ({ target: t, root: existingAncestor(nodePath.dirname(t)) }));
    const roots = new Set(anchors.map((a) => a.root));
    const onTheWay = (p: string): boolean =>
      roots.has(p) || targets.has(p) || [...targets].some((t) => t.startsWith(p + nodePath.sep));
    // Levels below the watched root down to the file's directory; the filter keeps it cheap.
    const depth = Math.max(
      0,
      ...anchors.map((a) => nodePath.relative(a.root, a.target).split(nodePath.sep).length - 1),
    );
    const watcher = chokidarWatch([...roots], {
      ignoreInitial: true,
      depth,
      ignored: (p: string) => !onTheWay(nodePath.resolve(p)),
    });
    watcher.on('all', (event, path) => {
      if (targets.has(nodePath.resolve(path)) && (event === 'add' || event === 'change' || event === 'unlink')) {
        this.#schedule(nodePath.resolve(path));
      }
    });
    watcher.on('error', (err) => this.#logger.warn({ err: errorMessage(err) }, 'config watcher error'));
    this.#watcher = watcher;
    await new Promise<void>((resolve) => watcher.once('ready', resolve));
    this.#logger.debug({ files: [...targets] }, 'watching config files');
  }

  async close(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const watcher = this.#watcher;
    this.#watcher = undefined;
    await watcher?.close();
  }

  #schedule(path: string): void {
    this.#pending.add(path);
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      const paths = [...this.#pending];
      this.#pending.clear();
      this.#timer = undefined;
      this.reload(`file change: ${paths.join(', ')}`);
    }, this.#debounceMs);
  }

  #load(): LoadedConfig {
    const { dirs, env, projectRoot, clock } = this.#opts;
    return loadConfig({ dirs, env, projectRoot, clock, lastGood: this.#lastGood });
  }

  #announce(msg: string, reason: string, changed: boolean, loaded: LoadedConfig): void {
    const present = loaded.sources.filter((s) => s.present).map((s) => `${s.layer}:${s.path}`);
    this.#logger.info({ reason, changed, sources: present, warnings: loaded.warnings.length }, msg);
    for (const warning of loaded.warnings) {
      this.#logger.warn(
        { reason, file: warning.file, path: warning.path, problem: warning.reason },
        `config problem: ${formatWarning(warning)}`,
      );
    }
  }
}
