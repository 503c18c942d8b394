import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '@sylk/core';
import { treeBytes } from './disk-usage.js';

/** A file or directory a cleaner may delete. */
export interface Removable {
  path: string;
  /** Last change (ms since the epoch): oldest go first. */
  mtimeMs: number;
  isDirectory: boolean;
}

export interface RemoveOldestOptions {
  candidates: readonly Removable[];
  /** Stop once this many bytes are freed. */
  bytes: number;
  /** Only what last changed longer ago than this. */
  olderThanMs: number;
  clock: Clock;
  /** Told about each removed path (DiskUsage.forget). */
  removed?: (path: string) => void;
}

/** Deletes the oldest candidates older than the cutoff until `bytes` are freed; returns the bytes freed. */
export async function removeOldest(opts: RemoveOldestOptions): Promise<number> {
  const cutoff = opts.clock.now() - opts.olderThanMs;
  const old = opts.candidates.filter((c) => c.mtimeMs < cutoff).sort((a, b) => a.mtimeMs - b.mtimeMs);
  let freed = 0;
  for (const c of old) {
    if (freed >= opts.bytes) break;
    const bytes = await treeBytes(c.path);
    await fsp.rm(c.path, { recursive: true, force: true });
    freed += bytes;
    opts.removed?.(c.path);
  }
  return freed;
}

/** The entries of `dir` (none when it does not exist), with their mtimes. */
export async function entriesOf(dir: string): Promise<Removable[]> {
  const names = await fsp.readdir(dir).catch(() => [] as string[]);
  const out: Removable[] = [];
  for (const name of names) {
    const path = join(dir, name);
    const st = await fsp.lstat(path).catch(() => undefined);
    if (st !== undefined) out.push({ path, mtimeMs: st.mtimeMs, isDirectory: st.isDirectory() });
  }
  return out;
}
