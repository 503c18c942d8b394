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

  it('moves the cursor with Left/Right, Home/End and Ctrl-A/E, inserting and deleting where it is', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, 'fix tests');
    type(e, '\u001b[D\u001b[D\u001b[D\u001b[D\u001b[D'); // before "tests"
    type(e, 'the ');
    expect(e.text).toBe('fix the tests');
    expect(e.display().cursor).toEqual({ line: 0, column: 8 });
    type(e, '\u007f\u007f\u007f\u007fall '); // Backspace in the middle
    expect(e.text).toBe('fix all tests');
    type(e, '\u0001run: \u0005!'); // Ctrl-A, Ctrl-E
    expect(e.text).toBe('run: fix all tests!');
    type(e, '\u001b[1~\u001b[3~\u001b[3~\u001b[3~\u001b[3~\u001b[3~\u001b[4~?'); // Home, Delete ×5, End (tmux's Home/End)
    expect(e.text).toBe('fix all tests!?');
    type(e, '\u001b[H\u001b[C\u001b[C\u001b[C\u0004'); // xterm's Home, Right ×3, Ctrl-D deletes forward
    expect(e.text).toBe('fixall tests!?');
    expect(type(e, '\u001bOF\r')).toEqual([{ kind: 'submit', text: 'fixall tests!?' }]);
  });

  it('moves by words with Alt-B/F (and Ctrl-Left/Right); Ctrl-W, Ctrl-U and Ctrl-K kill around the cursor', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, 'git commit --amend -m "wip"');
    type(e, '\u001bb\u001bb\u001bb'); // before "wip", "m", then "amend"
    expect(e.display().cursor.column).toBe('git commit --'.length);
    type(e, '\u001bb\u001bf'); // back before "commit", forward past it
    expect(e.display().cursor.column).toBe('git commit'.length);
    type(e, '\u001b[1;5D\u001b[1;5C\u001b[1;5C'); // Ctrl-Left, Ctrl-Right ×2: after "amend"
    expect(e.display().cursor.column).toBe('git commit --amend'.length);
    type(e, '\u0017'); // Ctrl-W: back to the blank
    expect(e.text).toBe('git commit  -m "wip"');
    type(e, '\u000b'); // Ctrl-K: to the end
    expect(e.text).toBe('git commit ');
    type(e, '\u001b[D\u001b[D\u0015'); // Ctrl-U: to the start
    expect(e.text).toBe('t ');
    expect(e.display().cursor.column).toBe(0);
    type(e, '\u001bd'); // Alt-D: the word after
    expect(e.text).toBe(' ');
    type(e, '\u0005one two\u001b\u007f'); // Alt-Backspace: the word before
    expect(e.text).toBe(' one ');
  });

  it('edits wide characters and emoji as one: the cursor column counts two for each', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, '修复 👨‍👩‍👧 bug');
    type(e, '\u0001\u001b[C');
    expect(e.display().cursor).toEqual({ line: 0, column: 2 });
    type(e, '\u001b[C\u001b[C\u001b[C'); // 复, blank, the family (one grapheme)
    expect(e.display().cursor).toEqual({ line: 0, column: 7 });
    type(e, '\u007f'); // the whole family
    expect(e.text).toBe('修复  bug');
    type(e, '🎉\u001b[D\u001b[3~x'); // an emoji typed, then Delete takes it whole
    expect(e.text).toBe('修复 x bug');
    expect(e.display().cursor.column).toBe(6);
  });

  it('in a multi-line draft: Up/Down move between lines (keeping the column), Home/End and kills stay in the line', () => {
    const history = memory(['older']);
    const e = new LineEditor(history, () => NAMES);
    type(e, 'first line\u001b\rsecond\u001b\rthird line here');
    expect(e.display().cursor).toEqual({ line: 2, column: 15 });
    type(e, '\u001b[A'); // up: "second" is shorter, the cursor at its end
    expect(e.display().cursor).toEqual({ line: 1, column: 6 });
    type(e, '\u001b[A\u0001X\u001b[B'); // up, start of line, X, down: column 1 of "second"
    expect(e.text).toBe('Xfirst line\nsecond\nthird line here');
    expect(e.display().cursor).toEqual({ line: 1, column: 1 });
    type(e, '\u000b'); // Ctrl-K: the rest of "second"
    expect(e.text).toBe('Xfirst line\ns\nthird line here');
    type(e, '\u000b'); // at the line's end: joins the next line
    expect(e.text).toBe('Xfirst line\nsthird line here');
    type(e, '\u0005\u0015'); // Ctrl-U: only this line
    expect(e.text).toBe('Xfirst line\n');
    expect(e.display()).toEqual({ lines: ['Xfirst line', ''], cursor: { line: 1, column: 0 } });
    type(e, '\u007f'); // Backspace joins the lines
    expect(e.text).toBe('Xfirst line');
    type(e, '\u001b[A'); // on the first line: the history
    expect(e.text).toBe('older');
  });

  it('a backslash before the cursor makes Enter a new line there; a paste goes in at the cursor; tabs show as spaces', () => {
    const e = new LineEditor(memory(), () => NAMES);
    type(e, 'ab\\cd\u001b[D\u001b[D\r');
    expect(e.text).toBe('ab\ncd');
    type(e, '\u001b[200~x\ty\u001b[201~');
    expect(e.text).toBe('ab\nx\tycd');
    expect(e.display()).toEqual({ lines: ['ab', 'x    ycd'], cursor: { line: 1, column: 6 } });
    // Tab completes a slash command only with the cursor at the end.
    type(e, '\u0003/di\u001b[D\t');
    expect(e.text).toBe('/di');
  });
});
