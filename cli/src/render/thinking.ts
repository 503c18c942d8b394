import type { Style } from '../output.js';
import { wrap } from './markdown.js';

const FIRST_LINE_MAX = 400;

/**
 * The model's thinking in the transcript, dimmed: by default one line when a thinking block ends
 * (how long it was and how it began), with `--show-thinking` the whole text as it streams, line by
 * line. Plain lines either way, so it reads the same in scrollback, `sylk logs` and a pipe.
 */
export class ThinkingView {
  private chars = 0;
  /** Full mode: the line still being streamed. Collapsed: the first non-blank line so far. */
  private pending = '';
  private firstDone = false;

  constructor(
    private readonly st: Style,
    private readonly width: () => number,
    private readonly full: boolean,
  ) {}

  get active(): boolean {
    return this.chars > 0;
  }

  /** A thinking delta: the lines to print now (full mode: those it completed). */
  push(text: string): string[] {
    this.chars += text.length;
    if (this.full) {
      this.pending += text;
      const lines = this.pending.split('\n');
      this.pending = lines.pop() ?? '';
      return lines.flatMap((l) => this.render(l));
    }
    if (!this.firstDone) {
      this.pending = (this.pending + text).trimStart();
      const nl = this.pending.indexOf('\n');
      if (nl >= 0) this.pending = this.pending.slice(0, nl);
      if (nl >= 0 || this.pending.length >= FIRST_LINE_MAX) this.firstDone = true;
      this.pending = this.pending.slice(0, FIRST_LINE_MAX);
    }
    return [];
  }

  /** The spinner text while thinking streams. */
  status(): string {
    return `thinking… ${this.chars.toLocaleString('en-US')} chars`;
  }

  /** The block ended (another event came): what is left to print; the view is reset. */
  end(): string[] {
    if (!this.active) return [];
    const chars = this.chars;
    const rest = this.pending;
    this.chars = 0;
    this.pending = '';
    this.firstDone = false;
    if (this.full) return rest === '' ? [] : this.render(rest);
    const head = `✻ thought (${chars.toLocaleString('en-US')} chars)`;
    const room = Math.max(10, this.width() - head.length - 4);
    const first = rest.trim();
    const shown = first.length > room ? `${first.slice(0, room - 1)}…` : first;
    return [this.st.dim(shown === '' ? head : `${head}: ${shown}`)];
  }

  private render(line: string): string[] {
    if (line.trim() === '') return [this.st.dim('┊')];
    return wrap(line, this.width() - 2).map((l) => this.st.dim(`┊ ${l}`));
  }
}
