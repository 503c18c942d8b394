import type { Clock, Logger } from '@sylk/core';
import { roleTools, runTurn, type AgentEvent, type AgentGate, type TaskRole } from '@sylk/agents';
import { Priority } from '@sylk/llm/gate';
import type { ProviderName } from '@sylk/llm';
import type { PermissionManager } from '@sylk/security';
import { FileSystemManager, type FsAuditEntry, type ToolExecutor } from '@sylk/tools';
import { agentSettings } from '../sessions/agent-settings.js';
import { decidePermission, type ApprovalBridge } from '../sessions/permissions.js';
import type { RuntimeDeps } from '../sessions/runtime.js';
import type { PipelineRecord } from './records.js';
import type { AgentRunHooks, AgentRunOutcome } from './session-pipelines.js';

export interface PipelineAgentDeps extends Pick<
  RuntimeDeps,
  'config' | 'instructionDirs' | 'modelInfo' | 'estimateTokens' | 'costOf' | 'secrets' | 'ready' | 'tracer'
> {
  sessionId: string;
  projectRoot: string;
  tempDir: string;
  /** The session's provider and model now (a task runs with the session's). */
  model: () => { provider: ProviderName; model: string };
  gate: AgentGate;
  /** A task's own executor: pipeline-priority subprocess slots, no background processes; closed at its end. */
  executorFor: (task: PipelineRecord) => ToolExecutor;
  /** The permissions of a role: an explorer's are read-only, an engineer's the session's own. */
  permissions: (role: TaskRole) => PermissionManager;
  /** The session's approvals: a task's asks show as the session's, marked with the task. */
  bridge: () => ApprovalBridge;
  fileAudit?: (entry: FsAuditEntry) => void;
  clock: Clock;
  logger: Logger;
}

const BRIEFS: Record<TaskRole, string> = {
  explorer:
    'You are a helper agent working on one task delegated by another agent, who does not see this conversation. ' +
    'Your role is explorer: you can read files, search and run read-only commands; you cannot change anything. ' +
    'End with a concise report of what you found: it is your whole answer.',
  engineer:
    'You are a helper agent working on one task delegated by another agent, who does not see this conversation. ' +
    'Your role is engineer: you may edit files. Your edits are staged and merged into the project when you finish; ' +
    'commands you run see the project without your staged edits until then. Change only what the task needs. ' +
    'End with a concise report of what you changed and why: it is your whole answer.',
};

/** The first message of a task's agent: its goal and the files to start from. */
function taskPrompt(task: PipelineRecord): string {
  const files = task.files.length > 0 ? `\n\nFiles to look at first: ${task.files.join(', ')}` : '';
  return `Task ${task.id}:\n${task.goal}${files}`;
}

/** Runs one delegated task's agent: a fresh conversation, its role's tools and permissions, pipeline priority. */
export function pipelineAgent(deps: PipelineAgentDeps) {
  return async (task: PipelineRecord, hooks: AgentRunHooks): Promise<AgentRunOutcome> => {
    const { provider, model } = deps.model();
    await deps.ready(provider);
    const permissions = deps.permissions(task.role);
    const bridge = deps.bridge();
    const tagged: ApprovalBridge = {
      ...bridge,
      ask: (request, signal) => bridge.ask({ ...request, summary: `task ${task.id}: ${request.summary}` }, signal),
    };
    const history = hooks.history;
    const logger = deps.logger.child({ task: task.key });
    const executor = deps.executorFor(task);
    // Traced: this run is a turn under the spawn_task call that started the task, in its trace.
    const trace = deps.tracer?.taskTurn(
      { sessionId: deps.sessionId, taskId: task.id, role: task.role, resumed: hooks.resumed, provider, model },
      hooks.traceParent,
    );
    const gate = trace?.traced(deps.gate) ?? deps.gate;
    const emit = (event: AgentEvent) => {
      trace?.event(event);
      hooks.emit(event);
    };
    const result = await runTurn(
      {
        sessionId: deps.sessionId,
        agentId: task.id,
        agentType: `task:${task.role}`,
        pipelineId: task.key,
        priority: Priority.Execution,
        projectRoot: deps.projectRoot,
        provider,
        model,
        history,
        gate,
        executor,
        fs: new FileSystemManager({
          roots: { project: deps.projectRoot, temp: deps.tempDir },
          clock: deps.clock,
          logger,
          ...(hooks.staging !== undefined ? { staging: hooks.staging } : {}),
          ...(deps.fileAudit !== undefined ? { audit: deps.fileAudit } : {}),
        }),
        permissions: (req) => decidePermission(permissions, tagged, req, hooks.signal),
        tools: roleTools(task.role),
        systemPromptExtra: BRIEFS[task.role],
        emit,
        ...agentSettings({ ...deps, logger }, provider, model),
      },
      hooks.resumed ? 'You were paused; carry on with the task from where you stopped.' : taskPrompt(task),
      hooks.signal,
    )
      .catch((err: unknown) => {
        trace?.end('error');
        throw err;
      })
      .finally(() => executor.close());
    trace?.end(result.stopReason === 'error' ? 'error' : result.stopReason === 'cancelled' ? 'cancelled' : 'ok');
    const last = [...history].reverse().find((m) => m.role === 'assistant');
    return {
      stopReason: result.stopReason,
      text: last?.content ?? '',
      ...(result.error !== undefined ? { error: result.error } : {}),
    };
  };
}
