import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { silentLogger, type Clock, type Logger } from '@sylk/core';
import { JOURNAL, MANIFEST, readJson, type Manifest } from './manifest.js';
import { StagingArea } from './staging-area.js';

const DAY_MS = 24 * 60 * 60 * 1000;

/**
 * Removes staging dirs last touched more than `olderThanMs` ago (manifest `updatedAt`, else the
 * dir's mtime) and not in `live`. A dir holding an interrupted merge is rolled back first.
 */
export async function sweepStagingOrphans(
  stagingRoot: string,
  options: { clock: Clock; olderThanMs?: number; live?: Iterable<string>; logger?: Logger },
): Promise<string[]> {
  const logger = options.logger ?? silentLogger();
  const live = new Set(options.live ?? []);
  const cutoff = options.clock.now() - (options.olderThanMs ?? DAY_MS);
  const removed: string[] = [];
  const names = await fsp.readdir(stagingRoot).catch(() => [] as string[]);
  for (const name of names) {
    if (live.has(name)) continue;
    const dir = join(stagingRoot, name);
    const manifest = await readJson<Manifest>(dir, MANIFEST).catch(() => undefined);
    const touched = manifest?.updatedAt ?? (await fsp.stat(dir)).mtimeMs;
    if (touched >= cutoff) continue;
    if (manifest !== undefined && (await readJson(dir, JOURNAL).catch(() => undefined)) !== undefined) {
      try {
        const area = await StagingArea.open({
          stagingRoot,
          pipelineId: name,
          projectRoot: manifest.projectRoot,
          clock: options.clock,
          logger,
        });
        await area.recover();
      } catch (err) {
        logger.warn({ err, dir }, 'could not roll back an interrupted merge; leaving the staging dir');
        continue;
      }
    }
    await fsp.rm(dir, { recursive: true, force: true });
    removed.push(name);
  }
  if (removed.length > 0) logger.info({ removed }, 'swept orphaned staging dirs');
  return removed;
}
