import { describe, expect, it } from 'vitest';
import { splitKeys } from '../render/keys.js';
import type { History } from './history.js';
import { LineEditor, type EditorAction } from './line-editor.js';

const memory = (list: string[] = []): History => ({ entries: () => list, add: (t) => void list.push(t) });
const NAMES = ['approvals', 'clear', 'compact', 'cost', 'diff', 'help', 'model'];

/** Feed a terminal's bytes (split into keys as the view does); the actions in order. */
function type(editor: LineEditor, bytes: string): EditorAction[] {
  return splitKeys(bytes).flatMap((k) => editor.feed(k) ?? []);
}

describe('LineEditor', () => {
  it('submits on Enter and clears; an empty line submits nothing to history', () => {
    const history = memory();
    const e = new LineEditor(history, () => NAMES);
    expect(type(e, 'fix it\r')).toEqual([{ kind: 'submit', text: 'fix it' }]);
    expect(e.text).toBe('');
    expect(type(e, '\r')).toEqual([{ kind: 'submit', text: '' }]);
    expect(history.entries()).toEqual(['fix it']);
  });

  it('keeps a bracketed paste as one block: its newlines never submit, even split across reads', () => {
    const e = new LineEditor(memory(), () => NAMES);
    expect(type(e, 'look: \u001b[200~line one\rline two\r\n')).toEqual([]);
    expect(type(e, 'line three\u001b[201~')).toEqual([]);
    expect(e.text).toBe('look: line one\nline two\nline three');
    expect(type(e, '\r')).toEqual([{ kind: 'submit', text: 'look: line one\nline two\nline three' }]);
  });

  it('adds a line on Alt+Enter, Shift+Enter (xterm and kitty), Ctrl-J and a trailing backslash', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, 'a\u001b\rb\u001b[27;2;13~c\u001b[13;2ud\ne\\\rf');
    expect(e.text).toBe('a\nb\nc\nd\ne\nf');
  });

  it('asks to expand the last collapsed output on Ctrl-O, keeping the typed text', () => {
    const e = new LineEditor(memory(), () => NAMES);
    expect(type(e, 'half typed\u000f')).toEqual([{ kind: 'expand' }]);
    expect(e.text).toBe('half typed');
  });

  it('edits: Backspace removes a whole character, Ctrl-W a word, Ctrl-U everything', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, 'run the tests 🎉\u007f');
    expect(e.text).toBe('run the tests ');
    type(e, '\u0017');
    expect(e.text).toBe('run the ');
    type(e, '\u0015');
    expect(e.text).toBe('');
  });

  it('walks the history with Up/Down and gives back the draft', () => {
    const e = new LineEditor(memory(['first', 'second\nline']), () => NAMES);
    type(e, 'draft');
    type(e, '\u001b[A');
    expect(e.text).toBe('second\nline');
    type(e, '\u001b[A\u001b[A');
    expect(e.text).toBe('first');
    type(e, '\u001b[B\u001b[B');
    expect(e.text).toBe('draft');
  });

  it('searches the history with Ctrl-R (again for older matches); Enter takes the match to edit', () => {
    const e = new LineEditor(memory(['run the tests', 'fix the build', 'run the linter']), () => NAMES);
    type(e, '\u0012run');
    expect(e.searching).toEqual({ query: 'run', match: 'run the linter' });
    type(e, '\u0012');
    expect(e.searching?.match).toBe('run the tests');
    expect(type(e, '\r')).toEqual([]);
    expect(e.searching).toBeUndefined();
    expect(e.text).toBe('run the tests');
    type(e, '\u0015\u0012zzz\u0007');
    expect(e.text).toBe('');
    type(e, '\u0012fix\u0017');
    expect(e.text).toBe('fix the '); // the match taken, then Ctrl-W acts on it
  });

  it('completes slash commands with Tab: one match in full, several to their common prefix', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, '/di\t');
    expect(e.text).toBe('/diff ');
    type(e, '\u0015/co');
    expect(type(e, '\t')).toEqual([{ kind: 'candidates', names: ['compact', 'cost'] }]);
    expect(e.text).toBe('/co');
    type(e, '\u0015plain text\t');
    expect(e.text).toBe('plain text');
  });

  it('Ctrl-D detaches only on an empty prompt; Ctrl-C clears, then interrupts; Ctrl-X Ctrl-E edits', () => {
    const e = new LineEditor(memory(), () => NAMES);
    expect(type(e, 'x\u0004')).toEqual([]);
    expect(type(e, '\u0003')).toEqual([]);
    expect(e.text).toBe('');
    expect(type(e, '\u0003')).toEqual([{ kind: 'interrupt' }]);
    expect(type(e, '\u0004')).toEqual([{ kind: 'detach' }]);
    expect(type(e, '\u0018\u0005')).toEqual([{ kind: 'edit' }]);
  });
});
