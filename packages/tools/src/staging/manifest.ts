import { promises as fsp } from 'node:fs';
import { join } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';
import { writeJsonAtomic } from '../fs/index.js';

interface ManifestEntry {
  /** SHA-256 of the live file at first write; null when the pipeline created it. */
  original: string | null;
  state: 'written' | 'deleted';
  /** SHA-256 of the staged content (written only). */
  staged?: string;
}

export interface Manifest {
  version: 1;
  pipelineId: string;
  projectRoot: string;
  createdAt: number;
  updatedAt: number;
  /** Keyed by path relative to the project's realpath, '/'-separated. */
  entries: Record<string, ManifestEntry>;
  dirs: string[];
}

export interface JournalStep {
  rel: string;
  action: 'write' | 'delete';
  original: string | null;
  staged: string | null;
}

export interface MergeJournal {
  version: 1;
  phase: 'prepare' | 'apply' | 'committed';
  steps: JournalStep[];
  /** Live directories the merge created (removed again on rollback). */
  createdDirs: string[];
}

export const MANIFEST = 'manifest.json';
export const JOURNAL = 'merge-journal.json';

export async function readJson<T>(dir: string, leaf: string): Promise<T | undefined> {
  let text: string;
  try {
    text = await fsp.readFile(join(dir, leaf), 'utf8');
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
  try {
    return JSON.parse(text) as T;
  } catch (err) {
    throw new SylkError(`Corrupt staging file ${join(dir, leaf)}`, {
      code: 'tools.staging_corrupt',
      tier: ErrorTier.Permanent,
      cause: err,
    });
  }
}

export async function saveJson(dir: string, leaf: string, value: Manifest | MergeJournal): Promise<void> {
  await writeJsonAtomic(dir, leaf, value);
}
