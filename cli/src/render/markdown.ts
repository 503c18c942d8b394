import type { Style } from '../output.js';
import { highlightCode } from './highlight.js';
import { colourOn, inline, visibleControls } from './markdown-inline.js';
import { displayWidth, hardWrap, renderTable, type Column } from './table.js';

/** Gutter of fenced code and tool output: wrapped lines keep it. */
const GUTTER = '│ ';

/**
 * Streaming Markdown for the terminal: text arrives in deltas, complete lines are rendered as
 * soon as their newline arrives (headings, lists, quotes, paragraphs, with inline styles), the
 * rest waits for more text or `flush()`. Fenced code and tables are rendered when they end (a
 * code block is highlighted as a whole; a table needs all its rows for its widths). Output is
 * wrapped to the current width, which may change between lines. With colour, each line starts
 * with a reset: nothing styled before the reply (the prompt line) carries into it.
 */
export class MarkdownStream {
  private pending = '';
  private fence: { tag: string; lines: string[] } | undefined;
  private table: string[] = [];
  private readonly reset: string;

  constructor(
    private readonly st: Style,
    private width: () => number,
  ) {
    this.reset = colourOn(st) ? '\u001b[0m' : '';
  }

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
    return out.map((l) => this.reset + l);
  }

  /** End of message: render whatever is left (an unclosed block too) and reset block state. */
  flush(): string[] {
    const rest = this.pending;
    this.pending = '';
    const out = rest === '' ? [] : this.renderLine(rest);
    if (this.fence !== undefined) out.push(...this.endFence());
    out.push(...this.endTable());
    return out.map((l) => this.reset + l);
  }

  private renderLine(line: string): string[] {
    if (this.fence !== undefined) {
      if (/^\s*```\s*$/.test(line)) return this.endFence();
      this.fence.lines.push(line);
      return [];
    }
    if (isTableRow(line)) {
      this.table.push(line);
      return [];
    }
    const table = this.endTable();
    const open = /^\s*```\s*([^\s`]*)/.exec(line);
    if (open) {
      this.fence = { tag: open[1] ?? '', lines: [] };
      return table;
    }
    return [...table, ...this.block(line)];
  }

  private block(line: string): string[] {
    const st = this.st;
    const width = this.width();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) return wrap(inline(heading[2] ?? '', st), width).map((l) => st.bold(l));
    const bullet = /^(\s*)([-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (bullet) {
      const indent = bullet[1] ?? '';
      const marker = /\d/.test(bullet[2] ?? '') ? (bullet[2] ?? '') : '•';
      const lead = `${indent}${marker} `;
      return wrap(inline(bullet[3] ?? '', st), width - lead.length).map(
        (l, i) => (i === 0 ? lead : ' '.repeat(lead.length)) + l,
      );
    }
    const quote = /^>\s?(.*)$/.exec(line);
    if (quote) return wrap(inline(quote[1] ?? '', st), width - 2).map((l) => `${st.dim('│')} ${st.dim(l)}`);
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) return [st.dim('─'.repeat(Math.min(width, 40)))];
    if (line.trim() === '') return [''];
    return wrap(inline(line, st), width);
  }

  /** The fenced block: highlighted when colour is on and its language is known, wrapped behind the gutter. */
  private endFence(): string[] {
    const { tag, lines } = this.fence ?? { tag: '', lines: [] };
    this.fence = undefined;
    const st = this.st;
    const code = lines.map((l) => visibleControls(l.replace(/\t/g, '  ')));
    const shown = (colourOn(st) ? highlightCode(code.join('\n'), tag) : undefined) ?? code;
    const room = Math.max(10, this.width() - GUTTER.length);
    return [
      st.dim(`┌─${tag ? ` ${visibleControls(tag)} ` : ''}`),
      ...shown.flatMap((l) => hardWrap(l, room).map((piece) => `${st.dim(GUTTER.trimEnd())} ${piece}`)),
      st.dim('└─'),
    ];
  }

  /** Buffered `| a | b |` rows: a table when the second is the `|---|` rule, else plain lines. */
  private endTable(): string[] {
    const rows = this.table;
    this.table = [];
    if (rows.length === 0) return [];
    const cells = rows.map(splitRow);
    const rule = cells[1];
    if (rule === undefined || !rule.every((c) => /^:?-{1,}:?$/.test(c)))
      return rows.flatMap((r) => wrap(inline(r, this.st), this.width()));
    const head = cells[0] ?? [];
    const body = cells.slice(2);
    const count = Math.max(head.length, ...body.map((r) => r.length));
    // The widest columns give way first when the table is wider than the terminal.
    const natural = Array.from({ length: count }, (_v, i) =>
      Math.max(...[head, ...body].map((r) => displayWidth(r[i] ?? ''))),
    );
    const byWidth = [...natural.keys()].sort((a, b) => (natural[b] ?? 0) - (natural[a] ?? 0));
    const columns: Column[] = Array.from({ length: count }, (_v, i) => ({
      header: inline(head[i] ?? '', this.st),
      align: /-:$/.test(rule[i] ?? '') ? 'right' : 'left',
      shrink: byWidth.indexOf(i),
      min: 6,
    }));
    const lines = renderTable(
      columns,
      body.map((r) => columns.map((_c, i) => inline(r[i] ?? '', this.st))),
      { width: this.width(), header: this.st.bold },
    );
    const [first, ...rest] = lines;
    return [first ?? '', this.st.dim('─'.repeat(Math.min(this.width(), displayWidth(first ?? '')))), ...rest];
  }
}

const isTableRow = (line: string) => /^\s*\|.*\|\s*$/.test(line);

/** `| a | b \| c |` → ['a', 'b | c']. */
function splitRow(line: string): string[] {
  const inner = line.trim().replace(/^\|/, '').replace(/\|$/, '');
  return inner.split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** @internal exported for tests */
export function visibleLength(s: string): number {
  return displayWidth(s);
}

/** Greedy word wrap that counts display columns (escape codes take none, wide characters two). */
export function wrap(text: string, width: number): string[] {
  const w = Math.max(20, width);
  const words = text.split(/(\s+)/);
  const lines: string[] = [];
  let current = '';
  for (const word of words) {
    if (word === '') continue;
    if (displayWidth(current) + displayWidth(word) > w && current.trim() !== '') {
      lines.push(current.trimEnd());
      current = /^\s+$/.test(word) ? '' : word;
    } else {
      current += word;
    }
  }
  if (current !== '' || lines.length === 0) lines.push(current.trimEnd());
  // A word longer than the line (a URL, a path) is cut rather than left running off the edge.
  return lines.flatMap((l) => hardWrap(l, w));
}

/** Lines of command output (not a table) wider than `width` word-wrapped to it; the rest as they are. */
export function fitLines(lines: readonly string[], width: number): string[] {
  return lines.flatMap((l) => (displayWidth(l) > width ? wrap(l, width) : [l]));
}
