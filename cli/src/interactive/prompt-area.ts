import { displayWidth, pieces } from '../render/table.js';

/** Where the terminal's cursor goes: a line of the area, and the display columns before it on that line. */
export interface PromptCursor {
  line: number;
  column: number;
}

/**
 * Row and column at which the first `upTo` display columns of `line` end, wrapped at `cols` as a
 * terminal wraps: a character that does not fit in the row (a wide one in the last column) starts
 * the next. A row filled to the last column leaves `col === cols` (the terminal waits to wrap).
 */
function place(line: string, cols: number, upTo = Infinity): { row: number; col: number } {
  let row = 0;
  let col = 0;
  let seen = 0;
  for (const p of pieces(line)) {
    if (p.width === 0) continue;
    if (seen >= upTo) break;
    if (col + p.width > cols) {
      row++;
      col = 0;
    }
    col += p.width;
    seen += p.width;
  }
  return { row, col };
}

/**
 * How many terminal rows text takes at this width (escape sequences take none; CJK and emoji two columns).
 * @internal exported for tests
 */
export function rowsOf(line: string, cols: number): number {
  return place(line, Math.max(1, cols)).row + 1;
}

/** The row (from the area's first) and column of a cursor in these lines at this width. */
function position(lines: readonly string[], cursor: PromptCursor, cols: number): { row: number; col: number } {
  let row = 0;
  for (let i = 0; i < cursor.line; i++) row += rowsOf(lines[i] ?? '', cols);
  const at = place(lines[cursor.line] ?? '', cols, cursor.column);
  // After the last column the next character goes to the next row, and so does the cursor.
  return at.col >= cols ? { row: row + at.row + 1, col: 0 } : { row: row + at.row, col: at.col };
}

/**
 * The lines under the transcript that are redrawn in place (status, then the prompt, which can
 * span several rows): `clear` erases them before the transcript grows, `draw` puts them back
 * with the terminal's cursor at the edit point. Everything above stays in the scrollback
 * untouched. The rows to erase are counted at erase time, at the current width: a terminal
 * resized since (most reflow wrapped lines, and keep the cursor on its character) is cleared
 * without leaving copies of the prompt behind.
 */
export class PromptArea {
  private shown: { lines: readonly string[]; cursor: PromptCursor } | undefined;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly cols: () => number,
  ) {}

  clear(): void {
    if (this.shown === undefined) return;
    const up = position(this.shown.lines, this.shown.cursor, this.width()).row;
    this.out.write(`${up > 0 ? `\u001b[${up}A` : ''}\r\u001b[J`);
    this.shown = undefined;
  }

  /** Draw `lines`, the cursor at `cursor` (default: after the last character). */
  draw(lines: readonly string[], cursor?: PromptCursor): void {
    this.clear();
    if (lines.length === 0) return;
    const cols = this.width();
    const last = lines.length - 1;
    const at = cursor ?? { line: last, column: displayWidth(lines[last] ?? '') };
    // Writing leaves the terminal's cursor after the last character; in a full row, still on that row.
    let endRow = 0;
    for (let i = 0; i < last; i++) endRow += rowsOf(lines[i] ?? '', cols);
    const end = place(lines[last] ?? '', cols);
    endRow += end.row;
    const target = position(lines, at, cols);
    let move = '';
    if (target.row !== endRow || target.col !== end.col) {
      if (target.row > endRow) move = '\n'.repeat(target.row - endRow);
      else if (target.row < endRow) move = `\u001b[${endRow - target.row}A`;
      move += `\r${target.col > 0 ? `\u001b[${target.col}C` : ''}`;
    }
    this.out.write(lines.join('\n') + move);
    this.shown = { lines, cursor: at };
  }

  private width(): number {
    return Math.max(1, this.cols());
  }
}
