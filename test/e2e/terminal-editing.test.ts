// Editing at the prompt in a real terminal (tmux) against a real sylkd: the cursor moves (arrows,
// Home/End, Ctrl-A/E, Alt-B/F, Up/Down between lines), text goes in and out where it is (Backspace,
// Delete, Ctrl-W/U/K), wide characters count two columns, and the terminal's cursor is drawn at
// the edit point; on a resize the prompt is redrawn to the new width, once.
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/sylk.js';
import { answeringScenario, sessionHarness } from '../helpers/sessions.js';
import { startTmux, type Tmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

async function setUp(size?: { cols: number; rows: number }) {
  const s = await sessionHarness({ scenario: answeringScenario('editing', [], 'Noted.') });
  harnesses.push(s);
  const project = s.project('app');
  const term = startTmux(`cd '${project}' && ${process.execPath} ${CLI}`, s.h.env, size);
  terminals.push(term);
  await term.waitFor((t) => t.includes('attached to'), 'the prompt');
  const [session] = await s.sessions();
  if (session === undefined) throw new Error('no session');
  const inputs = async () =>
    (await s.events(session.id)).filter((e) => e.kind === 'user_input').map((e) => String(e.data.text));
  return { s, term, inputs };
}

/** `term.waitFor`, the failure saying what `state()` last was (the cursor is not in the screen's text). */
async function until(term: Tmux, pred: () => boolean, what: string, state: () => string): Promise<void> {
  try {
    await term.waitFor(pred, what);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- last seen: ${state()}`);
  }
}

/** Rows of the visible screen that start the prompt (`› `), by index. */
const promptRows = (term: Tmux): number[] =>
  term.screen().flatMap((row, i) => (row.startsWith('› ') || row === '›' ? [i] : []));

/**
 * Wait until the prompt's first row reads `first` and the terminal's cursor is `x` columns and
 * `dy` rows from that row's start.
 */
async function promptShows(term: Tmux, first: string, x: number, dy = 0): Promise<void> {
  let seen = '';
  await until(
    term,
    () => {
      const rows = promptRows(term);
      const y = rows.at(-1) ?? -1;
      const c = term.cursor();
      seen = `prompt rows ${rows.join(',')}: ${JSON.stringify(term.screen()[y])}, cursor ${c.x},${c.y}`;
      return term.screen()[y] === `› ${first}` && c.x === x && c.y === y + dy;
    },
    `"› ${first}" with the cursor at ${x},+${dy}`,
    () => seen,
  );
}

const answered = (term: Tmux, n: number) => term.waitFor((t) => t.split('Noted.').length - 1 >= n, `${n} answer(s)`);

describe('editing at the prompt (tmux)', () => {
  it('moves the cursor and edits in the middle; the message sent is the edited text', async () => {
    const { term, inputs } = await setUp();

    term.keys(['fix tests'], true);
    term.keys(['Left', 'Left', 'Left', 'Left', 'Left']);
    await promptShows(term, 'fix tests', 2 + 4);
    term.keys(['the '], true);
    await promptShows(term, 'fix the tests', 2 + 8);
    term.keys(['C-a']);
    await promptShows(term, 'fix the tests', 2);
    term.keys(['please '], true);
    term.keys(['C-e']);
    await promptShows(term, 'please fix the tests', 2 + 20);
    term.keys(['M-b', 'M-b']); // before "the"
    await promptShows(term, 'please fix the tests', 2 + 11);
    term.keys(['BSpace', 'BSpace', 'BSpace', 'BSpace']); // "fix " backwards
    term.keys(['run '], true);
    term.keys(['M-f']); // after "the"
    term.keys(['DC', 'DC', 'DC', 'DC', 'DC', 'DC']); // " tests"
    await promptShows(term, 'please run the', 2 + 14);
    term.keys([' linter and the tests'], true);
    term.keys(['Home', 'C-k']);
    term.keys(['junk words'], true);
    term.keys(['Left', 'Left', 'Left', 'Left', 'Left', 'C-u']);
    await promptShows(term, 'words', 2);
    term.keys(['C-k']);
    term.keys(['now '], true);
    await promptShows(term, 'now', 2 + 4);
    term.keys(['please run the linter'], true);
    term.keys(['C-w']);
    term.keys(['build'], true);
    term.keys(['Enter']);
    await answered(term, 1);

    // Wide characters: two columns each (terminals disagree on emoji sequences: the unit tests have those).
    term.keys(['修复 🎉 bug'], true);
    term.keys(['Home', 'Right']);
    await promptShows(term, '修复 🎉 bug', 2 + 2);
    term.keys(['End', 'Left', 'Left', 'Left', 'Left']); // before the blank after the emoji
    await promptShows(term, '修复 🎉 bug', 2 + 7);
    term.keys(['BSpace']);
    term.keys(['的'], true);
    await promptShows(term, '修复 的 bug', 2 + 7);
    term.keys(['Enter']);
    await answered(term, 2);

    // A multi-line draft: Up goes to the line above (same column), edits there.
    term.keys(['line one'], true);
    term.keys(['M-Enter']);
    term.keys(['line two'], true);
    term.keys(['Up']);
    let y = -1;
    await term.waitFor(() => {
      y = promptRows(term).at(-1) ?? -1;
      const c = term.cursor();
      return term.screen()[y + 1] === '  line two' && c.x === 2 + 8 && c.y === y;
    }, 'the cursor at the end of the first line');
    term.keys(['M-b']);
    term.keys(['first '], true);
    term.keys(['Down', 'End', 'C-w']);
    term.keys(['2'], true);
    await term.waitFor(
      () => term.screen()[y] === '› line first one' && term.screen()[y + 1] === '  line 2',
      'the edits',
    );
    term.keys(['Enter']);
    await answered(term, 3);

    expect(await inputs()).toEqual(['now please run the build', '修复 的 bug', 'line first one\nline 2']);
    term.keys(['C-d']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });

  it('redraws the prompt and the typed text at the new width on a resize, without copies', async () => {
    const { term, inputs } = await setUp({ cols: 100, rows: 30 });
    const words = Array.from({ length: 30 }, (_, i) => `w${String(i).padStart(2, '0')}`).join(' '); // 119 columns
    term.keys([words], true);
    term.keys(['M-b', 'M-b']); // before "w28": column 2 + 112
    let seen = '';
    const shown = (cols: number) => {
      const rows = promptRows(term);
      const y = rows.at(-1) ?? -1;
      const c = term.cursor();
      const screen = term.screen();
      // Blanks out: capture-pane drops them at the end of each row.
      const text = screen.slice(y).join('').replaceAll(' ', '');
      const col = 2 + 112;
      seen = `prompt rows ${rows.join(',')}, cursor ${c.x},${c.y}, screen width ${Math.max(...screen.map((r) => r.length))}`;
      return (
        rows.length === 1 &&
        text === `›${words.replaceAll(' ', '')}` &&
        c.x === col % cols &&
        c.y === y + Math.floor(col / cols) &&
        term.capture().split(words).length === 2
      );
    };
    await until(
      term,
      () => shown(100),
      'the prompt on two rows, the cursor on the second',
      () => seen,
    );

    term.resize(50, 30);
    await until(
      term,
      () => shown(50),
      'the prompt on three rows at 50 columns, once',
      () => seen,
    );
    term.resize(130, 30);
    await until(
      term,
      () => shown(130),
      'the prompt on one row at 130 columns, once',
      () => seen,
    );
    term.resize(70, 30);
    await until(
      term,
      () => shown(70),
      'the prompt on two rows at 70 columns, once',
      () => seen,
    );

    // The transcript above is still there, and the text is intact.
    expect(term.capture()).toContain('attached to');
    term.keys(['End']);
    term.keys(['!'], true);
    term.keys(['Enter']);
    await answered(term, 1);
    expect(await inputs()).toEqual([`${words}!`]);
  });
});
