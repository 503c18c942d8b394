import type { Command } from 'commander';
import { createClient } from '@sylk/proto/client';
import { SessionService, type CompactSessionResponse } from '@sylk/proto/session';
import { connectDaemon } from '../connection.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';

/** The result as printed with --json (stable shape, docs/cli.md). */
export function compactJson(session: string, r: CompactSessionResponse) {
  return {
    session,
    compacted: r.compacted,
    tokensBefore: r.tokensBefore,
    tokensAfter: r.tokensAfter,
    messagesSummarized: r.messagesSummarized,
    model: r.model,
    contextWindow: r.contextWindow,
  };
}

export function renderCompact(r: CompactSessionResponse, st: Style): string {
  if (!r.compacted)
    return st.dim('Nothing to compact: the conversation holds only the latest messages, which are kept as they are.');
  const n = (x: number) => x.toLocaleString('en-US');
  return (
    `${st.bold('Compacted')} the conversation: ~${n(r.tokensBefore)} → ~${n(r.tokensAfter)} tokens ` +
    `${st.dim(`(${r.messagesSummarized} messages summarised by ${r.model}; window ${n(r.contextWindow)})`)}`
  );
}

async function compact(rt: Runtime, opts: GlobalOptions, session: string): Promise<CompactSessionResponse> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    return await createClient(SessionService, conn.channel).compactSession({ session });
  } finally {
    conn.close();
  }
}

/** `/compact` in the attached view: the result as text. */
export async function compactFromView(rt: Runtime, opts: GlobalOptions, session: string): Promise<string> {
  return renderCompact(await compact(rt, opts, session), style(rt.color(opts)));
}

export function registerCompactCommand(program: Command, rt: Runtime): void {
  program
    .command('compact')
    .description("summarise the older part of a session's conversation now (it nears the model's context window)")
    .argument('<session>', 'session id or name')
    .action(async (session: string, _o: unknown, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await compact(rt, opts, session);
      emit(opts, compactJson(session, res), () => renderCompact(res, style(rt.color(opts))));
    });
}
