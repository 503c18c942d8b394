import { silentLogger, type Logger } from '@sylk/core';
import { DEFAULT_BATCH_SPECS } from './specs.js';
import type { BatchSpec, RunCommand, RunOutput, Timers } from './types.js';

export interface BatchedOutput extends RunOutput {
  /** Number of callers that shared the process (1 = ran alone). */
  sharedWith: number;
  warning?: string;
}

export interface InvocationBatcherOptions {
  run: RunCommand;
  specs?: BatchSpec[];
  windowMs?: number;
  timers?: Timers;
  logger?: Logger;
}

interface Caller {
  files: string[];
  argv: string[];
  resolve: (out: BatchedOutput) => void;
  reject: (err: unknown) => void;
}

interface Pending {
  spec: BatchSpec;
  cwd: string;
  fixed: string[];
  callers: Caller[];
  timer: unknown;
}

const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout) };

/**
 * Gathers invocations of the same batchable tool with the same cwd, session and options for
 * `windowMs` (or until maxFiles), runs one process and splits its output per caller. A batch
 * whose output cannot be attributed falls back to individual runs with a warning.
 */
export class InvocationBatcher {
  private readonly pending = new Map<string, Pending>();
  private readonly logger: Logger;
  private readonly timers: Timers;

  constructor(private readonly options: InvocationBatcherOptions) {
    this.logger = options.logger ?? silentLogger();
    this.timers = options.timers ?? realTimers;
  }

  run(argv: string[], opts: { cwd: string; sessionId?: string }): Promise<BatchedOutput> {
    for (const spec of this.options.specs ?? DEFAULT_BATCH_SPECS) {
      const parts = spec.split(argv);
      if (parts !== undefined) return this.enqueue(spec, parts, argv, opts.cwd, opts.sessionId ?? '');
    }
    return this.options.run(argv, { cwd: opts.cwd }).then((o) => ({ ...o, sharedWith: 1 }));
  }

  /** Runs every gathered batch now. */
  async flushAll(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((k) => this.flush(k)));
  }

  private enqueue(spec: BatchSpec, parts: { fixed: string[]; files: string[] }, argv: string[], cwd: string, session: string): Promise<BatchedOutput> {
    const key = JSON.stringify([spec.tool, cwd, session, parts.fixed]);
    let batch = this.pending.get(key);
    if (batch === undefined) {
      batch = { spec, cwd, fixed: parts.fixed, callers: [], timer: undefined };
      this.pending.set(key, batch);
      batch.timer = this.timers.setTimeout(() => void this.flush(key), this.options.windowMs ?? 100);
    }
    const b = batch;
    const result = new Promise<BatchedOutput>((resolve, reject) => b.callers.push({ files: parts.files, argv, resolve, reject }));
    const fileCount = new Set(b.callers.flatMap((c) => c.files)).size;
    if (fileCount >= spec.maxFiles) void this.flush(key);
    return result;
  }

  private async flush(key: string): Promise<void> {
    const batch = this.pending.get(key);
    if (batch === undefined) return;
    this.pending.delete(key);
    this.timers.clearTimeout(batch.timer);
    const { spec, cwd, callers } = batch;
    if (callers.length === 1) return this.alone(callers[0] as Caller, cwd);
    const files = [...new Set(callers.flatMap((c) => c.files))];
    let split: Map<string, RunOutput> | undefined;
    try {
      const out = await this.options.run(spec.build(batch.fixed, files), { cwd });
      split = spec.attribute(out, files, cwd);
    } catch (err) {
      this.logger.warn({ err, tool: spec.tool }, 'batched run failed');
    }
    if (split === undefined) {
      const warning = `batched ${spec.tool} run over ${files.length} files failed or was unparsable; ran each call on its own`;
      this.logger.warn({ tool: spec.tool, callers: callers.length }, warning);
      await Promise.all(callers.map((c) => this.alone(c, cwd, warning)));
      return;
    }
    for (const c of callers) {
      const parts = c.files.map((f) => split.get(f)).filter((p): p is RunOutput => p !== undefined);
      c.resolve({ ...(spec.combine ?? concat)(parts), sharedWith: callers.length });
    }
  }

  private async alone(caller: Caller, cwd: string, warning?: string): Promise<void> {
    try {
      const out = await this.options.run(caller.argv, { cwd });
      caller.resolve(warning === undefined ? { ...out, sharedWith: 1 } : { ...out, sharedWith: 1, warning });
    } catch (err) {
      caller.reject(err);
    }
  }
}

function concat(parts: RunOutput[]): RunOutput {
  const join = (k: 'stdout' | 'stderr'): string => parts.map((p) => p[k]).filter((t) => t !== '').join('\n');
  return { exitCode: Math.max(0, ...parts.map((p) => p.exitCode ?? 0)), stdout: join('stdout'), stderr: join('stderr') };
}
