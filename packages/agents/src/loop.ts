import { ErrorTier, SylkError } from '@sylk/core';
import type { GateRequest, LLMResponse, Usage } from '@sylk/llm';
import { Priority } from '@sylk/llm/gate';
import { ParserRegistry } from '@sylk/tools';
import { executeToolCalls, type Dispatcher } from './dispatch.js';
import { AgentErrorCode, asTurnError, errorEvent, incompleteResponse, isBudgetError } from './errors.js';
import { buildSystemPrompt } from './prompt.js';
import { loadInstructions } from './instructions.js';
import { streamRound } from './stream.js';
import { TurnWindow } from './compaction.js';
import { OutputLimitGuard } from './output-limit.js';
import { causeOfError, causeOfPartial, causeOfStop, closeOpenTurn, keepEndedEarly } from './ended-early.js';
import { defaultTools, toolDefinitions } from './tools/index.js';
import type { TurnContext, TurnResult, TurnStopReason } from './types.js';
import { ArgumentValidator } from './validate.js';

const DEFAULT_MAX_TURNS = 50;

/** @internal exported for tests */
export { INTERRUPTED_MARKER } from './ended-early.js';

const defaultParsers = new ParserRegistry();

/**
 * One user turn: build the request (system prompt with AGENTS.md, history, tools) → gate at
 * user-interactive priority → stream → run the tool calls → feed the results back → repeat until
 * the model ends its turn, `maxTurns` round-trips, a cancel (`signal`) or a budget stop.
 * Never rejects for model or tool failures: they end the turn with stopReason `error`/`budget`
 * (and an `error` event) or go back to the model as tool errors.
 */
export async function runTurn(ctx: TurnContext, input: string, signal: AbortSignal): Promise<TurnResult> {
  const tools = ctx.tools ?? defaultTools();
  const maxTurns = ctx.maxTurns ?? DEFAULT_MAX_TURNS;
  if (!Number.isInteger(maxTurns) || maxTurns < 1) {
    throw new SylkError(`maxTurns must be a positive integer, got ${maxTurns}`, {
      code: AgentErrorCode.InvalidContext,
      tier: ErrorTier.Permanent,
    });
  }
  const startLength = ctx.history.length;
  const usage: Usage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  const finish = (stopReason: TurnStopReason, error?: SylkError): TurnResult => {
    if (stopReason === 'cancelled') ctx.emit({ type: 'turn_interrupted', reason: 'cancelled by the user' });
    if (stopReason !== 'end_turn') closeOpenTurn(ctx.history, causeOfStop(stopReason, error));
    if (error !== undefined) ctx.emit(errorEvent(error));
    if (stopReason === 'max_turns')
      ctx.emit({
        type: 'notice',
        message: `Stopped after ${maxTurns} model round-trips (the turn limit); send a message to continue.`,
      });
    ctx.logger.info(
      { sessionId: ctx.sessionId, agentId: ctx.agentId, stopReason, code: error?.code },
      'agent turn finished',
    );
    return {
      stopReason,
      usage,
      messagesAdded: ctx.history.length - startLength,
      ...(error !== undefined ? { error } : {}),
    };
  };

  closeOpenTurn(ctx.history); // a turn that died without a reply (a crash): roles alternate
  ctx.history.push({ role: 'user', content: input });
  const systemPrompt = buildSystemPrompt({
    projectRoot: ctx.projectRoot,
    platform: ctx.platform ?? process.platform,
    now: ctx.clock.now(),
    projectInstructions: (await loadInstructions(ctx.projectRoot, ctx.instructionDirs)).prompt,
    ...(ctx.systemPromptExtra !== undefined ? { extra: ctx.systemPromptExtra } : {}),
  });
  const definitions = toolDefinitions(tools);
  const turnWindow = new TurnWindow(ctx, systemPrompt, definitions, (r) => addUsage(ctx, usage, r));
  const outputLimit = new OutputLimitGuard(ctx);
  const dispatcher: Dispatcher = {
    tools: new Map(tools.map((t) => [t.name, t])),
    validator: new ArgumentValidator(tools),
    permissions: ctx.permissions,
    logger: ctx.logger,
    ...(ctx.redact !== undefined ? { redact: ctx.redact } : {}),
    env: {
      sessionId: ctx.sessionId,
      agentId: ctx.agentId,
      projectRoot: ctx.projectRoot,
      fs: ctx.fs,
      executor: ctx.executor,
      parsers: ctx.parsers ?? defaultParsers,
      clock: ctx.clock,
      signal,
      emit: ctx.emit,
      ...(ctx.endedProcess !== undefined ? { endedProcess: ctx.endedProcess } : {}),
    },
  };

  for (let round = 0; round < maxTurns; round++) {
    if (signal.aborted) return finish('cancelled');
    const fit = await turnWindow.fit(signal); // compacts the history when it nears the context window
    if (fit.kind !== 'ok') return fit.kind === 'cancelled' ? finish('cancelled') : finish('error', fit.error);
    const req: GateRequest = {
      provider: ctx.provider,
      priority: ctx.priority ?? Priority.UserInteractive,
      user: ctx.pipelineId === undefined,
      sessionId: ctx.sessionId,
      ...(ctx.pipelineId !== undefined ? { pipelineId: ctx.pipelineId } : {}),
      agentId: ctx.agentId,
      ...(ctx.agentType !== undefined ? { agentType: ctx.agentType } : {}),
      request: {
        model: ctx.model,
        systemPrompt,
        messages: [...ctx.history],
        tools: definitions,
        ...(fit.maxTokens !== undefined ? { maxTokens: fit.maxTokens } : {}),
        ...(ctx.thinking !== undefined ? { thinking: ctx.thinking } : {}),
      },
    };
    const outcome = await streamRound(ctx.gate, req, signal, ctx.emit, ctx.redact);
    if (outcome.kind === 'failed') {
      // The provider found the prompt too long (the estimate was low): compacted, the same round again.
      if (!signal.aborted && outcome.text === '' && (await turnWindow.recover(outcome.error, signal))) {
        round--;
        continue;
      }
      keepEndedEarly(
        ctx,
        outcome.text,
        signal.aborted ? causeOfPartial('cancelled') : causeOfError(outcome.error, ctx.streamLimits),
      );
      if (signal.aborted) return finish('cancelled');
      return finish(isBudgetError(outcome.error) ? 'budget' : 'error', asTurnError(outcome.error));
    }
    const { response, cut } = outputLimit.check(outcome.response); // calls cut at the output limit never run
    addUsage(ctx, usage, response);
    if (response.partial === true) {
      const cancelled = signal.aborted || response.partialReason === 'cancelled';
      keepEndedEarly(
        ctx,
        response.content,
        causeOfPartial(cancelled ? 'cancelled' : response.partialReason, ctx.streamLimits),
      );
      if (cancelled) return finish('cancelled');
      const reason = response.partialReason ?? 'unknown';
      return finish(reason === 'budget_exceeded' ? 'budget' : 'error', incompleteResponse(reason, ctx.provider));
    }
    // History and events keep the reply redacted; the calls run as the model sent them.
    const kept =
      ctx.redact === undefined
        ? { content: response.content, toolCalls: response.toolCalls }
        : ctx.redact.redactDeep({ content: response.content, toolCalls: response.toolCalls });
    ctx.history.push({
      role: 'assistant',
      content: kept.content,
      ...(kept.toolCalls.length > 0 ? { toolCalls: kept.toolCalls } : {}),
      // Signed thinking goes back as received (a changed block is refused), so it is not redacted here.
      ...(response.thinkingBlocks?.length ? { thinking: response.thinkingBlocks } : {}),
    });
    ctx.emit({ type: 'assistant_message', text: kept.content, toolCalls: kept.toolCalls });
    if (response.toolCalls.length === 0) {
      if (response.stopReason === 'max_tokens')
        ctx.emit({ type: 'notice', message: 'The reply was cut at the output token limit.' });
      return finish('end_turn');
    }
    ctx.history.push(
      ...(await outputLimit.answer(response.toolCalls, cut, (calls) => executeToolCalls(calls, dispatcher))),
    );
    if (signal.aborted) return finish('cancelled');
    const cutTooOften = outputLimit.stop();
    if (cutTooOften !== undefined) return finish('error', cutTooOften);
  }
  return finish('max_turns');
}

function addUsage(ctx: TurnContext, total: Usage, response: LLMResponse): void {
  const u = response.usage;
  total.inputTokens += u.inputTokens;
  total.outputTokens += u.outputTokens;
  total.cacheReadTokens += u.cacheReadTokens;
  total.cacheWriteTokens += u.cacheWriteTokens;
  const costUsd = ctx.costOf?.(response.model, u);
  ctx.emit({ type: 'usage', usage: u, ...(costUsd !== undefined ? { costUsd } : {}) });
}
