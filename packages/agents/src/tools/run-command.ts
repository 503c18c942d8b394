import { readRaw, truncateForModel } from '@sylk/tools';
import { exitLine, failureLines, formatParsed } from './command-view.js';
import { startInBackground } from './background.js';
import { resolveForRead } from './paths.js';
import { defineTool, denied } from './tool.js';

export interface RunCommandArgs {
  command: string;
  timeout_seconds?: number;
  cwd?: string;
  background?: boolean;
}

/** Raw bytes handed to a parser (the spool keeps everything; parsers need the whole text). */
const PARSE_MAX_BYTES = 8 * 1024 * 1024;

export const runCommandTool = defineTool<RunCommandArgs>({
  name: 'run_command',
  description:
    'Run a shell command in the project (tests, builds, git, …) and get its exit code and output. ' +
    'Known tools (tsc, eslint, vitest, jest, node --test, go, pytest, cargo, git, npm) get a parsed summary; ' +
    'long output is shortened to its start, end and important lines. ' +
    'For a dev server or a watcher (anything that runs until stopped) set background: true: it returns at once with ' +
    'a process id and its first lines, keeps running after this turn, and is read with process_output and stopped ' +
    'with stop_process. Never use background for builds, tests or anything you need the result of now.',
  parameters: {
    type: 'object',
    properties: {
      command: { type: 'string', minLength: 1, description: 'The command line' },
      timeout_seconds: {
        type: 'integer',
        minimum: 1,
        maximum: 1800,
        description: 'Base timeout (default 120; extended while the command prints progress)',
      },
      cwd: { type: 'string', description: 'Working directory relative to the project root (default: the root)' },
      background: {
        type: 'boolean',
        description: 'Run until stopped (dev servers, watchers); returns a process id at once (default false)',
      },
    },
    required: ['command'],
    additionalProperties: false,
  },
  readOnly: false,
  describe: (args) => args.command,
  async run(args, env) {
    const cwd = await resolveForRead(env.fs, args.cwd ?? '.');
    const verdict = await env.askPermission({ action: 'command', target: args.command, cwd });
    if (!verdict.allowed) return denied(verdict.message);
    if (args.background === true) return startInBackground(args.command, cwd, env);
    const result = await env.executor.run(args.command, {
      cwd,
      signal: env.signal,
      sessionId: env.sessionId,
      agentId: env.agentId,
      ...(args.timeout_seconds !== undefined ? { timeoutMs: args.timeout_seconds * 1000 } : {}),
      onLine: (line, stream) => env.emit({ type: 'tool_output', callId: env.callId, stream, line }),
    });
    const truncated = truncateForModel(result.output);
    const parser = env.parsers.match(args.command);
    const failed = result.exitCode !== 0 || result.partial;
    let body: string;
    let summary = truncated.summary;
    let failures: string[] = [];
    if (parser !== undefined) {
      const raw = await readRaw(result.output, { maxBytes: PARSE_MAX_BYTES });
      const parsed = parser.parse(raw.text, { exitCode: result.exitCode });
      summary = parsed.summary;
      failures = failureLines(parsed);
      // A failure's details (assertion diffs, stack lines) often live outside what parsers keep.
      body =
        failed && truncated.totalLines > 0
          ? `${formatParsed(parsed)}\nOutput (shortened):\n${truncateForModel(result.output, { head: 20, tail: 40, maxImportant: 50 }).text}`
          : formatParsed(parsed);
    } else {
      body = truncated.totalLines === 0 ? '(no output)' : truncated.text;
    }
    return {
      content: `${body}\n${exitLine(result)}`,
      isError: false,
      ok: !failed,
      summary: `${exitLine(result)} ${summary}`,
      ...(failed && failures.length > 0 ? { failures } : {}),
      exit: { code: result.exitCode, signal: result.signal, timedOut: result.timedOut },
      ...(result.output.rawPath !== null ? { outputHandle: result.output.rawPath } : {}),
    };
  },
});
