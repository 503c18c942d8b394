import type { Scenario, ScenarioFault, ScenarioStep } from './scenario.js';
import { toMatcher } from './scenario.js';
import { cutLastCall } from './cut-reply.js';
import type { DefaultFault, ErrorSpec, FormatName, LastMessage, ResolvedReply, WireFormat } from './formats/types.js';

const TOOL_ID_PREFIX: Record<FormatName, string> = {
  anthropic: 'toolu_emu_',
  'openai-responses': 'call_emu_',
  'openai-chat': 'call_emu_',
  gemini: 'fc_emu_',
};

export interface StepState {
  uses: number[];
}

function matches(step: ScenarioStep, turn: number, last: LastMessage | undefined): boolean {
  const m = step.match;
  if (!m) return true;
  if (m.turn !== undefined && m.turn !== turn) return false;
  if (m.lastUser !== undefined && !(last?.role === 'user' && toMatcher(m.lastUser)(last.text))) return false;
  if (m.lastTool !== undefined && !(last?.role === 'tool' && toMatcher(m.lastTool)(last.text))) return false;
  return true;
}

/** First step, in order, that matches and has uses left; counts the use. */
export function pickStep(
  scenario: Scenario,
  state: StepState,
  turn: number,
  last: LastMessage | undefined,
): number | null {
  for (let i = 0; i < scenario.steps.length; i++) {
    const step = scenario.steps[i] as ScenarioStep;
    const used = state.uses[i] ?? 0;
    if (step.times !== undefined && used >= step.times) continue;
    if (!matches(step, turn, last)) continue;
    state.uses[i] = used + 1;
    return i;
  }
  return null;
}

/** `{{last /regex/}}` as a whole argument value: what its first group captures in the last message. */
const LAST_CAPTURE = /^\{\{last (\/.+\/[a-z]*)\}\}$/;

/**
 * Tool-call arguments with captures from the last message (a tool result, or the user's text)
 * filled in, so a scenario can use what a tool answered (a process id) in its next call.
 */
function fillArguments(args: Record<string, unknown>, last: LastMessage | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(args)) {
    const capture = typeof value === 'string' ? LAST_CAPTURE.exec(value)?.[1] : undefined;
    if (capture === undefined || last === undefined) {
      out[key] = value;
      continue;
    }
    const source = /^\/(.+)\/([a-z]*)$/.exec(capture);
    out[key] = new RegExp(source?.[1] ?? '', source?.[2] ?? '').exec(last.text)?.[1] ?? value;
  }
  return out;
}

export function resolveReply(
  scenario: Scenario,
  step: ScenarioStep,
  format: FormatName,
  turn: number,
  last?: LastMessage,
): ResolvedReply {
  const r = step.reply ?? {};
  const d = scenario.defaults ?? {};
  const usage = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, ...d.usage, ...r.usage };
  const toolCalls = cutLastCall(
    (r.toolCalls ?? []).map((c, i) => ({
      id: c.id ?? `${TOOL_ID_PREFIX[format]}${turn}_${i}`,
      name: c.name,
      arguments: fillArguments(c.arguments ?? {}, last),
    })),
    r.cutToolArguments,
  );
  // A stream fault with no scripted reply still needs something to send before failing.
  const text = r.text ?? (step.fault && !step.reply ? 'partial answer before the fault' : '');
  return {
    text,
    thinking: r.thinking ?? '',
    redactedThinking: r.redactedThinking ?? '',
    toolCalls,
    usage,
    chunkSize: r.chunkSize ?? d.chunkSize ?? 12,
    stopReason:
      r.stopReason ??
      (r.cutToolArguments !== undefined ? 'max_tokens' : toolCalls.length > 0 ? 'tool_use' : 'end_turn'),
    repeatToolCalls: r.repeatToolCalls ?? false,
    ...(step.fault?.kind === 'blocked' ? { blocked: step.fault.reason ?? 'SAFETY' } : {}),
  };
}

const HTTP_FAULTS: Record<string, DefaultFault> = {
  rate_limit: 'rate_limit',
  overloaded: 'overloaded',
  server_error: 'server_error',
  unauthorized: 'unauthorized',
  quota: 'quota',
};

/** The HTTP error a fault answers with, or undefined when the fault is not an HTTP error. */
export function httpErrorSpec(format: WireFormat, fault: ScenarioFault): ErrorSpec | undefined {
  const base =
    fault.kind === 'http'
      ? { status: fault.status ?? 500, errorType: 'api_error', message: 'Emulated error' }
      : undefined;
  const named = HTTP_FAULTS[fault.kind];
  const spec = base ?? (named ? format.faults[named] : undefined);
  if (!spec) return undefined;
  return withOverrides(spec, fault);
}

/** The error a `stream_error` fault sends inside the stream (default: the format's overload error). */
export function streamErrorSpec(format: WireFormat, fault: ScenarioFault): ErrorSpec {
  return withOverrides(format.faults.overloaded, fault);
}

function withOverrides(spec: ErrorSpec, fault: ScenarioFault): ErrorSpec {
  const retryAfterMs = fault.retryAfterMs ?? (fault.retryAfter !== undefined ? fault.retryAfter * 1000 : undefined);
  return {
    status: fault.status ?? spec.status,
    errorType: fault.errorType ?? spec.errorType,
    message: fault.message ?? spec.message,
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
  };
}

export function retryHeaders(format: WireFormat, fault: ScenarioFault): Record<string, string> {
  const headers: Record<string, string> = {};
  if (fault.retryAfter !== undefined) headers['retry-after'] = String(fault.retryAfter);
  if (fault.retryAfterMs !== undefined) headers['retry-after-ms'] = String(fault.retryAfterMs);
  if (fault.kind === 'rate_limit' && format.name.startsWith('openai')) {
    headers['x-ratelimit-remaining-requests'] = '0';
    headers['x-ratelimit-reset-requests'] = `${fault.retryAfter ?? 1}s`;
  }
  if (fault.kind === 'rate_limit' && format.name === 'anthropic')
    headers['anthropic-ratelimit-requests-remaining'] = '0';
  return headers;
}
