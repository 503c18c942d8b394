// Test-only (excluded from the build): a real agent stack on a temp project. Real LLMGate over a
// temp system.db, the real Anthropic adapter against the in-process emulator, a real
// ToolExecutor and FileSystemManager.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock, silentLogger } from '@sylk/core';
import { startEmulator, type Emulator, type RecordedRequest } from '@sylk/emulator';
import {
  LLMGate,
  createAdapter,
  createCatalog,
  estimateTokens,
  type BudgetConfig,
  type Message,
  type StreamLimits,
} from '@sylk/llm';
import { FileSystemManager, ToolExecutor, type ToolExecutorOptions } from '@sylk/tools';
import { tempSystemDb } from '../../../llm/src/gate/testing/system-db.js';
import { runTurn } from '../loop.js';
import type { AgentEvent, PermissionFn, ToolPermissionRequest, TurnContext, TurnResult } from '../types.js';

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'test-fixtures');
export const MODEL = 'claude-sonnet-4-5-20250901';
/** 2025-01-15T12:00:00Z: the date the system prompt shows. */
const NOW = Date.UTC(2025, 0, 15, 12);

export interface HarnessOptions {
  /** File name under packages/agents/test-fixtures. */
  scenario: string;
  /** Project files: relative path → content. */
  files?: Record<string, string>;
  permissions?: PermissionFn;
  maxTurns?: number;
  budgets?: BudgetConfig;
  streamLimits?: Partial<StreamLimits>;
  executor?: Partial<ToolExecutorOptions>;
}

export interface Harness {
  project: string;
  ctx: TurnContext;
  events: AgentEvent[];
  permissionRequests: ToolPermissionRequest[];
  emulator: Emulator;
  run(input: string, signal?: AbortSignal): Promise<TurnResult>;
  /** Model requests the emulator received (health calls excluded). */
  requests(): RecordedRequest[];
  /** Tool results the model was sent in request `turn` (Anthropic tool_result blocks). */
  toolResultsSent(turn: number): Array<{ tool_use_id: string; content: string; is_error?: boolean }>;
  close(): Promise<void>;
}

export async function agentHarness(options: HarnessOptions): Promise<Harness> {
  const project = mkdtempSync(join(tmpdir(), 'sylk-agents-project-'));
  const sessionTemp = mkdtempSync(join(tmpdir(), 'sylk-agents-session-'));
  for (const [path, content] of Object.entries(options.files ?? {})) {
    mkdirSync(dirname(join(project, path)), { recursive: true });
    writeFileSync(join(project, path), content);
  }
  const emulator = await startEmulator({ scenarioPath: join(FIXTURES, options.scenario) });
  const adapter = createAdapter({ provider: 'anthropic', baseUrl: emulator.url, apiKey: 'test' });
  const systemDb = tempSystemDb();
  const catalog = createCatalog();
  const gate = new LLMGate({
    adapters: async () => adapter,
    pricing: (model) => catalog.get(model),
    estimateTokens: (request) => estimateTokens(request),
    db: systemDb.db,
    logger: silentLogger(),
    ...(options.budgets !== undefined ? { budgets: options.budgets } : {}),
    ...(options.streamLimits !== undefined ? { streamLimits: options.streamLimits } : {}),
  });
  const clock = new ManualClock(NOW);
  const events: AgentEvent[] = [];
  const permissionRequests: ToolPermissionRequest[] = [];
  const history: Message[] = [];
  const ctx: TurnContext = {
    sessionId: 'sess-test',
    agentId: 'agent-test',
    projectRoot: project,
    provider: 'anthropic',
    model: MODEL,
    history,
    gate,
    executor: new ToolExecutor({
      roots: [project, sessionTemp],
      baseEnv: process.env,
      spoolDir: sessionTemp,
      logger: silentLogger(),
      ...options.executor,
    }),
    fs: new FileSystemManager({ roots: { project, temp: sessionTemp }, clock, logger: silentLogger() }),
    permissions: async (request) => {
      permissionRequests.push(request);
      return options.permissions === undefined ? { allowed: true } : options.permissions(request);
    },
    emit: (event) => events.push(event),
    clock,
    logger: silentLogger(),
    platform: 'linux',
    costOf: (model, usage) => catalog.costUsd('anthropic', model, usage),
    ...(options.maxTurns !== undefined ? { maxTurns: options.maxTurns } : {}),
  };
  const requests = () => emulator.requests().filter((r) => r.turn !== undefined);
  return {
    project,
    ctx,
    events,
    permissionRequests,
    emulator,
    run: (input, signal = new AbortController().signal) => runTurn(ctx, input, signal),
    requests,
    toolResultsSent(turn) {
      const body = requests().find((r) => r.turn === turn)?.body as
        { messages: Array<{ role: string; content: unknown }> } | undefined;
      const last = body?.messages[body.messages.length - 1];
      return Array.isArray(last?.content)
        ? (last.content as Array<{ type: string; tool_use_id: string; content: string; is_error?: boolean }>).filter(
            (b) => b.type === 'tool_result',
          )
        : [];
    },
    async close() {
      await gate.close();
      await adapter.close();
      await emulator.close();
      systemDb.cleanup();
      rmSync(project, { recursive: true, force: true });
      rmSync(sessionTemp, { recursive: true, force: true });
    },
  };
}

/** Events of one type, typed. */
export function eventsOf<T extends AgentEvent['type']>(
  events: AgentEvent[],
  type: T,
): Array<Extract<AgentEvent, { type: T }>> {
  return events.filter((e): e is Extract<AgentEvent, { type: T }> => e.type === type);
}
