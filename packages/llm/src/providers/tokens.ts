import { createRequire } from 'node:module';
import { Tiktoken, type TiktokenBPE } from 'js-tiktoken/lite';
import type { LLMRequest, ProviderName } from '../types.js';

export type TokenRequest = Pick<LLMRequest, 'messages' | 'tools' | 'systemPrompt' | 'model'>;

/** Framing tokens each message and tool definition costs beyond its text (OpenAI's documented ~3–4). */
const PER_MESSAGE = 4;
const PER_TOOL = 8;
/** The approximation for tokenizers we do not ship: ~4 characters per token. */
export const CHARS_PER_TOKEN = 4;

type Encoding = 'o200k_base' | 'cl100k_base';
const encoders = new Map<Encoding, Tiktoken>();
/**
 * The rank tables (3.4 MB of source) load on first use, through require: an ES module would
 * keep its source text resident for the life of the daemon, even when no OpenAI model is used.
 */
const requireRanks = createRequire(import.meta.url);

/** The BPE encoding for an OpenAI-family model, or undefined for everything else. */
export function openaiEncoding(model: string): Encoding | undefined {
  if (/^(gpt-4o|gpt-4\.1|gpt-4\.5|gpt-5|o\d|codex|chatgpt)/.test(model)) return 'o200k_base';
  if (/^(gpt-4|gpt-3\.5)/.test(model)) return 'cl100k_base';
  return undefined;
}

function encoder(encoding: Encoding): Tiktoken {
  let enc = encoders.get(encoding);
  if (!enc) {
    enc = new Tiktoken(requireRanks(`js-tiktoken/ranks/${encoding}`) as TiktokenBPE);
    encoders.set(encoding, enc);
  }
  return enc;
}

/** Every piece of text the provider will tokenize: system prompt, messages, tool calls, tool definitions. */
function requestTexts(request: TokenRequest): { texts: string[]; messages: number; tools: number } {
  const texts: string[] = [];
  if (request.systemPrompt) texts.push(request.systemPrompt);
  for (const m of request.messages) {
    texts.push(m.content);
    for (const call of m.toolCalls ?? []) texts.push(call.name, call.argumentsText ?? JSON.stringify(call.arguments));
  }
  for (const tool of request.tools ?? []) texts.push(tool.name, tool.description, JSON.stringify(tool.parameters));
  return {
    texts,
    messages: request.messages.length + (request.systemPrompt ? 1 : 0),
    tools: request.tools?.length ?? 0,
  };
}

export function countTextTokens(text: string, model: string): number {
  const encoding = openaiEncoding(model);
  return encoding ? encoder(encoding).encode(text).length : Math.ceil(text.length / CHARS_PER_TOKEN);
}

/**
 * Pre-send estimate. OpenAI-family models: exact BPE counts of each piece (encoder cached
 * per encoding). Others (Claude, Gemini, local models): ceil(chars / 4) per piece. Both add
 * PER_MESSAGE per message and PER_TOOL per tool definition.
 */
export function estimateTokens(request: TokenRequest, _provider?: ProviderName): number {
  const { texts, messages, tools } = requestTexts(request);
  let total = messages * PER_MESSAGE + tools * PER_TOOL;
  for (const text of texts) total += countTextTokens(text, request.model);
  return total;
}
