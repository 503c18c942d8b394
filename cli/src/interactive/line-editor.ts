import { isPrintable } from '../render/select.js';
import type { History } from './history.js';

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

/**
 * The prompt's line editor, as a pure state machine over keys (render/keys.ts splits a read into
 * keys): text with newlines, bracketed paste kept as one block (its newlines never submit),
 * Alt/Shift+Enter, Ctrl-J or a trailing `\` for a new line, Up/Down through history and Ctrl-R
 * to search it, Tab to complete a slash command, Ctrl-X Ctrl-E for $EDITOR, Ctrl-O to expand the
 * last collapsed output. The cursor stays at the end; Ctrl-U clears, Ctrl-W deletes a word, Ctrl-C
 * clears (on an empty prompt: interrupts).
 */
export class LineEditor {
  text = '';
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

  /** Replace the whole text (after $EDITOR). */
  set(text: string): void {
    this.text = text;
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
      if (this.text === '') return { kind: 'interrupt' };
      this.set('');
      return undefined;
    }
    if (key === CTRL.d) return this.text === '' ? { kind: 'detach' } : undefined;
    if (key === CTRL.o) return { kind: 'expand' };
    if (key === ENTER) {
      if (this.text.endsWith('\\')) {
        this.text = `${this.text.slice(0, -1)}\n`;
        return undefined;
      }
      const text = this.text;
      this.set('');
      if (text.trim() !== '') this.history.add(text);
      return { kind: 'submit', text };
    }
    if (NEWLINE_KEYS.has(key)) this.insert('\n');
    else if (BACKSPACE.has(key)) this.text = [...this.text].slice(0, -1).join('');
    else if (key === CTRL.u) this.set('');
    else if (key === CTRL.w) this.text = this.text.replace(/\S+\s*$/, '');
    else if (key === CTRL.r) this.search = { query: '', skip: 0 };
    else if (UP.has(key)) this.step(-1);
    else if (DOWN.has(key)) this.step(1);
    else if (key === CTRL.tab) return this.complete();
    else if (isPrintable(key)) this.insert(key);
    return undefined;
  }

  private insert(text: string): void {
    this.text += text;
    this.browse = undefined;
  }

  private step(delta: number): void {
    const entries = this.history.entries();
    const browse = this.browse ?? { index: entries.length, draft: this.text };
    const index = Math.min(entries.length, Math.max(0, browse.index + delta));
    this.text = index === entries.length ? browse.draft : (entries[index] ?? '');
    this.browse = { index, draft: browse.draft };
  }

  private complete(): EditorAction | undefined {
    if (!/^\/[a-z-]*$/.test(this.text)) return undefined;
    const word = this.text.slice(1);
    const hits = this.commandNames().filter((n) => n.startsWith(word));
    if (hits.length === 1) this.text = `/${hits[0]} `;
    else if (hits.length > 1) {
      const common = hits.reduce((a, b) => {
        let i = 0;
        while (i < a.length && a[i] === b[i]) i++;
        return a.slice(0, i);
      });
      this.text = `/${common}`;
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
      this.set(this.searchMatch() ?? this.text);
      this.search = undefined;
      if (key !== ENTER) return this.feed(key);
    }
    return undefined;
  }
}
