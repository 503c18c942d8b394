import { closeSync, openSync, readSync, fstatSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@sylk/core';
import type { Message } from '@sylk/llm';
import { killLeftovers, type ProcessRecord } from '@sylk/tools';
import { readJsonFile, writeJsonWhole, removeFile } from './recovery-files.js';
import type { ProcessRecordStore } from './recovery-records.js';

/** A command that was running when the previous daemon died, kept until the session resumes. */
export interface InterruptedRun {
  id: string;
  command: string;
  pid: number;
  /** Its processes were still there and were killed at start (false: they had already ended). */
  killed: boolean;
  /** The raw output captured before the stop (the session's spool file). */
  spoolPath: string;
}

const INTERRUPTED_RUNS = 'interrupted-runs.json';
/** How much of the captured output an interrupted tool result quotes (its end). */
const OUTPUT_TAIL_BYTES = 4000;

/**
 * At daemon start: every process group a previous daemon left recorded is killed if it is still
 * the same process (pid + start time, see killLeftovers), and the records are cleared. Returns
 * what each session had running, for its notice and its interrupted tool results.
 */
export async function killRecordedLeftovers(
  store: ProcessRecordStore,
  logger: Logger,
): Promise<Map<string, Array<ProcessRecord & { killed: boolean }>>> {
  const records = store.list();
  const bySession = new Map<string, Array<ProcessRecord & { killed: boolean }>>();
  if (records.length === 0) return bySession;
  const report = await killLeftovers(records, { logger });
  const killed = new Set(report.killed.map((r) => r.id));
  await Promise.all(records.map((r) => store.remove(r.id)));
  for (const record of records) {
    if (record.sessionId === undefined) continue;
    const list = bySession.get(record.sessionId) ?? [];
    list.push({ ...record, killed: killed.has(record.id) });
    bySession.set(record.sessionId, list);
  }
  logger.warn(
    { killed: report.killed.length, gone: report.skipped.length },
    'process groups left by the previous sylkd handled',
  );
  return bySession;
}

/** The notice a session gets about the commands that were running when the daemon died. */
export function leftoverNotice(runs: ReadonlyArray<ProcessRecord & { killed: boolean }>): {
  message: string;
  code: string;
  processes: unknown[];
} {
  const parts = runs.map(
    (r) =>
      `\`${r.command}\` (pid ${r.pid}${r.background ? ', background' : ''}): ${r.killed ? 'killed' : 'had already ended'}`,
  );
  return {
    message: `sylkd stopped unexpectedly while commands were running; none is run again by itself. ${parts.join('; ')}`,
    code: 'recovery.leftovers',
    processes: runs.map((r) => ({
      id: r.id,
      command: r.command,
      pid: r.pid,
      pgid: r.pgid,
      background: r.background,
      killed: r.killed,
    })),
  };
}

export function saveInterruptedRuns(sessionDir: string, runs: InterruptedRun[]): void {
  const previous = loadInterruptedRuns(sessionDir);
  writeJsonWhole(join(sessionDir, INTERRUPTED_RUNS), [...previous, ...runs]);
}

export function loadInterruptedRuns(sessionDir: string): InterruptedRun[] {
  const value = readJsonFile(join(sessionDir, INTERRUPTED_RUNS));
  return Array.isArray(value)
    ? (value as InterruptedRun[]).filter((r) => typeof r?.command === 'string' && typeof r.id === 'string')
    : [];
}

export function clearInterruptedRuns(sessionDir: string): void {
  removeFile(join(sessionDir, INTERRUPTED_RUNS));
}

/**
 * The turn that died with the daemon saved its history up to its last model reply; the tool calls
 * of that reply have no result. Each gets one that says what happened, so the model decides what
 * to do instead of the same command silently running twice: a command that was running is
 * reported interrupted (stopped, not re-run) with the end of the output it had printed.
 * Returns how many results were added.
 */
export function answerInterruptedCalls(history: Message[], runs: readonly InterruptedRun[]): number {
  let last = -1;
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i]?.role === 'assistant') {
      last = i;
      break;
    }
  }
  const calls = history[last]?.toolCalls ?? [];
  if (calls.length === 0) return 0;
  const answered = new Set(
    history
      .slice(last + 1)
      .filter((m) => m.role === 'tool')
      .map((m) => m.toolCallId),
  );
  const unused = [...runs];
  let added = 0;
  for (const call of calls) {
    if (answered.has(call.id)) continue;
    const command =
      call.name === 'run_command' && typeof call.arguments.command === 'string' ? call.arguments.command : undefined;
    const index = command === undefined ? -1 : unused.findIndex((r) => r.command === command);
    const run = index < 0 ? undefined : unused.splice(index, 1)[0];
    history.push({
      role: 'tool',
      toolCallId: call.id,
      isError: true,
      content: run === undefined ? notRun(call.name) : interrupted(run),
    });
    added++;
  }
  return added;
}

function notRun(tool: string): string {
  return `[interrupted: sylkd stopped before this ${tool} call finished; it has not been run again. If it may have had an effect, check before repeating it.]`;
}

function interrupted(run: InterruptedRun): string {
  const output = outputTail(run.spoolPath);
  return [
    `[interrupted: sylkd stopped while this command was running. ` +
      `The command was stopped${run.killed ? ' (its processes were killed)' : ''} and has NOT been run again; ` +
      `decide whether to run it again.]`,
    output === '' ? 'It printed nothing before it stopped.' : `Output captured before it stopped (the end):\n${output}`,
  ].join('\n');
}

function outputTail(path: string): string {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return '';
  }
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, OUTPUT_TAIL_BYTES);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    const text = buffer.toString('utf8');
    // Cut mid-file: drop the partial first line.
    return (size > length ? text.slice(text.indexOf('\n') + 1) : text).trimEnd();
  } finally {
    closeSync(fd);
  }
}
