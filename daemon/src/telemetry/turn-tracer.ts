/**
 * Traces of a turn (docs/operations.md#traces): a root span per turn, a child span per model
 * request (provider, model, tokens, cost, retries, outcome) and per tool call (name, duration,
 * outcome). What a span carries is chosen, never copied from the work: no prompt, reply, tool
 * argument, command line or output, no error message (codes only), so no secret can reach the
 * collector through a span.
 */
import { isSylkError, type Clock, type RandomSource } from '@sylk/core';
import type { AgentEvent } from '@sylk/agents';
import type { GateRequest, GateStream, Usage } from '@sylk/llm';
import type { RetryScheduled } from '@sylk/llm/gate';
import { SpanKind, type Attributes, type FinishedSpan, type SpanEvent } from './spans.js';

/** Where finished spans go (the batch exporter). */
interface SpanSink {
  add(span: FinishedSpan): void;
}

/** What the runtime tells about one turn (all calls are cheap and never throw). */
export interface TurnTrace {
  /** A model request the turn's agent sent through the gate. */
  request(stream: GateStream, req: GateRequest): void;
  /** Each event of the turn: tool calls start and finish here. */
  event(event: AgentEvent): void;
  end(outcome: 'ok' | 'error' | 'cancelled'): void;
}

/** The session runtime's view of tracing: absent when tracing is off. */
export interface TurnTracing {
  /** A turn of session `sessionId` starts, with the session's provider and model. */
  turn(sessionId: string, provider: string, model: string): TurnTrace;
}

interface TracerDeps {
  sink: SpanSink;
  clock: Clock;
  random: RandomSource;
  costOf: (model: string, usage: Usage) => number | undefined;
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const errorCode = (err: unknown) => (isSylkError(err) ? err.code : 'error');

/** A span being recorded; `finish` hands it to the sink once. */
class OpenSpan {
  readonly spanId: string;
  readonly attributes: Attributes = {};
  readonly events: SpanEvent[] = [];
  private readonly startNs: bigint;
  private done = false;

  constructor(
    private readonly tracer: TurnTracer,
    readonly traceId: string,
    private readonly name: string,
    private readonly kind: number,
    private readonly parentSpanId?: string,
  ) {
    this.spanId = tracer.id(8);
    this.startNs = tracer.nowNs();
  }

  event(name: string, attributes: Attributes): void {
    this.events.push({ name, timeNs: this.tracer.nowNs(), attributes });
  }

  finish(error?: string): void {
    if (this.done) return;
    this.done = true;
    this.tracer.deps.sink.add({
      traceId: this.traceId,
      spanId: this.spanId,
      ...(this.parentSpanId !== undefined ? { parentSpanId: this.parentSpanId } : {}),
      name: this.name,
      kind: this.kind,
      startNs: this.startNs,
      endNs: this.tracer.nowNs(),
      attributes: this.attributes,
      events: this.events,
      ...(error !== undefined ? { error } : {}),
    });
  }
}

class Turn implements TurnTrace {
  private readonly root: OpenSpan;
  private readonly tools = new Map<string, OpenSpan>();
  private requests = 0;
  private toolCalls = 0;

  constructor(
    private readonly tracer: TurnTracer,
    turn: { sessionId: string; provider: string; model: string },
  ) {
    this.root = new OpenSpan(tracer, tracer.id(16), 'turn', SpanKind.Internal);
    Object.assign(this.root.attributes, {
      'sylk.session.id': turn.sessionId,
      'gen_ai.provider.name': turn.provider,
      'gen_ai.request.model': turn.model,
    });
  }

  request(stream: GateStream, req: GateRequest): void {
    this.requests++;
    const span = new OpenSpan(
      this.tracer,
      this.root.traceId,
      `chat ${req.request.model}`,
      SpanKind.Client,
      this.root.spanId,
    );
    Object.assign(span.attributes, {
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': req.provider,
      'gen_ai.request.model': req.request.model,
      'sylk.request.id': stream.id,
      'sylk.retries': 0,
    });
    this.tracer.retries.set(stream.id, span);
    stream.response.then(
      (res) => {
        const cost = this.tracer.deps.costOf(res.model, res.usage);
        Object.assign(span.attributes, {
          'gen_ai.response.model': res.model,
          'gen_ai.response.finish_reasons': res.stopReason,
          'gen_ai.usage.input_tokens': res.usage.inputTokens,
          'gen_ai.usage.output_tokens': res.usage.outputTokens,
          'sylk.usage.cache_read_tokens': res.usage.cacheReadTokens,
          'sylk.usage.cache_write_tokens': res.usage.cacheWriteTokens,
          ...(cost !== undefined ? { 'sylk.cost_usd': cost } : {}),
          'sylk.outcome': res.partial === true ? `partial:${res.partialReason ?? 'unknown'}` : 'ok',
        });
        this.tracer.retries.delete(stream.id);
        span.finish(res.partial === true ? `partial:${res.partialReason ?? 'unknown'}` : undefined);
      },
      (err: unknown) => {
        span.attributes['sylk.outcome'] = `error:${errorCode(err)}`;
        this.tracer.retries.delete(stream.id);
        span.finish(errorCode(err));
      },
    );
  }

  event(e: AgentEvent): void {
    if (e.type === 'tool_started') {
      this.toolCalls++;
      const span = new OpenSpan(
        this.tracer,
        this.root.traceId,
        `execute_tool ${e.name}`,
        SpanKind.Internal,
        this.root.spanId,
      );
      Object.assign(span.attributes, { 'gen_ai.tool.name': e.name, 'gen_ai.tool.call.id': e.callId });
      this.tools.set(e.callId, span);
    } else if (e.type === 'tool_finished') {
      const span = this.tools.get(e.callId);
      if (span === undefined) return;
      this.tools.delete(e.callId);
      const outcome = e.isError ? 'error' : e.ok ? 'ok' : 'failed';
      Object.assign(span.attributes, {
        'sylk.tool.outcome': outcome,
        'sylk.tool.duration_ms': e.durationMs,
        ...(e.approvalWaitMs !== undefined ? { 'sylk.tool.approval_wait_ms': e.approvalWaitMs } : {}),
      });
      span.finish(outcome === 'ok' ? undefined : outcome);
    }
  }

  end(outcome: 'ok' | 'error' | 'cancelled'): void {
    for (const span of this.tools.values()) {
      span.attributes['sylk.tool.outcome'] = 'unfinished';
      span.finish('unfinished');
    }
    this.tools.clear();
    Object.assign(this.root.attributes, {
      'sylk.turn.outcome': outcome,
      'sylk.turn.model_requests': this.requests,
      'sylk.turn.tool_calls': this.toolCalls,
    });
    this.root.finish(outcome === 'ok' ? undefined : outcome);
  }
}

/** Makes the turns' spans; told of the gate's retries (by request id) while their request is open. */
export class TurnTracer implements TurnTracing {
  /** Open model-request spans by gate request id (the gate's retry events name the request). */
  readonly retries = new Map<string, OpenSpan>();
  /** Wall-clock nanoseconds at `originMono`: span times advance with the monotonic clock. */
  private readonly originNs: bigint;
  private readonly originMono: number;

  constructor(readonly deps: TracerDeps) {
    this.originMono = deps.clock.monotonic();
    this.originNs = BigInt(Math.round(deps.clock.now() * 1000)) * 1000n;
  }

  turn(sessionId: string, provider: string, model: string): TurnTrace {
    return new Turn(this, { sessionId, provider, model });
  }

  /** The gate's `retry_scheduled` listener. */
  readonly retryScheduled = (r: RetryScheduled): void => {
    const span = this.retries.get(r.requestId);
    if (span === undefined) return;
    span.attributes['sylk.retries'] = r.attempt;
    span.event('retry', {
      attempt: r.attempt,
      'error.type': r.code,
      'sylk.error.tier': r.tier,
      'sylk.delay_ms': r.delayMs,
    });
  };

  nowNs(): bigint {
    return this.originNs + BigInt(Math.round((this.deps.clock.monotonic() - this.originMono) * 1e6));
  }

  id(bytes: number): string {
    return hex(this.deps.random(bytes));
  }
}
