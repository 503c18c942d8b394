import type { LLMRequest, Message, ToolDefinition } from '@sylk/llm';

/** A request's estimated input tokens (the daemon passes the gate's estimator). */
export type EstimateTokens = (request: LLMRequest) => number;

/** Without the provider's tokenizer: about 4 characters a token, plus framing per message. */
export function roughTokens(r: LLMRequest): number {
  let chars = r.systemPrompt?.length ?? 0;
  for (const m of r.messages)
    chars += m.content.length + (m.toolCalls === undefined ? 0 : JSON.stringify(m.toolCalls).length);
  if (r.tools !== undefined) chars += JSON.stringify(r.tools).length;
  return Math.ceil(chars / 4) + 4 * r.messages.length;
}

/**
 * Token estimates of a conversation, each message counted once: the estimate of a message object
 * is cached (a message is never changed once it is in the history), so the window check before
 * every request costs one lookup per message. The system prompt and tools are counted again only
 * when they change. A different model starts a new cache (its tokenizer may differ).
 */
export class TokenCounter {
  private perMessage = new WeakMap<Message, number>();
  private model = '';
  private bare = 0;
  private fixedFor:
    | { model: string; systemPrompt: string | undefined; tools: readonly ToolDefinition[] | undefined; tokens: number }
    | undefined;

  constructor(private readonly estimate: EstimateTokens) {}

  private use(model: string): void {
    if (model === this.model) return;
    this.model = model;
    this.perMessage = new WeakMap();
    this.bare = this.estimate({ model, messages: [] });
  }

  message(model: string, m: Message): number {
    this.use(model);
    let tokens = this.perMessage.get(m);
    if (tokens === undefined) {
      tokens = this.estimate({ model, messages: [m] }) - this.bare;
      this.perMessage.set(m, tokens);
    }
    return tokens;
  }

  messages(model: string, list: readonly Message[]): number {
    let total = 0;
    for (const m of list) total += this.message(model, m);
    return total;
  }

  /** The system prompt and tool definitions of a request. */
  fixed(model: string, systemPrompt: string | undefined, tools: readonly ToolDefinition[] | undefined): number {
    this.use(model);
    if (systemPrompt === undefined && (tools === undefined || tools.length === 0)) return this.bare;
    const f = this.fixedFor;
    if (f !== undefined && f.model === model && f.systemPrompt === systemPrompt && f.tools === tools) return f.tokens;
    const tokens = this.estimate({
      model,
      messages: [],
      ...(systemPrompt !== undefined ? { systemPrompt } : {}),
      ...(tools !== undefined ? { tools: [...tools] } : {}),
    });
    this.fixedFor = { model, systemPrompt, tools, tokens };
    return tokens;
  }

  /** A whole request: what fitContext is given as its estimator. */
  request(r: LLMRequest): number {
    return this.fixed(r.model, r.systemPrompt, r.tools) + this.messages(r.model, r.messages);
  }
}

const counters = new WeakMap<EstimateTokens, TokenCounter>();

/** The counter of an estimator: one per estimator, so its cache lasts across turns. */
export function tokenCounter(estimate: EstimateTokens = roughTokens): TokenCounter {
  let counter = counters.get(estimate);
  if (counter === undefined) {
    counter = new TokenCounter(estimate);
    counters.set(estimate, counter);
  }
  return counter;
}
