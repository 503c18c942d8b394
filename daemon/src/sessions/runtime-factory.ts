import { join } from 'node:path';
import { filterEnv } from '@sylk/core';
import type { AgentTool } from '@sylk/agents';
import type { SessionRecord } from '@sylk/sessions';
import {
  BoundedSlotPool,
  FileSystemManager,
  SnapshotStore,
  type CommandWrapper,
  type ProcessRegistry,
  type RunFile,
  type SlotPool,
} from '@sylk/tools';
import type { ToolsConfig } from '@sylk/config';
import type { LaunchContext } from '@sylk/mcp';
import type { McpTurn } from './mcp.js';
import { projectGit } from './undo-commits.js';
import { fileAuditFor, newExecutor, processLogFor } from './audit-hooks.js';
import { keptProcesses, sessionProcesses } from './background-processes.js';
import { endedProcessIn } from './process-history.js';
import type { ProcessRecordStore } from './recovery-records.js';
import { SessionRuntime, type RuntimeDeps } from './runtime.js';
import { sessionPipelines, type PipelineHost } from '../pipelines/for-session.js';
import type { ToolRecorder } from '../metrics/tool-metrics.js';

/** Without the daemon's pools (tests of a lone runtime): one plain pool for every runtime. */
const sharedSlots = new BoundedSlotPool();

export interface RuntimeFactoryInput extends Omit<RuntimeDeps, 'executor' | 'fs'> {
  tempDir: string;
  tools: ToolsConfig;
  baseEnv: Readonly<Record<string, string | undefined>>;
  /** The session's OS sandbox (every command's wrapper); absent: commands run plain. */
  sandbox?: (session: SandboxHooks) => CommandWrapper;
  /** The session's network proxy socket (host path), bound into the sandbox when set. */
  proxySocketPath?: () => string | undefined;
  /** Where every process group the session starts is recorded (killed after a crash). */
  processes?: ProcessRecordStore;
  /** Where the snapshot stores live (`<data>/snapshots`); absent: turns are not recorded. */
  snapshotRoot?: string;
  /** How the snapshot store's and undo's git commands run (the daemon's spawn broker); default in this process. */
  runFile?: RunFile;
  /** The session's MCP tools, given how its servers start: its sandbox and tool environment (see mcp.ts). */
  mcp?: (launch: LaunchContext) => (turn: McpTurn) => Promise<AgentTool[]>;
  /** The daemon's pipeline scheduler and staging root; absent: the session's agent cannot delegate tasks. */
  pipelineHost?: PipelineHost;
  /** The daemon's tool metrics (spawns, exits, durations, kills). */
  toolMetrics?: ToolRecorder;
}

/** What a session hands its sandbox: where commands may write, its proxy, and how to tell the user. */
interface SandboxHooks {
  writableRoots: string[];
  network: () => { proxySocketPath?: string };
  /** Called once, the first time a command runs unsandboxed. */
  onUnsandboxed: (info: { reason: string; fix: string }) => void;
}

/** A session's runtime with its own executor (roots: project, session temp, configured extras). */
export function createRuntime(record: SessionRecord, input: RuntimeFactoryInput): SessionRuntime {
  const {
    tempDir,
    tools,
    baseEnv,
    sandbox,
    proxySocketPath,
    processes,
    snapshotRoot,
    runFile,
    mcp,
    pipelineHost,
    ...deps
  } = input;
  const roots = [record.projectRoot, tempDir, ...tools.extra_roots];
  // The notice goes to the runtime built below (the sandbox only calls it once a command runs).
  const built: { runtime?: SessionRuntime } = {};
  const wrapper = sandbox?.({
    writableRoots: roots,
    network: () => {
      const socket = proxySocketPath?.();
      return socket === undefined ? {} : { proxySocketPath: socket };
    },
    // One notice per session, with the reason and the fix.
    onUnsandboxed: ({ reason, fix }) => {
      built.runtime?.log.post(
        'notice',
        { message: `Commands run WITHOUT the OS sandbox: ${reason}. Fix: ${fix}`, code: 'sandbox.unsandboxed' },
        (err) => deps.logger.error({ err }, 'event append failed'),
      );
    },
  });
  // Kept in the session's directory: `sylk ps` and the next turn's notes do not need it loaded.
  const { history, notes: processNotes } = keptProcesses({
    sessionId: record.id,
    sessionDir: deps.sessionDir,
    spoolDir: join(tempDir, 'spool'),
    logger: deps.logger,
    ...(deps.secrets !== undefined ? { redact: (text: string) => deps.secrets?.redact(text) ?? text } : {}),
  });
  const recorders = { audit: deps.audit, metrics: input.toolMetrics };
  const audited = processLogFor(recorders);
  const processLog = processes === undefined ? audited : processes.processLog(record.id, audited);
  // The session's commands and its delegated tasks' take the same options but their own registry (and slots).
  const sessionSlots = pipelineHost?.subprocesses?.slotPool({ sessionId: record.id }, { user: true });
  const executorFor = (registry: ProcessRegistry, slots: SlotPool = sessionSlots ?? sharedSlots) =>
    newExecutor(recorders, {
      roots,
      ...(processLog !== undefined ? { processLog } : {}),
      ...(wrapper !== undefined ? { wrapper } : {}),
      baseEnv,
      spoolDir: join(tempDir, 'spool'),
      ...(deps.secrets !== undefined ? { output: { redact: deps.secrets } } : {}),
      envBlocklist: tools.env_blocklist,
      shellMetacharacters: tools.shell_metacharacters,
      slots,
      registry,
      clock: deps.clock,
      logger: deps.logger,
      timeouts: {
        baseMs: tools.timeout.base_seconds * 1000,
        extendMs: tools.timeout.extend_seconds * 1000,
        ceilingMs: tools.timeout.ceiling_seconds * 1000,
      },
    });
  const executor = executorFor(
    sessionProcesses({
      maxPerSession: tools.background.max_per_session,
      history,
      post: (data) => {
        processNotes.add(data.message);
        built.runtime?.log.post('process_exited', data, (err) => deps.logger.error({ err }, 'event append failed'));
      },
      logger: deps.logger,
    }),
  );
  const fs = new FileSystemManager({
    roots: { project: record.projectRoot, temp: tempDir },
    clock: deps.clock,
    logger: deps.logger,
    ...(deps.audit ? { audit: fileAuditFor(deps.audit) } : {}),
  });
  const snapshots =
    snapshotRoot === undefined
      ? undefined
      : new SnapshotStore({
          storeRoot: snapshotRoot,
          projectRoot: record.projectRoot,
          env: baseEnv,
          ...(runFile !== undefined ? { runFile } : {}),
        });
  // MCP servers start like commands: in the session's sandbox, with its environment minus the secret blocklist.
  const extraTools = mcp?.({
    owner: record.id,
    env: filterEnv(baseEnv, tools.env_blocklist),
    ...(wrapper !== undefined ? { wrapper } : {}),
  });
  const pipelines =
    pipelineHost === undefined
      ? undefined
      : sessionPipelines({
          record,
          host: pipelineHost,
          deps,
          tempDir,
          executorFor,
          ...(deps.audit ? { fileAudit: fileAuditFor(deps.audit) } : {}),
          runtime: () => built.runtime,
          note: (text) => processNotes.add(text),
        });
  built.runtime = new SessionRuntime(record, {
    ...deps,
    ...(pipelines !== undefined ? { pipelines } : {}),
    ...(extraTools !== undefined ? { extraTools } : {}),
    executor,
    fs,
    processNotes,
    endedProcess: (id) => endedProcessIn(history, id),
    spoolDir: join(tempDir, 'spool'),
    ...(snapshots !== undefined ? { snapshots, projectGit: projectGit(record.projectRoot, baseEnv, runFile) } : {}),
  });
  return built.runtime;
}
