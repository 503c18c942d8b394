import { errorMessage, isSylkError, type Logger, type Redactor } from '@sylk/core';
import type { Message, ToolCall } from '@sylk/llm';
import { toolError, type AgentTool, type ToolEnv, type ToolOutcome } from './tools/tool.js';
import type { PermissionFn, PermissionOutcome, ToolPermissionRequest } from './types.js';
import type { ArgumentValidator } from './validate.js';

/** Longest tool result the model gets; tools shorten their own output well below this. */
const MAX_RESULT_CHARS = 60_000;

export interface Dispatcher {
  tools: ReadonlyMap<string, AgentTool>;
  validator: ArgumentValidator;
  permissions: PermissionFn;
  logger: Logger;
  /** Everything of ToolEnv that does not depend on the call. */
  env: Omit<ToolEnv, 'callId' | 'askPermission'>;
  /** Known-secret redaction of what a call reports (see TurnContext.redact). */
  redact?: Redactor;
}

/**
 * Runs one assistant message's tool calls and returns their results in call order. Ordering
 * rule: consecutive read-only calls (read_file, list_files, search) run concurrently; a call
 * that writes or executes waits for everything before it and runs alone, so the model's order
 * of side effects is kept. After a cancel, calls not yet started get a "cancelled" result so
 * every call in history still has its answer.
 */
export async function executeToolCalls(calls: readonly ToolCall[], d: Dispatcher): Promise<Message[]> {
  const results: Message[] = [];
  let batch: ToolCall[] = [];
  const flush = async () => {
    results.push(...(await Promise.all(batch.map((c) => runCall(c, d)))));
    batch = [];
  };
  for (const call of calls) {
    if (d.tools.get(call.name)?.readOnly !== false) {
      batch.push(call);
      continue;
    }
    await flush();
    results.push(await runCall(call, d));
  }
  await flush();
  return results;
}

async function runCall(call: ToolCall, d: Dispatcher): Promise<Message> {
  const { emit, clock, signal } = d.env;
  const tool = d.tools.get(call.name);
  const started = clock.monotonic();
  // The call runs with its arguments as the model sent them; what is reported of it is redacted.
  const r = d.redact;
  const args = r === undefined ? call.arguments : r.redactDeep(call.arguments);
  emit({ type: 'tool_started', callId: call.id, name: call.name, args, summary: redacted(r, describe(tool, call)) });
  // Time spent waiting for an approval is the user's, not the tool's: durationMs leaves it out.
  const waited = { ms: 0 };
  const outcome = await outcomeOf(call, tool, d, waited);
  // The one place a tool result is formed: the model, history and events all get this text.
  const full = redacted(r, outcome.content);
  const content =
    full.length > MAX_RESULT_CHARS
      ? `${full.slice(0, MAX_RESULT_CHARS)}\n[result cut at ${MAX_RESULT_CHARS} characters]`
      : full;
  emit({
    type: 'tool_finished',
    callId: call.id,
    name: call.name,
    ok: outcome.ok ?? !outcome.isError,
    durationMs: Math.max(0, Math.round(clock.monotonic() - started - waited.ms)),
    ...(waited.ms >= 1 ? { approvalWaitMs: Math.round(waited.ms) } : {}),
    summary: redacted(r, outcome.summary),
    isError: outcome.isError,
    ...(outcome.outputHandle !== undefined ? { outputHandle: outcome.outputHandle } : {}),
    // A file change's unified diff is for the user (transcript, `sylk logs --json`), not the model.
    ...(outcome.fileChange !== undefined
      ? { diff: redacted(r, outcome.fileChange.diff), diffStat: outcome.fileChange.stat }
      : {}),
    ...(outcome.failures !== undefined && outcome.failures.length > 0
      ? { failures: outcome.failures.map((f) => redacted(r, f)) }
      : {}),
    ...(outcome.exit !== undefined ? { exit: outcome.exit } : {}),
  });
  if (signal.aborted) d.logger.debug({ callId: call.id, tool: call.name }, 'tool call ended by cancel');
  return { role: 'tool', toolCallId: call.id, content, ...(outcome.isError ? { isError: true } : {}) };
}

// A tool's describe() may return a non-string for arguments that fail validation: pass it through.
const redacted = (r: Redactor | undefined, text: string): string =>
  r === undefined || typeof text !== 'string' ? text : r.redact(text);

function describe(tool: AgentTool | undefined, call: ToolCall): string {
  try {
    return tool?.describe(call.arguments) ?? call.name;
  } catch {
    return call.name; // invalid arguments: described by the validation error instead
  }
}

async function outcomeOf(
  call: ToolCall,
  tool: AgentTool | undefined,
  d: Dispatcher,
  waited: { ms: number },
): Promise<ToolOutcome> {
  if (d.env.signal.aborted) return toolError('Cancelled by the user before it ran.', 'cancelled before it ran');
  if (tool === undefined) {
    return toolError(`Unknown tool "${call.name}". Available tools: ${[...d.tools.keys()].join(', ')}.`);
  }
  if (call.argumentsText !== undefined) {
    const text = call.argumentsText.length > 500 ? `${call.argumentsText.slice(0, 500)}…` : call.argumentsText;
    return toolError(
      `Invalid arguments for ${call.name}: not a JSON object: ${text}. Send the arguments as a JSON object matching the tool's schema.`,
      'invalid arguments',
    );
  }
  const validation = d.validator.validate(tool, call.arguments);
  if (!validation.ok) return toolError(validation.message, 'invalid arguments');
  const notes: string[] = [];
  const askPermission: ToolEnv['askPermission'] = async (req) => {
    const asked = d.env.clock.monotonic();
    const outcome = await ask(d, call, req).finally(() => {
      waited.ms += d.env.clock.monotonic() - asked;
    });
    if (outcome.allowed && outcome.note) notes.push(outcome.note);
    return outcome;
  };
  try {
    const outcome = await tool.run(call.arguments, { ...d.env, callId: call.id, askPermission });
    return notes.length === 0 ? outcome : { ...outcome, content: `${outcome.content}\n\n${notes.join('\n')}` };
  } catch (err) {
    if (d.env.signal.aborted) return toolError(`Cancelled by the user: ${errorMessage(err)}`, 'cancelled');
    if (!isSylkError(err)) d.logger.warn({ err, tool: call.name, callId: call.id }, 'tool failed unexpectedly');
    const hint = isSylkError(err) && err.hint !== undefined ? ` (${err.hint})` : '';
    return toolError(`${call.name} failed: ${errorMessage(err)}${hint}`);
  }
}

/** The injected permission function, raced against the turn's cancel. */
function ask(
  d: Dispatcher,
  call: ToolCall,
  req: Omit<ToolPermissionRequest, 'sessionId' | 'agentId' | 'callId' | 'tool'>,
): Promise<PermissionOutcome> {
  const { signal } = d.env;
  const full: ToolPermissionRequest = {
    ...req,
    sessionId: d.env.sessionId,
    agentId: d.env.agentId,
    callId: call.id,
    tool: call.name,
  };
  const cancelled: PermissionOutcome = { allowed: false, message: 'the turn was cancelled while waiting for approval' };
  if (signal.aborted) return Promise.resolve(cancelled);
  return new Promise<PermissionOutcome>((resolve, reject) => {
    const onAbort = () => resolve(cancelled);
    signal.addEventListener('abort', onAbort, { once: true });
    d.permissions(full)
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
