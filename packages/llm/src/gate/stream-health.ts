import { isSylkError, type Clock } from '@sylk/core';
import type { LLMRequest, LLMResponse, ProviderAdapter, StreamChunk, ThinkingBlock } from '../types.js';
import { ProviderError } from '../types.js';
import { GateErrorCode } from './errors.js';

/**
 * Degraded mode: after `failures` consecutive failures of the stream itself (a dropped
 * or truncated stream, unparsable events, no chunk before the watchdog) a provider's requests go
 * non-streaming; after `probeAfterMs` the next request streams again as a probe, and a success
 * restores streaming. Overload and rate limits are the breaker's and the limiter's business.
 */
export interface StreamHealthConfig {
  failures: number;
  probeAfterMs: number;
}

export const DEFAULT_STREAM_HEALTH: StreamHealthConfig = { failures: 5, probeAfterMs: 5 * 60_000 };

export type StreamModeChange = 'degraded' | 'restored';

export class StreamHealth {
  private consecutive = 0;
  /** Wall-clock ms until which requests go non-streaming; 0 = streaming. */
  private degradedUntilMs = 0;

  constructor(
    private readonly config: StreamHealthConfig,
    private readonly clock: Clock,
  ) {}

  /** Until when streaming is off (wall-clock ms), or undefined while streaming works. */
  get degradedUntil(): number | undefined {
    return this.degradedUntilMs === 0 ? undefined : this.degradedUntilMs;
  }

  /** This request should go non-streaming (degraded and not yet time to probe). */
  useGenerate(): boolean {
    return this.degradedUntilMs !== 0 && this.clock.now() < this.degradedUntilMs;
  }

  /** A streamed attempt ended; `streamFault` when the stream itself failed. Returns a mode change. */
  record(streamFault: boolean): StreamModeChange | undefined {
    if (!streamFault) {
      this.consecutive = 0;
      if (this.degradedUntilMs === 0) return undefined;
      this.degradedUntilMs = 0;
      return 'restored';
    }
    this.consecutive++;
    const wasDegraded = this.degradedUntilMs !== 0;
    if (wasDegraded || this.consecutive >= this.config.failures)
      this.degradedUntilMs = this.clock.now() + this.config.probeAfterMs;
    return wasDegraded || this.degradedUntilMs === 0 ? undefined : 'degraded';
  }
}

const STREAM_FAULT_CODES: ReadonlySet<string> = new Set([
  'llm.network',
  'llm.stream_truncated',
  'llm.malformed_response',
]);

/** A failure of the stream as a transport, which a non-streaming request may avoid. */
export function isStreamFault(error: unknown): boolean {
  if (error instanceof ProviderError) return error.info.inStream && STREAM_FAULT_CODES.has(error.code);
  return isSylkError(error) && error.code === GateErrorCode.StreamTimeout;
}

/**
 * The chunks a stream of `response` would have carried.
 * @internal exported for tests
 */
export function responseChunks(response: LLMResponse): StreamChunk[] {
  const chunks: StreamChunk[] = [{ type: 'start', model: response.model }];
  if (response.thinkingBlocks?.length) chunks.push(...thinkingChunks(response.thinkingBlocks));
  else if (response.thinking) chunks.push({ type: 'thinking', text: response.thinking });
  if (response.content) chunks.push({ type: 'text', text: response.content });
  response.toolCalls.forEach((call, index) => {
    chunks.push({ type: 'tool_start', index, id: call.id, name: call.name });
    chunks.push({ type: 'tool_delta', index, argumentsDelta: call.argumentsText ?? JSON.stringify(call.arguments) });
    chunks.push({ type: 'tool_end', index });
  });
  chunks.push({ type: 'usage', usage: response.usage }, { type: 'stop', stopReason: response.stopReason });
  return chunks;
}

function thinkingChunks(blocks: readonly ThinkingBlock[]): StreamChunk[] {
  return blocks.flatMap((b): StreamChunk[] =>
    b.type === 'thinking'
      ? [
          { type: 'thinking', text: b.thinking },
          { type: 'thinking_signature', signature: b.signature },
        ]
      : [{ type: 'redacted_thinking', data: b.data }],
  );
}

/** A stream source that makes one non-streaming call (degraded mode). */
export function nonStreaming(adapter: ProviderAdapter): Pick<ProviderAdapter, 'stream'> {
  return {
    async *stream(request: LLMRequest, signal?: AbortSignal): AsyncGenerator<StreamChunk> {
      yield* responseChunks(await adapter.generate(request, signal));
    },
  };
}
