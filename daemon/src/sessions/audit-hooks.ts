import type { AuditSink } from '@sylk/security';
import {
  ToolExecutor,
  type BackgroundHandle,
  type BackgroundOptions,
  type ExecResult,
  type FsAuditEntry,
  type ProcessRecord,
  type RunOptions,
  type ToolExecutorOptions,
} from '@sylk/tools';

/**
 * The audit records of a session's tools: process start (the executor's process log, at spawn,
 * with the pid), process exit (the result, with the exit code) and file changes (the
 * FileSystemManager's audit hook: path, size, sha256 — never content). The sink is the
 * session's, so every record carries its session and project ids; the daemon's sink scrubs
 * anything credential-shaped from command lines.
 */
export function processLogFor(audit: AuditSink): NonNullable<ToolExecutorOptions['processLog']> {
  return {
    spawned: (r: ProcessRecord) =>
      audit.record({
        category: 'process',
        action: 'process_start',
        target: r.command,
        outcome: 'started',
        details: { pid: r.pid, background: r.background, id: r.id },
      }),
    exited: () => undefined, // recorded with its exit code by AuditedExecutor
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

/** The executor with an exit record per process (foreground and background). */
class AuditedExecutor extends ToolExecutor {
  constructor(
    private readonly audit: AuditSink,
    options: ToolExecutorOptions,
  ) {
    super({ ...options, processLog: options.processLog ?? processLogFor(audit) });
  }

  override async run(command: string, opts: RunOptions): Promise<ExecResult> {
    const result = await super.run(command, opts);
    exitRecord(this.audit, result, false);
    return result;
  }

  override async startBackground(command: string, opts: BackgroundOptions): Promise<BackgroundHandle> {
    const handle = await super.startBackground(command, opts);
    void handle.exited.then(
      (r) => exitRecord(this.audit, r, true),
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

/** A session's executor: audited when the daemon has an audit log. */
export function newExecutor(audit: AuditSink | undefined, options: ToolExecutorOptions): ToolExecutor {
  return audit === undefined ? new ToolExecutor(options) : new AuditedExecutor(audit, options);
}
