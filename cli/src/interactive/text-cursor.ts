import { displayWidth } from '../render/table.js';

// Cursor arithmetic over the prompt's text. Offsets are UTF-16 indexes that always sit on a
// grapheme boundary, so an emoji (a ZWJ family, a flag) or a letter with its combining marks
// moves and deletes as one. A newline is always a boundary, so only the current line is segmented.

let segmenter: Intl.Segmenter | undefined;
const graphemes = (text: string) => (segmenter ??= new Intl.Segmenter()).segment(text);

/** Word characters for Alt-B / Alt-F (letters, digits, marks, `_`), as readline's word moves. */
const WORD_BEFORE = /[\p{L}\p{N}\p{M}_]+[^\p{L}\p{N}\p{M}_]*$/u;
const WORD_AFTER = /^[^\p{L}\p{N}\p{M}_]*[\p{L}\p{N}\p{M}_]+/u;

/** Tabs show as spaces: a terminal's tab stops would put the cursor somewhere else than counted. */
export const TAB_SHOWN_AS = '    ';

export const lineStart = (text: string, at: number): number => text.lastIndexOf('\n', at - 1) + 1;

export function lineEnd(text: string, at: number): number {
  const nl = text.indexOf('\n', at);
  return nl < 0 ? text.length : nl;
}

/** The start of the grapheme before `at`. */
export function previousBoundary(text: string, at: number): number {
  if (at <= 0) return 0;
  if (text[at - 1] === '\n') return at - 1;
  const start = lineStart(text, at);
  let last = start;
  for (const { index } of graphemes(text.slice(start, at))) last = start + index;
  return last;
}

/** The end of the grapheme at `at`. */
export function nextBoundary(text: string, at: number): number {
  if (at >= text.length) return text.length;
  if (text[at] === '\n') return at + 1;
  for (const { segment } of graphemes(text.slice(at, lineEnd(text, at)))) return at + segment.length;
  return text.length;
}

/** Alt-B: the start of the word before `at` (or of the text). */
export function wordStartBefore(text: string, at: number): number {
  const m = WORD_BEFORE.exec(text.slice(0, at));
  return m === null ? 0 : m.index;
}

/** Alt-F: the end of the word after `at` (or of the text). */
export function wordEndAfter(text: string, at: number): number {
  const m = WORD_AFTER.exec(text.slice(at));
  return m === null ? text.length : at + m[0].length;
}

/** Ctrl-W, as a shell's: back over blanks, then over everything up to the previous blank. */
export function blankWordStartBefore(text: string, at: number): number {
  return at - (/\S*\s*$/.exec(text.slice(0, at))?.[0].length ?? 0);
}

/** Display columns of a stretch of one line (tabs as shown). */
export const columnsOf = (part: string): number => displayWidth(part.replaceAll('\t', TAB_SHOWN_AS));

/** Up/Down between lines: the offset in the line starting at `start` nearest to `column`, not past it. */
export function offsetAtColumn(text: string, start: number, column: number): number {
  const end = lineEnd(text, start);
  let at = start;
  let used = 0;
  for (const { segment } of graphemes(text.slice(start, end))) {
    const width = columnsOf(segment);
    if (used + width > column) break;
    used += width;
    at += segment.length;
  }
  return at;
}
