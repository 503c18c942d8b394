/**
 * Each session's effective config: its project's layers over the daemon's (defaults < user <
 * project `.sylk/config.yaml` < project-local `.sylk/local/config.yaml` < environment; see
 * @sylk/config loadConfig, which keeps only the settings a repository may decide). One
 * ConfigStore and one file watcher per project, shared by that project's loaded sessions and
 * closed with the last of them; a reload swaps the snapshot the next turn reads.
 */
import {
  ConfigStore,
  formatWarning,
  loadConfig,
  type ConfigWarning,
  type LoadedConfig,
  type SylkConfig,
  type SylkDirs,
  type ToolsConfig,
} from '@sylk/config';
import { errorMessage, type Clock, type Logger } from '@sylk/core';

export interface ProjectConfigsOptions {
  dirs: SylkDirs;
  env: Readonly<Record<string, string | undefined>>;
  logger: Logger;
  clock?: Clock;
  /** Quiet time after the last file event before reloading (ConfigStore's default when absent). */
  debounceMs?: number;
}

/** What one reload of a project's config brought. */
export interface ProjectConfigUpdate {
  /** Dotted keys whose effective value changed (the first few). */
  changed: string[];
  /** Problems in the project's files not reported before. */
  newWarnings: string[];
}

/** One session's hold on its project's config. */
export interface ProjectConfig {
  readonly projectRoot: string;
  /** The effective config now (read it at each turn; never cache it). */
  config(): SylkConfig;
  loaded(): LoadedConfig;
  /** Problems in the project's own config files, one line each. */
  warnings(): string[];
  onReload(listener: (update: ProjectConfigUpdate) => void): () => void;
  /** Done with it: the project's watcher closes with its last holder. Safe to call twice. */
  release(): Promise<void>;
}

interface Entry {
  store: ConfigStore;
  holders: number;
  watching: Promise<void>;
}

const MAX_CHANGED_KEYS = 8;

/** Warnings about the project's own files (the user file's are the daemon's, logged at its load). */
function projectWarnings(loaded: LoadedConfig): ConfigWarning[] {
  const files = new Set(
    loaded.sources.filter((s) => s.layer === 'project' || s.layer === 'project_local').map((s) => s.path),
  );
  return loaded.warnings.filter((w) => files.has(w.file));
}

/**
 * Leaf keys that differ between two configs, dotted, at most `max`.
 * @internal exported for tests
 */
export function changedKeys(before: unknown, after: unknown, max = MAX_CHANGED_KEYS, prefix = ''): string[] {
  const out: string[] = [];
  const walk = (a: unknown, b: unknown, path: string): void => {
    if (out.length >= max) return;
    const objects =
      typeof a === 'object' &&
      a !== null &&
      !Array.isArray(a) &&
      typeof b === 'object' &&
      b !== null &&
      !Array.isArray(b);
    if (!objects) {
      if (JSON.stringify(a) !== JSON.stringify(b)) out.push(path);
      return;
    }
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const key of [...keys].sort())
      walk(
        (a as Record<string, unknown>)[key],
        (b as Record<string, unknown>)[key],
        path === '' ? key : `${path}.${key}`,
      );
  };
  walk(before, after, prefix);
  return out;
}

/**
 * The tools settings a session's executor gets: the project's, except what would loosen
 * containment, which a repository never decides: its blocklist can only add names to the user's,
 * and the extra writable roots are the user's alone.
 */
export function sessionTools(project: ToolsConfig, daemon: ToolsConfig): ToolsConfig {
  return {
    ...project,
    env_blocklist: [...new Set([...daemon.env_blocklist, ...project.env_blocklist])],
    extra_roots: daemon.extra_roots,
  };
}

export class ProjectConfigs {
  readonly #entries = new Map<string, Entry>();

  constructor(private readonly opts: ProjectConfigsOptions) {}

  /** Hold a project's config (loading and watching it on first use). */
  async acquire(projectRoot: string): Promise<ProjectConfig> {
    let entry = this.#entries.get(projectRoot);
    if (entry === undefined) {
      const logger = this.opts.logger.child({ component: 'project-config', projectRoot });
      const store = new ConfigStore({
        dirs: this.opts.dirs,
        env: this.opts.env,
        projectRoot,
        logger,
        ...(this.opts.clock !== undefined ? { clock: this.opts.clock } : {}),
        ...(this.opts.debounceMs !== undefined ? { debounceMs: this.opts.debounceMs } : {}),
      });
      // Without a watcher (inotify limits) the session still gets the config loaded now.
      const watching = store
        .watch()
        .catch((err: unknown) =>
          logger.warn(
            { err: errorMessage(err) },
            'cannot watch the project config; changes apply when the session is next loaded',
          ),
        );
      entry = { store, holders: 0, watching };
      this.#entries.set(projectRoot, entry);
    }
    entry.holders++;
    await entry.watching;
    return this.#handle(projectRoot, entry);
  }

  /** A project's effective config now: the live one when a session holds it, else loaded once. */
  peek(projectRoot: string): LoadedConfig {
    return (
      this.#entries.get(projectRoot)?.store.current() ??
      loadConfig({
        dirs: this.opts.dirs,
        env: this.opts.env,
        projectRoot,
        ...(this.opts.clock !== undefined ? { clock: this.opts.clock } : {}),
      })
    );
  }

  /** Projects with a live store (tests and status). */
  get watched(): string[] {
    return [...this.#entries.keys()];
  }

  async closeAll(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    await Promise.all(entries.map((e) => e.store.close()));
  }

  #handle(projectRoot: string, entry: Entry): ProjectConfig {
    const store = entry.store;
    let released = false;
    const offs: Array<() => void> = [];
    return {
      projectRoot,
      config: () => store.current().config,
      loaded: () => store.current(),
      warnings: () => projectWarnings(store.current()).map(formatWarning),
      onReload: (listener) => {
        let reported = new Set(projectWarnings(store.current()).map(formatWarning));
        const off = store.onReload((next, info) => {
          const now = projectWarnings(next).map(formatWarning);
          const newWarnings = now.filter((w) => !reported.has(w));
          reported = new Set(now);
          const changed = info.changed ? changedKeys(info.previous.config, next.config) : [];
          if (changed.length > 0 || newWarnings.length > 0) listener({ changed, newWarnings });
        });
        offs.push(off);
        return off;
      },
      release: async () => {
        if (released) return;
        released = true;
        for (const off of offs) off();
        entry.holders--;
        if (entry.holders > 0 || this.#entries.get(projectRoot) !== entry) return;
        this.#entries.delete(projectRoot);
        await store.close();
      },
    };
  }
}

/**
 * Tells a session about its project's config as notices: the problems in its files now (except
 * those it was `told` before it was last unloaded), then each new problem (the last good values
 * stay in effect) and each change (from the next turn on).
 */
export async function reportProjectConfig(
  project: ProjectConfig,
  notice: (message: string) => Promise<unknown>,
  logger: Logger,
  told: readonly string[] = [],
): Promise<void> {
  const problems = (lines: string[]) =>
    `Project configuration problem${lines.length > 1 ? 's' : ''} (the last good values stay in effect until fixed):\n${lines.map((l) => `- ${l}`).join('\n')}`;
  const post = (message: string) =>
    void notice(message).catch((err: unknown) =>
      logger.error({ err: errorMessage(err) }, 'could not post a config notice'),
    );
  const now = project.warnings().filter((w) => !told.includes(w));
  if (now.length > 0) await notice(problems(now));
  project.onReload((update) => {
    if (update.newWarnings.length > 0) post(problems(update.newWarnings));
    if (update.changed.length > 0)
      post(`Configuration changed (${update.changed.join(', ')}); it applies from the next turn.`);
  });
}
