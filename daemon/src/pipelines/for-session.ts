import type { TaskRole } from '@sylk/agents';
import { Priority } from '@sylk/llm/gate';
import type { ProviderName } from '@sylk/llm';
import type { SessionRecord } from '@sylk/sessions';
import type { PermissionManager } from '@sylk/security';
import { ProcessRegistry, type FsAuditEntry, type SlotPool, type ToolExecutor } from '@sylk/tools';
import type { ResourcePool } from '@sylk/resources';
import type { PipelineRecord } from './records.js';
import type { RuntimeDeps, SessionRuntime } from '../sessions/runtime.js';
import { pipelineAgent } from './pipeline-agent.js';
import type { PipelineScheduling } from './scheduling.js';
import { SessionPipelines } from './session-pipelines.js';

/** What sylkd gives every session for its delegated tasks. */
export interface PipelineHost {
  scheduler: PipelineScheduling;
  /** The daemon's subprocess pool: a task's commands take preemptible, pipeline-priority slots. */
  subprocesses?: ResourcePool;
  /** A task's resource bundle (see DaemonResources.taskBundle). */
  bundle?: (owner: { sessionId: string; pipelineId: string }, signal: AbortSignal) => Promise<{ release(): void }>;
  /** `<data>/staging`. */
  stagingRoot: string;
  /** A project's permissions for the read-only role (an explorer task's). */
  observerPermissions: (projectRoot: string) => PermissionManager;
}

/**
 * A session's delegated tasks, wired to its runtime: the session's gate, approvals and log, an
 * executor of their own (`executorFor`: pipeline-priority subprocess slots, no background processes).
 */
export function sessionPipelines(input: {
  record: SessionRecord;
  host: PipelineHost;
  deps: Omit<RuntimeDeps, 'executor' | 'fs'>;
  tempDir: string;
  executorFor: (registry: ProcessRegistry, slots?: SlotPool) => ToolExecutor;
  fileAudit?: (entry: FsAuditEntry) => void;
  runtime: () => SessionRuntime | undefined;
  note: (text: string) => void;
}): SessionPipelines {
  const { record, host, deps } = input;
  // Each task its own executor: a user's command that borrows the task's slot stops just that task's command.
  const executorFor = (task: PipelineRecord): ToolExecutor => {
    const built: { executor?: ToolExecutor } = {};
    const slots = host.subprocesses?.slotPool(
      { sessionId: record.id, pipelineId: task.key },
      {
        user: false,
        priority: Priority.Execution,
        background: false,
        onPreempt: () => void built.executor?.suspendRunning(),
        onResume: () => void built.executor?.resumeRunning(),
      },
    );
    built.executor = input.executorFor(new ProcessRegistry({ maxPerSession: 0 }), slots);
    return built.executor;
  };
  let observer: PermissionManager | undefined;
  const permissions = (role: TaskRole): PermissionManager =>
    role === 'engineer' ? deps.permissions : (observer ??= host.observerPermissions(record.projectRoot));
  const logger = deps.logger.child({ component: 'pipelines' });
  return new SessionPipelines({
    sessionId: record.id,
    projectRoot: record.projectRoot,
    sessionDir: deps.sessionDir,
    stagingRoot: host.stagingRoot,
    scheduler: host.scheduler,
    ...(host.bundle !== undefined ? { bundle: host.bundle } : {}),
    runAgent: pipelineAgent({
      ...deps,
      sessionId: record.id,
      projectRoot: record.projectRoot,
      tempDir: input.tempDir,
      model: () => ({ provider: record.provider as ProviderName, model: record.model }),
      executorFor,
      permissions,
      bridge: () => {
        const rt = input.runtime();
        if (rt === undefined) throw new Error('the session runtime is not built yet');
        return rt.approvals.bridge;
      },
      ...(input.fileAudit !== undefined ? { fileAudit: input.fileAudit } : {}),
      logger,
    }),
    post: (kind, data) => input.runtime()?.log.post(kind, data, (err) => logger.error({ err }, 'event append failed')),
    note: input.note,
    ...(deps.secrets !== undefined ? { redact: (value: unknown) => deps.secrets?.redactDeep(value) } : {}),
    ...(deps.tracer !== undefined ? { traceParent: () => deps.tracer?.spawnParent(record.id) } : {}),
    settings: () => {
      const c = deps.config().pipelines;
      return {
        maxPerSession: c.max_per_session,
        budgetUsd: c.budget_usd,
        queueTimeoutSeconds: c.queue_timeout_seconds,
        priority: Priority.Execution,
      };
    },
    clock: deps.clock,
    logger,
  });
}
