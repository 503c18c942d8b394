import type { Style } from '../output.js';

/**
 * Streaming Markdown for the terminal: text arrives in deltas, complete lines
 * are rendered as soon as their newline arrives (headings, lists, quotes, fenced
 * code, inline code and bold), the rest waits for more text or `flush()`.
 * Output is wrapped to the current width, which may change between lines.
 */
export class MarkdownStream {
  private pending = '';
  private inFence = false;

  constructor(
    private readonly st: Style,
    private width: () => number,
  ) {}

  /** Feed a delta; returns fully rendered lines (each without a trailing newline). */
  push(text: string): string[] {
    this.pending += text;
    const out: string[] = [];
    let nl = this.pending.indexOf('\n');
    while (nl !== -1) {
      out.push(...this.renderLine(this.pending.slice(0, nl)));
      this.pending = this.pending.slice(nl + 1);
      nl = this.pending.indexOf('\n');
    }
    return out;
  }

  /** End of message: render whatever is left and reset block state. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    const out = rest === '' ? [] : this.renderLine(rest);
    this.inFence = false;
    return out;
  }

  private renderLine(line: string): string[] {
    const st = this.st;
    if (/^\s*```/.test(line)) {
      this.inFence = !this.inFence;
      const lang = line.trim().slice(3);
      return [st.dim(this.inFence ? `┌─${lang ? ` ${lang} ` : ''}` : '└─')];
    }
    if (this.inFence) return [`${st.dim('│')} ${st.cyan(line)}`];
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) return wrap(heading[2] ?? '', this.width()).map((l) => st.bold(l));
    const bullet = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (bullet) {
      const indent = bullet[1] ?? '';
      const marker = /\d/.test(bullet[2] ?? '') ? (bullet[2] ?? '') : '•';
      const lead = `${indent}${marker} `;
      return wrap(inline(bullet[3] ?? '', st), this.width() - lead.length).map(
        (l, i) => (i === 0 ? lead : ' '.repeat(lead.length)) + l,
      );
    }
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) return wrap(inline(quote[1] ?? '', st), this.width() - 2).map((l) => `${st.dim('│')} ${st.dim(l)}`);
    if (line.trim() === '') return [''];
    return wrap(inline(line, st), this.width());
  }
}

function inline(text: string, st: Style): string {
  return text
    .replace(/`([^`]+)`/g, (_m, code: string) => st.cyan(code))
    .replace(/\*\*([^*]+)\*\*/g, (_m, b: string) => st.bold(b));
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** @internal exported for tests */
export function visibleLength(s: string): number {
  return s.replace(ANSI, '').length;
}

/** Greedy word wrap that counts visible characters only (ANSI codes are zero-width). */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(20, width);
  const words = text.split(/(\s+)/);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (word === '') continue;
    if (visibleLength(current) + visibleLength(word) > w && current.trim() !== '') {
      lines.push(current.trimEnd());
      current = /^\s+$/.test(word) ? '' : word;
    } else {
      current += word;
    }
  }
  if (current !== '' || lines.length === 0) lines.push(current.trimEnd());
  return lines;
}
