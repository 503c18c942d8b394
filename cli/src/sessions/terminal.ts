import type { Client } from '@grpc/grpc-js';
import { Decision, SessionState } from '@sylk/proto/session';
import type { Style } from '../output.js';
import { SessionView, type SessionViewOptions, type ViewEvent, type ViewSink } from '../render/session-view.js';
import { readLine, select } from '../render/select.js';
import { splitKeys } from '../render/keys.js';
import { composeInEditor } from '../interactive/external-editor.js';
import type { History } from '../interactive/history.js';
import { LineEditor, type EditorAction } from '../interactive/line-editor.js';
import { PromptArea } from '../interactive/prompt-area.js';
import { VIEW_COMMANDS, parseSlash, slashHelp, type SlashCommand } from '../interactive/slash-commands.js';
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
  /** `--raw` and the CLI's environment, for the rendered view. */
  view?: Pick<SessionViewOptions, 'raw' | 'env'>;
  /**
   * Leave once the session is idle after this seq; 'snapshot' = after the events that existed
   * when attaching (a finished session: once replayed; a running one: when its turn ends).
   */
  exitWhenIdleAfter?: number | 'snapshot';
  style: Style;
  connect: () => Promise<Client>;
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  /**
   * SIGINT outside raw mode (no terminal, e.g. piped): detach. With `cancelOnSignal` (the client
   * that started the turn, `sylk run`) the running turn is cancelled first and stderr says so.
   */
  signal?: AbortSignal;
  cancelOnSignal?: () => Promise<boolean>;
  /** Slash commands answered by the CLI or the daemon, never sent to the model (`cost` → `/cost`). */
  commands?: Readonly<Record<string, SlashCommand>>;
  /** Earlier prompts for Up/Down and Ctrl-R (the project's, persisted). */
  history?: History;
  /** Environment for $EDITOR (Ctrl-X Ctrl-E, /edit). */
  env?: Readonly<Record<string, string | undefined>>;
  stderr?: { write(text: string): unknown };
}

export interface TerminalResult {
  /** Why the client left: `interrupted` = Ctrl-C twice, or SIGINT (exit 130). */
  reason: 'detached' | 'idle' | 'ended' | 'interrupted';
  finalState?: string;
}

const DETACH_KEY = '\u001d'; // Ctrl-]
/** What the line editor's expand key (Ctrl-O, as in Claude Code) is called in the transcript. */
const EXPAND_KEY_NAME = 'Ctrl-O';

/** Ctrl-O: the last collapsed command output in full, below the transcript. */
function expandedOutput(view: SessionView, st: Style): string[] {
  const lines = view.expandLastOutput();
  if (lines.length === 0) return [st.dim('no collapsed command output to expand yet')];
  return [st.dim('full output of the last collapsed command:'), ...lines];
}
const IDLE_STATES = new Set(['idle', 'completed', 'failed', 'closed', 'paused']);
const memoryHistory = (): History => {
  const list: string[] = [];
  return { entries: () => list, add: (t) => void list.push(t) };
};

/**
 * The attached view of a session in a terminal: streams the rendered log above a prompt (the
 * line editor of interactive/), sends what is typed as input, answers approvals with a
 * selection, runs slash commands; Ctrl-C cancels the running turn (twice within 2 s detaches),
 * Ctrl-D on an empty prompt and Ctrl-] detach without cancelling.
 */
export async function runTerminal(opts: TerminalOptions): Promise<TerminalResult> {
  const { stdout, st } = { stdout: opts.stdout, st: opts.style };
  const stderr = opts.stderr ?? process.stderr;
  const width = () => Math.max(40, stdout.columns || 80);
  const commands = opts.commands ?? {};
  const editor = new LineEditor(opts.history ?? memoryHistory(), () =>
    [...Object.keys(commands), ...Object.keys(VIEW_COMMANDS)].sort(),
  );
  const area = new PromptArea(stdout, () => stdout.columns || 80);
  let statusText = '';
  let busy = false;
  let state = '';
  /** An approval menu or $EDITOR has the terminal: transcript lines wait, keys go elsewhere. */
  let prompting = false;
  let editing = false;
  const held: string[][] = [];
  const drawStatus = () => {
    if (!opts.interactive || prompting || editing) return;
    const status = statusText !== '' ? [statusText] : [];
    const search = editor.searching;
    if (search)
      return area.draw([
        ...status,
        `${st.dim(`(history search) '${search.query}':`)} ${search.match.split('\n').join(' ⏎ ')}`,
      ]);
    const { lines, cursor } = editor.display();
    // The cursor at the edit point, after the prompt mark (`› ` on the first line, two blanks on the others).
    area.draw([...status, ...lines.map((l, i) => `${i === 0 ? st.bold('›') : ' '} ${l}`)], {
      line: status.length + cursor.line,
      column: 2 + cursor.column,
    });
  };
  const sink: ViewSink = opts.interactive
    ? {
        lines(lines) {
          if (editing) return void held.push(lines);
          area.clear();
          stdout.write(`${lines.join('\n')}\n`);
          drawStatus();
        },
        status(text) {
          statusText = text;
          drawStatus();
        },
      }
    : { lines: (lines) => stdout.write(`${lines.join('\n')}\n`), status: () => undefined };
  const view = new SessionView(st, sink, width, {
    showThinking: opts.showThinking === true,
    ...opts.view,
    ...(opts.interactive ? { expandKey: EXPAND_KEY_NAME } : {}),
  });
  const pending = new Map<string, ViewEvent>();
  /** The approval whose menu is up, and how to close it when it is answered elsewhere. */
  let menu: { id: string; close: AbortController } | undefined;
  let replayEndsIdle: { seq: number; state: string } | undefined;
  let result: TerminalResult = { reason: 'ended' };
  let lastCtrlC = 0;
  let sessionName = opts.session;
  let exitAfter = typeof opts.exitWhenIdleAfter === 'number' ? opts.exitWhenIdleAfter : undefined;
  const leave = (reason: TerminalResult['reason'], finalState?: string) => {
    result = finalState === undefined ? { reason } : { reason, finalState };
    menu?.close.abort();
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
        sessionName = s.name;
        if (opts.exitWhenIdleAfter === 'snapshot') {
          const snapshotState = (SessionState[s.state] ?? '').toLowerCase();
          const last = Number(s.lastSeq);
          exitAfter = IDLE_STATES.has(snapshotState) ? undefined : last;
          if (IDLE_STATES.has(snapshotState)) {
            if (last <= attached.lastSeq) leave('idle', snapshotState);
            else replayEndsIdle = { seq: last, state: snapshotState };
          }
        }
        if (opts.interactive)
          sink.lines([
            st.dim(
              `attached to ${s.name} (${s.id}) in ${s.projectRoot} — /help for commands, Ctrl-C cancels the turn, Ctrl-] detaches`,
            ),
          ]);
      },
      event: (ev) => {
        // Interrupted without a terminal: `| tee` died with us, so stdout may be gone; stderr says why.
        if (result.reason === 'interrupted' && !opts.interactive) return;
        if (opts.json) stdout.write(`${JSON.stringify({ seq: ev.seq, ts: ev.ts, kind: ev.kind, data: ev.data })}\n`);
        else view.onEvent(ev);
        if (ev.kind === 'approval_requested') pending.set(String(ev.data.approvalId), ev);
        if (ev.kind === 'approval_resolved') {
          const id = String(ev.data.approvalId);
          pending.delete(id);
          // Answered in another terminal (or by a script): the menu closes, keys go to the prompt.
          if (menu?.id === id) menu.close.abort();
        }
        if (ev.kind === 'state_changed') {
          state = String(ev.data.to);
          busy = state === 'running' || state === 'waiting_approval';
          if (exitAfter !== undefined && ev.seq > exitAfter && IDLE_STATES.has(state)) leave('idle', state);
        }
        if (replayEndsIdle !== undefined && ev.seq >= replayEndsIdle.seq) leave('idle', replayEndsIdle.state);
        setImmediate(answerApprovals);
      },
      // With --json, stdout carries only events: a refusal (e.g. a decision that lost the race) goes to stderr.
      refused: (message, code) =>
        opts.json
          ? stderr.write(`${JSON.stringify({ error: { code, message } })}\n`)
          : sink.lines([st.red(`✗ ${message}`)]),
      reconnecting: (fromSeq, reason) => {
        if (!opts.json) sink.lines([st.dim(`… connection lost (${reason}); re-attaching from event ${fromSeq}`)]);
      },
    },
  );

  const decide = (approvalId: string, decision: Decision, message = '') =>
    attached.send({ case: 'decision', value: { approvalId, decision, message } });

  async function answerApprovals(): Promise<void> {
    if (prompting || editing || pending.size === 0) return;
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
    area.clear();
    menu = { id, close: new AbortController() };
    const signal = menu.close.signal;
    const choice = await select(
      opts.stdin,
      stdout,
      st,
      'Allow this?',
      [
        { key: 'a', label: 'allow once', value: Decision.ALLOW_ONCE },
        { key: 's', label: 'allow for this session', value: Decision.ALLOW_SESSION },
        { key: 'p', label: 'allow always in this project', value: Decision.ALLOW_ALWAYS },
        { key: 'd', label: 'deny', value: Decision.DENY },
        { key: 'm', label: 'deny with a message to the agent', value: Decision.DENY_WITH_MESSAGE },
      ],
      signal,
    );
    // Closed because it was answered elsewhere (the transcript shows by whom) or on detach: no decision.
    if (!signal.aborted && choice === Decision.DENY_WITH_MESSAGE) {
      const message = await readLine(opts.stdin, stdout, 'message for the agent: ', signal);
      if (message !== undefined && !signal.aborted) decide(id, choice, message);
    } else if (!signal.aborted && choice !== undefined) decide(id, choice);
    menu = undefined;
    pending.delete(id);
    prompting = false;
    drawStatus();
    setImmediate(answerApprovals);
  }

  const say = (lines: string[]) => sink.lines(lines);
  const runCommand = (text: string): void => {
    const parsed = parseSlash(text);
    if (parsed === undefined) return void attached.send({ case: 'input', value: { text } });
    const { name, args } = parsed;
    if (name === 'help') return say([slashHelp(commands)]);
    if (name === 'detach' || name === 'quit') return leave('detached');
    if (name === 'edit') return void openEditor();
    const command = commands[name];
    if (command === undefined) return say([st.red(`✗ unknown command /${name}`) + st.dim(' (/help lists them)')]);
    say([st.dim(`/${name}${args ? ` ${args}` : ''}`)]);
    command.run(args).then(
      (out) => {
        if (out !== '') say(out.split('\n'));
      },
      (err: unknown) => {
        const e = err as { message?: string; hint?: string };
        say([st.red(`✗ /${name}: ${e.message ?? String(err)}`), ...(e.hint ? [st.dim(`  hint: ${e.hint}`)] : [])]);
      },
    );
  };

  async function openEditor(): Promise<void> {
    if (!opts.interactive || editing) return;
    editing = true;
    area.clear();
    opts.stdin.off('data', onKey);
    opts.stdin.setRawMode?.(false);
    opts.stdin.pause();
    const out = await composeInEditor(opts.env ?? process.env, editor.text);
    opts.stdin.setRawMode?.(true);
    opts.stdin.resume();
    opts.stdin.on('data', onKey);
    editing = false;
    for (const lines of held.splice(0)) sink.lines(lines);
    if (out.error !== undefined) say([st.red(`✗ ${out.error}`)]);
    else editor.set(out.text ?? '');
    drawStatus();
    setImmediate(answerApprovals);
  }

  const onAction = (action: EditorAction): void => {
    if (action.kind === 'submit') {
      area.clear();
      if (action.text.trim() !== '') runCommand(action.text);
    } else if (action.kind === 'detach') leave('detached');
    else if (action.kind === 'edit') void openEditor();
    else if (action.kind === 'candidates') say([st.dim(action.names.map((n) => `/${n}`).join('  '))]);
    else if (action.kind === 'expand') say(expandedOutput(view, st));
    else if (action.kind === 'interrupt') {
      const now = Date.now();
      if (now - lastCtrlC < 2000) return leave('interrupted');
      lastCtrlC = now;
      if (busy) attached.send({ case: 'cancel', value: {} });
      say([st.dim(busy ? 'cancelling the turn… (Ctrl-C again to detach)' : 'press Ctrl-C again to detach')]);
    }
  };

  function onKey(chunk: Buffer): void {
    for (const key of splitKeys(chunk.toString('utf8'))) {
      // Ctrl-] works everywhere, even while an approval menu has the keys.
      if (key === DETACH_KEY) return leave('detached');
      if (prompting || editing || result.reason !== 'ended') continue;
      const action = editor.feed(key);
      if (action !== undefined) onAction(action);
    }
    drawStatus();
  }

  const onSignal = () => {
    const cancel = opts.cancelOnSignal;
    result = { reason: 'interrupted' };
    // The client that started the turn asks even before it saw it start (the daemon says whether one ran).
    if (cancel === undefined) return leave('interrupted');
    void cancel().then(
      (cancelled) => {
        if (cancelled)
          stderr.write(
            `sylk: interrupted: cancelled the running turn of ${sessionName} (the session stays: sylk attach ${sessionName})\n`,
          );
        leave('interrupted');
      },
      (err: unknown) => {
        stderr.write(`sylk: interrupted, and could not cancel the turn: ${(err as Error).message}\n`);
        leave('interrupted');
      },
    );
  };
  if (opts.signal?.aborted) onSignal();
  opts.signal?.addEventListener('abort', onSignal, { once: true });
  const spinner = opts.interactive ? setInterval(() => view.tick(), 100) : undefined;
  // The prompt is redrawn at the new width (the area erases what it drew, laid out at that width).
  const onResize = () => {
    attached.resize(stdout.columns || 80, stdout.rows || 24);
    drawStatus();
  };
  if (opts.interactive) {
    opts.stdin.setRawMode?.(true);
    opts.stdin.resume();
    opts.stdin.on('data', onKey);
    stdout.on('resize', onResize);
    // Bracketed paste: the terminal marks a pasted block, so its newlines do not send it.
    stdout.write('\u001b[?2004h');
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
      area.clear();
      stdout.write('\u001b[?2004l');
      if (result.reason === 'detached' || result.reason === 'interrupted')
        stdout.write(st.dim(`detached; the session keeps running (sylk attach ${opts.session})\n`));
    }
  }
  return result.finalState === undefined && state !== '' ? { ...result, finalState: state } : result;
}
