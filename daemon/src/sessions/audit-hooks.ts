import type { AuditSink } from '@sylk/security';
import {
  ToolExecutor,
  type BackgroundHandle,
  type BackgroundOptions,
  type ExecResult,
  type FsAuditEntry,
  type ProcessLog,
  type ProcessRecord,
  type RunOptions,
  type ToolExecutorOptions,
} from '@sylk/tools';
import type { ToolRecorder } from '../metrics/tool-metrics.js';

/** Where a session's process starts and exits are recorded: the audit log, the daemon's metrics. */
export interface Recorders {
  audit?: AuditSink | undefined;
  metrics?: ToolRecorder | undefined;
}

/**
 * The audit records of a session's tools: process start (the executor's process log, at spawn,
 * with the pid), process exit (the result, with the exit code) and file changes (the
 * FileSystemManager's audit hook: path, size, sha256 — never content). The sink is the
 * session's, so every record carries its session and project ids; the daemon's sink scrubs
 * anything credential-shaped from command lines. The daemon's metrics count the same starts and exits.
 */
export function processLogFor({ audit, metrics }: Recorders): ProcessLog | undefined {
  if (audit === undefined && metrics === undefined) return undefined;
  return {
    spawned: (r: ProcessRecord) => {
      metrics?.spawned(r.background);
      audit?.record({
        category: 'process',
        action: 'process_start',
        target: r.command,
        outcome: 'started',
        details: { pid: r.pid, background: r.background, id: r.id },
      });
    },
    exited: () => undefined, // recorded with its exit code by RecordedExecutor
  };
}

function exitRecord(audit: AuditSink, r: ExecResult, background: boolean): void {
  const outcome = r.timedOut ? 'timeout' : r.exitCode === null ? `signal:${r.signal ?? 'unknown'}` : String(r.exitCode);
  audit.record({
    category: 'process',
    action: 'process_exit',
    target: r.command,
    outcome,
    severity: r.exitCode === 0 ? 'info' : 'warning',
    details: {
      pid: r.pid,
      id: r.id,
      exitCode: r.exitCode,
      signal: r.signal,
      durationMs: Math.round(r.durationMs),
      background,
      partial: r.partial,
    },
  });
}

/** The executor with an exit record (audit, metrics) per process, foreground and background. */
class RecordedExecutor extends ToolExecutor {
  constructor(
    private readonly recorders: Recorders,
    options: ToolExecutorOptions,
  ) {
    super({ ...options, processLog: options.processLog ?? processLogFor(recorders) });
  }

  private exited(r: ExecResult, background: boolean): void {
    this.recorders.metrics?.exited(r, background);
    if (this.recorders.audit !== undefined) exitRecord(this.recorders.audit, r, background);
  }

  override async run(command: string, opts: RunOptions): Promise<ExecResult> {
    const result = await super.run(command, opts);
    this.exited(result, false);
    return result;
  }

  override async startBackground(command: string, opts: BackgroundOptions): Promise<BackgroundHandle> {
    const handle = await super.startBackground(command, opts);
    void handle.exited.then(
      (r) => this.exited(r, true),
      () => undefined,
    );
    return handle;
  }
}

/** FileSystemManager `audit` hook → one `file_<op>` record per write, delete, rename or mkdir. */
export function fileAuditFor(audit: AuditSink): (e: FsAuditEntry) => void {
  return (e) =>
    audit.record({
      category: 'file',
      action: `file_${e.op}`,
      target: e.path,
      outcome: e.outcome,
      severity: e.outcome === 'ok' ? 'info' : 'warning',
      details: {
        requested: e.requested,
        staged: e.staged,
        ...(e.from !== undefined ? { from: e.from } : {}),
        ...(e.size !== undefined ? { size: e.size } : {}),
        ...(e.sha256 !== undefined ? { sha256: e.sha256 } : {}),
        ...(e.errorCode !== undefined ? { errorCode: e.errorCode } : {}),
      },
    });
}

/** A session's executor: audited when the daemon has an audit log, counted when it has metrics. */
export function newExecutor(recorders: Recorders, options: ToolExecutorOptions): ToolExecutor {
  return recorders.audit === undefined && recorders.metrics === undefined
    ? new ToolExecutor(options)
    : new RecordedExecutor(recorders, options);
}
