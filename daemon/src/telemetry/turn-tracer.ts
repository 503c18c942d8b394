/**
 * Traces of a turn (docs/operations.md#traces): a root span per turn, a child span per model
 * request (provider, model, tokens, cost, retries, outcome) and per tool call (name, duration,
 * outcome, a command's exit code). A delegated task's turns are children of the `spawn_task` call
 * that started it, in the same trace. What a span carries is chosen, never copied from the work:
 * no prompt, reply, tool argument, command line or output, no error message (codes only), so no
 * secret can reach the collector through a span.
 */
import { isSylkError, type Clock, type RandomSource } from '@sylk/core';
import type { AgentEvent, AgentGate } from '@sylk/agents';
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
  /** `gate` with each request it streams told to {@link request}. */
  traced(gate: AgentGate): AgentGate;
  /** Each event of the turn: tool calls start and finish here. */
  event(event: AgentEvent): void;
  end(outcome: 'ok' | 'error' | 'cancelled'): void;
}

/** A span's place in its trace (the W3C trace context's ids, as hex). */
export interface SpanContext {
  traceId: string;
  spanId: string;
}

/** One run of a delegated task's agent (a paused task runs again when resumed). */
export interface TaskRun {
  sessionId: string;
  taskId: string;
  role: string;
  resumed: boolean;
  provider: string;
  model: string;
}

/** The session runtime's and the pipelines' view of tracing: absent when tracing is off. */
export interface TurnTracing {
  /** A turn of session `sessionId` starts, with the session's provider and model. */
  turn(sessionId: string, provider: string, model: string): TurnTrace;
  /** The open `spawn_task` call of the session's running turn: the parent of the task it is starting. */
  spawnParent(sessionId: string): SpanContext | undefined;
  /** A delegated task's run: its turn span is a child of `parent` in its trace (without one, a trace of its own). */
  taskTurn(run: TaskRun, parent: SpanContext | undefined): TurnTrace;
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
    readonly name: string,
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
    attributes: Attributes,
    parent: SpanContext | undefined,
    private readonly ended?: (turn: Turn) => void,
  ) {
    this.root = new OpenSpan(tracer, parent?.traceId ?? tracer.id(16), 'turn', SpanKind.Internal, parent?.spanId);
    Object.assign(this.root.attributes, attributes);
  }

  /** The latest open call of tool `name` (calls that execute run one at a time). */
  openTool(name: string): SpanContext | undefined {
    const spans = [...this.tools.values()].filter((s) => s.name === `execute_tool ${name}`);
    const span = spans.at(-1);
    return span === undefined ? undefined : { traceId: span.traceId, spanId: span.spanId };
  }

  traced(gate: AgentGate): AgentGate {
    return {
      stream: (req, signal) => {
        const stream = gate.stream(req, signal);
        this.request(stream, req);
        return stream;
      },
    };
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
      const outcome = toolOutcome(e);
      const exit = e.exit;
      Object.assign(span.attributes, {
        'sylk.tool.outcome': outcome,
        'sylk.tool.duration_ms': e.durationMs,
        ...(e.approvalWaitMs !== undefined ? { 'sylk.tool.approval_wait_ms': e.approvalWaitMs } : {}),
        ...(exit?.code !== undefined && exit.code !== null ? { 'process.exit.code': exit.code } : {}),
        ...(exit?.signal !== undefined && exit.signal !== null ? { 'sylk.process.signal': exit.signal } : {}),
        ...(exit?.timedOut === true ? { 'sylk.process.timed_out': true } : {}),
        ...(outcome !== 'ok' ? { 'error.type': outcome } : {}),
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
    this.ended?.(this);
  }
}

type ToolFinished = Extract<AgentEvent, { type: 'tool_finished' }>;

/**
 * What became of a call: `error` (refused, invalid, the tool failed: the model reads an error),
 * `timed_out` or `killed` (its command), `failed` (it ran and did not succeed: a non-zero exit), `ok`.
 */
function toolOutcome(e: ToolFinished): string {
  if (e.isError) return 'error';
  if (e.exit?.timedOut === true) return 'timed_out';
  if (e.exit !== undefined && e.exit.code === null && e.exit.signal !== null) return 'killed';
  return e.ok ? 'ok' : 'failed';
}

/** Makes the turns' spans; told of the gate's retries (by request id) while their request is open. */
export class TurnTracer implements TurnTracing {
  /** Open model-request spans by gate request id (the gate's retry events name the request). */
  readonly retries = new Map<string, OpenSpan>();
  /** Each session's running turn (a session runs one at a time): where its spawn_task calls are. */
  private readonly running = new Map<string, Turn>();
  /** Wall-clock nanoseconds at `originMono`: span times advance with the monotonic clock. */
  private readonly originNs: bigint;
  private readonly originMono: number;

  constructor(readonly deps: TracerDeps) {
    this.originMono = deps.clock.monotonic();
    this.originNs = BigInt(Math.round(deps.clock.now() * 1000)) * 1000n;
  }

  turn(sessionId: string, provider: string, model: string): TurnTrace {
    const attributes = {
      'sylk.session.id': sessionId,
      'gen_ai.provider.name': provider,
      'gen_ai.request.model': model,
    };
    const turn = new Turn(this, attributes, undefined, (t) => {
      if (this.running.get(sessionId) === t) this.running.delete(sessionId);
    });
    this.running.set(sessionId, turn);
    return turn;
  }

  spawnParent(sessionId: string): SpanContext | undefined {
    return this.running.get(sessionId)?.openTool('spawn_task');
  }

  taskTurn(run: TaskRun, parent: SpanContext | undefined): TurnTrace {
    return new Turn(
      this,
      {
        'sylk.session.id': run.sessionId,
        'sylk.task.id': run.taskId,
        'sylk.task.role': run.role,
        'sylk.task.resumed': run.resumed,
        'gen_ai.provider.name': run.provider,
        'gen_ai.request.model': run.model,
      },
      parent,
    );
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
