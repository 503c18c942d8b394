import { errorMessage, isSylkError } from '@sylk/core';
import type { BackgroundHandle } from '@sylk/tools';
import { defineTool, toolError, type ToolEnv, type ToolOutcome } from './tool.js';
import type { EndedProcess } from '../types.js';

/** How long a new background process gets to print its first lines (unless a ready line comes first). */
const SETTLE_MS = 2000;
/** What the model reads of a process's output per call, at most. */
const MAX_CHARS = 12_000;
const DEFAULT_LINES = 40;
/** A line that says a server or watcher is up: stop waiting and report at once. */
const READY_LINE =
  /\b(listening|ready|started|running at|compiled|watching for|server running)\b|https?:\/\/(localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1?\])/i;

/**
 * `run_command` with `background: true`: started (after the same permission as a foreground
 * command) in the session's process registry; answered after its first lines settle.
 */
export async function startInBackground(command: string, cwd: string, env: ToolEnv): Promise<ToolOutcome> {
  let ready: (() => void) | undefined;
  const readyLine = new Promise<void>((resolve) => (ready = resolve));
  let handle: BackgroundHandle;
  try {
    handle = await env.executor.startBackground(command, {
      cwd,
      sessionId: env.sessionId,
      agentId: env.agentId,
      signal: env.signal,
      onLine: (line) => {
        if (READY_LINE.test(line)) ready?.();
      },
    });
  } catch (err) {
    const hint = isSylkError(err) && err.hint !== undefined ? ` ${err.hint}` : '';
    return toolError(`Could not start in the background: ${errorMessage(err)}.${hint}`);
  }
  await settle(handle, readyLine, env.signal);
  const { text, nextOffset } = handle.read(0);
  const shown = lastLines(text, DEFAULT_LINES);
  const ended = handle.result;
  if (ended !== undefined) {
    const how = ended.exitCode !== null ? `exit code ${ended.exitCode}` : `signal ${ended.signal ?? 'unknown'}`;
    return {
      content: `${shown.text || '(no output)'}\nBackground process ${handle.id} ended at once (${how}).`,
      isError: false,
      ok: false,
      summary: `ended at once (${how})`,
      exit: { code: ended.exitCode, signal: ended.signal, timedOut: false },
    };
  }
  return {
    content:
      `Started in the background: id ${handle.id}, pid ${handle.pid}. It keeps running after this turn.\n` +
      `${shown.note}${shown.text || '(no output yet)'}\n` +
      `Read more with process_output {"id": "${handle.id}", "since_offset": ${nextOffset}}; stop it with stop_process {"id": "${handle.id}"}.`,
    isError: false,
    summary: `background ${handle.id} (pid ${handle.pid})`,
  };
}

function settle(handle: BackgroundHandle, readyLine: Promise<void>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, SETTLE_MS);
    timer.unref();
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    if (signal.aborted) return done();
    signal.addEventListener('abort', done, { once: true });
    void handle.exited.then(done, done);
    void readyLine.then(done);
  });
}

/** The last `n` lines of `text`, within MAX_CHARS, with a note when something was left out. */
function lastLines(text: string, n: number): { text: string; note: string } {
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  let kept = lines.slice(-n).join('\n');
  if (kept.length > MAX_CHARS) kept = kept.slice(-MAX_CHARS);
  const omitted = text.length - kept.length;
  return { text: kept, note: omitted > 1 ? `[… ${omitted} earlier characters not shown]\n` : '' };
}

/** What process_output and stop_process find: a process the registry holds, or one the session kept after it ended. */
type Found = { live: BackgroundHandle } | { ended: EndedProcess };

/** The session's own process with this id, or the error the model reads. */
function own(id: string, env: ToolEnv): Found | ToolOutcome {
  const handle = env.executor.registry.get(id);
  if (handle !== undefined && handle.sessionId === env.sessionId) return { live: handle };
  const ended = env.endedProcess?.(id);
  if (ended !== undefined) return { ended };
  const running = env.executor.registry.list(env.sessionId).map((h) => `${h.id} (${h.command})`);
  return toolError(
    `No background process with id "${id.slice(0, 80)}" in this session. ` +
      (running.length > 0 ? `Running: ${running.join(', ')}.` : 'This session runs no background processes.'),
    'unknown process id',
  );
}

function state(found: Found): string {
  if ('live' in found) {
    const { result: r, stopRequested, pid } = found.live;
    return r === undefined ? `running (pid ${pid})` : ended(stopRequested, r.exitCode, r.signal);
  }
  const p = found.ended;
  return ended(p.stopped, p.exitCode, p.signal);
}

function ended(stopped: boolean, exitCode: number | null, signal: string | null): string {
  if (stopped) return 'stopped';
  return exitCode !== null ? `exited with code ${exitCode}` : `ended by signal ${signal ?? 'unknown'}`;
}

interface ProcessOutputArgs {
  id: string;
  since_offset?: number;
  last_lines?: number;
}

export const processOutputTool = defineTool<ProcessOutputArgs>({
  name: 'process_output',
  description:
    'Read the output of a background process this session started (run_command with background: true): ' +
    'what it printed since `since_offset` (the offset the previous read returned), or its last lines. ' +
    'Also tells whether it is still running or how it ended.',
  parameters: {
    type: 'object',
    properties: {
      id: { type: 'string', minLength: 1, maxLength: 200, description: 'The process id (bg_…)' },
      since_offset: { type: 'integer', minimum: 0, description: 'Only output after this offset' },
      last_lines: {
        type: 'integer',
        minimum: 1,
        maximum: 500,
        description: `Only the last N lines (default ${DEFAULT_LINES})`,
      },
    },
    required: ['id'],
    additionalProperties: false,
  },
  readOnly: true,
  describe: (args) => args.id,
  async run(args, env) {
    const found = own(args.id, env);
    if (!('live' in found) && !('ended' in found)) return found;
    const since = args.since_offset ?? 0;
    const read = 'live' in found ? found.live.read(since) : await found.ended.read(since);
    const id = 'live' in found ? found.live.id : found.ended.id;
    const shown = lastLines(read.text, args.last_lines ?? (args.since_offset !== undefined ? 500 : DEFAULT_LINES));
    const dropped = read.truncated ? '[older output is no longer held; showing what is]\n' : '';
    return {
      content:
        `${dropped}${shown.note}${shown.text || '(no new output)'}\n` +
        `${id} is ${state(found)}; next since_offset: ${read.nextOffset}`,
      isError: false,
      summary: `${id}: ${state(found)}`,
    };
  },
});

export const stopProcessTool = defineTool<{ id: string }>({
  name: 'stop_process',
  description:
    'Stop a background process this session started (interrupt, then terminate, then kill its whole process group).',
  parameters: {
    type: 'object',
    properties: { id: { type: 'string', minLength: 1, maxLength: 200, description: 'The process id (bg_…)' } },
    required: ['id'],
    additionalProperties: false,
  },
  readOnly: false,
  describe: (args) => args.id,
  async run(args, env) {
    const found = own(args.id, env);
    if (!('live' in found) && !('ended' in found)) return found;
    if (!('live' in found) || !found.live.running) {
      const id = 'live' in found ? found.live.id : found.ended.id;
      return { content: `${id} had already ended: ${state(found)}.`, isError: false, summary: state(found) };
    }
    const handle = found.live;
    const report = await handle.stop();
    await handle.exited;
    return {
      content: `Stopped ${handle.id} (${handle.command}) by ${report.endedBy}.`,
      isError: false,
      summary: `stopped by ${report.endedBy}`,
    };
  },
});
