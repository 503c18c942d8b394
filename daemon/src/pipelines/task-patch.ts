/**
 * A delegated task whose merge conflicts keeps its edits as a patch the user can apply: a unified
 * diff (`git apply` / `patch -p1`) of its staged changes against the files as the task first read
 * them (the staging area's base copies), written under the session's directory, never into the
 * project.
 */
import { promises as fsp } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { join } from 'node:path';
import { errorMessage, type Logger } from '@sylk/core';
import { diffFile } from '@sylk/agents';
import { writeFileAtomic, type StagingArea } from '@sylk/tools';

/** Names git would have to quote (control characters, quotes, backslashes): left out of the patch. */
const NEEDS_QUOTING = /[\x00-\x1f\x7f"\\]/;

/** A path as a line of text shows it: quoted when it has characters that would break the line. */
const shown = (path: string) => (NEEDS_QUOTING.test(path) ? JSON.stringify(path) : path);

/** A file the patch cannot carry, and why. */
interface LeftOut {
  path: string;
  why: string;
}

async function contentOf(path: string): Promise<Buffer | undefined> {
  try {
    return await fsp.readFile(path);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return undefined;
    throw err;
  }
}

/** One file's `diff --git` section; undefined when it did not change. */
function fileSection(rel: string, before: string | undefined, after: string | undefined): string | undefined {
  const diff = diffFile(rel, before, after ?? '', { timeoutMs: 1000 });
  const head = [`diff --git a/${rel} b/${rel}`];
  if (before === undefined) head.push('new file mode 100644');
  else if (after === undefined) head.push('deleted file mode 100644');
  else if (diff.hunks.length === 0) return undefined;
  if (diff.hunks.length === 0) return `${head.join('\n')}\n`;
  head.push(
    before === undefined ? '--- /dev/null' : `--- a/${rel}`,
    after === undefined ? '+++ /dev/null' : `+++ b/${rel}`,
  );
  const range = (start: number, lines: number) => (lines === 1 ? `${start}` : `${start},${lines}`);
  const hunks = diff.hunks.flatMap((h) => [
    `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@`,
    ...h.lines,
  ]);
  return `${[...head, ...hunks].join('\n')}\n`;
}

/** The staged changes as one patch text, and the files it could not carry. */
async function stagedPatch(staging: StagingArea): Promise<{ sections: string[]; files: string[]; leftOut: LeftOut[] }> {
  const sections: string[] = [];
  const files: string[] = [];
  const leftOut: LeftOut[] = [];
  const entries = Object.entries(staging.manifest.entries).sort(([a], [b]) => a.localeCompare(b));
  for (const [rel, entry] of entries) {
    if (NEEDS_QUOTING.test(rel)) {
      leftOut.push({ path: shown(rel), why: 'a name a patch cannot carry' });
      continue;
    }
    const before = entry.original === null ? undefined : await contentOf(staging.basePath(rel));
    const after = entry.state === 'deleted' ? undefined : await contentOf(staging.blobPath(rel));
    if (entry.original !== null && before === undefined) {
      leftOut.push({ path: rel, why: 'its original was not kept' });
      continue;
    }
    if ([before, after].some((b) => b !== undefined && (b.includes(0) || !isUtf8(b)))) {
      leftOut.push({ path: rel, why: 'binary' });
      continue;
    }
    const section = fileSection(rel, before?.toString('utf8'), after?.toString('utf8'));
    if (section === undefined) continue;
    sections.push(section);
    files.push(rel);
  }
  return { sections, files, leftOut };
}

/**
 * Writes the task's staged edits as `<session dir>/patches/<task>.patch`; returns its path, or
 * undefined when it could not be written (logged: the staging area is kept all the same).
 */
export async function keepConflictPatch(input: {
  staging: StagingArea;
  taskId: string;
  sessionDir: string;
  conflicts: ReadonlyArray<{ path: string; reason: string }>;
  logger: Logger;
}): Promise<string | undefined> {
  const dir = join(input.sessionDir, 'patches');
  const leaf = `${input.taskId}.patch`;
  try {
    const { sections, files, leftOut } = await stagedPatch(input.staging);
    // Lines before the first `diff --git` are not part of the patch for git apply or patch.
    const header = [
      `# Task ${input.taskId}: its staged edits, not applied because they conflict with the project.`,
      '# Against the files as the task first read them; from the project root: git apply <this file>',
      ...input.conflicts.map((c) => `# Conflict: ${shown(c.path)} (${c.reason})`),
      ...leftOut.map((l) => `# Not in this patch: ${l.path} (${l.why})`),
      `# Files: ${files.length}`,
      '',
    ];
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFileAtomic(dir, leaf, [header.join('\n'), ...sections].join(''), { mode: 0o600 });
    return join(dir, leaf);
  } catch (err) {
    input.logger.warn({ err: errorMessage(err), task: input.taskId }, 'could not write a conflicting task’s patch');
    return undefined;
  }
}

/** The notice that tells the user (and anyone reading the log) where the task's edits are. */
export function conflictNotice(taskId: string, conflicts: ReadonlyArray<{ path: string }>, patch: string): string {
  const files = conflicts.map((c) => shown(c.path)).join(', ');
  return `Task ${taskId}'s edits were not applied: they conflict with the project (${files}). They are kept as a patch: ${patch} (review it, then \`git apply ${patch}\` in the project).`;
}
