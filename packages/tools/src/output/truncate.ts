import type { CapturedOutput, OutputLine } from './types.js';

export interface TruncateOptions {
  /** First lines kept (default 50). */
  head?: number;
  /** Last lines kept (default 100). */
  tail?: number;
  /** Important lines shown from the middle at most (default 200). */
  maxImportant?: number;
}

export interface ModelOutput {
  /** What the model sees. */
  text: string;
  truncated: boolean;
  totalLines: number;
  shownLines: number;
  omittedLines: number;
  errorCount: number;
  warningCount: number;
  /** "N errors, M warnings in X lines" (counted over every line, not only the shown ones). */
  summary: string;
}

function omissionMarker(lines: number): string {
  return `… ${lines} line${lines === 1 ? '' : 's'} omitted …`;
}

/**
 * The model's view of a command's output: first `head` and last `tail` lines plus every
 * important line in between, with markers where lines were left out and a summary line.
 */
export function truncateForModel(captured: CapturedOutput, options: TruncateOptions = {}): ModelOutput {
  const head = options.head ?? 50;
  const tail = options.tail ?? 100;
  const maxImportant = options.maxImportant ?? 200;
  const total = captured.totalLines;
  const kept = new Map<number, OutputLine>();
  for (const line of captured.head) if (line.no <= head) kept.set(line.no, line);
  for (const line of captured.tail) if (line.no > total - tail) kept.set(line.no, line);
  let importantShown = 0;
  for (const line of captured.important) {
    if (kept.has(line.no)) continue;
    if (importantShown >= maxImportant) break;
    kept.set(line.no, line);
    importantShown++;
  }
  const hiddenImportant = captured.important.filter((l) => !kept.has(l.no)).length + captured.importantDropped;
  const lines = [...kept.values()].sort((a, b) => a.no - b.no);
  const out: string[] = [];
  let previous = 0;
  for (const line of lines) {
    if (line.no > previous + 1) out.push(omissionMarker(line.no - previous - 1));
    out.push(line.text);
    previous = line.no;
  }
  if (total > previous) out.push(omissionMarker(total - previous));
  const omittedLines = total - lines.length;
  const summary = `${captured.errorCount} errors, ${captured.warningCount} warnings in ${total} lines`;
  const truncated = omittedLines > 0 || captured.longLinesCut > 0;
  if (truncated) {
    let note = `[${summary}; ${omittedLines} lines omitted`;
    if (hiddenImportant > 0 && omittedLines > 0) note += `, including ${hiddenImportant} more important lines`;
    out.push(`${note}; full output available on request]`);
  }
  return {
    text: out.join('\n'),
    truncated,
    totalLines: total,
    shownLines: lines.length,
    omittedLines,
    errorCount: captured.errorCount,
    warningCount: captured.warningCount,
    summary,
  };
}
