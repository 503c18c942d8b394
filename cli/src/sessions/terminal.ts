import type { Client } from '@grpc/grpc-js';
import { Decision, SessionState } from '@sylk/proto/session';
import type { Style } from '../output.js';
import { SessionView, type ViewEvent, type ViewSink } from '../render/session-view.js';
import { isPrintable, readLine, select } from '../render/select.js';
import { KEY, splitKeys } from '../render/keys.js';
import { AttachedSession } from './attach.js';

export interface TerminalOptions {
  session: string;
  fromSeq: number;
  tail: number;
  /** Interactive: raw keys, prompts, spinner. Otherwise plain lines (or NDJSON with json). */
  interactive: boolean;
  json: boolean;
  /** Answer every approval with "allow once" (demo, scripts). */
  yes: boolean;
  /** The model's thinking in full (dimmed) instead of one summary line per block. */
  showThinking?: boolean;
  /**
   * Leave once the session is idle after this seq; 'snapshot' = after the events that existed
   * when attaching (a finished session: once replayed; a running one: when its turn ends).
   */
  exitWhenIdleAfter?: number | 'snapshot';
  style: Style;
  connect: () => Promise<Client>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /** SIGINT outside raw mode (no terminal, e.g. piped): detach, never cancel the turn. */
  signal?: AbortSignal;
  /** Slash commands the CLI answers itself, never sent to the model (`undo` → `/undo`); text to show. */
  commands?: Readonly<Record<string, () => Promise<string>>>;
}

export interface TerminalResult {
  /** Why the client left. */
  reason: 'detached' | 'idle' | 'ended';
  finalState?: string;
}

const DETACH_KEY = '\u001d'; // Ctrl-]
const CTRL_C = '\u0003';
const IDLE_STATES = new Set(['idle', 'completed', 'failed', 'closed', 'paused']);

/**
 * The attached view of a session in a terminal: streams the rendered log, lets
 * the user type input, answers approvals with a selection, Ctrl-C cancels the
 * running turn (twice within 2 s detaches), Ctrl-] detaches without cancelling.
 */
export async function runTerminal(opts: TerminalOptions): Promise<TerminalResult> {
  const { stdout, st } = { stdout: opts.stdout, st: opts.style };
  const width = () => Math.max(40, stdout.columns || 80);
  let statusText = '';
  let input = '';
  let busy = false;
  let state = '';
  const sink: ViewSink = opts.interactive
    ? {
        lines(lines) {
          stdout.write(`\r\u001b[K${lines.join('\n')}\n`);
          drawStatus();
        },
        status(text) {
          statusText = text;
          drawStatus();
        },
      }
    : { lines: (lines) => stdout.write(`${lines.join('\n')}\n`), status: () => undefined };
  const drawStatus = () => {
    if (!opts.interactive || prompting) return;
    const text = statusText !== '' ? statusText : `${st.bold('›')} ${input}`;
    stdout.write(`\r\u001b[K${text}`);
  };
  const view = new SessionView(st, sink, width, { showThinking: opts.showThinking === true });
  const pending = new Map<string, ViewEvent>();
  let prompting = false;
  let replayEndsIdle: { seq: number; state: string } | undefined;
  let result: TerminalResult = { reason: 'ended' };
  let lastCtrlC = 0;
  let exitAfter = typeof opts.exitWhenIdleAfter === 'number' ? opts.exitWhenIdleAfter : undefined;
  const leaveIdle = (finalState: string) => {
    result = { reason: 'idle', finalState };
    attached.detach();
  };

  const attached = new AttachedSession(
    {
      session: opts.session,
      fromSeq: opts.fromSeq,
      tail: opts.tail,
      cols: stdout.columns || 80,
      rows: stdout.rows || 24,
      connect: opts.connect,
    },
    {
      session: (s) => {
        if (opts.exitWhenIdleAfter === 'snapshot') {
          const snapshotState = (SessionState[s.state] ?? '').toLowerCase();
          const last = Number(s.lastSeq);
          exitAfter = IDLE_STATES.has(snapshotState) ? undefined : last;
          if (IDLE_STATES.has(snapshotState)) {
            if (last <= attached.lastSeq) leaveIdle(snapshotState);
            else replayEndsIdle = { seq: last, state: snapshotState };
          }
        }
        if (!opts.json && !opts.interactive) return;
        if (opts.interactive)
          sink.lines([
            st.dim(`attached to ${s.name} (${s.id}) in ${s.projectRoot} — Ctrl-C cancels the turn, Ctrl-] detaches`),
          ]);
      },
      event: (ev) => {
        if (opts.json) stdout.write(`${JSON.stringify({ seq: ev.seq, ts: ev.ts, kind: ev.kind, data: ev.data })}\n`);
        else view.onEvent(ev);
        if (ev.kind === 'approval_requested') pending.set(String(ev.data.approvalId), ev);
        if (ev.kind === 'approval_resolved') pending.delete(String(ev.data.approvalId));
        if (ev.kind === 'state_changed') {
          state = String(ev.data.to);
          busy = state === 'running' || state === 'waiting_approval';
          if (exitAfter !== undefined && ev.seq > exitAfter && IDLE_STATES.has(state)) leaveIdle(state);
        }
        if (replayEndsIdle !== undefined && ev.seq >= replayEndsIdle.seq) leaveIdle(replayEndsIdle.state);
        setImmediate(answerApprovals);
      },
      // With --json, stdout carries only events: a refusal (e.g. a decision that lost the race) goes to stderr.
      refused: (message, code) =>
        opts.json
          ? process.stderr.write(`${JSON.stringify({ error: { code, message } })}\n`)
          : sink.lines([st.red(`✗ ${message}`)]),
      reconnecting: (fromSeq, reason) => {
        if (!opts.json) sink.lines([st.dim(`… connection lost (${reason}); re-attaching from event ${fromSeq}`)]);
      },
    },
  );

  const decide = (approvalId: string, decision: Decision, message = '') =>
    attached.send({ case: 'decision', value: { approvalId, decision, message } });

  async function answerApprovals(): Promise<void> {
    if (prompting || pending.size === 0) return;
    const [id] = pending.keys();
    if (id === undefined) return;
    if (opts.yes) {
      pending.delete(id);
      decide(id, Decision.ALLOW_ONCE);
      return;
    }
    if (!opts.interactive) {
      if (!opts.json)
        sink.lines([st.yellow(`  waiting for approval: sylk approve ${id}  |  sylk deny ${id} -m "why"`)]);
      pending.delete(id);
      return;
    }
    prompting = true;
    stdout.write('\r\u001b[K');
    const choice = await select(opts.stdin, stdout, st, 'Allow this?', [
      { key: 'a', label: 'allow once', value: Decision.ALLOW_ONCE },
      { key: 's', label: 'allow for this session', value: Decision.ALLOW_SESSION },
      { key: 'p', label: 'allow always in this project', value: Decision.ALLOW_ALWAYS },
      { key: 'd', label: 'deny', value: Decision.DENY },
      { key: 'm', label: 'deny with a message to the agent', value: Decision.DENY_WITH_MESSAGE },
    ]);
    if (choice === Decision.DENY_WITH_MESSAGE) {
      const message = await readLine(opts.stdin, stdout, 'message for the agent: ');
      if (message !== undefined) decide(id, choice, message);
    } else if (choice !== undefined) decide(id, choice);
    pending.delete(id);
    prompting = false;
    drawStatus();
    setImmediate(answerApprovals);
  }

  const onKey = (chunk: Buffer) => {
    if (prompting) return;
    for (const ch of splitKeys(chunk.toString('utf8'))) {
      if (ch === DETACH_KEY) {
        result = { reason: 'detached' };
        attached.detach();
        return;
      }
      if (ch === CTRL_C) {
        const now = Date.now();
        if (now - lastCtrlC < 2000) {
          result = { reason: 'detached' };
          attached.detach();
          return;
        }
        lastCtrlC = now;
        if (busy) attached.send({ case: 'cancel', value: {} });
        sink.lines([st.dim(busy ? 'cancelling the turn… (Ctrl-C again to detach)' : 'press Ctrl-C again to detach')]);
        continue;
      }
      if (KEY.enter.has(ch)) {
        const text = input.trim();
        input = '';
        const command = text.startsWith('/') ? opts.commands?.[text.slice(1)] : undefined;
        if (command !== undefined) {
          command().then(
            (out) => sink.lines(out.split('\n')),
            (err: unknown) => {
              const e = err as { message?: string; hint?: string };
              sink.lines([
                st.red(`✗ ${text}: ${e.message ?? String(err)}`),
                ...(e.hint ? [st.dim(`  hint: ${e.hint}`)] : []),
              ]);
            },
          );
        } else if (text !== '') attached.send({ case: 'input', value: { text } });
      } else if (KEY.backspace.has(ch)) input = input.slice(0, -1);
      else if (isPrintable(ch)) input += ch;
      drawStatus();
    }
  };

  const onSignal = () => {
    result = { reason: 'detached' };
    attached.detach();
  };
  if (opts.signal?.aborted) onSignal();
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  const spinner = opts.interactive ? setInterval(() => view.tick(), 100) : undefined;
  const onResize = () => attached.resize(stdout.columns || 80, stdout.rows || 24);
  if (opts.interactive) {
    opts.stdin.setRawMode?.(true);
    opts.stdin.resume();
    opts.stdin.on('data', onKey);
    stdout.on('resize', onResize);
  }
  try {
    await attached.run();
  } finally {
    opts.signal?.removeEventListener('abort', onSignal);
    if (spinner) clearInterval(spinner);
    if (opts.interactive) {
      opts.stdin.off('data', onKey);
      opts.stdin.setRawMode?.(false);
      opts.stdin.pause();
      stdout.off('resize', onResize);
      stdout.write('\r\u001b[K');
      if (result.reason === 'detached')
        stdout.write(st.dim(`detached; the session keeps running (sylk attach ${opts.session})\n`));
    }
  }
  return result.finalState === undefined && state !== '' ? { ...result, finalState: state } : result;
}
