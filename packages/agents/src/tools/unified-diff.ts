import { structuredPatch } from 'diff';

/** One hunk with its header numbers as printed (`@@ -oldStart,oldLines +newStart,newLines @@`). */
interface DiffHunk {
  oldStart: number;
  oldLines: number;
  newStart: number;
  newLines: number;
  /** ' ', '-', '+' lines and '\ No newline at end of file' markers, without line endings. */
  lines: readonly string[];
}

/** A file change as a unified diff: every hunk, uncapped; `formatDiff` renders it capped. */
export interface FileDiff {
  /** Project-relative path, used in the `--- a/` / `+++ b/` headers. */
  path: string;
  /** The file did not exist before (`--- /dev/null`). */
  created: boolean;
  added: number;
  removed: number;
  hunks: readonly DiffHunk[];
}

/**
 * Size caps of a rendered diff. Whatever a cap leaves out is replaced by a note that says how
 * many lines (and, past the total cap, how many later hunks) are not shown, so a cap never
 * hides that a later change exists.
 */
export interface DiffCaps {
  /** Lines shown of one hunk. */
  hunkLines: number;
  /** Lines shown of all hunks together. */
  totalLines: number;
  /** Characters shown of one line (minified files have megabyte lines). */
  lineChars: number;
  /** Characters of all shown lines together. */
  totalChars: number;
}

/** What approval prompts and the edit_file result show. */
export const PREVIEW_CAPS: DiffCaps = { hunkLines: 120, totalLines: 400, lineChars: 400, totalChars: 48_000 };
/** What the `tool_finished` event keeps (`sylk logs --json`); bounded to keep events well below RPC message limits. */
export const LOG_CAPS: DiffCaps = { hunkLines: 5_000, totalLines: 20_000, lineChars: 2_000, totalChars: 512_000 };

export interface DiffOptions {
  /** Unchanged lines around each change (default 3). */
  context?: number;
  /**
   * Longest the line diff may block the daemon (default 250 ms): it is O(N·D), so rewriting
   * thousands of lines of a large file takes seconds. Past it, the change is shown as one hunk
   * from the first to the last differing line (correct, not minimal).
   */
  timeoutMs?: number;
}

const NO_NEWLINE = '\\ No newline at end of file';

/** The unified diff of `before` (undefined: a new file) → `after`, hunks as `diff -u` cuts them. */
export function diffFile(path: string, before: string | undefined, after: string, options: DiffOptions = {}): FileDiff {
  const hunks = diffHunks(splitLines(before ?? ''), splitLines(after), options.context ?? 3, options.timeoutMs ?? 250);
  let added = 0;
  let removed = 0;
  for (const h of hunks) {
    for (const line of h.lines) {
      if (line.startsWith('+')) added++;
      else if (line.startsWith('-')) removed++;
    }
  }
  return { path, created: before === undefined, added, removed, hunks };
}

/**
 * The common prefix and suffix are cut first (keeping `context` lines of each): the line diff
 * then runs on the changed middle only, and a pure insertion or deletion (a new or emptied file,
 * an appended block) needs no line diff at all.
 */
function diffHunks(a: Line[], b: Line[], context: number, timeoutMs: number): DiffHunk[] {
  const { prefix, suffix } = commonEnds(a, b);
  if (prefix + suffix >= Math.min(a.length, b.length)) return spanHunks(a, b, prefix, suffix, context);
  const from = Math.max(0, prefix - context);
  const keep = Math.max(0, suffix - context);
  const patch = structuredPatch(
    'a',
    'b',
    joinLines(a, from, a.length - keep),
    joinLines(b, from, b.length - keep),
    undefined,
    undefined,
    { context, timeout: timeoutMs },
  );
  if (patch === undefined) return spanHunks(a, b, prefix, suffix, context);
  // jsdiff numbers an empty side one past the line it follows; unified diff prints that line.
  return patch.hunks.map((h) => ({
    ...h,
    oldStart: h.oldStart + from - (h.oldLines === 0 ? 1 : 0),
    newStart: h.newStart + from - (h.newLines === 0 ? 1 : 0),
  }));
}

/** The diff as text: headers, then hunks within `caps`, with a note for everything left out. */
export function formatDiff(diff: FileDiff, caps: DiffCaps = PREVIEW_CAPS): string {
  const out = [diff.created ? '--- /dev/null' : `--- a/${diff.path}`, `+++ b/${diff.path}`];
  if (diff.hunks.length === 0) return [...out, '(no changes)'].join('\n');
  let lines = 0;
  let chars = 0;
  const full = () => lines >= caps.totalLines || chars >= caps.totalChars;
  for (const [i, hunk] of diff.hunks.entries()) {
    if (full()) {
      const rest = diff.hunks.slice(i);
      const restLines = rest.reduce((n, h) => n + h.lines.length, 0);
      out.push(
        `… ${restLines} more line${restLines === 1 ? '' : 's'} in ${rest.length} more hunk${rest.length === 1 ? '' : 's'}`,
      );
      break;
    }
    out.push(`@@ -${hunk.oldStart},${hunk.oldLines} +${hunk.newStart},${hunk.newLines} @@`);
    let shown = 0;
    for (const line of hunk.lines) {
      if (shown >= caps.hunkLines || full()) break;
      const text =
        line.length > caps.lineChars
          ? `${line.slice(0, caps.lineChars)}… [${line.length - caps.lineChars} more characters]`
          : line;
      out.push(text);
      shown++;
      lines++;
      chars += text.length + 1;
    }
    const left = hunk.lines.length - shown;
    if (left > 0) out.push(`… ${left} more line${left === 1 ? '' : 's'} in this hunk`);
  }
  return out.join('\n');
}

/** What a `tool_finished` event of a file change carries (`sylk logs --json`). */
export interface DiffStat {
  path: string;
  added: number;
  removed: number;
  hunks: number;
}

export function diffStat(diff: FileDiff): DiffStat {
  return { path: diff.path, added: diff.added, removed: diff.removed, hunks: diff.hunks.length };
}

interface Line {
  text: string;
  /** Ends with '\n' (only a file's last line may not). */
  eol: boolean;
}

function splitLines(text: string): Line[] {
  if (text === '') return [];
  const parts = text.split('\n');
  const last = parts.pop() as string;
  const lines = parts.map((t) => ({ text: t, eol: true }));
  if (last !== '') lines.push({ text: last, eol: false });
  return lines;
}

function commonEnds(a: Line[], b: Line[]): { prefix: number; suffix: number } {
  const same = (x: Line | undefined, y: Line | undefined) =>
    x !== undefined && y !== undefined && x.text === y.text && x.eol === y.eol;
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && same(a[prefix], b[prefix])) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    same(a[a.length - 1 - suffix], b[b.length - 1 - suffix])
  )
    suffix++;
  return { prefix, suffix };
}

function joinLines(lines: Line[], from: number, to: number): string {
  let text = '';
  for (let i = from; i < to; i++) {
    const line = lines[i] as Line;
    text += line.eol ? `${line.text}\n` : line.text;
  }
  return text;
}

/**
 * One hunk spanning everything between the common prefix and suffix. Exact when one side of
 * that span is empty; otherwise the fallback when the line diff runs out of time (correct, not
 * minimal).
 */
function spanHunks(a: Line[], b: Line[], prefix: number, suffix: number, context: number): DiffHunk[] {
  if (prefix === a.length && prefix === b.length) return [];
  const from = Math.max(0, prefix - context);
  const oldEnd = Math.min(a.length, a.length - suffix + context);
  const newEnd = Math.min(b.length, b.length - suffix + context);
  const lines: string[] = [];
  const push = (mark: string, line: Line) => {
    lines.push(`${mark}${line.text}`);
    if (!line.eol) lines.push(NO_NEWLINE);
  };
  for (let i = from; i < prefix; i++) push(' ', a[i] as Line);
  for (let i = prefix; i < a.length - suffix; i++) push('-', a[i] as Line);
  for (let i = prefix; i < b.length - suffix; i++) push('+', b[i] as Line);
  for (let i = a.length - suffix; i < oldEnd; i++) push(' ', a[i] as Line);
  const oldLines = oldEnd - from;
  const newLines = newEnd - from;
  return [
    {
      oldStart: oldLines === 0 ? from : from + 1,
      oldLines,
      newStart: newLines === 0 ? from : from + 1,
      newLines,
      lines,
    },
  ];
}
