import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { isProcessAlive } from '@sylk/core';
import { DaemonState, type StatusResponse } from '@sylk/proto/daemon';
import { connectDaemon, locate, probeDaemon, startDaemon, type DaemonConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, formatBytes, formatDuration, jsonReplacer, style, type GlobalOptions, type Style } from '../output.js';
import { followLog, printLog } from '../logs.js';
import { daemonByLock } from '../daemon-lock.js';
import { hardWrap, outputWidth, renderTable, truncate, type Column } from '../render/table.js';
import type { Runtime } from '../runtime.js';

export function statusJson(s: StatusResponse) {
  return JSON.parse(
    JSON.stringify(
      {
        running: true,
        version: s.version,
        protocolMajor: s.protocolMajor,
        pid: s.pid,
        state: stateName(s.state),
        startedAt: new Date(Number(s.startedAtUnixMs)).toISOString(),
        uptimeSeconds: s.uptimeSeconds,
        socket: s.socketPath,
        logFile: s.logFile,
        directories: s.directories ? { ...s.directories, $typeName: undefined } : undefined,
        config: {
          sources: (s.config?.sources ?? []).map(({ layer, path, present }) => ({ layer, path, present })),
          warnings: (s.config?.warnings ?? []).map(({ file, path, reason }) => ({ file, path, reason })),
          reloadCount: s.config?.reloadCount ?? 0,
        },
        storage: {
          systemDb: s.storage?.systemDbPath,
          schemaVersion: s.storage?.schemaVersion,
          journalMode: s.storage?.journalMode,
        },
        memory: { rssBytes: s.rssBytes, heapUsedBytes: s.heapUsedBytes },
        components: s.components.map(({ name, state, detail }) => ({ name, state, detail })),
        nodeVersion: s.nodeVersion,
      },
      jsonReplacer,
    ),
  ) as Record<string, unknown>;
}

export function stateName(state: DaemonState): string {
  return (DaemonState[state] ?? 'UNSPECIFIED').toLowerCase();
}

/** Component name and state stay whole; the detail is cut to the terminal. */
const COMPONENT_COLUMNS: Column[] = [
  { header: 'component' },
  { header: 'state' },
  { header: 'detail', shrink: 0, min: 8 },
];

export function renderStatus(s: StatusResponse, st: Style, width = Number.POSITIVE_INFINITY): string {
  const warnings = s.config?.warnings ?? [];
  const userConfig = s.config?.sources.find((src) => src.layer === 'user');
  // Label and value; a long path is cut from its start to fit (`--json` has it whole).
  const facts = renderTable(
    [{ header: '' }, { header: '', shrink: 0, min: 12, keep: 'end' }],
    [
      ['socket', s.socketPath],
      [
        'config',
        `${userConfig?.path ?? '?'}${userConfig?.present ? '' : st.dim(' (not present, defaults)')}` +
          `${warnings.length ? st.yellow(` — ${warnings.length} warning(s)`) : ''}`,
      ],
      ['storage', `${s.storage?.systemDbPath} (schema v${s.storage?.schemaVersion}, ${s.storage?.journalMode})`],
      ['memory', `${formatBytes(Number(s.rssBytes))} RSS`],
      ['logs', s.logFile],
    ],
    { width, indent: 2 },
  ).slice(1);
  const lines = [
    truncate(
      `${st.bold('sylkd')} ${s.version} — ${st.green(stateName(s.state))} (pid ${s.pid}, up ${formatDuration(s.uptimeSeconds)})`,
      width,
    ),
    ...facts,
  ];
  for (const w of warnings)
    lines.push(...hardWrap(`  warning: ${w.file}: ${w.path}: ${w.reason}`, width).map((l) => st.yellow(l)));
  if (s.components.length > 0) {
    lines.push('  components:');
    const rows = s.components.map((c) => [
      c.name,
      c.state === 'ok' ? st.green(c.state) : st.yellow(c.state),
      st.dim(c.detail),
    ]);
    lines.push(...renderTable(COMPONENT_COLUMNS, rows, { width, indent: 4 }).slice(1));
  }
  return lines.join('\n');
}

/** Stopped means the process is gone, not only its socket (it removes its lock last). */
async function waitGone(pid: number, timeoutMs: number): Promise<boolean> {
  for (let waited = 0; waited < timeoutMs; waited += 50) {
    if (!isProcessAlive(pid)) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return !isProcessAlive(pid);
}

/** Ask a running daemon whose socket is gone to recreate it, and connect (5 s). */
async function resocket(pid: number, opts: GlobalOptions, rt: Runtime) {
  process.kill(pid, 'SIGHUP');
  for (let waited = 0; waited < 5_000; waited += 100) {
    const conn = await probeDaemon(opts, rt.env);
    if (conn !== undefined) return conn;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new CliError(
    `sylkd (pid ${pid}) runs but did not recreate its socket`,
    EXIT.daemonUnavailable,
    `restart it: kill ${pid}, then sylk daemon start`,
  );
}

export async function stopDaemon(rt: Runtime, opts: GlobalOptions): Promise<{ wasRunning: boolean; pid?: number }> {
  const conn = await probeDaemon(opts, rt.env);
  if (!conn) {
    // No socket to ask, but the lock says it runs (its socket file was deleted): SIGTERM is its graceful stop.
    const holder = daemonByLock(locate(opts, rt.env));
    if (holder === undefined) return { wasRunning: false };
    process.kill(holder.pid, 'SIGTERM');
    if (!(await waitGone(holder.pid, 40_000))) {
      throw new CliError(
        `sylkd (pid ${holder.pid}) did not stop within 40 s`,
        EXIT.failure,
        `kill it with: kill ${holder.pid}`,
      );
    }
    return { wasRunning: true, pid: holder.pid };
  }
  try {
    const res = await conn.daemon.shutdown({ reason: 'sylk daemon stop' }, { timeoutMs: 5_000 });
    if (!(await waitGone(res.pid, 40_000))) {
      throw new CliError(
        `sylkd (pid ${res.pid}) did not stop within 40 s`,
        EXIT.failure,
        `kill it with: kill ${res.pid}`,
      );
    }
    return { wasRunning: true, pid: res.pid };
  } finally {
    conn.close();
  }
}

/**
 * The started daemon's configuration problems (a bad `SYLK_*` value, an invalid file): each was
 * ignored, and the user who just started it reads them here, not only later in `sylk status`.
 */
async function configWarnings(conn: DaemonConnection): Promise<Array<{ file: string; path: string; reason: string }>> {
  const s = await conn.daemon.status({}, { timeoutMs: 5_000, metadata: conn.metadata });
  return (s.config?.warnings ?? []).map(({ file, path, reason }) => ({ file, path, reason }));
}

function reportConfigWarnings(
  opts: GlobalOptions,
  warnings: ReadonlyArray<{ file: string; path: string; reason: string }>,
  st: Style,
): void {
  if (opts.json) return;
  for (const w of warnings) process.stderr.write(`${st.yellow('warning:')} ${w.file}: ${w.path}: ${w.reason}\n`);
}

export function registerDaemonCommands(program: Command, rt: Runtime): void {
  const daemon = program.command('daemon').description('manage the sylkd background daemon');

  daemon
    .command('start')
    .description('start sylkd in the background (no-op when it is running)')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      let conn = await probeDaemon(opts, rt.env);
      let already = conn !== undefined;
      if (!conn) {
        const holder = daemonByLock(locate(opts, rt.env));
        already = holder !== undefined;
        // Running, but its socket file is gone: SIGHUP makes it listen again.
        if (holder !== undefined) conn = await resocket(holder.pid, opts, rt);
        else {
          await startDaemon(locate(opts, rt.env), rt.env);
          conn = await connectDaemon(opts, rt.env, false);
        }
      }
      const socket = conn.socket;
      const live = conn;
      const [hello, warnings] = await Promise.all([live.hello(), configWarnings(live)]).finally(() => live.close());
      reportConfigWarnings(opts, warnings, style(rt.color(opts)));
      emit(opts, { started: !already, pid: hello.pid, version: hello.daemonVersion, socket, warnings }, () =>
        already
          ? `sylkd is already running (pid ${hello.pid}, socket ${socket})`
          : `sylkd started (pid ${hello.pid}, socket ${socket})`,
      );
    });

  daemon
    .command('stop')
    .description('stop sylkd gracefully (sessions are checkpointed and resume on next start)')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const result = await stopDaemon(rt, opts);
      emit(opts, { stopped: result.wasRunning, pid: result.pid ?? null }, () =>
        result.wasRunning ? `sylkd stopped (pid ${result.pid})` : 'sylkd is not running',
      );
    });

  daemon
    .command('restart')
    .description('stop sylkd if it runs, then start it (use after upgrading sylk)')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const stopped = await stopDaemon(rt, opts);
      await startDaemon(locate(opts, rt.env), rt.env);
      const conn = await connectDaemon(opts, rt.env, false);
      const [hello, warnings] = await Promise.all([conn.hello(), configWarnings(conn)]).finally(() => conn.close());
      reportConfigWarnings(opts, warnings, style(rt.color(opts)));
      emit(
        opts,
        { restarted: true, previousPid: stopped.pid ?? null, pid: hello.pid, version: hello.daemonVersion, warnings },
        () => `sylkd restarted (pid ${hello.pid}${stopped.pid ? `, was ${stopped.pid}` : ''})`,
      );
    });

  daemon
    .command('status')
    .description('show whether sylkd runs and its health (never starts it)')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const conn = await probeDaemon(opts, rt.env);
      if (!conn) {
        const { socket } = locate(opts, rt.env);
        emit(opts, { running: false, socket }, () => `sylkd is not running (socket ${socket})`);
        rt.exitCode = EXIT.daemonUnavailable;
        return;
      }
      try {
        const s = await conn.daemon.status({}, { timeoutMs: 5_000 });
        emit(opts, statusJson(s), () => renderStatus(s, style(rt.color(opts)), outputWidth(process.stdout, rt.env)));
      } finally {
        conn.close();
      }
    });

  daemon
    .command('logs')
    .description("print the daemon's log (works when it is not running)")
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --lines <n>', 'how many recent lines', '50')
    .action(async (o: { follow?: boolean; lines: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const n = Number.parseInt(o.lines, 10);
      if (!Number.isInteger(n) || n < 0)
        throw new CliError(`--lines must be a non-negative integer, got '${o.lines}'`, EXIT.usage);
      const { dirs } = locate(opts, rt.env);
      const file = join(dirs.logs, 'current.log');
      if (!existsSync(file))
        throw new CliError(
          `no daemon log at ${file} yet`,
          EXIT.failure,
          'the daemon has not run with this state directory',
        );
      const st = style(rt.color(opts));
      printLog(file, n, opts.json, st);
      if (o.follow) await followLog(file, opts.json, st, rt.signal);
    });
}
