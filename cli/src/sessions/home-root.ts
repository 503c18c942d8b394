import { homedir } from 'node:os';
import { createInterface } from 'node:readline';
import { broadProjectRoot } from '@sylk/config/paths';
import { CliError, EXIT } from '../exit-codes.js';
import type { Style } from '../output.js';
import type { Runtime } from '../runtime.js';

export interface HomeRootCheck {
  root: string;
  /** The user's home directory ($HOME of the client). */
  home: string;
  /** `--allow-home`: the user confirmed up front. */
  allowHome: boolean;
  /** `--yes`: nobody is there to answer, so nothing broad is confirmed implicitly. */
  yes: boolean;
  /** A terminal to ask on (stdin and stderr are TTYs). */
  interactive: boolean;
  /** Shows the question and resolves with the answer ('' when given up). */
  ask(question: string): Promise<string>;
  style: Style;
}

function clientHome(env: NodeJS.ProcessEnv): string {
  return env.HOME !== undefined && env.HOME !== '' ? env.HOME : homedir();
}

/**
 * A session in `/` or the home directory lets the agent see every file the user owns: ask on a
 * terminal (y/N), refuse with `--yes` or without a terminal unless `--allow-home` was given.
 * Resolves with what CreateSessionRequest.allow_home_root should say.
 * @internal exported for tests
 */
export async function confirmHomeRoot(c: HomeRootCheck): Promise<boolean> {
  const what = broadProjectRoot(c.root, c.home);
  if (what === undefined) return false;
  if (c.allowHome) return true;
  const problem = `${c.root} is ${what}: a session there lets the agent see every file you own`;
  const hint = 'run it in a project directory (sylk run -C <dir>), or pass --allow-home if you really mean it';
  if (c.yes || !c.interactive) {
    throw new CliError(
      `refusing to start a session: ${problem}${c.yes ? ' (--yes does not confirm this)' : ''}`,
      EXIT.usage,
      hint,
      'session.home_root_refused',
    );
  }
  const answer = await c.ask(`${c.style.yellow('!')} ${problem}.\n  Start it there anyway? [y/N] `);
  if (!/^\s*y(es)?\s*$/i.test(answer))
    throw new CliError('no session started', EXIT.failure, hint, 'session.home_root_declined');
  return true;
}

/** One line from a terminal; Ctrl-C or end of input answer ''. */
export function askLine(
  question: string,
  input: NodeJS.ReadableStream,
  output: NodeJS.WritableStream,
): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output });
    let answered = false;
    rl.on('SIGINT', () => rl.close());
    rl.on('close', () => {
      if (answered) return;
      output.write('\n');
      resolve('');
    });
    rl.question(question, (answer) => {
      answered = true;
      rl.close();
      resolve(answer);
    });
  });
}

/** The check as `sylk run` / `sylk new` make it: $HOME, this process's terminal. */
export function confirmProjectRoot(
  rt: Runtime,
  root: string,
  o: { allowHome?: boolean; yes?: boolean },
  st: Style,
): Promise<boolean> {
  return confirmHomeRoot({
    root,
    home: clientHome(rt.env),
    allowHome: o.allowHome === true,
    yes: o.yes === true,
    interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
    ask: (question) => askLine(question, process.stdin, process.stderr),
    style: st,
  });
}
