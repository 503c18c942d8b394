import type { Command } from 'commander';
import { createClient } from '@sylk/proto/client';
import { SessionService, type RewindTurnResponse } from '@sylk/proto/session';
import { connectDaemon } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';

interface RewindFlags {
  force?: boolean;
  filesOnly?: boolean;
}

/** The receipt as printed with --json (stable shape, docs/cli.md). */
export function receiptJson(session: string, r: RewindTurnResponse) {
  return {
    session,
    turn: r.turn,
    rewoundTurns: r.rewoundTurns,
    restored: r.restored.map((f) => ({ path: f.path, action: f.action })),
    kept: r.kept.map((f) => ({ path: f.path, reason: f.action })),
    unchanged: r.unchanged,
    sideEffects: r.sideEffects.map((s) => ({ turn: s.turn, summary: s.summary })),
    conversationRewound: r.conversationRewound,
    commits: r.commits,
  };
}

export function renderReceipt(r: RewindTurnResponse, st: Style): string {
  const turns = r.rewoundTurns.length === 1 ? `turn ${r.rewoundTurns[0]}` : `turns ${r.rewoundTurns.join(', ')}`;
  const lines = [
    st.bold(`Files are back to before turn ${r.turn}`) +
      st.dim(` (rewound ${r.rewoundTurns.length === 0 ? 'nothing' : turns})`),
  ];
  if (r.restored.length === 0) lines.push('  nothing to restore');
  for (const f of r.restored) lines.push(`  ${st.green(f.action === 'deleted' ? 'deleted ' : 'restored')} ${f.path}`);
  if (r.unchanged > 0) lines.push(st.dim(`  ${r.unchanged} file(s) already as before`));
  if (r.kept.length > 0) {
    lines.push(
      st.yellow(`Not restored (${r.kept.length}): changed since the turn; run again with --force to overwrite`),
    );
    for (const f of r.kept) lines.push(`  ${st.yellow('kept')}     ${f.path} ${st.dim(`(${f.action})`)}`);
  }
  if (r.sideEffects.length > 0) {
    lines.push(st.yellow('Cannot be undone (commands the turns ran):'));
    for (const s of r.sideEffects) lines.push(`  turn ${s.turn}: ${s.summary}`);
  }
  if (r.commits !== '') lines.push(`Commits: ${r.commits}`);
  lines.push(
    r.conversationRewound
      ? st.dim(`The conversation is back to before turn ${r.turn}.`)
      : st.dim('The conversation is unchanged.'),
  );
  return lines.join('\n');
}

/** `/undo` in the attached view: the last turn's files and conversation back; the receipt as text. */
export async function undoFromView(rt: Runtime, opts: GlobalOptions, session: string): Promise<string> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    const res = await createClient(SessionService, conn.channel).rewindTurn({
      session,
      turn: 0,
      force: false,
      filesOnly: false,
    });
    return renderReceipt(res, style(rt.color(opts)));
  } finally {
    conn.close();
  }
}

async function rewind(
  rt: Runtime,
  opts: GlobalOptions,
  session: string,
  turn: number,
  flags: RewindFlags,
): Promise<void> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    const res = await createClient(SessionService, conn.channel).rewindTurn({
      session,
      turn,
      force: flags.force === true,
      filesOnly: flags.filesOnly === true,
    });
    emit(opts, receiptJson(session, res), () => renderReceipt(res, style(rt.color(opts))));
    // Files left as they were: the rewind is partial, and scripts should know.
    if (res.kept.length > 0) rt.exitCode = EXIT.failure;
  } finally {
    conn.close();
  }
}

function turnNumber(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 0xffffffff)
    throw new CliError(
      `--turn must be a turn number (1, 2, …), got "${value}"`,
      EXIT.usage,
      'turn numbers count from 1; `sylk logs <session>` shows each turn_snapshot',
    );
  return n;
}

export function registerUndoCommands(program: Command, rt: Runtime): void {
  const flags = (cmd: Command) =>
    cmd
      .argument('<session>', 'session id or name')
      .option('--force', 'also overwrite files changed since the turn (by you)')
      .option('--files-only', 'keep the conversation; rewind only the files');
  flags(program.command('undo').description("revert the last turn's file changes (and the conversation)")).action(
    async (session: string, o: RewindFlags, cmd: Command) => {
      await rewind(rt, rt.globals(cmd), session, 0, o);
    },
  );
  flags(program.command('rollback').description("return the project's files (and the conversation) to before turn N"))
    .requiredOption('--turn <n>', 'the turn to go back to before (1 = the first)')
    .action(async (session: string, o: RewindFlags & { turn: string }, cmd: Command) => {
      await rewind(rt, rt.globals(cmd), session, turnNumber(o.turn), o);
    });
}
