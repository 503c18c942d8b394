import type { Command } from 'commander';
import { createClient } from '@sylk/proto/client';
import { ProcessService, type ProcessInfo } from '@sylk/proto/process';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { emit, formatDuration, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';

function processClient(conn: DaemonConnection) {
  return createClient(ProcessService, conn.channel);
}

async function withProcesses<T>(
  rt: Runtime,
  opts: GlobalOptions,
  fn: (c: ReturnType<typeof processClient>, conn: DaemonConnection) => Promise<T>,
): Promise<T> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    return await fn(processClient(conn), conn);
  } finally {
    conn.close();
  }
}

/** What `--json` prints per process (and the table shows). */
function processJson(p: ProcessInfo, now: number) {
  const started = Number(p.startedAtMs);
  return {
    id: p.id,
    session: p.sessionName || p.sessionId,
    sessionId: p.sessionId,
    command: p.command,
    pid: p.pid,
    state: p.state,
    startedAt: new Date(started).toISOString(),
    uptimeSeconds: Math.max(0, Math.round((p.state === 'running' ? now - started : Number(p.durationMs)) / 1000)),
    exitCode: p.hasExitCode ? p.exitCode : null,
    signal: p.signal || null,
  };
}

const clip = (s: string, n: number) => (s.length <= n ? s : `${s.slice(0, n - 1)}…`);

function renderTable(processes: ProcessInfo[], now: number, st: Style): string {
  if (processes.length === 0) return 'no background processes';
  const head = ['ID', 'SESSION', 'COMMAND', 'PID', 'STATE', 'UPTIME', 'EXIT'];
  const rows = processes.map((p) => {
    const j = processJson(p, now);
    const exit = j.exitCode !== null ? String(j.exitCode) : (j.signal ?? '-');
    return [
      j.id,
      clip(j.session, 24),
      clip(j.command, 48),
      String(j.pid),
      j.state,
      formatDuration(j.uptimeSeconds),
      exit,
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const pad = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)));
  const colour = (state: string) => (state === 'running' ? st.green : state === 'exited' ? st.yellow : st.dim);
  return [
    st.bold(pad(head).join('  ')),
    ...rows.map((r) => {
      const cells = pad(r);
      cells[4] = colour(r[4] ?? '')(cells[4] ?? '');
      return cells.join('  ');
    }),
  ].join('\n');
}

export function registerPsCommands(program: Command, rt: Runtime): void {
  const ps = program
    .command('ps')
    .description('background processes (dev servers, watchers) the agents started: ps [session] | logs | stop')
    .argument('[session]', 'only this session (id or name); default: every session, loaded or not')
    .action(async (session: string | undefined, _o: unknown, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withProcesses(rt, opts, (c, conn) =>
        c.listProcesses({ session: session ?? '' }, { metadata: conn.metadata }),
      );
      const now = Date.now();
      emit(opts, { processes: res.processes.map((p) => processJson(p, now)) }, () =>
        renderTable(res.processes, now, style(rt.color(opts))),
      );
    });
  ps.command('logs')
    .description("print a background process's output (what is still held: the last MiB)")
    .argument('<id>', 'process id (bg_…), as `sylk ps` shows it')
    .option('-f, --follow', 'keep printing new output until it ends')
    .action(async (id: string, o: { follow?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      await withProcesses(rt, opts, async (c, conn) => {
        const stream = c.readProcessOutput(
          { id, sinceOffset: 0n, follow: o.follow === true },
          { metadata: conn.metadata, signal: rt.signal },
        );
        try {
          for await (const chunk of stream) {
            if (opts.json)
              emit(
                opts,
                { text: chunk.text, nextOffset: Number(chunk.nextOffset), truncated: chunk.truncated },
                () => '',
              );
            else {
              if (chunk.truncated) process.stderr.write('[older output is no longer held]\n');
              process.stdout.write(chunk.text);
              if (chunk.ended) process.stderr.write(`[${chunk.ended.id} ${chunk.ended.state}]\n`);
            }
          }
        } catch (err) {
          if (!rt.signal.aborted) throw err;
        }
      });
    });
  ps.command('stop')
    .description('stop a background process (interrupt, terminate, then kill its process group)')
    .argument('<id>', 'process id (bg_…)')
    .action(async (id: string, _o: unknown, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withProcesses(rt, opts, (c, conn) => c.stopProcess({ id }, { metadata: conn.metadata }));
      const p = res.process;
      emit(opts, { process: p ? processJson(p, Date.now()) : null, endedBy: res.endedBy }, () =>
        res.endedBy === 'exit' ? `${id} had already ended` : `stopped ${id} (${res.endedBy})`,
      );
    });
}
