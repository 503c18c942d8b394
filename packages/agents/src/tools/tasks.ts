import { errorMessage, isSylkError } from '@sylk/core';
import { defineTool, toolError, type AgentTool, type ToolOutcome } from './tool.js';

/**
 * What a delegated sub-task may do. `explorer` reads (files, search, read-only safe commands);
 * `engineer` also edits, with its writes staged until the task ends. Never wider than the parent.
 */
const TASK_ROLES = ['explorer', 'engineer'] as const;
export type TaskRole = (typeof TASK_ROLES)[number];

export interface TaskSpec {
  goal: string;
  role: TaskRole;
  /** Project-relative files the task should look at first. */
  files: string[];
  /** Tasks of this session that must finish first. */
  dependsOn: string[];
  /** The task's own spending limit in USD (absent: the configured default slice). */
  budgetUsd?: number;
}

/** Where a task stands, as the parent agent reads it. */
export interface TaskReport {
  id: string;
  role: TaskRole;
  goal: string;
  /** waiting | queued | running | paused | done | failed | cancelled | conflict | interrupted */
  state: string;
  costUsd: number;
  /** The task's final answer. */
  result?: string;
  error?: string;
  /** Files its staged changes wrote into the project. */
  merged?: string[];
  /** Files whose staged change was not applied because the live file changed meanwhile. */
  conflicts?: Array<{ path: string; reason: string }>;
  /** A conflict: where its edits are kept as a patch the user can apply (`git apply`). */
  patch?: string;
}

/** The session side of the task tools (the daemon's pipelines). */
export interface TaskHost {
  spawn(spec: TaskSpec): Promise<TaskReport>;
  /** Until every listed task (none listed: every unfinished one) has finished, or the timeout. */
  wait(ids: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<TaskReport[]>;
  cancel(id: string): Promise<TaskReport>;
}

const TERMINAL = new Set(['done', 'failed', 'cancelled', 'conflict', 'interrupted', 'timed_out']);
const RESULT_CHARS = 6000;
const MAX_WAIT_SECONDS = 3600;

/** One task as the model reads it. */
function formatTaskReport(r: TaskReport): string {
  const lines = [`${r.id} (${r.role}) ${r.state}, $${r.costUsd.toFixed(4)}: ${r.goal.slice(0, 200)}`];
  if (r.error !== undefined) lines.push(`Error: ${r.error}`);
  if (r.result !== undefined && r.result !== '') {
    const cut = r.result.length > RESULT_CHARS;
    lines.push(`Result: ${cut ? `${r.result.slice(0, RESULT_CHARS)}… [cut]` : r.result}`);
  }
  if (r.merged !== undefined && r.merged.length > 0) lines.push(`Merged into the project: ${r.merged.join(', ')}`);
  if (r.conflicts !== undefined && r.conflicts.length > 0)
    lines.push(
      `Conflicts, NOT applied (its staged changes are kept; cancel_task discards them): ${r.conflicts
        .map((c) => `${c.path} (${c.reason})`)
        .join(', ')}`,
    );
  if (r.patch !== undefined)
    lines.push(`Its edits are kept as a patch the user can apply (git apply, in the project): ${r.patch}`);
  return lines.join('\n');
}

function failure(err: unknown): ToolOutcome {
  const hint = isSylkError(err) && err.hint !== undefined ? ` ${err.hint}` : '';
  return toolError(`${errorMessage(err)}${hint}`);
}

interface SpawnArgs {
  goal: string;
  role: TaskRole;
  files?: string[];
  depends_on?: string[];
  budget_usd?: number;
}

interface WaitArgs {
  ids?: string[];
  timeout_seconds?: number;
}

/** spawn_task, wait_tasks and cancel_task over a session's task host (only a session's own agent gets them). */
export function taskTools(host: TaskHost): AgentTool[] {
  const spawn = defineTool<SpawnArgs>({
    name: 'spawn_task',
    description:
      'Delegate a self-contained sub-task to a helper agent that works in parallel with you. ' +
      'role "explorer" only reads (investigate, find, summarise); role "engineer" may also edit files: its edits are ' +
      'staged and merged into the project when it finishes (a file you or another task changed meanwhile is reported ' +
      'as a conflict, never overwritten). Give a precise goal; it does not see this conversation. Returns a task id at ' +
      'once; use wait_tasks for the result and cancel_task to stop it.',
    parameters: {
      type: 'object',
      properties: {
        goal: { type: 'string', minLength: 1, maxLength: 8000, description: 'What the task must do and report' },
        role: { type: 'string', enum: [...TASK_ROLES], description: 'explorer (read-only) or engineer (edits)' },
        files: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          maxItems: 20,
          description: 'Project files to look at first',
        },
        depends_on: {
          type: 'array',
          items: { type: 'string', minLength: 1 },
          maxItems: 20,
          description: 'Task ids that must finish before this one starts',
        },
        budget_usd: { type: 'number', exclusiveMinimum: 0, description: 'Spending limit for this task in USD' },
      },
      required: ['goal', 'role'],
      additionalProperties: false,
    },
    readOnly: false,
    describe: (args) => `${args.role}: ${args.goal.split('\n')[0]?.slice(0, 100) ?? ''}`,
    async run(args) {
      try {
        const report = await host.spawn({
          goal: args.goal,
          role: args.role,
          files: args.files ?? [],
          dependsOn: args.depends_on ?? [],
          ...(args.budget_usd !== undefined ? { budgetUsd: args.budget_usd } : {}),
        });
        return {
          content: `Started task ${report.id} (${report.role}), ${report.state}. Use wait_tasks {"ids": ["${report.id}"]} for its result.`,
          isError: false,
          summary: `task ${report.id} ${report.state}`,
        };
      } catch (err) {
        return failure(err);
      }
    },
  });

  const wait = defineTool<WaitArgs>({
    name: 'wait_tasks',
    description:
      'Wait for delegated tasks to finish and read their results (no ids: every unfinished task of this session). ' +
      'Returns when all have finished or after timeout_seconds, with each task’s state.',
    parameters: {
      type: 'object',
      properties: {
        ids: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 50 },
        timeout_seconds: {
          type: 'integer',
          minimum: 1,
          maximum: MAX_WAIT_SECONDS,
          description: 'Longest wait (default 600)',
        },
      },
      additionalProperties: false,
    },
    readOnly: true,
    describe: (args) => (args.ids === undefined || args.ids.length === 0 ? 'all tasks' : args.ids.join(', ')),
    async run(args, env) {
      try {
        const reports = await host.wait(args.ids ?? [], (args.timeout_seconds ?? 600) * 1000, env.signal);
        if (reports.length === 0) return { content: 'No tasks to wait for.', isError: false, summary: 'no tasks' };
        const finished = reports.filter((r) => TERMINAL.has(r.state)).length;
        return {
          content: reports.map(formatTaskReport).join('\n\n'),
          isError: false,
          summary: `${finished} of ${reports.length} finished`,
        };
      } catch (err) {
        return failure(err);
      }
    },
  });

  const cancel = defineTool<{ id: string }>({
    name: 'cancel_task',
    description: 'Stop a delegated task (queued or running) and discard its staged changes.',
    parameters: {
      type: 'object',
      properties: { id: { type: 'string', minLength: 1 } },
      required: ['id'],
      additionalProperties: false,
    },
    readOnly: false,
    describe: (args) => args.id,
    async run(args) {
      try {
        const report = await host.cancel(args.id);
        return { content: formatTaskReport(report), isError: false, summary: `task ${report.id} ${report.state}` };
      } catch (err) {
        return failure(err);
      }
    },
  });

  return [spawn, wait, cancel];
}
