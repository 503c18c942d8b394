import { createClient } from '@sylk/proto/client';
import { ApprovalService, PermissionService, SessionService } from '@sylk/proto/session';
import { connectDaemon } from '../connection.js';
import type { GlobalOptions, Style } from '../output.js';
import { approvalDetailLines } from '../render/diff-view.js';
import { formatUsd } from '../render/session-view.js';
import type { Runtime } from '../runtime.js';
import type { SlashCommand } from './slash-commands.js';

interface LoggedEvent {
  kind: string;
  data: Record<string, unknown>;
}

const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

/**
 * Tokens and cost of a session from its `usage` events.
 * @internal exported for tests
 */
export function costSummary(events: readonly LoggedEvent[]): string {
  let input = 0;
  let output = 0;
  let cached = 0;
  let usd = 0;
  let requests = 0;
  for (const e of events) {
    if (e.kind !== 'usage') continue;
    const u = (e.data.usage ?? {}) as Record<string, unknown>;
    input += num(u.inputTokens);
    output += num(u.outputTokens);
    cached += num(u.cacheReadTokens);
    usd += num(e.data.costUsd);
    requests++;
  }
  const n = (x: number) => x.toLocaleString('en-US');
  return `${n(input)} in / ${n(output)} out tokens${cached > 0 ? ` (${n(cached)} cached)` : ''} in ${requests} request${requests === 1 ? '' : 's'} · ${formatUsd(usd)}`;
}

/**
 * Every file change of a session (tool results that carry a diff), oldest first, as full diffs.
 * @internal exported for tests
 */
export function diffLines(events: readonly LoggedEvent[], st: Style): string[] {
  const out: string[] = [];
  for (const e of events) {
    if (e.kind !== 'tool_finished' || typeof e.data.diff !== 'string') continue;
    const stat = (e.data.diffStat ?? {}) as Record<string, unknown>;
    out.push(st.bold(`${String(stat.path ?? '')}  +${num(stat.added)} \u2212${num(stat.removed)}`));
    out.push(...approvalDetailLines('path', e.data.diff, st).map((l) => `  ${l}`));
  }
  return out.length === 0 ? [st.dim('no file changes in this session yet')] : out;
}

/**
 * The slash commands that ask the daemon about (or act on) the attached session. Each call
 * opens its own connection, as the one-shot commands do.
 */
export function sessionSlashCommands(
  rt: Runtime,
  opts: GlobalOptions,
  session: string,
  projectRoot: string,
  st: Style,
): Record<string, SlashCommand> {
  const withConn = async <T>(fn: (conn: Awaited<ReturnType<typeof connectDaemon>>) => Promise<T>): Promise<T> => {
    const conn = await connectDaemon(opts, rt.env);
    try {
      return await fn(conn);
    } finally {
      conn.close();
    }
  };
  const events = () =>
    withConn(async (conn) => {
      const out: LoggedEvent[] = [];
      for await (const { event } of createClient(SessionService, conn.channel).readEvents({
        session,
        fromSeq: 1n,
        tail: 0,
        follow: false,
      })) {
        if (event === undefined || (event.kind !== 'usage' && event.kind !== 'tool_finished')) continue;
        out.push({ kind: event.kind, data: JSON.parse(event.dataJson || '{}') as Record<string, unknown> });
      }
      return out;
    });
  return {
    cost: { help: "this session's tokens and cost", run: async () => costSummary(await events()) },
    diff: { help: "this session's file changes", run: async () => diffLines(await events(), st).join('\n') },
    compact: {
      help: 'summarise the older conversation now',
      run: async () => (await import('../commands/compact.js')).compactFromView(rt, opts, session),
    },
    undo: {
      help: "put back the last turn's files and conversation",
      run: async () => (await import('../commands/undo.js')).undoFromView(rt, opts, session),
    },
    model: {
      help: 'show the model, or switch it for the next turns ([provider:]model, or a provider for its default)',
      args: '[name]',
      run: (args) =>
        withConn(async (conn) => {
          const sessions = createClient(SessionService, conn.channel);
          if (args === '') {
            const s = (await sessions.getSession({ session })).session;
            return `model: ${s?.provider}/${s?.model}`;
          }
          const [provider, model] = args.includes(':') ? (args.split(':', 2) as [string, string]) : ['', args];
          // The transcript shows the switch (a notice every attached client sees).
          await sessions.setSessionModel({ session, provider, model });
          return '';
        }),
    },
    clear: {
      help: 'start a new conversation in this session (the log keeps the old one)',
      run: () =>
        withConn(async (conn) => {
          await createClient(SessionService, conn.channel).clearConversation({ session });
          return ''; // as /model: the notice in the transcript says it
        }),
    },
    approvals: {
      help: "this session's pending approvals",
      run: () =>
        withConn(async (conn) => {
          const res = await createClient(ApprovalService, conn.channel).listApprovals({ session });
          if (res.approvals.length === 0) return 'no pending approvals';
          return res.approvals
            .map((a) => `${a.id}  ${a.summary}${a.reason ? st.dim(`  (${a.reason})`) : ''}`)
            .join('\n');
        }),
    },
    permissions: {
      help: "this project's 'allow always' rules",
      run: () =>
        withConn(async (conn) => {
          const res = await createClient(PermissionService, conn.channel).listPermissions({ projectRoot });
          if (res.rules.length === 0) return `no rules in ${res.file}`;
          return [
            res.file,
            ...res.rules.map((r) => `  ${r.id}  ${r.kind.padEnd(7)} ${r.op ? `${r.op} ` : ''}${r.pattern}`),
          ].join('\n');
        }),
    },
  };
}
