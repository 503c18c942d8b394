/** `sylk status <session>`: the session, its instruction files, its commands' environment and config files. */
import { createClient } from '@sylk/proto/client';
import { SessionService, type GetSessionContextResponse, type Session } from '@sylk/proto/session';
import type { DaemonConnection } from '../connection.js';
import { formatUsd } from '../render/session-view.js';
import type { Style } from '../output.js';
import { sessionJson, stateName } from './sessions.js';

export interface SessionStatus {
  session: Session;
  context: GetSessionContextResponse;
}

export async function fetchSessionStatus(conn: DaemonConnection, session: string): Promise<SessionStatus> {
  const client = createClient(SessionService, conn.channel);
  const [got, context] = await Promise.all([
    client.getSession({ session }, { timeoutMs: 10_000, metadata: conn.metadata }),
    client.getSessionContext({ session }, { timeoutMs: 10_000, metadata: conn.metadata }),
  ]);
  return { session: got.session as Session, context };
}

export function sessionStatusJson(s: SessionStatus) {
  const c = s.context;
  return {
    session: sessionJson(s.session),
    instructions: c.instructions.map((f) => ({
      path: f.path,
      scope: f.scope,
      sizeBytes: Number(f.sizeBytes),
      includedChars: Number(f.includedChars),
      truncated: f.truncated,
      included: f.included,
    })),
    env: { source: c.envSource, names: c.envNames, path: c.envPath },
    config: {
      files: c.configFiles.map((f) => ({ layer: f.layer, path: f.path, present: f.present })),
      warnings: c.configWarnings,
    },
  };
}

function size(bytes: bigint): string {
  const n = Number(bytes);
  return n < 1024 ? `${n} B` : `${(n / 1024).toFixed(1)} KB`;
}

export function renderSessionStatus(s: SessionStatus, st: Style): string {
  const c = s.context;
  const x = s.session;
  const lines = [
    `${st.bold(x.name)} (${x.id})  ${stateName(x.state)}  ${x.provider}/${x.model}  ${formatUsd(x.costUsd)}`,
    `project: ${x.projectRoot}`,
    '',
    st.bold('instructions'),
  ];
  if (c.instructions.length === 0)
    lines.push('  none (AGENTS.md at the project root, in parent directories, or {config}/AGENTS.md)');
  for (const f of c.instructions) {
    const how = !f.included
      ? f.scope === 'nested'
        ? 'listed for the model to read'
        : 'left out (total cap)'
      : f.truncated
        ? `cut to ${f.includedChars} characters`
        : 'included';
    lines.push(`  ${f.path}  ${size(f.sizeBytes)}  ${st.dim(`${f.scope}, ${how}`)}`);
  }
  lines.push(
    '',
    `${st.bold('environment')} ${st.dim(c.envSource === 'client' ? "(the creating client's)" : "(sylkd's own)")}`,
  );
  lines.push(`  PATH=${c.envPath}`);
  lines.push(`  ${c.envNames.length} variables: ${c.envNames.join(' ')}`);
  lines.push('', st.bold('config files'));
  for (const f of c.configFiles) lines.push(`  ${f.layer.padEnd(13)} ${f.path}${f.present ? '' : st.dim(' (absent)')}`);
  for (const w of c.configWarnings) lines.push(`  ${st.yellow('!')} ${w}`);
  return lines.join('\n');
}
