import { TextPieces } from '@sylk/core';
import type { LLMResponse, StopReason, StreamChunk, ThinkingBlock, ToolCall, Usage } from './types.js';
import { toToolCall } from './tool-call.js';

const zeroUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 });

interface ToolInProgress {
  id: string;
  name: string;
  args: TextPieces;
}

/**
 * Rebuilds an LLMResponse from stream chunks: the gate's, per attempt,
 * and {@link accumulate}'s. Usage chunks carry absolute values; the last value of each field wins.
 * Tool arguments that are not valid JSON keep their raw text.
 */
export class ResponseAccumulator {
  private readonly text = new TextPieces();
  private readonly thinking = new TextPieces();
  /** Signed and redacted thinking blocks, in order; a block is signed when it ends. */
  private readonly thinkingBlocks: ThinkingBlock[] = [];
  /** Where in `thinking` the block not yet signed starts. */
  private thinkingBlockStart = 0;
  private readonly tools = new Map<number, ToolInProgress>();
  private reported: Usage | undefined;
  private stopReason: StopReason | undefined;
  model: string;
  /** Content chunks (text, thinking, tool) seen. */
  contentChunks = 0;

  constructor(model: string) {
    this.model = model;
  }

  get outputChars(): number {
    let n = this.text.length + this.thinking.length;
    for (const t of this.tools.values()) n += t.args.length;
    return n;
  }

  get hasOutput(): boolean {
    return this.contentChunks > 0;
  }

  get done(): boolean {
    return this.stopReason !== undefined;
  }

  add(chunk: StreamChunk): void {
    switch (chunk.type) {
      case 'start':
        this.model = chunk.model || this.model;
        return;
      case 'text':
        this.text.append(chunk.text);
        this.contentChunks++;
        return;
      case 'thinking':
        this.thinking.append(chunk.text);
        this.contentChunks++;
        return;
      case 'thinking_signature': {
        const all = this.thinking.toString();
        this.thinkingBlocks.push({
          type: 'thinking',
          thinking: all.slice(this.thinkingBlockStart),
          signature: chunk.signature,
        });
        this.thinkingBlockStart = all.length;
        return;
      }
      case 'redacted_thinking':
        this.thinkingBlocks.push({ type: 'redacted_thinking', data: chunk.data });
        this.contentChunks++;
        return;
      case 'tool_start':
        this.tools.set(chunk.index, { id: chunk.id, name: chunk.name, args: new TextPieces() });
        this.contentChunks++;
        return;
      case 'tool_delta': {
        const t = this.tools.get(chunk.index);
        t?.args.append(chunk.argumentsDelta);
        this.contentChunks++;
        return;
      }
      case 'usage':
        this.reported = { ...(this.reported ?? zeroUsage()), ...definedOnly(chunk.usage) };
        return;
      case 'stop':
        this.stopReason = chunk.stopReason;
        return;
      default:
        return;
    }
  }

  /** What the stream reported, zero where it reported nothing. */
  reportedUsage(): Usage {
    return this.reported ?? zeroUsage();
  }

  /** Reported usage, or an estimate (4 chars a token) when the stream ended before reporting it. */
  usage(inputEstimate: number, reachedModel: boolean): Usage {
    if (this.reported !== undefined) return this.reported;
    if (!reachedModel && !this.hasOutput) return zeroUsage();
    return {
      inputTokens: inputEstimate,
      outputTokens: Math.ceil(this.outputChars / 4),
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
  }

  toResponse(usage: Usage, partialReason?: string): LLMResponse {
    const toolCalls: ToolCall[] = [...this.tools.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, t]) => toToolCall(t.id, t.name, t.args.toString()));
    const res: LLMResponse = {
      content: this.text.toString(),
      model: this.model,
      stopReason: this.stopReason ?? (toolCalls.length > 0 ? 'tool_use' : 'end_turn'),
      usage,
      toolCalls,
    };
    if (this.thinking.length > 0) res.thinking = this.thinking.toString();
    if (this.thinkingBlocks.length > 0) res.thinkingBlocks = [...this.thinkingBlocks];
    if (partialReason !== undefined) {
      res.partial = true;
      res.partialReason = partialReason;
      if (this.stopReason === undefined) res.stopReason = 'error';
    }
    return res;
  }
}

function definedOnly(u: Partial<Usage>): Partial<Usage> {
  const out: Partial<Usage> = {};
  for (const k of Object.keys(u) as Array<keyof Usage>) if (u[k] !== undefined) out[k] = u[k];
  return out;
}
