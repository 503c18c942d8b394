import type { LLMRequest, ReasoningEffort } from '../types.js';

/** OpenAI models that take a reasoning effort (o-series, GPT-5 family); others reject it. */
const REASONING_MODEL = /^(o\d|gpt-5)/;

/**
 * The reasoning effort for an OpenAI request: the one asked for, else one derived from a
 * configured thinking budget on a model that reasons (up to 4k tokens low, 16k medium, more high).
 */
export function openaiEffort(request: LLMRequest, model: string): ReasoningEffort | undefined {
  if (request.reasoningEffort !== undefined) return request.reasoningEffort;
  const budget = request.thinking?.budgetTokens ?? 0;
  if (budget <= 0 || !REASONING_MODEL.test(model)) return undefined;
  return budget <= 4096 ? 'low' : budget <= 16384 ? 'medium' : 'high';
}
