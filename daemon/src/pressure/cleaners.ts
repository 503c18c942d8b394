/**
 * What the disk quota may delete, in order: temp files, old staging dirs, old command output
 * spools, old backups. Never an active session's data, never a live pipeline's staging dir,
 * never the newest backup of a database; only what is older than `clean_older_than_hours`.
 */
import { rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Clock, Logger } from '@sylk/core';
import type { SylkDirs } from '@sylk/config';
import { entriesOf, removeOldest, treeBytes, type DiskCleaner, type Removable } from '@sylk/resources';
import { listBackups } from '@sylk/storage';
import { sweepStagingOrphans } from '@sylk/tools';
import type { ManagedDatabase } from '../storage-guard.js';

export interface CleanerDeps {
  dirs: SylkDirs;
  clock: Clock;
  logger: Logger;
  olderThanMs: () => number;
  /** A session whose data must stay: loaded, or with a turn or approval in progress. */
  isActiveSession: (sessionId: string) => boolean;
  /** Pipelines whose staging dirs must stay. */
  livePipelines: () => Iterable<string>;
  databases: () => ManagedDatabase[];
  /** Told about each removed path (the usage figures forget it). */
  removed: (path: string) => void;
}

/** What `pick` takes from each inactive session's `{temp}/<session>` dir, plus loose files when `loose`. */
async function fromTemp(
  deps: CleanerDeps,
  pick: (sessionDir: string) => Promise<Removable[]>,
  loose: boolean,
): Promise<Removable[]> {
  const out: Removable[] = [];
  for (const top of await entriesOf(deps.dirs.temp)) {
    if (!top.isDirectory) {
      if (loose) out.push(top);
      continue;
    }
    if (!deps.isActiveSession(basename(top.path))) out.push(...(await pick(top.path)));
  }
  return out;
}

/** A session's temp files: everything but its spools (the spool step's). */
const tempOf = async (dir: string): Promise<Removable[]> =>
  (await entriesOf(dir)).filter((e) => basename(e.path) !== 'spool');
const spoolsOf = (dir: string): Promise<Removable[]> => entriesOf(join(dir, 'spool'));

export function diskCleaners(deps: CleanerDeps): DiskCleaner[] {
  const remove = async (candidates: Removable[], bytes: number) =>
    removeOldest({ candidates, bytes, olderThanMs: deps.olderThanMs(), clock: deps.clock, removed: deps.removed });
  return [
    { name: 'temp', clean: async (bytes) => remove(await fromTemp(deps, tempOf, true), bytes) },
    {
      name: 'staging',
      async clean() {
        // The sweep decides what is old and not live (rolling back interrupted merges); measured first.
        const sizes = new Map<string, number>();
        for (const e of await entriesOf(deps.dirs.staging)) sizes.set(basename(e.path), await treeBytes(e.path));
        const removed = await sweepStagingOrphans(deps.dirs.staging, {
          clock: deps.clock,
          olderThanMs: deps.olderThanMs(),
          live: deps.livePipelines(),
          logger: deps.logger,
        });
        for (const id of removed) deps.removed(join(deps.dirs.staging, id));
        return removed.reduce((sum, id) => sum + (sizes.get(id) ?? 0), 0);
      },
    },
    { name: 'spools', clean: async (bytes) => remove(await fromTemp(deps, spoolsOf, false), bytes) },
    {
      name: 'backups',
      clean: async (bytes) => {
        const cutoff = deps.clock.now() - deps.olderThanMs();
        const old = deps
          .databases()
          .flatMap((db) => listBackups(db.path, db.backupDir).slice(1)) // the newest one always stays
          .filter((b) => b.createdAt < cutoff)
          .sort((a, b) => a.createdAt - b.createdAt);
        let freed = 0;
        for (const b of old) {
          if (freed >= bytes) break;
          rmSync(b.path, { force: true });
          deps.removed(b.path);
          freed += b.bytes;
        }
        return freed;
      },
    },
  ];
}
