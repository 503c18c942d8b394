import type { Style } from '../output.js';

/**
 * Diff lines the collapsed transcript shows of a file change (after the summary line).
 * @internal exported for tests
 */
export const COLLAPSED_DIFF_LINES = 8;

/** Lines of a non-diff approval detail shown (a command is one line; anything longer is cut). */
const DETAIL_LINES = 40;

// C0 controls (but tab) and DEL, as their visible Control Pictures: file content is the
// repository's (assume hostile), and a raw ESC would drive the user's terminal.
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/g;
const visible = (text: string) =>
  text.replace(CONTROL, (c) => (c === '\u007f' ? '\u2421' : String.fromCharCode(0x2400 + c.charCodeAt(0))));

/** One unified diff line, coloured: additions green, removals red, hunk headers cyan. */
function diffLine(line: string, st: Style): string {
  const text = visible(line);
  if (line.startsWith('+++ ') || line.startsWith('--- ')) return st.bold(text);
  if (line.startsWith('@@')) return st.cyan(text);
  if (line.startsWith('+')) return st.green(text);
  if (line.startsWith('-')) return st.red(text);
  if (line.startsWith(' ')) return text;
  // "… N more lines in M more hunks", "\ No newline at end of file", "(no changes)".
  return st.dim(text);
}

function isUnifiedDiff(text: string): boolean {
  return /^--- (a\/|\/dev\/null)[^\n]*\n\+\+\+ b\//.test(text);
}

/** A unified diff as the user reads it: every line (the daemon caps it with notes), coloured. */
function renderDiff(text: string, st: Style): string[] {
  return text.split('\n').map((line) => diffLine(line, st));
}

/** An approval's detail: the diff of a file change, else the command or target as sent. */
export function approvalDetailLines(kind: string, detail: string, st: Style): string[] {
  if (kind === 'path' && isUnifiedDiff(detail)) return renderDiff(detail, st);
  return detail
    .split('\n')
    .slice(0, DETAIL_LINES)
    .map((l) => st.cyan(visible(l)));
}

interface DiffStatJson {
  path: string;
  added: number;
  removed: number;
}

function statOf(value: unknown): DiffStatJson | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v.path !== 'string' || typeof v.added !== 'number' || typeof v.removed !== 'number') return undefined;
  return { path: v.path, added: v.added, removed: v.removed };
}

/**
 * A file change in the transcript, collapsed: `+12 −3 src/foo.ts`, then the first lines of its
 * hunks (headers skipped) cut to the width, then how much more there is and where to see it.
 * Empty for a `tool_finished` that changed no file.
 */
export function fileChangeLines(data: Readonly<Record<string, unknown>>, st: Style, width: number): string[] {
  const stat = statOf(data.diffStat);
  if (stat === undefined) return [];
  const summary = `  ${st.green(`+${stat.added}`)} ${st.red(`\u2212${stat.removed}`)} ${visible(stat.path)}`;
  const body =
    typeof data.diff === 'string'
      ? data.diff.split('\n').filter((l) => !l.startsWith('--- ') && !l.startsWith('+++ '))
      : [];
  const room = Math.max(20, width - 4);
  const shown = body
    .slice(0, COLLAPSED_DIFF_LINES)
    .map((l) => `    ${diffLine(l.length > room ? `${l.slice(0, room - 1)}…` : l, st)}`);
  const more = body.length - shown.length;
  return [
    summary,
    ...shown,
    ...(more > 0
      ? [st.dim(`    … ${more} more diff line${more === 1 ? '' : 's'} (sylk logs --json has the whole diff)`)]
      : []),
  ];
}
