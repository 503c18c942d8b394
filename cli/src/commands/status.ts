import type { Command } from 'commander';
import { PROTOCOL_MAJOR, VERSION } from '@sylk/core';
import { connectDaemon, probeDaemon, type DaemonConnection } from '../connection.js';
import { emit, style } from '../output.js';
import { briefOf, sandboxLine, type SandboxBrief } from '../render/sandbox-line.js';
import { hardWrap, outputWidth } from '../render/table.js';
import type { Runtime } from '../runtime.js';
import { renderStatus, statusJson } from './daemon.js';

export function registerStatusCommands(program: Command, rt: Runtime): void {
  program
    .command('status')
    .description(
      'overall status: the daemon and its components (starts sylkd if needed); with a session: its instructions, environment and config files',
    )
    .argument('[session]', 'session id or name')
    .action(async (session: string | undefined, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await connectDaemon(opts, rt.env);
      try {
        if (session !== undefined) {
          // Loaded only here: it brings the session commands' module graph, which `sylk status`
          // alone does not need (~10 ms of every start).
          const { fetchSessionStatus, renderSessionStatus, sessionStatusJson } = await import('./session-context.js');
          const s = await fetchSessionStatus(conn, session);
          return emit(
            opts,
            () => sessionStatusJson(s),
            () => renderSessionStatus(s, style(rt.color(opts))),
          );
        }
        const s = await conn.daemon.status({}, { timeoutMs: 5_000, metadata: conn.metadata });
        const sb = s.sandbox ?? (await sandboxOfOlderDaemon(conn));
        const st = style(rt.color(opts));
        emit(
          opts,
          () => ({
            daemon: statusJson(s),
            sandbox: sb ? { mode: sb.mode, backend: sb.backend, reason: sb.reason || null, fix: sb.fix || null } : null,
          }),
          () => {
            const width = outputWidth(process.stdout, rt.env);
            const sandbox = sb
              ? sandboxLine(sb, st)
                  .split('\n')
                  .flatMap((l) => hardWrap(l, width))
              : [];
            return [renderStatus(s, st, width), ...sandbox].join('\n');
          },
        );
      } finally {
        conn.close();
      }
    });

  program
    .command('version')
    .description('print the versions of sylk and, when it runs, sylkd')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      let daemon: { version: string; protocolMajor: number; pid: number } | null = null;
      try {
        const conn = await probeDaemon(opts, rt.env);
        if (conn) {
          const hello = await conn.hello().finally(() => conn.close());
          daemon = { version: hello.daemonVersion, protocolMajor: hello.protocolMajor, pid: hello.pid };
        }
      } catch {
        daemon = null;
      }
      emit(
        opts,
        { sylk: { version: VERSION, protocolMajor: PROTOCOL_MAJOR, node: process.version }, sylkd: daemon },
        () =>
          [
            `sylk  ${VERSION} (protocol v${PROTOCOL_MAJOR}, node ${process.version})`,
            daemon
              ? `sylkd ${daemon.version} (protocol v${daemon.protocolMajor}, pid ${daemon.pid})`
              : 'sylkd not running',
          ].join('\n'),
      );
    });
}

/**
 * A daemon from before Status carried the sandbox: asked through its sandbox service (loaded only
 * then, with its descriptors); one without that service still gets its status shown.
 */
async function sandboxOfOlderDaemon(conn: DaemonConnection): Promise<SandboxBrief | undefined> {
  const { fetchSandboxStatus } = await import('./sandbox.js');
  const r = await fetchSandboxStatus(conn, '', 2_000).catch(() => undefined);
  return r && briefOf(r);
}
