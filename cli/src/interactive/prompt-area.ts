import { displayWidth } from '../render/table.js';

/**
 * How many terminal rows text takes at this width (escape sequences take none; CJK and emoji two columns).
 * @internal exported for tests
 */
export function rowsOf(line: string, cols: number): number {
  return Math.max(1, Math.ceil(displayWidth(line) / Math.max(1, cols)));
}

/**
 * The lines under the transcript that are redrawn in place (status, then the prompt, which can
 * span several rows): `clear` erases them before the transcript grows, `draw` puts them back.
 * Everything above stays in the scrollback untouched. The cursor is left at the end of the
 * last line.
 */
export class PromptArea {
  private rows = 0;

  constructor(
    private readonly out: { write(text: string): unknown },
    private readonly cols: () => number,
  ) {}

  clear(): void {
    if (this.rows === 0) return;
    this.out.write(`${this.rows > 1 ? `\u001b[${this.rows - 1}A` : ''}\r\u001b[J`);
    this.rows = 0;
  }

  draw(lines: readonly string[]): void {
    this.clear();
    this.out.write(lines.join('\n'));
    this.rows = lines.reduce((n, l) => n + rowsOf(l, this.cols()), 0);
  }
}
