/**
 * A session's ended background processes, kept in its directory (`background.json`) so `sylk ps`,
 * `sylk ps logs` and `sylk ps stop` answer the same whether the session is loaded or not: an idle
 * session is unloaded (runtime-unload.ts) and nothing of it stays in the daemon's memory. Their
 * output is read back from the spool files the commands wrote (`{temp}/<session>/spool/<id>.log`).
 */
import { constants } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@sylk/core';
import type { EndedProcess } from '@sylk/agents';
import type { BackgroundHandle, ExecResult } from '@sylk/tools';
import { readJsonFile, writeJsonWhole } from './recovery-files.js';

/** How a background process stands, for `sylk ps` and the session's log. */
type ProcessState = 'running' | 'exited' | 'stopped';

/** One background process as `sylk ps` lists it (running ones only while their session is loaded). */
export interface ProcessSummary {
  id: string;
  sessionId: string;
  command: string;
  pid: number;
  state: ProcessState;
  startedAt: number;
  /** How long it ran (0 while it runs). */
  durationMs: number;
  exitCode: number | null;
  signal: string | null;
  /** Bytes it printed (once it ended). */
  outputBytes?: number;
}

/** Ended processes a session keeps, newest kept (what a loaded session's registry keeps too). */
export const KEEP_ENDED = 32;
/** Output `sylk ps logs` prints of an ended one: the newest bytes, as much as a running one holds in memory. */
const HELD_OUTPUT_BYTES = 1024 * 1024;
const FILE = 'background.json';
/** Process ids are `bg_<ulid>`; anything else read from the file names no spool. */
const SAFE_ID = /^[A-Za-z0-9_-]{1,64}$/;

function processState(handle: BackgroundHandle): ProcessState {
  if (handle.result === undefined) return 'running';
  return handle.stopRequested ? 'stopped' : 'exited';
}

export function summarize(handle: BackgroundHandle): ProcessSummary {
  const r = handle.result;
  return {
    id: handle.id,
    sessionId: handle.sessionId,
    command: handle.command,
    pid: handle.pid,
    state: processState(handle),
    startedAt: handle.record.startedAt,
    durationMs: Math.round(r?.durationMs ?? 0),
    exitCode: r?.exitCode ?? null,
    signal: r?.signal ?? null,
  };
}

function isSummary(value: unknown): value is ProcessSummary {
  const p = value as Partial<ProcessSummary> | null;
  return (
    typeof p === 'object' &&
    p !== null &&
    typeof p.id === 'string' &&
    SAFE_ID.test(p.id) &&
    typeof p.command === 'string' &&
    typeof p.pid === 'number' &&
    (p.state === 'exited' || p.state === 'stopped') &&
    typeof p.startedAt === 'number' &&
    typeof p.durationMs === 'number'
  );
}

export interface ProcessHistoryOptions {
  sessionId: string;
  /** The session's directory (its log, history, tasks). */
  sessionDir: string;
  /** Where its commands' output is spooled. */
  spoolDir: string;
  logger: Logger;
  /** Known secrets out of what is kept on disk (a command line may carry one). */
  redact?: (text: string) => string;
}

/** The ended background processes of one session, on disk. */
export class ProcessHistory {
  private readonly path: string;

  constructor(private readonly opts: ProcessHistoryOptions) {
    this.path = join(opts.sessionDir, FILE);
  }

  /** Newest first; a missing or unreadable file is none. */
  list(): ProcessSummary[] {
    const value = readJsonFile(this.path);
    if (!Array.isArray(value)) return [];
    return value.filter(isSummary).map((p) => ({ ...p, sessionId: this.opts.sessionId }));
  }

  /** A process ended (on its own or stopped): kept first in the file, the oldest past KEEP_ENDED dropped. */
  add(handle: BackgroundHandle, result: ExecResult): void {
    const ended: ProcessSummary = {
      ...summarize(handle),
      state: handle.stopRequested ? 'stopped' : 'exited',
      durationMs: Math.round(result.durationMs),
      exitCode: result.exitCode,
      signal: result.signal,
      outputBytes: result.output.rawBytes,
    };
    const redact = this.opts.redact ?? ((text: string) => text);
    const kept = [{ ...ended, command: redact(ended.command) }, ...this.list().filter((p) => p.id !== ended.id)];
    try {
      writeJsonWhole(this.path, kept.slice(0, KEEP_ENDED));
    } catch (err) {
      // A full disk: `sylk ps` loses it once the session unloads, nothing else does.
      this.opts.logger.warn({ err, id: handle.id }, 'could not keep an ended background process');
    }
  }

  /**
   * Its output since `sinceOffset` from the spool (the same offsets as a running one's), at most
   * the newest HELD_OUTPUT_BYTES; `truncated` when older bytes are left out. A spool the disk
   * quota cleaned away, or a process that printed nothing, reads as no output.
   */
  async read(p: ProcessSummary, sinceOffset = 0): Promise<{ text: string; nextOffset: number; truncated: boolean }> {
    let file;
    try {
      if (!SAFE_ID.test(p.id)) throw new Error('not a process id');
      // The session's commands may write in its temp dir: a link put in the spool's place is not followed.
      file = await open(join(this.opts.spoolDir, `${p.id}.log`), constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch {
      return { text: '', nextOffset: sinceOffset, truncated: (p.outputBytes ?? 0) > sinceOffset };
    }
    try {
      const { size } = await file.stat();
      const first = Math.max(0, size - HELD_OUTPUT_BYTES);
      const from = Math.max(sinceOffset, first);
      const buffer = Buffer.alloc(Math.max(0, size - from));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, from);
      return {
        text: buffer.subarray(0, bytesRead).toString('utf8'),
        nextOffset: Math.max(sinceOffset, from + bytesRead),
        truncated: sinceOffset < first,
      };
    } finally {
      await file.close();
    }
  }
}

/** The model's view of an ended process the session kept (process_output, stop_process). */
export function endedProcessIn(history: ProcessHistory, id: string): EndedProcess | undefined {
  const summary = history.list().find((p) => p.id === id);
  if (summary === undefined) return undefined;
  return {
    id: summary.id,
    command: summary.command,
    stopped: summary.state === 'stopped',
    exitCode: summary.exitCode,
    signal: summary.signal,
    read: (sinceOffset) => history.read(summary, sinceOffset),
  };
}

/** A process as `sylk ps` finds it: its summary, its handle while its session holds it, where it is kept. */
export interface ListedProcess {
  summary: ProcessSummary;
  handle?: BackgroundHandle;
  history: ProcessHistory;
}

/**
 * One session's processes for `sylk ps`: those its loaded runtime holds (running, recently ended),
 * then the ended ones it kept on disk that the runtime does not hold (from before its last load).
 */
export function sessionProcessList(history: ProcessHistory, live: readonly BackgroundHandle[]): ListedProcess[] {
  const held = new Set(live.map((h) => h.id));
  return [
    ...live.map((handle) => ({ summary: summarize(handle), handle, history })),
    ...history
      .list()
      .filter((p) => !held.has(p.id))
      .map((summary) => ({ summary, history })),
  ];
}
