import { resolve } from 'node:path';
import type { Command } from 'commander';
import { findProjectRoot } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import {
  ApprovalService,
  Decision,
  PermissionService,
  SessionService,
  SessionState,
  type Session,
} from '@sylk/proto/session';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, formatDuration, style, type GlobalOptions, type Style } from '../output.js';
import { approvalDetailLines } from '../render/diff-view.js';
import { formatUsd } from '../render/session-view.js';
import { outputWidth, renderTable, type Column } from '../render/table.js';
import { withKeyInShellNote } from '../render/key-hint.js';
import { askLine, confirmProjectRoot } from '../sessions/home-root.js';
import { removeSession } from '../sessions/remove.js';
import { runTerminal } from '../sessions/terminal.js';
import { sessionClientEnv } from '../sessions/client-env.js';
import { textArgument } from '../sessions/stdin-text.js';
import { FileHistory, historyFile } from '../interactive/history.js';
import { pickSession, projectSessions } from '../interactive/pick-session.js';
import { sessionSlashCommands } from '../interactive/session-commands.js';
import type { Runtime } from '../runtime.js';

export function stateName(s: SessionState): string {
  return (SessionState[s] ?? 'UNSPECIFIED').toLowerCase();
}

export function sessionJson(s: Session) {
  return {
    id: s.id,
    name: s.name,
    projectRoot: s.projectRoot,
    provider: s.provider,
    model: s.model,
    state: stateName(s.state),
    createdAt: new Date(Number(s.createdAtUnixMs)).toISOString(),
    lastActivityAt: new Date(Number(s.lastActivityUnixMs)).toISOString(),
    lastSeq: Number(s.lastSeq),
    interrupted: s.interrupted,
    pendingApprovals: s.pendingApprovals,
    attachedClients: s.attachedClients,
    costUsd: s.costUsd,
    tasks: s.tasks.map((t) => ({
      id: t.id,
      role: t.role,
      goal: t.goal,
      state: t.state,
      costUsd: t.costUsd,
      createdAt: new Date(Number(t.createdAtUnixMs)).toISOString(),
      ...(t.endedAtUnixMs > 0n ? { endedAt: new Date(Number(t.endedAtUnixMs)).toISOString() } : {}),
      ...(t.error !== '' ? { error: t.error } : {}),
      merged: t.merged,
      conflicts: t.conflicts,
      ...(t.patch !== '' ? { patch: t.patch } : {}),
    })),
  };
}

function clients(conn: DaemonConnection) {
  return {
    sessions: createClient(SessionService, conn.channel),
    approvals: createClient(ApprovalService, conn.channel),
    permissions: createClient(PermissionService, conn.channel),
  };
}

async function withDaemon<T>(
  rt: Runtime,
  opts: GlobalOptions,
  fn: (c: ReturnType<typeof clients>, conn: DaemonConnection) => Promise<T>,
): Promise<T> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    return await fn(clients(conn), conn);
  } finally {
    conn.close();
  }
}

function projectOf(rt: Runtime, dir?: string): string {
  const start = resolve(rt.cwd, dir ?? '.');
  return findProjectRoot(start) ?? start;
}

function stateColour(st: Style, state: string): string {
  if (state === 'waiting_approval') return st.yellow(state);
  if (state === 'running') return st.cyan(state);
  if (state === 'failed') return st.red(state);
  return state;
}

function renderList(sessions: Session[], st: Style, now: number, width: number): string {
  if (sessions.length === 0) return 'no sessions (start one with `sylk run "task"`)';
  const rows = sessions.flatMap((s) => [
    [
      s.name,
      stateColour(st, stateName(s.state)) +
        (s.pendingApprovals > 0
          ? st.yellow(` (${s.pendingApprovals} approval${s.pendingApprovals > 1 ? 's' : ''})`)
          : '') +
        (s.interrupted ? st.dim(' (interrupted)') : ''),
      formatDuration((now - Number(s.lastActivityUnixMs)) / 1000) + ' ago',
      formatUsd(s.costUsd),
      s.projectRoot,
      s.id,
    ],
    ...taskRows(s, st, now),
  ]);
  return renderTable(SESSION_COLUMNS, rows, { width, header: st.bold }).join('\n');
}

/** Tasks shown under a session: every unfinished one and the last three that ended. */
const ENDED_TASKS_SHOWN = 3;

/** A session's delegated tasks as rows of the same table, drawn as a tree under it. */
function taskRows(s: Session, st: Style, now: number): string[][] {
  const open = s.tasks.filter((t) => t.endedAtUnixMs === 0n);
  const ended = s.tasks.filter((t) => t.endedAtUnixMs !== 0n).slice(-ENDED_TASKS_SHOWN);
  const shown = [...ended, ...open];
  return shown.map((t, i) => [
    `${i === shown.length - 1 ? '└' : '├'} ${t.id} ${t.role}`,
    t.state === 'conflict' ? st.yellow(t.state) : stateColour(st, t.state),
    formatDuration((now - Number(t.endedAtUnixMs || t.createdAtUnixMs)) / 1000) + ' ago',
    formatUsd(t.costUsd),
    // A conflict's patch last: a narrow terminal cuts this column from its start.
    (t.goal.split('\n')[0] ?? '') + (t.patch !== '' ? ` — patch: ${t.patch}` : ''),
    '',
  ]);
}

/** Names first: in a narrow terminal the project path is cut from its start, then the id goes. */
const SESSION_COLUMNS: Column[] = [
  { header: 'NAME', shrink: 4, min: 8 },
  { header: 'STATE', shrink: 2, min: 7 },
  { header: 'ACTIVE', shrink: 3, min: 6 },
  { header: 'COST', align: 'right' },
  { header: 'PROJECT', shrink: 0, min: 10, keep: 'end' },
  { header: 'ID', drop: 1 },
];

/** `sylk run` / `sylk new`: a session in the project (confirmed first when it is / or the home directory). */
async function createSession(
  rt: Runtime,
  opts: GlobalOptions,
  o: { dir?: string; name?: string; provider?: string; model?: string; allowHome?: boolean; yes?: boolean },
  prompt: string,
): Promise<Session> {
  const projectRoot = projectOf(rt, o.dir);
  const allowHomeRoot = await confirmProjectRoot(rt, projectRoot, o, style(rt.color(opts)));
  const created = await withDaemon(rt, opts, async (c, conn) =>
    // The metadata carries --profile / SYLK_PROFILE: the session keeps that credential profile.
    c.sessions.createSession(
      {
        projectRoot,
        name: o.name ?? '',
        provider: o.provider ?? '',
        model: o.model ?? '',
        prompt,
        clientEnv: await sessionClientEnv(rt.env, conn),
        allowHomeRoot,
      },
      { metadata: conn.metadata },
    ),
  ).catch((err: unknown) => {
    throw withKeyInShellNote(err, rt.env);
  });
  if (!created.session) throw new CliError('the daemon returned no session', EXIT.failure);
  return created.session;
}

/** `sylk -c`: the project's most recently active open session. */
async function latestSession(rt: Runtime, opts: GlobalOptions, dir?: string): Promise<Session> {
  const root = projectOf(rt, dir);
  const [latest] = await withDaemon(rt, opts, (_c, conn) => projectSessions(conn.channel, root));
  if (latest === undefined)
    throw new CliError(
      `no session to continue in ${root}`,
      EXIT.failure,
      'start one here: sylk run "task"',
      'cli.no_sessions',
    );
  return latest;
}

/** Raw keys, a prompt and menus: both ends are a terminal and --json is off. */
const isInteractive = (opts: GlobalOptions) =>
  !opts.json && process.stdin.isTTY === true && process.stdout.isTTY === true;

async function attachTo(
  rt: Runtime,
  opts: GlobalOptions,
  session: string,
  o: {
    from?: string;
    tail?: string;
    yes?: boolean;
    showThinking?: boolean;
    raw?: boolean;
    exitWhenIdleAfter?: number;
    /** `sylk run`: SIGINT without a terminal cancels the turn this client started. */
    ownsTurn?: boolean;
  },
): Promise<void> {
  const fromSeq = o.from === undefined ? 1 : Number.parseInt(o.from, 10);
  const tail = o.tail === undefined ? 0 : Number.parseInt(o.tail, 10);
  if (!Number.isInteger(fromSeq) || fromSeq < 0)
    throw new CliError(`--from must be a sequence number, got '${o.from}'`, EXIT.usage);
  if (!Number.isInteger(tail) || tail < 0)
    throw new CliError(`--tail must be a non-negative integer, got '${o.tail}'`, EXIT.usage);
  const interactive = isInteractive(opts);
  const st = style(rt.color(opts));
  const projectRoot = interactive
    ? await withDaemon(rt, opts, async (c) => (await c.sessions.getSession({ session })).session?.projectRoot ?? '')
    : '';
  const history = interactive ? historyFile(rt.env, projectRoot) : undefined;
  const result = await runTerminal({
    session,
    fromSeq,
    tail,
    interactive,
    json: opts.json,
    yes: o.yes === true,
    showThinking: o.showThinking === true,
    view: { raw: o.raw === true, env: rt.env },
    // Without a terminal there is nobody to detach: follow until the session is idle.
    ...(o.exitWhenIdleAfter !== undefined
      ? { exitWhenIdleAfter: o.exitWhenIdleAfter }
      : interactive
        ? {}
        : { exitWhenIdleAfter: 'snapshot' as const }),
    style: st,
    // Every (re)connection honours --no-autostart: a stopped daemon is not started behind the user's back.
    connect: async () => (await connectDaemon(opts, rt.env)).channel,
    stdin: process.stdin,
    stdout: process.stdout,
    signal: rt.signal,
    ...(o.ownsTurn === true
      ? {
          cancelOnSignal: async () =>
            withDaemon(rt, opts, async (c) => (await c.sessions.cancelTurn({ session })).cancelled),
        }
      : {}),
    commands: sessionSlashCommands(rt, opts, session, projectRoot, st),
    ...(history !== undefined ? { history: new FileHistory(history) } : {}),
    env: rt.env,
  });
  if (result.reason === 'interrupted') rt.exitCode = EXIT.interrupted;
  else if (result.finalState === 'failed') rt.exitCode = EXIT.failure;
}

const DECISIONS: Record<string, Decision> = {
  once: Decision.ALLOW_ONCE,
  session: Decision.ALLOW_SESSION,
  always: Decision.ALLOW_ALWAYS,
};

export function registerSessionCommands(program: Command, rt: Runtime): void {
  program
    .command('run')
    .description('start a session on a task in this project and attach to it (no task: open the prompt)')
    .argument('[task...]', 'what the agent should do (`-`: read it from standard input)')
    .option('-c, --continue', "continue this project's most recent session (the task, if any, is sent to it)")
    .option('--once', 'leave when the turn ends, even in a terminal (the prompt stays open otherwise)')
    .option('-C, --dir <dir>', 'project directory (default: the current one)')
    .option('--name <name>', 'session name (default: generated)')
    .option('--provider <provider>', 'LLM provider (default: llm.default_provider)')
    .option('--model <model>', 'model id (default: the provider default)')
    .option('-y, --yes', 'answer every approval with "allow once"')
    .option('-d, --detach', 'start it and return without attaching')
    .option('--allow-home', 'allow a session in / or your home directory (the agent would see every file you own)')
    .option('--show-thinking', "show the model's thinking in full (dimmed), not one line per block")
    .option('--raw', "print the model's text untouched (no Markdown rendering)")
    .action(
      async (
        task: string[],
        o: {
          dir?: string;
          name?: string;
          provider?: string;
          model?: string;
          yes?: boolean;
          detach?: boolean;
          showThinking?: boolean;
          raw?: boolean;
          allowHome?: boolean;
          continue?: boolean;
          once?: boolean;
        },
        cmd: Command,
      ) => {
        const opts = rt.globals(cmd);
        const usage = 'pipe the task in: echo "fix the tests" | sylk run -';
        const prompt = task.length === 0 ? '' : await textArgument(task, process.stdin, usage);
        // In a terminal the prompt stays open after the turn; scripts, --json, -d and --once end with it.
        const stay = isInteractive(opts) && o.once !== true;
        if (prompt === '' && !stay && o.continue !== true && o.detach !== true)
          throw new CliError('no task given (the prompt opens only in a terminal)', EXIT.usage, usage, 'cli.usage');
        let s: Session;
        let fromTurn = 0;
        if (o.continue === true) {
          s = await latestSession(rt, opts, o.dir);
          if (prompt !== '')
            fromTurn = Number(
              (await withDaemon(rt, opts, (c) => c.sessions.sendInput({ session: s.id, text: prompt }))).seq,
            );
        } else s = await createSession(rt, opts, o, prompt);
        if (o.detach)
          return emit(opts, sessionJson(s), () => `started ${s.name} (${s.id}); attach with: sylk attach ${s.name}`);
        // The task typed on the command line is the first prompt of the history Up brings back.
        const history = stay && prompt !== '' ? historyFile(rt.env, s.projectRoot) : undefined;
        if (history !== undefined) new FileHistory(history).add(prompt);
        await attachTo(rt, opts, s.id, {
          yes: o.yes === true,
          showThinking: o.showThinking === true,
          raw: o.raw === true,
          ownsTurn: prompt !== '',
          // -c without a task and without a terminal follows like `sylk attach` (to the end of the running turn).
          ...(stay || (o.continue === true && prompt === '') ? {} : { exitWhenIdleAfter: fromTurn }),
        });
      },
    );

  program
    .command('new')
    .description('create an idle session in this project (send it input later)')
    .option('-C, --dir <dir>', 'project directory')
    .option('--name <name>', 'session name')
    .option('--provider <provider>', 'LLM provider')
    .option('--model <model>', 'model id')
    .option('--allow-home', 'allow a session in / or your home directory (the agent would see every file you own)')
    .action(
      async (
        o: { dir?: string; name?: string; provider?: string; model?: string; allowHome?: boolean },
        cmd: Command,
      ) => {
        const opts = rt.globals(cmd);
        const s = await createSession(rt, opts, o, '');
        emit(opts, sessionJson(s), () => `created ${s.name} (${s.id})`);
      },
    );

  program
    .command('ls')
    .description('list sessions (those waiting for approval say so)')
    .option('-a, --all', 'include closed sessions')
    .option('--here', 'only sessions of this project')
    .action(async (o: { all?: boolean; here?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withDaemon(rt, opts, (c) =>
        c.sessions.listSessions({ all: o.all === true, projectRoot: o.here ? projectOf(rt) : '' }),
      );
      emit(opts, { sessions: res.sessions.map(sessionJson) }, () =>
        renderList(res.sessions, style(rt.color(opts)), Date.now(), outputWidth(process.stdout, rt.env)),
      );
    });

  program
    .command('attach')
    .description('replay a session and follow it live (Ctrl-C cancels the turn, Ctrl-] detaches)')
    .argument('<session>', 'session id or name')
    .option('--from <seq>', 'replay from this event sequence number')
    .option('--tail <n>', 'replay only the last N events')
    .option('-y, --yes', 'answer every approval with "allow once"')
    .option('--show-thinking', "show the model's thinking in full (dimmed), not one line per block")
    .option('--raw', "print the model's text untouched (no Markdown rendering)")
    .action(
      async (
        session: string,
        o: { from?: string; tail?: string; yes?: boolean; showThinking?: boolean; raw?: boolean },
        cmd: Command,
      ) => {
        await attachTo(rt, rt.globals(cmd), session, o);
      },
    );

  program
    .command('send')
    .description('send input to a session without attaching')
    .argument('<session>', 'session id or name')
    .argument('<text...>', 'the input (`-`: read it from standard input)')
    .action(async (session: string, words: string[], _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const text = await textArgument(
        words,
        process.stdin,
        `pipe the input in: echo "next step" | sylk send ${session} -`,
      );
      const res = await withDaemon(rt, opts, (c) => c.sessions.sendInput({ session, text }));
      emit(opts, { session, seq: Number(res.seq) }, () => `sent (event ${res.seq})`);
    });

  const simple = (
    name: string,
    description: string,
    call: (c: ReturnType<typeof clients>, session: string) => Promise<{ session?: Session }>,
    verb: string,
  ) =>
    program
      .command(name)
      .description(description)
      .argument('<session>', 'session id or name')
      .action(async (session: string, _o, cmd: Command) => {
        const opts = rt.globals(cmd);
        const res = await withDaemon(rt, opts, (c) => call(c, session));
        const s = res.session as Session;
        emit(opts, sessionJson(s), () => `${s.name} ${verb}`);
      });
  simple(
    'pause',
    'pause a session (the running turn is cancelled; input waits)',
    (c, session) => c.sessions.pauseSession({ session }),
    'paused',
  );
  program
    .command('resume')
    .description("resume a paused session (or an interrupted turn); no name: pick one of this project's and attach")
    .argument('[session]', 'session id or name')
    .action(async (session: string | undefined, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      if (session !== undefined) {
        const res = await withDaemon(rt, opts, (c) => c.sessions.resumeSession({ session }));
        const s = res.session as Session;
        return emit(opts, sessionJson(s), () => `${s.name} resumed`);
      }
      if (!isInteractive(opts))
        throw new CliError(
          'name the session to resume',
          EXIT.usage,
          'sylk resume <session> (sylk ls --here lists them)',
          'cli.usage',
        );
      const chosen = await withDaemon(rt, opts, async (c, conn) => {
        const list = await projectSessions(conn.channel, projectOf(rt));
        if (list.length === 0) return undefined;
        const st = style(rt.color(opts));
        const s = await pickSession(
          conn.channel,
          list,
          { stdin: process.stdin, stdout: process.stdout },
          st,
          Date.now(),
        );
        if (s !== undefined && (s.state === SessionState.PAUSED || s.interrupted))
          await c.sessions.resumeSession({ session: s.id });
        return s ?? null;
      });
      if (chosen === undefined)
        throw new CliError(`no sessions in ${projectOf(rt)}`, EXIT.failure, 'start one here: sylk', 'cli.no_sessions');
      if (chosen !== null) await attachTo(rt, opts, chosen.id, {});
    });
  simple(
    'close',
    'close a session: stops its turn and background processes',
    (c, session) => c.sessions.closeSession({ session }),
    'closed',
  );

  program
    .command('cancel')
    .description('cancel the running turn of a session')
    .argument('<session>', 'session id or name')
    .action(async (session: string, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withDaemon(rt, opts, (c) => c.sessions.cancelTurn({ session }));
      emit(opts, { cancelled: res.cancelled }, () => (res.cancelled ? 'turn cancelled' : 'no turn was running'));
    });

  program
    .command('rm')
    .description('delete a session and its history (asks first if one is attached or its turn runs)')
    .argument('<session>', 'session id or name')
    .option('-f, --force', 'do not ask: stop its turn and delete it even while clients are attached')
    .action(async (session: string, o: { force?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const id = await withDaemon(rt, opts, async (c) =>
        removeSession({
          session: (await c.sessions.getSession({ session })).session as Session,
          force: o.force === true,
          interactive: process.stdin.isTTY === true && process.stderr.isTTY === true,
          ask: (question) => askLine(question, process.stdin, process.stderr),
          close: async () => void (await c.sessions.closeSession({ session })),
          remove: async () => (await c.sessions.deleteSession({ session })).id,
        }),
      );
      emit(opts, { deleted: id }, () => `deleted ${id}`);
    });

  program
    .command('logs')
    .description("print a session's event log (plain lines; --json for NDJSON)")
    .argument('<session>', 'session id or name')
    .option('-f, --follow', 'keep printing new events')
    .option('--from <seq>', 'start at this sequence number')
    .option('--tail <n>', 'only the last N events')
    .option('--show-thinking', "show the model's thinking in full (dimmed), not one line per block")
    .action(
      async (
        session: string,
        o: { follow?: boolean; from?: string; tail?: string; showThinking?: boolean },
        cmd: Command,
      ) => {
        const opts = rt.globals(cmd);
        const { SessionView } = await import('../render/session-view.js');
        const st = style(rt.color(opts));
        const view = new SessionView(
          st,
          { lines: (l) => process.stdout.write(`${l.join('\n')}\n`), status: () => undefined },
          () => process.stdout.columns || 100,
          { showThinking: o.showThinking === true, fullOutput: true, env: rt.env },
        );
        await withDaemon(rt, opts, async (c) => {
          const events = c.sessions.readEvents(
            { session, fromSeq: BigInt(o.from ?? 1), tail: Number(o.tail ?? 0), follow: o.follow === true },
            { signal: rt.signal },
          );
          try {
            for await (const { event } of events) {
              if (!event) continue;
              const data = JSON.parse(event.dataJson || '{}') as Record<string, unknown>;
              if (opts.json)
                process.stdout.write(
                  `${JSON.stringify({ seq: Number(event.seq), ts: Number(event.tsUnixMs), kind: event.kind, data })}\n`,
                );
              else view.onEvent({ seq: Number(event.seq), ts: Number(event.tsUnixMs), kind: event.kind, data });
            }
          } catch (err) {
            if (!rt.signal.aborted) throw err;
          }
        });
      },
    );

  const decideCommand = (name: 'approve' | 'deny') =>
    program
      .command(name)
      .description(
        name === 'approve'
          ? 'allow a pending approval (once, for the session, or always)'
          : 'deny a pending approval, optionally telling the agent why',
      )
      .argument('<approval-id>', 'the id shown with the request (sylk approvals)')
      .option(
        '-m, --message <text>',
        name === 'approve' ? 'a note the agent reads with the result' : 'why: the agent reads it instead of a result',
      )
      .option('--scope <scope>', 'once | session | always', 'once')
      .action(async (approvalId: string, o: { message?: string; scope: string }, cmd: Command) => {
        const opts = rt.globals(cmd);
        let decision: Decision;
        if (name === 'deny') decision = o.message ? Decision.DENY_WITH_MESSAGE : Decision.DENY;
        else {
          const d = DECISIONS[o.scope];
          if (d === undefined)
            throw new CliError(`--scope must be once, session or always, got '${o.scope}'`, EXIT.usage);
          decision = d;
        }
        const res = await withDaemon(rt, opts, (c) =>
          c.approvals.decideApproval({ approvalId, decision, message: o.message ?? '' }),
        );
        const a = res.approval;
        emit(
          opts,
          { id: a?.id, state: a?.state, resolution: a?.resolution },
          () => `${a?.id}: ${a?.resolution || a?.state}`,
        );
      });
  decideCommand('approve');
  decideCommand('deny');

  program
    .command('approvals')
    .description('list pending approvals (all sessions, or one)')
    .argument('[session]', 'session id or name')
    .action(async (session: string | undefined, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withDaemon(rt, opts, (c) => c.approvals.listApprovals({ session: session ?? '' }));
      const list = res.approvals.map((a) => ({
        id: a.id,
        sessionId: a.sessionId,
        kind: a.kind,
        summary: a.summary,
        detail: a.detail,
        reason: a.reason,
        createdAt: new Date(Number(a.createdAtUnixMs)).toISOString(),
      }));
      const st = style(rt.color(opts));
      // A file change shows its whole unified diff (as capped by the daemon), coloured on a terminal.
      emit(opts, { approvals: list }, () =>
        list.length === 0
          ? 'no pending approvals'
          : list
              .map((a) =>
                [
                  `${a.id}  ${a.sessionId}  ${a.summary}`,
                  ...approvalDetailLines(a.kind, a.detail, st).map((l) => `    ${l}`),
                ].join('\n'),
              )
              .join('\n'),
      );
    });

  const permissions = program
    .command('permissions')
    .description("show and remove this project's persisted permission rules");
  permissions
    .command('list')
    .description("list your 'allow always' rules for this project (kept in Sylk's state directory)")
    .option('-C, --dir <dir>', 'project directory')
    .action(async (o: { dir?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withDaemon(rt, opts, (c) =>
        c.permissions.listPermissions({ projectRoot: projectOf(rt, o.dir) }),
      );
      const rules = res.rules.map((r) => ({
        id: r.id,
        kind: r.kind,
        pattern: r.pattern,
        op: r.op || null,
        createdAt: new Date(Number(r.createdAtUnixMs)).toISOString(),
      }));
      emit(opts, { file: res.file, rules }, () =>
        rules.length === 0
          ? `no rules in ${res.file}`
          : [
              res.file,
              ...rules.map((r) => `  ${r.id}  ${r.kind.padEnd(7)} ${r.op ? `${r.op} ` : ''}${r.pattern}`),
            ].join('\n'),
      );
    });
  permissions
    .command('revoke')
    .description('remove a rule by id or exact pattern')
    .argument('<rule>', 'rule id or pattern')
    .option('-C, --dir <dir>', 'project directory')
    .action(async (rule: string, o: { dir?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withDaemon(rt, opts, (c) =>
        c.permissions.revokePermission({ projectRoot: projectOf(rt, o.dir), rule }),
      );
      emit(
        opts,
        { revoked: res.rule?.id, pattern: res.rule?.pattern },
        () => `revoked ${res.rule?.kind} rule '${res.rule?.pattern}'`,
      );
    });
}
