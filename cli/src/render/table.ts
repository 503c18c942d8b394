import stringWidth from 'string-width';

/**
 * Tables that fit the terminal: every command's table (`ls`, `status`, `providers`, `usage`) and
 * Markdown tables in replies go through `renderTable`. Widths are display columns (string-width:
 * CJK and emoji take two, escape codes none), so a styled or wide cell lines up like a plain one.
 */
export interface Column {
  header: string;
  /** Numbers read best right-aligned. */
  align?: 'left' | 'right';
  /**
   * When the table is too wide, steps run in ascending rank until it fits: `shrink` cuts the
   * column down to `min` columns (its cells end in `…`), `drop` leaves it out. Undefined: never.
   * Shrink and drop ranks share one order.
   */
  shrink?: number;
  drop?: number;
  min?: number;
  /** Which end a cut keeps: a path keeps its end (`…/project/src`), anything else its start. */
  keep?: 'start' | 'end';
}

export interface TableOptions {
  /** Display columns available; Infinity (a pipe) cuts nothing. */
  width: number;
  /** Spaces before each line. */
  indent?: number;
  /** Applied to the header line (after fitting: styling takes no columns). */
  header?: (text: string) => string;
}

const GAP = 2;
// SGR and OSC 8 hyperlink sequences: zero-width, kept whole when a cell is cut.
const ESCAPE = /\u001b\[[0-9;]*m|\u001b\]8;[^\u0007\u001b]*(?:\u0007|\u001b\\)/g;
// Built on first use: constructing one loads ICU's break data, which `sylk status` never needs.
let segmenter: Intl.Segmenter | undefined;
/**
 * Characters one column wide, each its own grapheme, as string-width counts them: printable ASCII,
 * Latin-1 to the IPA block (below the combining marks) and the dashes, quotes, bullets and
 * ellipsis of General Punctuation (no emoji among them).
 */
const NARROW = /^[\u0020-\u007e\u00a0-\u02ff\u2010-\u2027]*$/;

/** Display columns of `text` (escape codes are zero-width; wide characters count two). */
export function displayWidth(text: string): number {
  // Most of what sylk prints is narrow: counted without string-width's emoji tables, whose first
  // use costs milliseconds of a `sylk status`.
  const bare = text.includes('\u001b') ? text.replace(ESCAPE, '') : text;
  return NARROW.test(bare) ? bare.length : stringWidth(bare);
}

/** Pieces of `text`: escape sequences (zero-width) and graphemes with their widths. */
export function pieces(text: string): Array<{ text: string; width: number }> {
  const out: Array<{ text: string; width: number }> = [];
  let last = 0;
  const plain = (s: string) => {
    if (NARROW.test(s)) for (const c of s) out.push({ text: c, width: 1 });
    else
      for (const { segment } of (segmenter ??= new Intl.Segmenter()).segment(s))
        out.push({ text: segment, width: displayWidth(segment) });
  };
  for (const m of text.matchAll(ESCAPE)) {
    plain(text.slice(last, m.index));
    out.push({ text: m[0], width: 0 });
    last = m.index + m[0].length;
  }
  plain(text.slice(last));
  return out;
}

/**
 * `text` cut to `width` display columns with `…` at the cut (`keep: 'end'` cuts the start).
 * Escape codes inside are kept, and a reset follows a cut styled text so no style leaks.
 */
export function truncate(text: string, width: number, keep: 'start' | 'end' = 'start'): string {
  if (displayWidth(text) <= width) return text;
  if (width <= 0) return '';
  const parts = pieces(text);
  const styled = parts.some((p) => p.width === 0 && p.text.startsWith('\u001b'));
  const ordered = keep === 'end' ? parts.reverse() : parts;
  const kept: string[] = [];
  let used = 0;
  for (const p of ordered) {
    if (used + p.width > width - 1) {
      if (p.width === 0) kept.push(p.text);
      continue;
    }
    kept.push(p.text);
    used += p.width;
  }
  const reset = styled ? '\u001b[0m' : '';
  return keep === 'end' ? `${reset}…${kept.reverse().join('').trimStart()}` : `${kept.join('').trimEnd()}${reset}…`;
}

function pad(text: string, width: number, align: 'left' | 'right'): string {
  const room = ' '.repeat(Math.max(0, width - displayWidth(text)));
  return align === 'right' ? room + text : text + room;
}

/**
 * Column widths that fit `opts.width`: shrink and drop steps in ascending rank until the table
 * fits; then room a later drop freed goes back to the columns shrunk before it.
 */
function fit(
  columns: readonly Column[],
  rows: readonly string[][],
  opts: TableOptions,
): { index: number; width: number }[] {
  const natural = columns.map((c, index) =>
    Math.max(displayWidth(c.header), ...rows.map((r) => displayWidth(r[index] ?? ''))),
  );
  let shown = columns.map((_c, index) => ({ index, width: natural[index] ?? 0 }));
  const total = () => (opts.indent ?? 0) + shown.reduce((s, c) => s + c.width, 0) + GAP * (shown.length - 1);
  const steps = columns
    .flatMap((c, index) => [
      ...(c.shrink !== undefined ? [{ index, rank: c.shrink, drop: false }] : []),
      ...(c.drop !== undefined ? [{ index, rank: c.drop, drop: true }] : []),
    ])
    .sort((a, b) => a.rank - b.rank || Number(a.drop) - Number(b.drop));
  const done: typeof steps = [];
  for (const step of steps) {
    const excess = total() - opts.width;
    if (excess <= 0) break;
    done.push(step);
    if (step.drop) shown = shown.filter((c) => c.index !== step.index);
    else {
      const c = shown.find((x) => x.index === step.index);
      if (c !== undefined) c.width -= Math.min(excess, Math.max(0, c.width - (columns[step.index]?.min ?? 4)));
    }
  }
  for (const step of done.reverse()) {
    const c = shown.find((x) => x.index === step.index);
    const slack = opts.width - total();
    if (c !== undefined && !step.drop && slack > 0) c.width += Math.min(slack, (natural[step.index] ?? 0) - c.width);
  }
  return shown;
}

/** The table's lines: a header, then one line per row, each within `opts.width` where it can be. */
export function renderTable(columns: readonly Column[], rows: readonly string[][], opts: TableOptions): string[] {
  const shown = fit(columns, rows, opts);
  const indent = ' '.repeat(opts.indent ?? 0);
  const line = (cells: readonly string[]) =>
    indent +
    shown
      .map(({ index, width }, i) => {
        const col = columns[index] as Column;
        const cell = truncate(cells[index] ?? '', width, col.keep);
        // The last left-aligned cell is not padded: no trailing spaces.
        return i === shown.length - 1 && col.align !== 'right' ? cell : pad(cell, width, col.align ?? 'left');
      })
      .join(' '.repeat(GAP));
  const head = line(columns.map((c) => c.header));
  return [opts.header ? opts.header(head) : head, ...rows.map(line)];
}

/**
 * Columns a table may use on `out`: the terminal's width, else `COLUMNS` from the environment
 * (a pipe or a test that sets it), else Infinity (a pipe: nothing is cut).
 */
export function outputWidth(out: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv): number {
  if (out.isTTY === true && typeof out.columns === 'number' && out.columns > 0) return out.columns;
  const columns = Number.parseInt(env.COLUMNS ?? '', 10);
  return Number.isInteger(columns) && columns > 0 ? columns : Number.POSITIVE_INFINITY;
}

/** SGR codes in force after `codes` (a reset, or the close of a colour or weight, ends what it closes). */
function activeAfter(active: string[], code: string): string[] {
  const n = code.slice(2, -1);
  if (n === '' || n === '0') return [];
  if (n === '39') return active.filter((c) => !/^\u001b\[(3\d|9\d|38;[0-9;]*)m$/.test(c));
  if (n === '22') return active.filter((c) => c !== '\u001b[1m' && c !== '\u001b[2m');
  if (n === '23') return active.filter((c) => c !== '\u001b[3m');
  if (n === '24') return active.filter((c) => c !== '\u001b[4m');
  if (n === '29') return active.filter((c) => c !== '\u001b[9m');
  return [...active, code];
}

/**
 * `text` cut into pieces of at most `width` display columns (a code line or a tool's output line:
 * no word boundaries). A style open at a cut is closed at the end of the piece and reopened at
 * the start of the next, so each piece stands alone behind a gutter.
 */
export function hardWrap(text: string, width: number): string[] {
  if (displayWidth(text) <= width) return [text];
  const room = Math.max(1, width);
  const lines: string[] = [];
  let current = '';
  let used = 0;
  let active: string[] = [];
  for (const p of pieces(text)) {
    if (p.width === 0) {
      current += p.text;
      if (p.text.startsWith('\u001b[')) active = activeAfter(active, p.text);
      continue;
    }
    if (used + p.width > room && used > 0) {
      lines.push(active.length > 0 ? `${current}\u001b[0m` : current);
      current = active.join('');
      used = 0;
    }
    current += p.text;
    used += p.width;
  }
  lines.push(current);
  return lines;
}
