import type { Style } from '../output.js';
import { visibleControls } from './markdown-inline.js';
import { hardWrap } from './table.js';

/** Output lines shown whole; longer output shows its last TAIL_LINES. */
const SHORT_OUTPUT = 10;
const TAIL_LINES = 6;
/** Lines kept of one call for expanding (its latest); `sylk logs` has every line. */
const KEPT_LINES = 5_000;

/**
 * A command's output in the transcript, collapsed: it is collected while the command runs and
 * shown when it ends. A failed test run shows the parser's first failures instead of the output
 * (the summary is on the ✓/✗ line, said once); other output shows whole when short, else its
 * tail. Every line is soft-wrapped behind the `│` gutter. The last collapsed output can be
 * expanded (`expandLast`).
 */
export class ToolOutput {
  private readonly calls = new Map<string, { lines: string[]; total: number }>();
  private last: string[] = [];

  constructor(
    private readonly st: Style,
    private readonly width: () => number,
    /** Every line shown as it comes (`sylk logs`): nothing is collected or collapsed. */
    readonly full = false,
    /** The key that expands the last collapsed output, named in the collapsed line (interactive views). */
    private readonly expandKey?: string,
  ) {}

  /** One output line of a running call; returns it as it may be shown (controls made visible). */
  add(callId: string, line: string): string {
    const shown = visibleControls(line);
    if (this.full) return shown;
    let call = this.calls.get(callId);
    if (call === undefined) this.calls.set(callId, (call = { lines: [], total: 0 }));
    call.lines.push(shown);
    call.total += 1;
    if (call.lines.length > KEPT_LINES) call.lines.splice(0, call.lines.length - KEPT_LINES);
    return shown;
  }

  /** The call ended: its collapsed lines (none when it printed nothing and had no failures). */
  finish(callId: string, ok: boolean, failures: readonly string[]): string[] {
    if (this.full) return [];
    const call = this.calls.get(callId) ?? { lines: [], total: 0 };
    this.calls.delete(callId);
    const st = this.st;
    const key = this.expandKey === undefined ? '' : `; ${this.expandKey} shows all`;
    const where = `${call.total} line${call.total === 1 ? '' : 's'} of output in \`sylk logs\`${key}`;
    if (!ok && failures.length > 0) {
      this.last = call.lines;
      return [
        ...failures.flatMap((f) => this.gutter(visibleControls(f), (t) => (t.startsWith('✗') ? st.red(t) : t))),
        ...(call.total > 0 ? this.gutter(`full output: ${where}`, st.dim) : []),
      ];
    }
    if (call.total <= SHORT_OUTPUT) return call.lines.flatMap((l) => this.gutter(l, st.dim));
    this.last = call.lines;
    return [
      ...this.gutter(`… ${call.total - TAIL_LINES} earlier lines (${where})`, st.dim),
      ...call.lines.slice(-TAIL_LINES).flatMap((l) => this.gutter(l, st.dim)),
    ];
  }

  /** The whole (kept) output of the last collapsed call. */
  expandLast(): string[] {
    return this.last.flatMap((l) => this.gutter(l, this.st.dim));
  }

  /** One output line as shown, behind the gutter. */
  lineOf(line: string): string[] {
    return this.gutter(line, this.st.dim);
  }

  /** `text` soft-wrapped to the width, every piece behind the gutter. */
  private gutter(text: string, paint: (s: string) => string): string[] {
    const room = Math.max(10, this.width() - 4);
    return hardWrap(text, room).map((piece) => `  ${this.st.dim('│')} ${paint(piece)}`);
  }
}
