import { readFile } from 'node:fs/promises';
import { displayPath, projectRealRoot } from './paths.js';
import { denied, type FileChange, type ToolEnv, type ToolOutcome } from './tool.js';
import { diffFile, diffStat, formatDiff, LOG_CAPS, PREVIEW_CAPS } from './unified-diff.js';

export interface FileTarget {
  /** Resolved absolute target (what the permission request names). */
  absolute: string;
  /** Project-relative display path. */
  shown: string;
  /** Current content, undefined when the file does not exist yet. */
  before: string | undefined;
  isDirectory: boolean;
}

/** Resolves a write target inside the roots without creating anything, and reads what is there. */
export async function loadTarget(env: ToolEnv, path: string): Promise<FileTarget> {
  const resolved = await env.fs.boundary.resolve(path, { followLeaf: true, allowMissingParents: true });
  const shown = displayPath(await projectRealRoot(env.fs), resolved.target);
  const isDirectory = resolved.stat?.isDirectory() === true;
  const before = resolved.stat === undefined || isDirectory ? undefined : await readFile(resolved.target, 'utf8');
  return { absolute: resolved.target, shown, before, isDirectory };
}

/**
 * Asks permission with a unified diff preview, then writes through the FileSystemManager
 * (boundary, its own permission hook, staging, audit). Returns the denial as a tool result, or
 * the preview and the change for the `tool_finished` event when the write happened.
 */
export async function writeWithPermission(
  env: ToolEnv,
  path: string,
  target: FileTarget,
  after: string,
): Promise<{ denied: ToolOutcome } | { preview: string; change: FileChange }> {
  const diff = diffFile(target.shown, target.before, after);
  const preview = formatDiff(diff, PREVIEW_CAPS);
  const verdict = await env.askPermission({ action: 'write', target: target.absolute, preview });
  if (!verdict.allowed) return { denied: denied(verdict.message) };
  await env.fs.writeFile(path, after);
  return { preview, change: { diff: formatDiff(diff, LOG_CAPS), stat: diffStat(diff) } };
}

export function lineCount(text: string): number {
  if (text === '') return 0;
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}
