// Typing at the prompt in a real terminal (tmux) against a real sylkd: a pasted block is one
// message, Alt+Enter and a trailing backslash add lines, Ctrl-X Ctrl-E and /edit compose in
// $EDITOR, and Up/Down and Ctrl-R walk the project's history, kept across runs.
import { chmodSync, existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI } from '../helpers/sylk.js';
import { answeringScenario, sessionHarness } from '../helpers/sessions.js';
import { startTmux, type Tmux } from '../helpers/tmux.js';
import { cleanedAfterEach } from '../helpers/cleanup.js';

const { harnesses, terminals } = cleanedAfterEach();

const SCENARIO = answeringScenario('input', [], 'Noted.');

async function setUp() {
  const s = await sessionHarness({ scenario: SCENARIO });
  harnesses.push(s);
  const project = s.project('app');
  // A fake editor: replaces the prompt file with what it was given plus a composed block.
  const editor = join(s.h.home, 'fake-editor.sh');
  writeFileSync(
    editor,
    '#!/bin/sh\n{ cat "$1"; printf "composed\\nin the editor\\n"; } > "$1.new" && mv "$1.new" "$1"\n',
  );
  chmodSync(editor, 0o755);
  const open = (args: string) => {
    const t = startTmux(`cd '${project}' && ${process.execPath} ${CLI} ${args}`, { ...s.h.env, EDITOR: editor });
    terminals.push(t);
    return t;
  };
  const inputs = async (id: string) =>
    (await s.events(id)).filter((e) => e.kind === 'user_input').map((e) => String(e.data.text));
  return { s, project, open, inputs };
}

/** Wait until the session has `n` answers (the emulator answers every message with "Noted."). */
const answered = (term: Tmux, n: number) => term.waitFor((t) => t.split('Noted.').length - 1 >= n, `${n} answer(s)`);

describe('multi-line input and the editor (tmux)', () => {
  it('a paste is one message; Alt+Enter and a trailing \\ add lines; Ctrl-X Ctrl-E and /edit use $EDITOR', async () => {
    const { s, open, inputs } = await setUp();
    const term = open('');
    await term.waitFor((t) => t.includes('attached to'), 'the prompt');
    const [session] = await s.sessions();
    if (session === undefined) throw new Error('no session');

    term.paste('pasted line one\npasted line two\npasted line three');
    await term.waitFor((t) => t.includes('  pasted line three'), 'the pasted block in the prompt');
    term.keys(['Enter']);
    await answered(term, 1);

    term.keys(['first', 'M-Enter', 'second\\', 'Enter', 'third', 'Enter']);
    await answered(term, 2);

    term.keys(['draft: ', 'C-x', 'C-e']);
    await term.waitFor((t) => t.includes('  in the editor'), 'the composed text back in the prompt');
    term.keys(['Enter']);
    await answered(term, 3);

    term.keys(['/edit', 'Enter']);
    await term.waitFor((t) => t.includes('› composed'), 'the editor text for /edit');
    term.keys(['Enter']);
    await answered(term, 4);

    expect(await inputs(session.id)).toEqual([
      'pasted line one\npasted line two\npasted line three',
      'first\nsecond\nthird',
      'draft: composed\nin the editor',
      'composed\nin the editor',
    ]);
    term.keys(['C-d']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });
});

describe('history (tmux)', () => {
  it('Up/Down and Ctrl-R over earlier prompts, kept per project in the state directory', async () => {
    const { s, open, inputs } = await setUp();
    const first = open('run "alpha one"');
    await answered(first, 1);
    first.keys(['beta two', 'Enter']);
    await answered(first, 2);
    first.keys(['C-d']);
    await first.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
    const dir = join(s.h.home, 'state', 'history');
    expect(existsSync(dir) && readdirSync(dir)).toHaveLength(1);

    // A new process in the same project: the history is there.
    const term = open('-c');
    await term.waitFor((t) => t.includes('attached to'), 'the prompt');
    term.keys(['Up']);
    await term.waitFor((t) => /› beta two\s*$/.test(t), 'the newest prompt');
    term.keys(['Up']);
    await term.waitFor((t) => /› alpha one\s*$/.test(t), 'the one before');
    term.keys(['Down', 'Down']);
    await term.waitFor((t) => /›\s*$/.test(t), 'back to the empty draft');
    term.keys(['C-r', 'alp']);
    await term.waitFor((t) => t.includes("(history search) 'alp': alpha one"), 'the search');
    term.keys(['Enter']);
    await term.waitFor((t) => /› alpha one\s*$/.test(t), 'the match in the prompt');
    term.keys([' again', 'Enter']);
    await answered(term, 3);
    const [session] = await s.sessions();
    expect(await inputs(session?.id ?? '')).toEqual(['alpha one', 'beta two', 'alpha one again']);
    term.keys(['C-d']);
    await term.waitFor((t) => t.includes('[exited 0]'), 'the CLI to exit');
  });
});
