import { promises as fsp } from 'node:fs';
import { relative } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import picomatch from 'picomatch';
import { glob } from 'tinyglobby';
import { silentLogger, type Clock, type Logger } from '@sylk/core';
import { sha256, sha256File } from '../fs/index.js';
import { globToRegExp, normalizeCommand } from '../parsers/index.js';
import { DEFAULT_CACHE_POLICIES, type CachePolicy } from './policies.js';

export interface CachedOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export interface OutputCacheOptions {
  clock: Clock;
  policies?: CachePolicy[];
  maxEntries?: number;
  maxBytes?: number;
  defaultTtlMs?: number;
  /** Watch each project root with chokidar and drop entries on matching changes. */
  watch?: boolean;
  logger?: Logger;
  onInvalidate?: (tool: string, root: string, path: string | undefined, dropped: number) => void;
}

interface Entry {
  tool: string;
  root: string;
  output: CachedOutput;
  bytes: number;
  expiresAt: number;
}

const IGNORE = ['**/node_modules/**', '**/.git/**', '**/dist/**'];

/**
 * Output cache for deterministic tools (SPEC 2.6.1). Key = sha256(argv, cwd, content hashes of
 * the policy's input files), so an edit changes the key even without the watcher; the watcher
 * frees stale entries early. LRU on both the entry and the byte cap.
 */
export class OutputCache {
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Promise<FSWatcher>>();
  private readonly policies: Array<CachePolicy & { regexes: RegExp[]; changed: (rel: string) => boolean }>;
  private bytes = 0;
  private readonly logger: Logger;
  private counters = { hits: 0, misses: 0 };

  constructor(private readonly options: OutputCacheOptions) {
    this.policies = (options.policies ?? DEFAULT_CACHE_POLICIES).map((p) => ({
      ...p,
      regexes: p.commands.map(globToRegExp),
      changed: picomatch(p.invalidateOn ?? p.inputs, { dot: true }),
    }));
    this.logger = options.logger ?? silentLogger();
  }

  policyFor(argv: string[]): CachePolicy | undefined {
    const line = normalizeCommand(argv.join(' '));
    return this.policies.find((p) => p.regexes.some((r) => r.test(line)) && (p.when?.(argv) ?? true));
  }

  /** undefined when the command is not cacheable. */
  async key(argv: string[], cwd: string): Promise<string | undefined> {
    const policy = this.policyFor(argv);
    if (policy === undefined) return undefined;
    const root = await fsp.realpath(cwd);
    const files = (await glob(policy.inputs, { cwd: root, ignore: IGNORE, dot: true, onlyFiles: true, followSymbolicLinks: false })).sort();
    const hashes: Array<[string, string | null]> = [];
    for (const f of files) hashes.push([f, await sha256File(`${root}/${f}`).catch(() => null)]);
    return sha256(JSON.stringify([argv, root, hashes]));
  }

  async get(argv: string[], cwd: string): Promise<CachedOutput | undefined> {
    const key = await this.key(argv, cwd);
    return key === undefined ? undefined : this.lookup(key);
  }

  async set(argv: string[], cwd: string, output: CachedOutput): Promise<void> {
    const key = await this.key(argv, cwd);
    if (key !== undefined) await this.store(key, argv, cwd, output);
  }

  /** Runs on a miss; stores only if the inputs did not change while the tool ran. */
  async getOrRun(argv: string[], cwd: string, run: () => Promise<CachedOutput>): Promise<{ output: CachedOutput; hit: boolean }> {
    const key = await this.key(argv, cwd);
    if (key === undefined) return { output: await run(), hit: false };
    const cached = this.lookup(key);
    if (cached !== undefined) return { output: cached, hit: true };
    const output = await run();
    if ((await this.key(argv, cwd)) === key) await this.store(key, argv, cwd, output);
    return { output, hit: false };
  }

  /** Drops every entry of a tool (optionally only under one root); returns how many. */
  invalidate(tool: string, root?: string): number {
    let dropped = 0;
    for (const [key, e] of this.entries) {
      if (e.tool !== tool || (root !== undefined && e.root !== root)) continue;
      this.drop(key, e);
      dropped++;
    }
    return dropped;
  }

  stats(): { entries: number; bytes: number; hits: number; misses: number } {
    return { entries: this.entries.size, bytes: this.bytes, ...this.counters };
  }

  /** Resolves once the watcher for this project root is ready (tests, warm-up). */
  async watching(cwd: string): Promise<void> {
    await this.ensureWatcher(await fsp.realpath(cwd));
  }

  async close(): Promise<void> {
    const watchers = [...this.watchers.values()];
    this.watchers.clear();
    await Promise.all(watchers.map(async (w) => (await w).close()));
  }

  private lookup(key: string): CachedOutput | undefined {
    const e = this.entries.get(key);
    if (e === undefined || e.expiresAt <= this.options.clock.now()) {
      if (e !== undefined) this.drop(key, e);
      this.counters.misses++;
      return undefined;
    }
    this.entries.delete(key); // refresh LRU position
    this.entries.set(key, e);
    this.counters.hits++;
    return e.output;
  }

  private async store(key: string, argv: string[], cwd: string, output: CachedOutput): Promise<void> {
    const policy = this.policyFor(argv);
    if (policy === undefined) return;
    const root = await fsp.realpath(cwd);
    const bytes = Buffer.byteLength(output.stdout) + Buffer.byteLength(output.stderr);
    const maxBytes = this.options.maxBytes ?? 100 * 1024 * 1024;
    if (bytes > maxBytes) return;
    const old = this.entries.get(key);
    if (old !== undefined) this.drop(key, old);
    const ttl = policy.ttlMs ?? this.options.defaultTtlMs ?? 5 * 60 * 1000;
    this.entries.set(key, { tool: policy.tool, root, output, bytes, expiresAt: this.options.clock.now() + ttl });
    this.bytes += bytes;
    const maxEntries = this.options.maxEntries ?? 1000;
    for (const [k, e] of this.entries) {
      if (this.entries.size <= maxEntries && this.bytes <= maxBytes) break;
      this.drop(k, e);
    }
    if (this.options.watch === true) await this.ensureWatcher(root);
  }

  private drop(key: string, e: Entry): void {
    if (this.entries.delete(key)) this.bytes -= e.bytes;
  }

  private ensureWatcher(root: string): Promise<FSWatcher> {
    let w = this.watchers.get(root);
    if (w === undefined) {
      w = new Promise<FSWatcher>((resolveReady, reject) => {
        const watcher = watch(root, { ignoreInitial: true, ignored: (p: string) => /[\\/](node_modules|\.git)([\\/]|$)/.test(p) });
        watcher.on('all', (_event, path) => this.onChange(root, relative(root, path)));
        watcher.once('ready', () => resolveReady(watcher));
        watcher.once('error', reject);
      });
      this.watchers.set(root, w);
    }
    return w;
  }

  private onChange(root: string, rel: string): void {
    for (const p of this.policies) {
      if (!p.changed(rel)) continue;
      const dropped = this.invalidate(p.tool, root);
      if (dropped > 0) this.logger.debug({ tool: p.tool, root, path: rel, dropped }, 'cache entries invalidated');
      this.options.onInvalidate?.(p.tool, root, rel, dropped);
    }
  }
}
