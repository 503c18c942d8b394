import type { CapturedOutput, StreamName } from '../output/types.js';

export interface KillWaits {
  /** Wait after SIGINT before SIGTERM (5 s). */
  interruptMs: number;
  /** Wait after SIGTERM before SIGKILL (3 s). */
  terminateMs: number;
  /** Wait after SIGKILL before calling the process unkillable (2 s). */
  killMs?: number;
  /** After the leader exits, how long other group members get before SIGKILL (100 ms). */
  reapGraceMs?: number;
}

export interface KillReport {
  signalsSent: string[];
  /** The signal after which the leader exited; 'exit' if it ended on its own first. */
  endedBy: 'exit' | 'SIGINT' | 'SIGTERM' | 'SIGKILL' | 'unkillable';
  durationMs: number;
  /** Group members still alive after the leader exited, killed with SIGKILL. */
  leftoversKilled: number;
}

export type ProgressEvent =
  | { kind: 'stopping' | 'force_stopping' | 'killed'; tool: string; message: string }
  | { kind: 'timed_out'; tool: string; message: string }
  | { kind: 'cancelling' | 'cleanup_incomplete'; message: string };

type PartialReason = 'cancelled by user' | 'timeout' | (string & {});

export interface ExecResult {
  id: string;
  command: string;
  /** 124 on timeout (like coreutils `timeout`); null when a signal ended it; 127/126 when it could not start. */
  exitCode: number | null;
  /** The signal that ended the leader, if any. */
  signal: string | null;
  timedOut: boolean;
  partial: boolean;
  partialReason?: PartialReason;
  /** Human-readable note for the agent: timed out, cancelled, could not start. */
  message?: string;
  durationMs: number;
  killed?: KillReport;
  output: CapturedOutput;
  pid: number;
  pgid: number;
  /** Things cancellation cleanup could not remove (temp paths, live group members). */
  uncleaned?: string[];
}

/** Enough to find and verify a process after a daemon crash (pid-reuse safe). */
export interface ProcessRecord {
  id: string;
  pid: number;
  pgid: number;
  /** Opaque start-time token from @sylk/core processStartTime; undefined if unreadable. */
  startTime: string | undefined;
  command: string;
  sessionId?: string;
  agentId?: string;
  background: boolean;
  /** Wall-clock ms. */
  startedAt: number;
}

/**
 * Persists pid/pgid/start time so a restarted daemon can kill leftovers (see killLeftovers). A
 * command is held until `spawned` has settled (it may write to disk off the event loop), so none
 * runs unrecorded; `exited` comes after it.
 */
export interface ProcessLog {
  spawned(record: ProcessRecord): void | Promise<void>;
  exited(record: ProcessRecord): void;
}

export interface RunOptions {
  cwd: string;
  env?: Record<string, string>;
  /** Ask for a base timeout other than the default (clamped to the ceiling). */
  timeoutMs?: number;
  signal?: AbortSignal;
  onLine?: (line: string, stream: StreamName) => void;
  onProgress?: (event: ProgressEvent) => void;
  /** Scope for cancelAll. */
  sessionId?: string;
  agentId?: string;
  /** Temp files/dirs of this call, removed when it is cancelled or times out. */
  cleanupPaths?: string[];
}

export interface BackgroundOptions extends Omit<RunOptions, 'timeoutMs' | 'signal' | 'sessionId'> {
  sessionId: string;
  /** Stops the wait for a subprocess slot only: once started, the process runs until stopped. */
  signal?: AbortSignal;
}

export interface CancelScope {
  sessionId?: string;
  agentId?: string;
}
