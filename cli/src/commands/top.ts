import type { Command } from 'commander';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { emit, style, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';
import { renderTop, topView, type TopView } from '../render/top-view.js';

const REFRESH_MS = 1000;
const HIDE_CURSOR = '\u001b[?25l';
const SHOW_CURSOR = '\u001b[?25h';
/** Erase from the cursor to the end of the line / of the screen. */
const CLEAR_LINE = '\u001b[K';
const CLEAR_BELOW = '\u001b[J';
/** q, Q, Ctrl-C and Esc end the live view (stdin is raw, so Ctrl-C arrives as a key, not SIGINT). */
const QUIT_KEYS = new Set(['q', 'Q', '\u0003', '\u001b']);

async function snapshot(conn: DaemonConnection): Promise<TopView> {
  return topView(await conn.daemon.top({}, { metadata: conn.metadata }));
}

/**
 * Redraws the view in place once a second: the cursor goes back up over the last frame and each
 * line is rewritten then cleared to its end, so nothing scrolls and the rest of the screen stays.
 * Ends on q / Ctrl-C / Esc or the CLI's interrupt, the cursor and the terminal's mode restored.
 */
async function live(rt: Runtime, conn: DaemonConnection, st: Style): Promise<void> {
  const out = process.stdout;
  const input = process.stdin;
  const stop = new AbortController();
  const quitOnInterrupt = () => stop.abort();
  rt.signal.addEventListener('abort', quitOnInterrupt, { once: true });
  const onKey = (data: Buffer) => {
    if (QUIT_KEYS.has(data.toString('utf8'))) stop.abort();
  };
  const raw = input.isTTY === true;
  const restore = () => {
    if (raw) {
      input.setRawMode(false);
      input.off('data', onKey);
      input.pause();
    }
    out.write(SHOW_CURSOR);
  };
  process.once('exit', restore);
  if (raw) {
    input.setRawMode(true);
    input.on('data', onKey);
    input.resume();
  }
  out.write(HIDE_CURSOR);
  let drawn = 0;
  try {
    while (!stop.signal.aborted) {
      const view = await snapshot(conn);
      const lines = renderTop(view, { width: out.columns || 80, height: Math.max(8, (out.rows || 24) - 1) }, st);
      const up = drawn > 0 ? `\u001b[${drawn}F` : '';
      out.write(`${up}${lines.map((l) => `${l}${CLEAR_LINE}\n`).join('')}${CLEAR_BELOW}`);
      drawn = lines.length;
      await sleep(REFRESH_MS, undefined, { signal: stop.signal }).catch(() => undefined);
    }
  } finally {
    rt.signal.removeEventListener('abort', quitOnInterrupt);
    process.off('exit', restore);
    restore();
  }
}

export function registerTopCommand(program: Command, rt: Runtime): void {
  program
    .command('top')
    .description('live view of sessions, the LLM gate, providers and rate limits, pools and the daemon (q to quit)')
    .option('--once', 'print one snapshot and exit (the default without a terminal)')
    .action(async (o: { once?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      try {
        const st = style(rt.color(opts));
        if (opts.json || o.once === true || process.stdout.isTTY !== true) {
          const view = await snapshot(conn);
          emit(opts, view, () => renderTop(view, { width: process.stdout.columns || 80 }, st).join('\n'));
          return;
        }
        await live(rt, conn, st);
      } finally {
        conn.close();
      }
    });
}
