/**
 * Memory follows active work: a loaded session runtime that has been quiet for
 * `sessions.unload_idle_after_seconds` is unloaded (its executor, network proxy, MCP servers,
 * project config hold and event log file closed, the runtime dropped) and loaded again from disk
 * (history.jsonl, inputs.json, the profile, the client environment, events.db) by the next call
 * that needs it. The little that lives only in memory and must outlast an unload is kept here:
 * the session's permission manager (its "allow for this session" grants) and the project config
 * problems the session was already told about.
 */
import { errorMessage, type Clock, type Logger } from '@sylk/core';
import type { EventLog } from '@sylk/sessions';
import type { PermissionManager } from '@sylk/security';
import type { ToolExecutor } from '@sylk/tools';

/** What the idle rule looks at and what an unload closes (a SessionRuntime has all of it). */
export interface UnloadableRuntime {
  readonly id: string;
  /** No turn or compaction runs or is ending, nobody is attached. */
  readonly quiet: boolean;
  /** Something for the model's next turn exists only in memory (an ended background process's note). */
  readonly notesPending: boolean;
  /** Delegated tasks not finished yet (they run in this runtime's memory). */
  readonly tasksActive?: number;
  readonly executor: Pick<ToolExecutor, 'runningTools' | 'registry' | 'close'>;
  readonly log: Pick<EventLog, 'subscriberCount' | 'asleep' | 'sleepIfIdle'>;
  readonly permissions: PermissionManager;
  /** Throws when the conversation cannot be saved: the runtime then stays loaded. */
  saveConversation(): void;
}

/** What an unloaded session keeps until it is loaded again. */
export interface KeptSession {
  /** Only when the session was granted something for its life: otherwise a new one reads the same files. */
  permissions?: PermissionManager;
  /** Problems in the project's config files the session was told about. */
  configWarnings: readonly string[];
}

export interface RuntimeUnloaderOptions<R extends UnloadableRuntime> {
  clock: Clock;
  logger: Logger;
  /** `sessions.unload_idle_after_seconds` now (0 = never unload). */
  idleAfterSeconds: () => number;
  /** The host's loaded runtimes: an unload deletes its runtime from here before anything is closed. */
  loaded: Map<string, R>;
  pendingApprovals: (sessionId: string) => number;
  /** The project config problems the session was told about (kept for its next load). */
  configWarnings: (sessionId: string) => readonly string[];
  /** Closes what the host holds for the session besides its runtime: proxy, MCP servers, config hold, event log. */
  release: (sessionId: string) => Promise<void>;
  /** Told once what a sweep unloaded is closed: the memory is garbage now (sylkd's memory trim collects it). */
  unloaded?: () => void;
}

/** Longest time between two sweeps; a short idle time is swept four times as often as it lasts. */
const MAX_SWEEP_MS = 30_000;
const MIN_SWEEP_MS = 250;

/**
 * Why a loaded runtime must stay loaded now, or undefined when nothing holds it (how long it has
 * been quiet aside).
 * @internal exported for tests
 */
export function holdReason(rt: UnloadableRuntime, pendingApprovals: number): string | undefined {
  if (!rt.quiet) return 'busy or attached';
  if (pendingApprovals > 0) return 'approvals pending';
  if (rt.executor.runningTools({ sessionId: rt.id }).length > 0) return 'commands running';
  if (rt.executor.registry.list(rt.id).length > 0) return 'background processes running';
  if (rt.log.subscriberCount > 0) return 'log followed';
  if ((rt.tasksActive ?? 0) > 0) return 'tasks running';
  if (rt.notesPending) return 'notes for the next turn';
  return undefined;
}

/**
 * The log unused (no append, read or subscription) for `idleMs`: its file is closed now (or
 * already was, and nothing has used the log since, or it would be open again).
 */
function logIdle(log: UnloadableRuntime['log'], idleMs: number): boolean {
  if (log.subscriberCount > 0) return false;
  return log.asleep || log.sleepIfIdle(idleMs);
}

/** `sylk status`'s line about sessions: how many of them are loaded. */
export function sessionsComponent(loaded: number, total: number, idleAfterSeconds: number) {
  const rule = idleAfterSeconds > 0 ? `idle ones unload after ${idleAfterSeconds} s` : 'idle ones stay loaded';
  return { name: 'sessions', state: 'ok', detail: `loaded ${loaded} of ${total}; ${rule}` };
}

/**
 * Sweeps the loaded runtimes and unloads those quiet for the configured time. A runtime being
 * unloaded is out of the host's map at once; `pending` tells the host to wait for the unload
 * before loading it again, so no caller ever gets a half-closed runtime.
 */
export class RuntimeUnloader<R extends UnloadableRuntime> {
  /** When each loaded runtime was first seen quiet (any use starts it again). */
  private readonly quietSince = new Map<string, number>();
  private readonly unloading = new Map<string, Promise<void>>();
  private readonly loading = new Map<string, Promise<R>>();
  private readonly kept = new Map<string, KeptSession>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly opts: RuntimeUnloaderOptions<R>) {}

  start(): void {
    if (this.closed) return;
    const seconds = this.opts.idleAfterSeconds();
    const every = seconds > 0 ? Math.min(MAX_SWEEP_MS, Math.max(MIN_SWEEP_MS, seconds * 250)) : MAX_SWEEP_MS;
    this.timer = setTimeout(() => {
      try {
        this.sweep();
      } catch (err) {
        this.opts.logger.error({ err: errorMessage(err) }, 'session unload sweep failed');
      }
      this.start();
    }, every).unref();
  }

  /**
   * The session's runtime: the loaded one, else the one `load` makes (once, however many ask at
   * the same time; `load` puts it in the loaded map). An unload in progress is waited for first.
   * Any call counts as use: the quiet time starts again.
   */
  async get(sessionId: string, load: () => Promise<R>): Promise<R> {
    this.quietSince.delete(sessionId);
    const existing = this.opts.loaded.get(sessionId);
    if (existing !== undefined) return existing;
    const unloading = this.unloading.get(sessionId);
    if (unloading !== undefined) {
      await unloading;
      return this.get(sessionId, load);
    }
    let loading = this.loading.get(sessionId);
    if (loading === undefined) {
      loading = load().finally(() => this.loading.delete(sessionId));
      this.loading.set(sessionId, loading);
    }
    return loading;
  }

  /** The unload in progress of a session (it never rejects). */
  pending(sessionId: string): Promise<void> | undefined {
    return this.unloading.get(sessionId);
  }

  /** What the session kept through its last unload, for its next load. */
  keptFor(sessionId: string): KeptSession | undefined {
    return this.kept.get(sessionId);
  }

  /** The session is loaded again (its runtime holds what was kept) or deleted. */
  forget(sessionId: string): void {
    this.kept.delete(sessionId);
    this.quietSince.delete(sessionId);
  }

  /** Unloads the runtimes quiet for the configured time; returns how many it started to unload. */
  sweep(): number {
    const idleMs = this.opts.idleAfterSeconds() * 1000;
    if (idleMs <= 0) {
      this.quietSince.clear();
      return 0;
    }
    const now = this.opts.clock.now();
    const started: Promise<void>[] = [];
    for (const [id, rt] of [...this.opts.loaded]) {
      if (this.loading.has(id) || holdReason(rt, this.opts.pendingApprovals(id)) !== undefined) {
        this.quietSince.delete(id);
        continue;
      }
      const since = this.quietSince.get(id);
      if (since === undefined) this.quietSince.set(id, now);
      else if (now - since >= idleMs && logIdle(rt.log, idleMs)) {
        const unloading = this.unload(rt);
        if (unloading !== undefined) started.push(unloading);
      }
    }
    if (started.length > 0) void Promise.all(started).then(() => this.opts.unloaded?.());
    return started.length;
  }

  /** Memory pressure: unloads the session now if nothing holds it, however briefly it has been quiet. */
  unloadIfQuiet(sessionId: string): boolean {
    const rt = this.opts.loaded.get(sessionId);
    if (rt === undefined || this.closed || this.loading.has(sessionId)) return false;
    if (holdReason(rt, this.opts.pendingApprovals(sessionId)) !== undefined) return false;
    const unloading = this.unload(rt);
    if (unloading === undefined) return false;
    void unloading.then(() => this.opts.unloaded?.());
    return true;
  }

  private unload(rt: R): Promise<void> | undefined {
    try {
      rt.saveConversation();
    } catch (err) {
      // The conversation is only in memory: the runtime stays until a save succeeds.
      this.opts.logger.warn({ session: rt.id, err: errorMessage(err) }, 'session kept loaded: its history is unsaved');
      this.quietSince.delete(rt.id);
      return undefined;
    }
    this.opts.loaded.delete(rt.id);
    this.quietSince.delete(rt.id);
    // Hundreds of unloaded sessions must not each hold a permission manager (its rules, its judge).
    this.kept.set(rt.id, {
      ...(rt.permissions.hasSessionGrants ? { permissions: rt.permissions } : {}),
      configWarnings: this.opts.configWarnings(rt.id),
    });
    const done = this.closeRuntime(rt).finally(() => this.unloading.delete(rt.id));
    this.unloading.set(rt.id, done);
    return done;
  }

  private async closeRuntime(rt: R): Promise<void> {
    try {
      await rt.executor.close();
      await this.opts.release(rt.id);
      this.opts.logger.debug({ session: rt.id }, 'idle session unloaded');
    } catch (err) {
      // Whatever failed to close is logged; the next load starts from disk all the same.
      this.opts.logger.warn({ session: rt.id, err: errorMessage(err) }, 'unloading an idle session failed');
    }
  }

  /** Daemon shutdown: no more sweeps; waits for the unloads in progress. */
  async stop(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    await Promise.all([...this.unloading.values()]);
  }
}
