import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';
import { sha256, sha256File, writeFileAtomic } from '../fs/index.js';
import { JOURNAL, readJson, saveJson, type JournalStep, type MergeJournal } from './manifest.js';
import { projectLock } from './mutex.js';
import type { StagingArea } from './staging-area.js';

export interface MergeReport {
  written: string[];
  deleted: string[];
  dirs: string[];
}

export type RecoverOutcome = 'none' | 'rolled_back' | 'completed';

/**
 * Merge protocol: journal(prepare) → back up every original → journal(apply) → per file temp
 * sibling + rename (or unlink) → journal(committed) → remove staging. Rollback is content-based:
 * a step counts as applied when the live hash equals the staged hash (or the file is gone for a
 * delete), so it needs no per-step journal writes and is safe to repeat.
 */
export async function mergeStaged(area: StagingArea): Promise<MergeReport> {
  return projectLock(area.projectReal).run(async () => {
    if ((await readJson(area.dir, JOURNAL)) !== undefined) {
      throw new SylkError(`Staging ${area.dir} has an interrupted merge; run recover() first`, {
        code: 'tools.staging_recovery_needed',
        tier: ErrorTier.UserFixable,
      });
    }
    const conflicts = await area.conflicts();
    if (conflicts.length > 0) {
      throw new SylkError(
        `Merge refused: ${conflicts.length} conflicting file(s): ${conflicts.map((c) => `${c.path} (${c.reason})`).join(', ')}`,
        {
          code: 'tools.staging_conflict',
          tier: ErrorTier.UserFixable,
          details: { conflicts },
          hint: 'The live files changed since this pipeline first touched them; re-run the pipeline or resolve by hand.',
        },
      );
    }
    const steps: JournalStep[] = Object.entries(area.manifest.entries).map(([rel, e]) => ({
      rel,
      action: e.state === 'deleted' ? 'delete' : 'write',
      original: e.original,
      staged: e.staged ?? null,
    }));
    const journal: MergeJournal = { version: 1, phase: 'prepare', steps, createdDirs: [] };
    await saveJson(area.dir, JOURNAL, journal);
    try {
      await backupOriginals(area, steps);
      journal.createdDirs = await missingDirs(area, [
        ...steps.filter((s) => s.action === 'write').map((s) => dirname(area.livePath(s.rel))),
        ...area.manifest.dirs.map((d) => area.livePath(d)),
      ]);
      journal.phase = 'apply';
      await saveJson(area.dir, JOURNAL, journal);
      await createDirs(area, journal.createdDirs);
      for (const step of steps) {
        await area.inject('apply', step.rel);
        await applyStep(area, step);
      }
      journal.phase = 'committed';
      await saveJson(area.dir, JOURNAL, journal);
    } catch (err) {
      await rollbackOrKeepJournal(area, journal, err);
      throw new SylkError(
        `Merge of pipeline ${area.options.pipelineId} failed and was rolled back: ${(err as Error).message}`,
        {
          code: 'tools.staging_merge_failed',
          cause: err,
          details: { pipelineId: area.options.pipelineId },
        },
      );
    }
    await fsp.rm(area.dir, { recursive: true, force: true });
    return {
      written: steps.filter((s) => s.action === 'write').map((s) => s.rel),
      deleted: steps.filter((s) => s.action === 'delete').map((s) => s.rel),
      dirs: journal.createdDirs,
    };
  });
}

export async function recoverMerge(area: StagingArea, prefer: 'rollback' | 'complete'): Promise<RecoverOutcome> {
  return projectLock(area.projectReal).run(async () => {
    const journal = await readJson<MergeJournal>(area.dir, JOURNAL);
    if (journal === undefined) return 'none';
    if (
      journal.phase === 'committed' ||
      (prefer === 'complete' && journal.phase === 'apply' && (await completable(area, journal)))
    ) {
      if (journal.phase === 'apply') {
        await createDirs(area, journal.createdDirs);
        for (const step of journal.steps) await applyStep(area, step);
      }
      await fsp.rm(area.dir, { recursive: true, force: true });
      area.logger.info({ pipeline: area.options.pipelineId }, 'interrupted merge completed');
      return 'completed';
    }
    await rollback(area, journal);
    await clearJournal(area);
    area.logger.info({ pipeline: area.options.pipelineId }, 'interrupted merge rolled back');
    return 'rolled_back';
  });
}

async function rollbackOrKeepJournal(area: StagingArea, journal: MergeJournal, cause: unknown): Promise<void> {
  try {
    await rollback(area, journal);
  } catch (rollbackErr) {
    // Leave the journal and backups in place: recover() can finish the rollback later.
    throw new SylkError(`Merge failed and rollback failed too; the journal in ${area.dir} is kept for recover()`, {
      code: 'tools.staging_rollback_failed',
      tier: ErrorTier.Permanent,
      cause: rollbackErr,
      details: { mergeError: (cause as Error).message },
    });
  }
  await clearJournal(area);
}

async function clearJournal(area: StagingArea): Promise<void> {
  await fsp.rm(join(area.dir, 'backup'), { recursive: true, force: true });
  await fsp.rm(join(area.dir, JOURNAL), { force: true });
}

function backupPath(area: StagingArea, rel: string): string {
  return join(area.dir, 'backup', sha256(rel));
}

async function backupOriginals(area: StagingArea, steps: JournalStep[]): Promise<void> {
  await fsp.mkdir(join(area.dir, 'backup'), { recursive: true, mode: 0o700 });
  for (const step of steps) {
    if (step.original === null) continue;
    await area.inject('backup', step.rel);
    const live = await area.boundary.resolve(area.livePath(step.rel), { followLeaf: false });
    await fsp.copyFile(live.target, backupPath(area, step.rel));
    // The live file could change between the conflict check and the copy: the backup must be the original.
    if ((await sha256File(backupPath(area, step.rel))) !== step.original) {
      throw new SylkError(`${step.rel} changed during the merge`, {
        code: 'tools.staging_conflict',
        tier: ErrorTier.UserFixable,
      });
    }
  }
}

async function applyStep(area: StagingArea, step: JournalStep): Promise<void> {
  const live = await area.boundary.resolve(area.livePath(step.rel), { followLeaf: false });
  if (live.stat !== undefined && !live.stat.isFile()) {
    throw new SylkError(`Live path ${live.target} is no longer a regular file`, {
      code: 'tools.staging_conflict',
      tier: ErrorTier.UserFixable,
    });
  }
  if (step.action === 'delete') {
    if (live.stat === undefined) return;
    await area.boundary.recheck(live);
    await fsp.unlink(live.target);
    return;
  }
  const data = await fsp.readFile(area.blobPath(step.rel));
  await writeFileAtomic(live.parent, live.leaf, data, {
    mode: live.stat === undefined ? 0o666 : live.stat.mode & 0o7777,
    beforeRename: () => area.boundary.recheck(live),
  });
}

async function rollback(area: StagingArea, journal: MergeJournal): Promise<void> {
  if (journal.phase === 'prepare') return; // nothing in the live tree was touched yet
  for (const step of [...journal.steps].reverse()) {
    await area.inject('rollback', step.rel);
    const { hash } = await area.liveState(step.rel);
    const applied = step.action === 'write' ? hash === step.staged : hash === null;
    if (!applied || hash === step.original) continue;
    if (step.original === null) {
      const live = await area.boundary.resolve(area.livePath(step.rel), { followLeaf: false });
      await fsp.unlink(live.target);
      continue;
    }
    const live = await area.boundary.resolve(area.livePath(step.rel), { createParents: true, followLeaf: false });
    await writeFileAtomic(live.parent, live.leaf, await fsp.readFile(backupPath(area, step.rel)), {
      mode: live.stat === undefined ? 0o666 : live.stat.mode & 0o7777,
    });
  }
  for (const dir of [...journal.createdDirs].reverse()) {
    await fsp.rmdir(dir).catch(() => undefined); // only if still empty
  }
}

/** Every unapplied step must still see its original, or completing would clobber someone's edit. */
async function completable(area: StagingArea, journal: MergeJournal): Promise<boolean> {
  for (const step of journal.steps) {
    const { hash, problem } = await area.liveState(step.rel);
    if (problem !== undefined) return false;
    const applied = step.action === 'write' ? hash === step.staged : hash === null;
    if (!applied && hash !== step.original) return false;
  }
  return true;
}

/** Directories (shallowest first) that the merge will have to create under the project. */
async function missingDirs(area: StagingArea, dirs: string[]): Promise<string[]> {
  const missing = new Set<string>();
  for (const dir of dirs) {
    let current = dir;
    while (current !== area.projectReal && current.startsWith(area.projectReal)) {
      const exists = await fsp.lstat(current).then(
        () => true,
        () => false,
      );
      if (exists) break;
      missing.add(current);
      current = dirname(current);
    }
  }
  return [...missing].sort((a, b) => a.length - b.length);
}

async function createDirs(area: StagingArea, dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    const r = await area.boundary.resolve(dir, { followLeaf: false });
    if (r.stat?.isDirectory()) continue;
    await area.boundary.recheck(r);
    await fsp.mkdir(r.target);
  }
}
