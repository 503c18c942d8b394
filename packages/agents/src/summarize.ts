import { ErrorTier, SylkError } from '@sylk/core';
import type { GateRequest, LLMResponse, Message, ProviderName } from '@sylk/llm';
import { Priority } from '@sylk/llm/gate';
import { AgentErrorCode } from './errors.js';
import type { TokenCounter } from './context-tokens.js';
import type { AgentGate } from './types.js';

/**
 * How every summary request ends (the emulator's scenarios match on it).
 * @internal exported for tests
 */
export const SUMMARY_REQUEST = 'Write the working summary of the conversation above';

const SUMMARY_SYSTEM = [
  "You summarise the earlier part of a coding agent's conversation so that the agent can continue its work without it.",
  'Write for the agent itself, densely, in plain text:',
  "- the user's requests (quote the latest one word for word) and any constraints they gave;",
  '- decisions taken and why;',
  '- files read, created or changed (paths, and what changed), commands run and their results (errors, test status);',
  '- where the work stands now and what remains to do.',
  'Keep exact names: paths, identifiers, commands, error messages. Invent nothing. No preamble.',
].join('\n');

/** Longest tool result and other message quoted to the summariser (head and tail are kept). */
const TOOL_RESULT_CHARS = 6_000;
const MESSAGE_CHARS = 20_000;
/** Room for framing the estimate may miss. */
const MARGIN_TOKENS = 256;

export interface SummarizeInput {
  gate: AgentGate;
  provider: ProviderName;
  /** The model that writes the summary. */
  model: string;
  /** Its context window: transcripts longer than it are summarised in parts, each on the last. */
  contextWindow: number;
  sessionId: string;
  agentId: string;
  agentType?: string;
  counter: TokenCounter;
  signal: AbortSignal;
  /** Each response of the summariser (usage and cost). */
  onResponse: (response: LLMResponse) => void;
}

/**
 * The summary of `messages` in about `summaryTokens` tokens, written by the model through the gate
 * at the user-interactive priority of the turn it serves. The messages are quoted as a transcript
 * (long tool results cut in the middle); a transcript longer than the model's window is summarised
 * in parts, each request carrying the summary so far.
 */
export async function summarizeMessages(
  messages: readonly Message[],
  summaryTokens: number,
  input: SummarizeInput,
): Promise<string> {
  const fixed = input.counter.fixed(input.model, SUMMARY_SYSTEM, undefined);
  const budget = input.contextWindow - summaryTokens - fixed - MARGIN_TOKENS;
  // The summary so far rides along with every part after the first.
  const partBudget = budget - summaryTokens;
  if (partBudget < 256) {
    throw new SylkError(
      `the ${input.model} context window (${input.contextWindow} tokens) is too small to write a summary of ${summaryTokens} tokens`,
      {
        code: AgentErrorCode.CompactionFailed,
        tier: ErrorTier.UserFixable,
        hint:
          'set sessions.compaction.model to a model with a larger context window, ' +
          'or correct its context_window (llm.providers.<name>.models.<id>.context_window)',
      },
    );
  }
  const entries = messages.map((m) =>
    cap(render(m), Math.min(m.role === 'tool' ? TOOL_RESULT_CHARS : MESSAGE_CHARS, partBudget * 3)),
  );
  let summary = '';
  let part: string[] = [];
  let partTokens = 0;
  for (const entry of entries) {
    const tokens = input.counter.message(input.model, { role: 'user', content: entry });
    if (part.length > 0 && partTokens + tokens > partBudget) {
      summary = await summarizePart(summary, part, summaryTokens, input);
      part = [];
      partTokens = 0;
    }
    part.push(entry);
    partTokens += tokens;
  }
  return part.length > 0 ? summarizePart(summary, part, summaryTokens, input) : summary;
}

async function summarizePart(
  previous: string,
  part: string[],
  summaryTokens: number,
  input: SummarizeInput,
): Promise<string> {
  const content = [
    ...(previous !== '' ? [`## Summary of the conversation before this part\n${previous}`] : []),
    ...part,
    `${SUMMARY_REQUEST}${previous !== '' ? ' (the summary before this part included)' : ''}, in at most about ${summaryTokens} tokens.`,
  ].join('\n\n');
  const req: GateRequest = {
    provider: input.provider,
    priority: Priority.UserInteractive,
    user: true,
    sessionId: input.sessionId,
    agentId: input.agentId,
    ...(input.agentType !== undefined ? { agentType: input.agentType } : {}),
    request: {
      model: input.model,
      systemPrompt: SUMMARY_SYSTEM,
      messages: [{ role: 'user', content }],
      maxTokens: summaryTokens,
    },
  };
  const stream = input.gate.stream(req, input.signal);
  // Nothing of the summary is streamed to the user: the `compacted` event reports it.
  for await (const chunk of stream) if (chunk.type === 'error') throw chunk.error;
  const response = await stream.response;
  input.onResponse(response);
  const text = response.content.trim();
  if (response.partial === true || text === '') {
    throw new SylkError(
      `the ${input.model} summary ${response.partial === true ? `ended early (${response.partialReason ?? 'unknown'})` : 'was empty'}`,
      {
        code: AgentErrorCode.CompactionFailed,
        tier: ErrorTier.Transient,
      },
    );
  }
  return text;
}

/** One message as the summariser reads it. */
function render(m: Message): string {
  switch (m.role) {
    case 'user':
      return m.summaryOf !== undefined ? `## Summary of earlier messages\n${m.content}` : `## User\n${m.content}`;
    case 'assistant': {
      const calls = (m.toolCalls ?? []).map(
        (c) => `→ ${c.name} ${cap(c.argumentsText ?? JSON.stringify(c.arguments), 2_000)}`,
      );
      return ['## Assistant', ...(m.content !== '' ? [m.content] : []), ...calls].join('\n');
    }
    case 'tool':
      return `## Tool result${m.isError === true ? ' (error)' : ''}\n${m.content}`;
    default:
      return `## System\n${m.content}`;
  }
}

/** `text` within `max` characters: its head and tail, with how much was left out between them. */
function cap(text: string, max: number): string {
  if (text.length <= max) return text;
  const head = Math.floor(max * 0.7);
  const tail = Math.max(0, max - head);
  return `${text.slice(0, head)}\n[… ${text.length - head - tail} characters left out …]\n${text.slice(text.length - tail)}`;
}
