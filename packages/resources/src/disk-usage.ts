import { promises as fsp } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import type { Clock } from '@sylk/core';

export interface DiskUsageOptions {
  /** Directories whose contents are counted (nested ones are counted once). */
  roots: readonly string[];
  clock: Clock;
  /** A unit measured longer ago than this is measured again. Default 60 s. */
  maxAgeMs?: number;
  /** Units measured again per refresh at most (oldest first): a check never walks everything. Default 64. */
  unitsPerRefresh?: number;
}

interface Unit {
  bytes: number;
  measuredAt: number;
}

/**
 * Bytes used under a few directories, kept up to date incrementally. The tree is cut into units
 * (each entry two levels below a root: a session's directory, one backup folder, one staging
 * dir); a refresh lists the two top levels (cheap) and measures again only new units and the
 * oldest stale ones, so a check costs a bounded walk however much is stored. Paths removed by
 * a cleanup are {@link forget}-ed at once.
 */
export class DiskUsage {
  private readonly roots: string[];
  private readonly units = new Map<string, Unit>();
  private readonly maxAgeMs: number;
  private readonly perRefresh: number;

  constructor(private readonly opts: DiskUsageOptions) {
    const all = [...new Set(opts.roots.map((r) => resolve(r)))];
    this.roots = all.filter((r) => !all.some((other) => other !== r && inside(r, other)));
    this.maxAgeMs = opts.maxAgeMs ?? 60_000;
    this.perRefresh = opts.unitsPerRefresh ?? 64;
  }

  /** The bytes counted now. */
  total(): number {
    let sum = 0;
    for (const u of this.units.values()) sum += u.bytes;
    return sum;
  }

  /** Updates the figures (`full`: every unit measured again); returns the total. */
  async refresh(full = false): Promise<number> {
    const present = new Set<string>();
    for (const root of this.roots) for (const path of await unitPaths(root)) present.add(path);
    for (const path of this.units.keys()) if (!present.has(path)) this.units.delete(path);
    const now = this.opts.clock.now();
    const due = [...present]
      .map((path) => ({ path, at: this.units.get(path)?.measuredAt }))
      .filter((u) => full || u.at === undefined || now - u.at >= this.maxAgeMs)
      .sort((a, b) => (a.at ?? -1) - (b.at ?? -1));
    // New units always count (the total must not miss them); stale ones within the budget.
    let budget = this.perRefresh;
    for (const u of due) {
      if (!full && u.at !== undefined && budget-- <= 0) break;
      this.units.set(u.path, { bytes: await treeBytes(u.path), measuredAt: now });
    }
    return this.total();
  }

  /** `path` (a unit or anything under or above one) was removed or changed: measured again on the next refresh. */
  forget(path: string): void {
    const target = resolve(path);
    for (const unit of this.units.keys())
      if (unit === target || inside(unit, target) || inside(target, unit)) this.units.delete(unit);
  }
}

function inside(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep);
}

/** Entries two levels below `root` (and files one level below it). */
async function unitPaths(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const top of await fsp.readdir(root, { withFileTypes: true }).catch(() => [])) {
    const path = join(root, top.name);
    if (!top.isDirectory()) {
      out.push(path);
      continue;
    }
    const children = await fsp.readdir(path).catch(() => [] as string[]);
    // An empty directory is a unit of its own (its few bytes are not worth a separate rule).
    if (children.length === 0) out.push(path);
    for (const child of children) out.push(join(path, child));
  }
  return out;
}

/** Bytes of a file or a whole tree (allocated blocks, as the disk sees it; symlinks not followed). */
export async function treeBytes(path: string): Promise<number> {
  const st = await fsp.lstat(path).catch(() => undefined);
  if (st === undefined) return 0;
  const own = st.blocks * 512;
  if (!st.isDirectory()) return st.isSymbolicLink() ? 0 : own;
  let sum = 0;
  for (const name of await fsp.readdir(path).catch(() => [] as string[])) sum += await treeBytes(join(path, name));
  return sum;
}
