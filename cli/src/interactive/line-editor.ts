import { isPrintable } from '../render/select.js';
import type { History } from './history.js';
import {
  TAB_SHOWN_AS,
  blankWordStartBefore,
  columnsOf,
  lineEnd,
  lineStart,
  nextBoundary,
  offsetAtColumn,
  previousBoundary,
  wordEndAfter,
  wordStartBefore,
} from './text-cursor.js';

/** What a key asks the attached view to do (the editor redraws itself otherwise). */
export type EditorAction =
  | { kind: 'submit'; text: string }
  /** Ctrl-D on an empty prompt. */
  | { kind: 'detach' }
  | { kind: 'interrupt' }
  /** Ctrl-X Ctrl-E: compose the current text in $EDITOR. */
  | { kind: 'edit' }
  /** Tab found several slash commands: show them. */
  | { kind: 'candidates'; names: string[] }
  /** Ctrl-O: show the last collapsed command output in full. */
  | { kind: 'expand' };

const PASTE_START = '\u001b[200~';
const PASTE_END = '\u001b[201~';
const CTRL = {
  c: '\u0003',
  d: '\u0004',
  e: '\u0005',
  k: '\u000b',
  r: '\u0012',
  u: '\u0015',
  w: '\u0017',
  x: '\u0018',
  g: '\u0007',
  o: '\u000f',
  tab: '\t',
  newline: '\n', // Ctrl-J
} as const;
const ENTER = '\r';
/** Alt+Enter (ESC CR), and Shift+Enter as xterm's modifyOtherKeys and the kitty protocol send it. */
const NEWLINE_KEYS = new Set(['\u001b\r', '\u001b\n', '\u001b[27;2;13~', '\u001b[13;2u', CTRL.newline]);
const BACKSPACE = new Set(['\u007f', '\b']);
const UP = new Set(['\u001b[A', '\u001bOA']);
const DOWN = new Set(['\u001b[B', '\u001bOB']);
// Cursor keys as xterm, tmux/screen and the Linux console send them, and their emacs (readline) chords.
const LEFT = new Set(['\u001b[D', '\u001bOD', '\u0002']);
const RIGHT = new Set(['\u001b[C', '\u001bOC', '\u0006']);
const HOME = new Set(['\u001b[H', '\u001bOH', '\u001b[1~', '\u001b[7~', '\u0001']);
const END = new Set(['\u001b[F', '\u001bOF', '\u001b[4~', '\u001b[8~', CTRL.e]);
const DELETE = '\u001b[3~';
/** Alt-B / Alt-F, and Ctrl- or Alt-Left/Right. */
const WORD_LEFT = new Set(['\u001bb', '\u001b[1;5D', '\u001b[1;3D']);
const WORD_RIGHT = new Set(['\u001bf', '\u001b[1;5C', '\u001b[1;3C']);
/** Alt-Backspace and Alt-D: delete a word back / forward. */
const KILL_WORD_BACK = '\u001b\u007f';
const KILL_WORD_FORWARD = '\u001bd';

/** What the prompt shows: the text's lines (tabs as spaces) and where the cursor is among them. */
export interface EditorDisplay {
  lines: string[];
  /** Line index, and display columns before the cursor on that line (wide characters count two). */
  cursor: { line: number; column: number };
}

/**
 * The prompt's line editor, as a pure state machine over keys (render/keys.ts splits a read into
 * keys): text with newlines, bracketed paste kept as one block (its newlines never submit),
 * Alt/Shift+Enter, Ctrl-J or a `\` before the cursor for a new line, Up/Down through history (or
 * between the lines of a multi-line draft) and Ctrl-R to search it, Tab to complete a slash
 * command, Ctrl-X Ctrl-E for $EDITOR, Ctrl-O to expand the last collapsed output. The cursor
 * moves and edits as in readline: Left/Right, Home/End (Ctrl-A/E: of the line), Alt-B/F by words,
 * Backspace/Delete, Ctrl-W (blank-delimited word back), Ctrl-U/K (kill to the line's start/end),
 * Ctrl-D (delete forward; on an empty prompt: detach); Ctrl-C clears (on an empty prompt: interrupts).
 */
export class LineEditor {
  private value = '';
  /** UTF-16 offset into the text, always on a grapheme boundary. */
  private at = 0;
  private pasting: string | undefined;
  private afterCtrlX = false;
  /** Ctrl-R: the query and how many matches back from the newest. */
  private search: { query: string; skip: number } | undefined;
  /** Up/Down: the entry shown (entries.length = the draft) and the draft typed before. */
  private browse: { index: number; draft: string } | undefined;

  constructor(
    private readonly history: History,
    private readonly commandNames: () => readonly string[],
  ) {}

  /** The lines to show under the transcript (the view adds the prompt marks). */
  get searching(): { query: string; match: string } | undefined {
    if (this.search === undefined) return undefined;
    return { query: this.search.query, match: this.searchMatch() ?? '' };
  }

  get text(): string {
    return this.value;
  }

  /** The lines to show and the cursor's place among them. */
  display(): EditorDisplay {
    const before = this.value.slice(0, this.at);
    const line = before.split('\n').length - 1;
    return {
      lines: this.value.split('\n').map((l) => l.replaceAll('\t', TAB_SHOWN_AS)),
      cursor: { line, column: columnsOf(before.slice(lineStart(before, before.length))) },
    };
  }

  /** Replace the whole text (after $EDITOR), the cursor at its end. */
  set(text: string): void {
    this.value = text;
    this.at = text.length;
    this.browse = undefined;
  }

  feed(key: string): EditorAction | undefined {
    if (this.pasting !== undefined) {
      if (key === PASTE_END) {
        this.insert(this.pasting.replace(/\r\n?/g, '\n'));
        this.pasting = undefined;
      } else this.pasting += key;
      return undefined;
    }
    if (key === PASTE_START) {
      this.pasting = '';
      return undefined;
    }
    if (this.search !== undefined) return this.searchKey(key);
    if (this.afterCtrlX) {
      this.afterCtrlX = false;
      if (key === CTRL.e) return { kind: 'edit' };
    }
    if (key === CTRL.x) {
      this.afterCtrlX = true;
      return undefined;
    }
    if (key === CTRL.c) {
      // As in a shell: typed text is dropped first; only Ctrl-C on an empty prompt interrupts.
      if (this.value === '') return { kind: 'interrupt' };
      this.set('');
      return undefined;
    }
    if (key === CTRL.d) {
      if (this.value === '') return { kind: 'detach' };
      this.cut(this.at, nextBoundary(this.value, this.at));
      return undefined;
    }
    if (key === CTRL.o) return { kind: 'expand' };
    if (key === ENTER) {
      if (this.value[this.at - 1] === '\\') {
        this.cut(this.at - 1, this.at);
        this.insert('\n');
        return undefined;
      }
      const text = this.value;
      this.set('');
      if (text.trim() !== '') this.history.add(text);
      return { kind: 'submit', text };
    }
    if (key === CTRL.tab) return this.complete();
    if (key === CTRL.r) this.search = { query: '', skip: 0 };
    else if (UP.has(key)) this.vertical(-1);
    else if (DOWN.has(key)) this.vertical(1);
    else if (NEWLINE_KEYS.has(key)) this.insert('\n');
    else if (isPrintable(key)) this.insert(key);
    else this.edit(key);
    return undefined;
  }

  /** Moves and deletions: what they do to the text around the cursor. */
  private edit(key: string): void {
    const { value: t, at } = this;
    if (LEFT.has(key)) this.at = previousBoundary(t, at);
    else if (RIGHT.has(key)) this.at = nextBoundary(t, at);
    else if (HOME.has(key)) this.at = lineStart(t, at);
    else if (END.has(key)) this.at = lineEnd(t, at);
    else if (WORD_LEFT.has(key)) this.at = wordStartBefore(t, at);
    else if (WORD_RIGHT.has(key)) this.at = wordEndAfter(t, at);
    else if (BACKSPACE.has(key)) this.cut(previousBoundary(t, at), at);
    else if (key === DELETE) this.cut(at, nextBoundary(t, at));
    else if (key === CTRL.w) this.cut(blankWordStartBefore(t, at), at);
    else if (key === KILL_WORD_BACK) this.cut(wordStartBefore(t, at), at);
    else if (key === KILL_WORD_FORWARD) this.cut(at, wordEndAfter(t, at));
    else if (key === CTRL.u) this.cut(lineStart(t, at), at);
    // At the end of a line Ctrl-K joins the next one, as in emacs.
    else if (key === CTRL.k) this.cut(at, lineEnd(t, at) === at ? nextBoundary(t, at) : lineEnd(t, at));
  }

  private insert(text: string): void {
    this.value = this.value.slice(0, this.at) + text + this.value.slice(this.at);
    this.at += text.length;
    this.browse = undefined;
  }

  private cut(from: number, to: number): void {
    if (to <= from) return;
    this.value = this.value.slice(0, from) + this.value.slice(to);
    this.at = from;
    this.browse = undefined;
  }

  /** Up/Down: between the lines of a draft being typed, else through the history. */
  private vertical(delta: -1 | 1): void {
    const t = this.value;
    const start = lineStart(t, this.at);
    const target = delta < 0 ? (start > 0 ? lineStart(t, start - 1) : -1) : t.indexOf('\n', this.at) + 1 || -1;
    if (this.browse !== undefined || target < 0) return this.step(delta);
    this.at = offsetAtColumn(t, target, columnsOf(t.slice(start, this.at)));
  }

  private step(delta: number): void {
    const entries = this.history.entries();
    const browse = this.browse ?? { index: entries.length, draft: this.value };
    const index = Math.min(entries.length, Math.max(0, browse.index + delta));
    this.set(index === entries.length ? browse.draft : (entries[index] ?? ''));
    this.browse = { index, draft: browse.draft };
  }

  private complete(): EditorAction | undefined {
    if (this.at !== this.value.length || !/^\/[a-z-]*$/.test(this.value)) return undefined;
    const word = this.value.slice(1);
    const hits = this.commandNames().filter((n) => n.startsWith(word));
    if (hits.length === 1) this.set(`/${hits[0]} `);
    else if (hits.length > 1) {
      const common = hits.reduce((a, b) => {
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        return a.slice(0, i);
      });
      this.set(`/${common}`);
      return { kind: 'candidates', names: hits };
    }
    return undefined;
  }

  private searchMatch(): string | undefined {
    const s = this.search;
    if (s === undefined) return undefined;
    const hits = this.history
      .entries()
      .filter((e) => e.includes(s.query))
      .reverse();
    return hits[Math.min(s.skip, hits.length - 1)];
  }

  private searchKey(key: string): EditorAction | undefined {
    const s = this.search as { query: string; skip: number };
    if (key === CTRL.r) s.skip++;
    else if (BACKSPACE.has(key)) s.query = [...s.query].slice(0, -1).join('');
    else if (key === CTRL.g || key === CTRL.c || key === '\u001b') this.search = undefined;
    else if (isPrintable(key)) {
      s.query += key;
      s.skip = 0;
    } else {
      // Enter takes the match into the prompt to edit or send; any other key does too, then acts there.
      this.set(this.searchMatch() ?? this.value);
      this.search = undefined;
      if (key !== ENTER) return this.feed(key);
    }
    return undefined;
  }
}
