/** Shell completion in real shells: a `sylk` on the shell's PATH, and Tab pressed in a tmux terminal. */
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI } from './sylk.js';
import type { Tmux } from './tmux.js';

/** The environment with a `sylk` (the built CLI) first on PATH, as a user's install puts it. */
export function withSylkOnPath(home: string, env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const bin = join(home, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'sylk'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`);
  chmodSync(join(bin, 'sylk'), 0o755);
  return { ...env, PATH: `${bin}:${env.PATH}`, TERM: 'xterm' };
}

let typed = 0;

/**
 * Type `text`, press Tab (`tabs` times); the screen and the command line once the completion ran
 * (from `sylk` on, the marker shown as `#done`). Clears the line.
 */
export async function tab(term: Tmux, text: string, tabs = 1): Promise<{ screen: string; line: string }> {
  const marker = `#done${++typed}`;
  term.keys([text], true);
  for (let i = 0; i < tabs; i++) term.keys(['Tab']);
  // The marker typed after the Tab shows only once the completion has run.
  term.keys([marker], true);
  const screen = await term.waitFor((t) => t.includes(marker), `${text}<Tab> to complete`);
  term.keys(['C-u']);
  const line = screen.split('\n').findLast((l) => l.includes(marker)) ?? '';
  return { screen, line: line.slice(line.indexOf('sylk')).replace(marker, '#done').trimEnd() };
}
