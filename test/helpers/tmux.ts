/**
 * A real terminal for interactive CLI tests: a private tmux server (its own socket name, no
 * user config) running one command in a fixed-size window; keys go in with send-keys and the
 * screen comes back with capture-pane.
 */
import { execFileSync } from 'node:child_process';
import { waitFor } from './sylk.js';

let counter = 0;

export interface Tmux {
  /** The whole pane, scrollback included, as plain text. */
  capture(): string;
  /** tmux key names (`a`, `Down`, `Enter`, `C-]`) or literal text with `literal`. */
  keys(keys: string[], literal?: boolean): void;
  waitFor(pred: (screen: string) => boolean, what: string, timeoutMs?: number): Promise<string>;
  /** Paste as a terminal does: bracketed (ESC[200~ … ESC[201~) when the program turned that mode on. */
  paste(text: string): void;
  /** The visible screen, one string per row (wrapped rows apart, trailing blanks kept off). */
  screen(): string[];
  /** The terminal's cursor: column and row of the visible screen, 0-based. */
  cursor(): { x: number; y: number };
  /** Resize the window (the program gets SIGWINCH). */
  resize(cols: number, rows: number): void;
  kill(): void;
}

export function startTmux(command: string, env: NodeJS.ProcessEnv, size = { cols: 120, rows: 40 }): Tmux {
  const server = `sylk-e2e-${process.pid}-${++counter}`;
  const tmux = (...args: string[]) =>
    execFileSync('tmux', ['-L', server, '-f', '/dev/null', ...args], { encoding: 'utf8' });
  const vars = Object.entries(env).flatMap(([k, v]) => (v === undefined ? [] : ['-e', `${k}=${v}`]));
  // remain-on-exit keeps the pane (and what it shows) after the command ends; the shell prints its exit code.
  tmux(
    'new-session',
    '-d',
    '-s',
    'e2e',
    '-x',
    String(size.cols),
    '-y',
    String(size.rows),
    ...vars,
    `${command}; echo "[exited $?]"`,
    ';',
    'set-option',
    '-t',
    'e2e',
    'remain-on-exit',
    'on',
  );
  const capture = () => tmux('capture-pane', '-p', '-J', '-S', '-', '-t', 'e2e');
  return {
    capture,
    keys(keys, literal = false) {
      tmux('send-keys', '-t', 'e2e', ...(literal ? ['-l'] : []), ...keys);
    },
    paste(text) {
      tmux('set-buffer', '-b', 'e2e', '--', text);
      tmux('paste-buffer', '-p', '-d', '-b', 'e2e', '-t', 'e2e');
    },
    screen: () => tmux('capture-pane', '-p', '-t', 'e2e').replace(/\n$/, '').split('\n'),
    cursor() {
      const [x = -1, y = -1] = tmux('display-message', '-p', '-t', 'e2e', '#{cursor_x} #{cursor_y}')
        .split(' ')
        .map(Number);
      return { x, y };
    },
    resize(cols, rows) {
      tmux('resize-window', '-t', 'e2e', '-x', String(cols), '-y', String(rows));
    },
    async waitFor(pred, what, timeoutMs = 30_000) {
      let screen = '';
      try {
        await waitFor(() => pred((screen = capture())), timeoutMs, what);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n--- screen ---\n${screen}`);
      }
      return screen;
    },
    kill() {
      try {
        tmux('kill-server');
      } catch {
        // already gone
      }
    },
  };
}

export const count = (text: string, needle: string): number => text.split(needle).length - 1;
