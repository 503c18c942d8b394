import type { Database } from 'better-sqlite3';
import { ErrorTier, SylkError, errorMessage, newId, silentLogger, sleep as coreSleep, systemClock } from '@sylk/core';
import type { Clock, Logger } from '@sylk/core';
import { ProviderError } from '../types.js';
import type {
  LLMRequest,
  LLMResponse,
  ModelInfo,
  ProviderAdapter,
  ProviderName,
  StreamChunk,
  Usage,
} from '../types.js';
import { GateAbort, DEFAULT_STREAM_LIMITS, runAttempt } from './attempt.js';
import type { AttemptResult, StreamLimits } from './attempt.js';
import { BreakerRegistry } from './breaker-registry.js';
import type { BreakerConfig, BreakerSnapshot, CircuitBreaker } from './breaker.js';
import { BudgetGuard } from './budget.js';
import type { BudgetConfig } from './budget.js';
import { ChunkChannel } from './channel.js';
import { classifyError } from './classify.js';
import type { ClassifierConfig } from './classify.js';
import { callCost, totalTokens } from './cost.js';
import { DualQueue } from './dual-queue.js';
import {
  AUTH_FAILED,
  GateErrorCode,
  cancelledError,
  circuitOpenError,
  errorCode,
  firstOutputTimeoutError,
  gateClosedError,
  queueFullError,
  requestFailedError,
} from './errors.js';
import { GateEvents } from './events.js';
import type { GateEventMap, GateEventName } from './events.js';
import { deliver, flushHeld, notifyRetry, notifyWait, preferVictim, ref } from './job.js';
import type { Job } from './job.js';
import { QuotaTracker } from './quota.js';
import type { QuotaConfig } from './quota.js';
import { ProviderRateLimiter } from './rate-limiter.js';
import type { RateBlock, RateLimitConfig } from './rate-limiter.js';
import { resolvePolicies, retryDelay } from './retry.js';
import type { RetryPolicies, RetryPolicy } from './retry.js';
import { LatencyStats } from './stats.js';
import type { GateStats } from './stats.js';
import { TransientTracker } from './transient-tracker.js';
import { DEFAULT_STREAM_HEALTH, StreamHealth, isStreamFault, nonStreaming } from './stream-health.js';
import type { StreamHealthConfig } from './stream-health.js';
import { Priority, systemTimers } from './types.js';
import type { GateRequest, RandomFn, SleepFn, Timers } from './types.js';
import { UsageStore } from './usage-store.js';
import type { ReportQuery, ReportRow } from './usage-store.js';
import { UsageTotals } from './usage-totals.js';
import { WaitingRoom } from './waiting-room.js';

export interface LLMGateOptions {
  /**
   * A provider's adapter for a credential profile (`GateRequest.profile`), awaited at each attempt.
   * A rejection (no key, provider disabled, SDK not loadable) fails the attempt with that error,
   * its code and hint kept; it is retried only if its own tier says so.
   */
  adapters: (provider: ProviderName, profile: string | undefined) => Promise<ProviderAdapter>;
  /** Catalogue lookup for prices (USD per million tokens). */
  pricing: (model: string) => ModelInfo | undefined;
  /** Input tokens of a request (budget checks before queueing). */
  estimateTokens: (request: LLMRequest) => number;
  /** Expected output tokens; default min(maxTokens ?? 1024, 1024). */
  estimateOutputTokens?: (request: LLMRequest) => number;
  workers?: number;
  pipelineCapacity?: number;
  clock?: Clock;
  sleep?: SleepFn;
  timers?: Timers;
  random?: RandomFn;
  logger?: Logger;
  /** system.db: usage (unless `usageStore` is given), circuit breakers and subscription quotas. */
  db?: Database;
  usageStore?: UsageStore;
  budgets?: BudgetConfig;
  /** Per breaker id (`llm:<provider>`) overrides of the LLM breaker defaults. */
  breakers?: Record<string, Partial<BreakerConfig>>;
  /** Per-minute request/token limits per provider (and model), shared by every caller; `setRateLimits` replaces them. */
  rateLimits?: Partial<Record<ProviderName, RateLimitConfig>>;
  quotas?: Partial<Record<ProviderName, QuotaConfig>>;
  retryPolicies?: RetryPolicies;
  classifierConfig?: ClassifierConfig;
  streamLimits?: Partial<StreamLimits>;
  /** When a provider's streaming counts as degraded and requests go non-streaming. */
  streamHealth?: Partial<StreamHealthConfig>;
}

/** A provider's configured per-minute limits and the requests waiting for them (`rateLimitState`). */
export interface RateLimitState {
  limits: RateLimitConfig | undefined;
  /** What the provider's own window has used this minute. */
  used: { requests: number; tokens: number };
  /** Requests parked until a window refills. */
  waiting: number;
  /** When the first of them may go (wall-clock ms); 0 when none waits. */
  waitingUntil: number;
}

/** `gate.stream()`: iterate the chunks; `response` settles with the accumulated result. */
export interface GateStream extends AsyncIterable<StreamChunk> {
  readonly id: string;
  readonly response: Promise<LLMResponse>;
}

const HEALTH_TIERS: ReadonlySet<ErrorTier> = new Set([ErrorTier.Transient, ErrorTier.ExternalDegrading]);

/**
 * The LLM gate (docs/design/llm-gate.md): the sole path from agents to providers. Flow: budget and quota
 * check (refuse now) → dual queue → worker slot → rate-limit pause and breaker (waiting requests
 * are parked off the workers) → adapter stream under watchdog → usage → retry per tier.
 */
export class LLMGate {
  private readonly events: GateEvents;
  readonly usage: UsageStore | undefined;
  private readonly totals: UsageTotals;
  private readonly opts: LLMGateOptions;
  private readonly clock: Clock;
  private readonly sleep: SleepFn;
  private readonly timers: Timers;
  private readonly random: RandomFn;
  private readonly logger: Logger;
  private readonly workers: number;
  private readonly limits: StreamLimits;
  private readonly policies: Record<ErrorTier, RetryPolicy>;
  private readonly queue: DualQueue<Job>;
  private readonly breakerRegistry: BreakerRegistry;
  private readonly budget: BudgetGuard | undefined;
  private readonly quota: QuotaTracker | undefined;
  private readonly transients: TransientTracker;
  private readonly limiters = new Map<ProviderName, ProviderRateLimiter>();
  private rateLimits: Partial<Record<ProviderName, RateLimitConfig>>;
  private readonly streamHealth = new Map<ProviderName, StreamHealth>();
  private readonly running = new Set<Job>();
  private readonly waiting: WaitingRoom;
  private readonly pausedProviders = new Set<ProviderName>();
  private readonly authFailures = new Map<ProviderName, { message: string; at: number }>();
  private readonly latency = new LatencyStats();
  private readonly closing = new AbortController();
  private readonly counters = { submitted: 0, completed: 0, failed: 0, rejected: 0, preempted: 0, retried: 0 };
  private inFlight = 0;
  /** Requests in flight per provider, held to its `maxConcurrent`. */
  private readonly inFlightBy = new Map<ProviderName, number>();
  private pendingPreemptions = 0;
  private seq = 0;
  private pumping = false;
  private closed = false;
  private onIdle: (() => void) | undefined;

  constructor(opts: LLMGateOptions) {
    this.opts = opts;
    this.clock = opts.clock ?? systemClock;
    this.sleep = opts.sleep ?? coreSleep;
    this.timers = opts.timers ?? systemTimers;
    this.random = opts.random ?? Math.random;
    this.logger = opts.logger ?? silentLogger();
    this.workers = Math.max(1, opts.workers ?? 4);
    this.limits = { ...DEFAULT_STREAM_LIMITS, ...opts.streamLimits };
    this.rateLimits = opts.rateLimits ?? {};
    this.policies = resolvePolicies(opts.retryPolicies);
    this.queue = new DualQueue(opts.pipelineCapacity ?? 1000);
    this.events = new GateEvents(this.logger);
    this.usage =
      opts.usageStore ?? (opts.db ? new UsageStore(opts.db, { logger: this.logger, timers: this.timers }) : undefined);
    this.totals = this.usage?.totals ?? new UsageTotals();
    this.breakerRegistry = new BreakerRegistry({
      clock: this.clock,
      logger: this.logger,
      ...(opts.db ? { db: opts.db } : {}),
      ...(opts.breakers ? { config: opts.breakers } : {}),
      onChange: (snap, previous) => this.onBreakerChange(snap, previous),
    });
    if (opts.budgets)
      this.budget = new BudgetGuard(opts.budgets, this.totals, (w) => this.events.emit('budget_warning', w));
    if (opts.quotas) {
      const quota = new QuotaTracker(
        opts.quotas as Record<string, QuotaConfig>,
        this.clock,
        (w) => this.events.emit('quota_warning', { ...w, kind: 'subscription' }),
        opts.db,
      );
      this.usage?.onFlush(() => quota.persist());
      this.quota = quota;
    }
    this.transients = new TransientTracker(this.clock);
    this.waiting = new WaitingRoom(
      this.clock,
      this.sleep,
      this.closing.signal,
      (p) => this.onWake(p),
      (job) => this.requeue(job, 'retry'),
    );
  }

  on<K extends GateEventName>(name: K, listener: (event: GateEventMap[K]) => void): () => void {
    return this.events.on(name, listener);
  }

  /** Runs a request to completion (internally streamed, so watchdog and preemption apply). */
  submit(req: GateRequest, signal?: AbortSignal): Promise<LLMResponse> {
    try {
      return this.admit(req, signal, undefined).promise;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Streams a request. Retries are transparent only until the first content chunk is delivered. */
  stream(req: GateRequest, signal?: AbortSignal): GateStream {
    const channel = new ChunkChannel();
    let admitted: { id: string; promise: Promise<LLMResponse> };
    try {
      admitted = this.admit(req, signal, channel);
    } catch (err) {
      channel.fail(err);
      admitted = { id: req.id ?? '', promise: Promise.reject(err) };
    }
    admitted.promise.catch(() => {}); // consumers may only iterate; the rejection reaches them there
    return {
      id: admitted.id,
      response: admitted.promise,
      [Symbol.asyncIterator]: () => channel[Symbol.asyncIterator](),
    };
  }

  /** Wall-clock ms when a rate-limited provider resumes, or 0 when it is not paused. */
  pausedUntil(provider: ProviderName): number {
    return this.limiter(provider).pausedUntil();
  }

  /** A provider's configured per-minute limits, this minute's use and the requests waiting for them. */
  rateLimitState(provider: ProviderName): RateLimitState {
    const limiter = this.limiter(provider);
    let waiting = 0;
    let waitingUntil = 0;
    for (const job of this.waiting.parkedFor(provider)) {
      if (job.rateBlock === undefined) continue;
      waiting++;
      waitingUntil = waitingUntil === 0 ? job.rateBlock.until : Math.min(waitingUntil, job.rateBlock.until);
    }
    return { limits: limiter.limits(), used: limiter.used(), waiting, waitingUntil };
  }

  /**
   * Replaces the per-minute limits (config reload). They apply to the next request sent; what
   * this minute's windows used stays counted. Requests waiting for a window are checked again now.
   */
  setRateLimits(limits: Partial<Record<ProviderName, RateLimitConfig>>): void {
    this.rateLimits = limits;
    for (const [provider, limiter] of this.limiters) {
      limiter.configure(limits[provider]);
      if ([...this.waiting.parkedFor(provider)].some((job) => job.rateBlock !== undefined)) this.unpark(provider);
    }
  }

  breakers(): BreakerSnapshot[] {
    return this.breakerRegistry.list();
  }

  resetBreaker(id: string): void {
    this.breakerRegistry.reset(id);
  }

  report(q: ReportQuery): ReportRow[] {
    if (this.usage === undefined)
      throw new SylkError('usage reports need system.db (pass db or usageStore)', { code: 'llm.no_usage_store' });
    return this.usage.report(q);
  }

  stats(): GateStats {
    return {
      ...this.counters,
      queued: { user: this.queue.userDepth, pipeline: this.queue.pipelineDepth },
      waiting: this.waiting.size,
      inFlight: this.inFlight,
      latencyMs: { mean: this.latency.mean, p99: this.latency.p99 },
    };
  }

  /** Refuses new work, rejects queued and waiting requests with `llm.gate_closed`, aborts running ones, flushes usage. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.closing.abort();
    for (const job of [...this.queue.drain(), ...this.waiting.drain()]) this.fail(job, gateClosedError());
    if (this.running.size > 0) {
      const idle = new Promise<void>((resolve) => (this.onIdle = resolve));
      for (const job of this.running) job.controller?.abort(new GateAbort('closed'));
      await idle;
    }
    this.usage?.close();
  }

  // ---- admission -------------------------------------------------------------------------

  private admit(
    req: GateRequest,
    signal: AbortSignal | undefined,
    channel: ChunkChannel | undefined,
  ): Job & { promise: Promise<LLMResponse> } {
    if (this.closed) throw gateClosedError();
    const id = req.id ?? newId('llm', this.clock.now());
    if (signal?.aborted) throw cancelledError(id);
    const user = req.user === true;
    const inputEstimate = this.opts.estimateTokens(req.request);
    const outputEstimate =
      this.opts.estimateOutputTokens?.(req.request) ?? Math.min(req.request.maxTokens ?? 1024, 1024);
    const estimate: Usage = {
      inputTokens: inputEstimate,
      outputTokens: outputEstimate,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
    };
    const need = {
      tokens: inputEstimate + outputEstimate,
      usd: callCost(this.opts.pricing(req.request.model), estimate),
    };
    const key = { sessionId: req.sessionId, taskId: req.taskId, provider: req.provider, agentType: req.agentType };
    this.budget?.check(key, need);
    this.checkQuota(req.provider, user, id);

    let resolve!: (r: LLMResponse) => void;
    let reject!: (e: unknown) => void;
    const promise = new Promise<LLMResponse>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    const job: Job = {
      id,
      req,
      key,
      inputEstimate,
      need,
      channel,
      resolve,
      reject,
      user,
      priority: user ? Math.max(req.priority, Priority.UserInteractive) : req.priority,
      seq: ++this.seq,
      ahead: false,
      queued: false,
      acceptedAt: this.clock.monotonic(),
      state: 'queued',
      controller: undefined,
      detachSignal: undefined,
      probe: false,
      streamed: true,
      delivered: false,
      held: [],
      retries: {},
      preempting: false,
      preemptedBy: undefined,
      rateBlock: undefined,
      connectionWait: false,
      waitNotified: 0,
    };
    if (!this.queue.offer(job)) {
      this.counters.rejected++;
      throw queueFullError(this.queue.capacity);
    }
    this.counters.submitted++;
    if (signal !== undefined) {
      const onAbort = () => this.cancelJob(job);
      signal.addEventListener('abort', onAbort, { once: true });
      job.detachSignal = () => signal.removeEventListener('abort', onAbort);
    }
    if (channel !== undefined) channel.onCancel = () => this.cancelJob(job);
    this.pump();
    if (user) this.maybePreempt(id);
    return Object.assign(job, { promise });
  }

  private checkQuota(provider: ProviderName, user: boolean, id: string): void {
    if (this.quota?.level(provider) !== 'exhausted') return;
    const used = this.quota.usage(provider);
    const resets = new Date(used?.periodEnd ?? 0).toISOString();
    if (!user) {
      throw new SylkError(`${provider} subscription quota is used up until ${resets}; pipeline request ${id} refused`, {
        tier: ErrorTier.UserFixable,
        code: GateErrorCode.QuotaExhausted,
        hint: 'raise the quota in the configuration or wait for the period to roll over',
        details: { provider, ...used },
      });
    }
    this.logger.warn({ provider, requestId: id }, 'subscription quota used up; user request proceeds');
    this.events.emit('quota_warning', {
      kind: 'subscription',
      provider,
      level: 'exhausted',
      resource: 'requests',
      used: used?.requests ?? 0,
      limit: used?.requests ?? 0,
      periodEnd: used?.periodEnd ?? 0,
    });
  }

  // ---- scheduling ------------------------------------------------------------------------

  private pump(): void {
    if (this.pumping) return;
    this.pumping = true;
    try {
      while (this.inFlight < this.workers) {
        const job = this.queue.shift();
        if (job === undefined) break;
        this.dispatch(job);
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Takes a worker slot, or parks the request while its provider is paused, a rate-limit window
   * it needs is full or its breaker is open.
   */
  private dispatch(job: Job): void {
    const provider = job.req.provider;
    const limiter = this.limiter(provider);
    job.rateBlock = undefined;
    job.connectionWait = false;
    const pausedUntil = limiter.pausedUntil();
    if (pausedUntil > 0) return this.waiting.park(job, pausedUntil);
    const model = job.req.request.model;
    const block = limiter.blocked(model, job.need.tokens);
    if (block !== undefined) return this.parkForRate(job, block);
    if (this.atConnectionCap(job)) {
      job.connectionWait = true;
      return this.waiting.park(job, undefined);
    }
    const breaker = this.breaker(provider);
    const decision = breaker.decide();
    if (decision === 'open') {
      // Pipeline work fails fast so its scheduler can re-plan; a user request waits out the cooldown.
      if (!job.user) return this.fail(job, circuitOpenError(breaker, job.id));
      return this.waiting.park(job, breaker.retryAt());
    }
    if (decision === 'busy') return this.waiting.park(job, undefined);
    // Checked above and taken only now: a request parked behind the breaker uses none of the window.
    limiter.take(model, job.need.tokens);
    job.probe = decision === 'probe';
    job.state = 'running';
    this.inFlight++;
    this.inFlightBy.set(provider, (this.inFlightBy.get(provider) ?? 0) + 1);
    this.running.add(job);
    void this.run(job);
  }

  /** Parks a request until its window refills; its caller is told once per window it waits for. */
  private parkForRate(job: Job, block: RateBlock): void {
    job.rateBlock = block;
    this.waiting.park(job, block.until);
    if (job.waitNotified === block.until) return;
    job.waitNotified = block.until;
    const { model: bucketModel, ...limit } = block;
    const wait = { ...ref(job), ...limit, bucketModel, delayMs: Math.max(0, block.until - this.clock.now()) };
    this.logger.debug({ ...wait }, 'LLM request waits for the configured rate limit');
    notifyWait(job, wait, this.logger);
  }

  /**
   * The provider's connections are all in use: a pipeline request waits for one (it is parked
   * until a request to the provider ends); a user's request also preempts the provider's
   * lowest-priority pipeline request.
   */
  private atConnectionCap(job: Job): boolean {
    const provider = job.req.provider;
    const cap = this.rateLimits[provider]?.maxConcurrent ?? 0;
    if (cap <= 0 || (this.inFlightBy.get(provider) ?? 0) < cap) return false;
    if (job.user) this.preemptLowest(job.id, (j) => j.req.provider === provider);
    return true;
  }

  private maybePreempt(byRequestId: string): void {
    let needed = this.queue.userDepth - this.pendingPreemptions - (this.workers - this.inFlight);
    while (needed-- > 0) if (!this.preemptLowest(byRequestId)) return;
  }

  /** Aborts the lowest-priority running pipeline request (of those `eligible`); false when there is none. */
  private preemptLowest(byRequestId: string, eligible: (job: Job) => boolean = () => true): boolean {
    let victim: Job | undefined;
    for (const job of this.running) {
      if (job.user || job.preempting || !eligible(job)) continue;
      if (victim === undefined || preferVictim(job, victim)) victim = job;
    }
    if (victim === undefined) return false;
    victim.preempting = true;
    victim.preemptedBy = byRequestId;
    this.pendingPreemptions++;
    victim.controller?.abort(new GateAbort('preempted'));
    return true;
  }

  /** A provider's wake-up time came: announce the end of a 429 pause, re-queue its parked requests. */
  private onWake(provider: ProviderName): void {
    if (this.pausedProviders.has(provider)) {
      const stillPaused = this.limiter(provider).pausedUntil();
      if (stillPaused > 0) this.waiting.scheduleWake(provider, stillPaused);
      else {
        this.pausedProviders.delete(provider);
        this.events.emit('resumed', { provider });
      }
    }
    this.unpark(provider);
  }

  private unpark(provider: ProviderName): void {
    if (this.closed) return;
    for (const job of this.waiting.release(provider)) this.requeue(job, 'paused');
    this.pump();
  }

  private requeue(job: Job, reason: 'paused' | 'retry'): void {
    if (this.closed || job.state !== 'waiting') return;
    job.state = 'queued';
    this.queue.requeue(job);
    this.events.emit('requeued', { ...ref(job), reason });
    if (reason === 'retry') this.pump();
  }

  // ---- running ---------------------------------------------------------------------------

  private async run(job: Job): Promise<void> {
    const controller = new AbortController();
    job.controller = controller;
    job.held = [];
    const request = job.req.request;
    const started = this.clock.monotonic();
    const { provider, profile } = job.req;
    const streamed = !this.health(provider).useGenerate();
    job.streamed = streamed;
    const generateMs = this.limits.generateTimeoutMs;
    const result = await runAttempt({
      adapter: () => {
        const found = Promise.resolve(this.opts.adapters(provider, profile));
        return streamed ? found : found.then(nonStreaming);
      },
      request,
      controller,
      clock: this.clock,
      timers: this.timers,
      limits: job.streamed
        ? this.limits
        : { ...this.limits, chunkTimeoutMs: generateMs, firstOutputTimeoutMs: generateMs, maxDurationMs: generateMs },
      deliver: (chunk) => deliver(job, chunk),
      overBudget: (acc) =>
        this.budget !== undefined &&
        this.budget.firstExceeded(job.key, {
          tokens: job.inputEstimate + acc.outputChars / 4,
          usd: callCost(this.opts.pricing(request.model), acc.usage(job.inputEstimate, true)),
        }) !== undefined,
    });
    this.inFlight--;
    this.inFlightBy.set(provider, (this.inFlightBy.get(provider) ?? 1) - 1);
    this.running.delete(job);
    job.controller = undefined;
    if (job.preempting) {
      job.preempting = false;
      this.pendingPreemptions--;
    }
    try {
      this.finish(job, result, this.clock.monotonic() - started);
    } catch (err) {
      this.logger.error({ err, requestId: job.id }, 'gate failed to settle a request');
      this.fail(job, err);
    }
    if (this.running.size === 0) this.onIdle?.();
    // A connection freed: the requests waiting for one try again.
    if ([...this.waiting.parkedFor(provider)].some((j) => j.connectionWait)) this.unpark(provider);
    this.pump();
  }

  private finish(job: Job, result: AttemptResult, latencyMs: number): void {
    const provider = job.req.provider;
    const usage = result.acc.usage(job.inputEstimate, result.reachedModel);
    const breaker = this.breaker(provider);
    if (result.kind === 'ok') {
      this.recordUsage(job, usage, latencyMs, 'ok', result.acc.model, true);
      this.authFailures.delete(provider);
      if (job.streamed) this.noteStream(provider, false);
      this.limiter(provider).onSuccess();
      breaker.record(true, job.probe);
      this.unparkAfterProbe(job);
      return this.complete(job, result.acc.toResponse(usage));
    }
    if (result.kind === 'error') return this.onError(job, result.error, result, usage, latencyMs);
    if (result.kind === 'unavailable') {
      // Not the provider's failure: no usage row, nothing for its breaker, limiter or stream health.
      if (job.probe) breaker.releaseProbe();
      this.unparkAfterProbe(job);
      return this.retryOrFail(
        job,
        result.error,
        classifyError(result.error, this.opts.classifierConfig),
        result,
        usage,
        0,
      );
    }
    const reason = result.reason;
    if (reason === 'first_output_timeout')
      return this.onError(
        job,
        firstOutputTimeoutError(provider, this.limits.firstOutputTimeoutMs),
        result,
        usage,
        latencyMs,
      );
    if ((reason === 'chunk_timeout' || reason === 'max_duration') && !result.acc.hasOutput) {
      const seconds = (reason === 'chunk_timeout' ? this.limits.chunkTimeoutMs : this.limits.maxDurationMs) / 1000;
      const err = new SylkError(`${provider} stream produced no output within ${seconds} s (${reason})`, {
        tier: ErrorTier.Transient,
        code: GateErrorCode.StreamTimeout,
      });
      return this.onError(job, err, result, usage, latencyMs);
    }
    this.recordUsage(
      job,
      usage,
      latencyMs,
      reason === 'preempted' ? 'preempted' : `partial:${reason}`,
      result.acc.model,
      result.reachedModel,
    );
    if (reason === 'chunk_timeout' || reason === 'max_duration') {
      breaker.record(false, job.probe);
      // A stall is the stream failing; a long answer reaching max_duration is not.
      if (job.streamed && reason === 'chunk_timeout') this.noteStream(provider, true);
    } else if (job.probe) breaker.releaseProbe();
    this.unparkAfterProbe(job);
    if (reason === 'closed') return this.fail(job, gateClosedError());
    if (reason === 'cancelled' && !result.acc.hasOutput) return this.fail(job, cancelledError(job.id));
    if (reason === 'preempted') {
      this.counters.preempted++;
      const requeued = !job.delivered;
      this.events.emit('preempted', {
        ...ref(job),
        priority: job.priority,
        byRequestId: job.preemptedBy ?? '',
        requeued,
        partialChars: result.acc.outputChars,
        usage,
      });
      this.logger.info(
        { requestId: job.id, by: job.preemptedBy, requeued },
        'pipeline request preempted by a user request',
      );
      if (requeued) {
        job.state = 'queued';
        this.queue.requeue(job);
        this.events.emit('requeued', { ...ref(job), reason: 'preempted' });
        return;
      }
    }
    this.complete(job, result.acc.toResponse(usage, reason));
  }

  private onError(job: Job, error: unknown, result: AttemptResult, usage: Usage, latencyMs: number): void {
    const provider = job.req.provider;
    const tier = classifyError(error, this.opts.classifierConfig);
    this.recordUsage(job, usage, latencyMs, `error:${tier}`, result.acc.model, result.reachedModel);
    const breaker = this.breaker(provider);
    const limiter = this.limiter(provider);
    const info = error instanceof ProviderError ? error.info : undefined;
    if (job.streamed && isStreamFault(error)) this.noteStream(provider, true);
    if (HEALTH_TIERS.has(tier)) {
      breaker.record(false, job.probe);
      const count = this.transients.record(`${job.req.sessionId ?? '-'}|llm:${provider}`);
      if (count !== undefined)
        this.events.emit('transient_alert', { sessionId: job.req.sessionId, resource: `llm:${provider}`, count });
    } else if (job.probe) breaker.releaseProbe();
    this.unparkAfterProbe(job);
    limiter.observe(info?.rateLimit, job.req.request.model);
    let resumeAt = 0;
    if (tier === ErrorTier.ExternalRateLimit) {
      resumeAt = limiter.onRateLimited(info ?? {});
      this.pausedProviders.add(provider);
      this.events.emit('paused', { provider, resumeAt, attempt: limiter.consecutive429s });
      this.waiting.scheduleWake(provider, resumeAt);
      this.logger.warn(
        { provider, resumeAt, attempt: limiter.consecutive429s },
        'provider rate limited; paused for everyone',
      );
    }
    this.retryOrFail(job, error, tier, result, usage, resumeAt);
  }

  /** Schedules the next attempt if the tier's policy allows one (`resumeAt`: a 429's end), else fails the request. */
  private retryOrFail(
    job: Job,
    error: unknown,
    tier: ErrorTier,
    result: AttemptResult,
    usage: Usage,
    resumeAt: number,
  ): void {
    const provider = job.req.provider;
    const info = error instanceof ProviderError ? error.info : undefined;
    const used = job.retries[tier] ?? 0;
    const policy = this.policies[tier];
    if (used < policy.retries && !job.delivered && !this.closed && job.state !== 'done') {
      job.retries[tier] = used + 1;
      const delayMs =
        tier === ErrorTier.ExternalRateLimit
          ? Math.max(0, resumeAt - this.clock.now())
          : retryDelay(policy, used, this.random, info?.retryAfterMs);
      this.counters.retried++;
      const retry = {
        ...ref(job),
        tier,
        attempt: used + 1,
        maxRetries: policy.retries,
        delayMs,
        error: errorMessage(error),
        code: errorCode(error),
      };
      this.events.emit('retry_scheduled', retry);
      notifyRetry(job, retry, this.logger);
      this.logger.debug({ requestId: job.id, tier, attempt: used + 1, delayMs }, 'LLM request retry scheduled');
      return this.waiting.delay(job, delayMs);
    }
    const attempts = Object.values(job.retries).reduce((a, b) => a + b, 0) + 1;
    const partial = result.acc.hasOutput ? result.acc.toResponse(usage, 'error') : undefined;
    const failure = requestFailedError(error, tier, {
      provider,
      model: job.req.request.model,
      requestId: job.id,
      attempts,
      ...(partial ? { partial } : {}),
    });
    if (failure.code === AUTH_FAILED)
      this.authFailures.set(provider, { message: failure.message, at: this.clock.now() });
    this.fail(job, failure);
  }

  /** The last rejected key of a provider (`llm.auth_failed`), until one of its requests succeeds or `clearAuthFailure`. */
  authFailure(provider: ProviderName): { message: string; at: number } | undefined {
    return this.authFailures.get(provider);
  }

  /** The provider's key changed: its last rejection no longer says anything. */
  clearAuthFailure(provider: ProviderName): void {
    this.authFailures.delete(provider);
  }

  /** Requests parked behind a busy half-open probe may go once the probe has an outcome. */
  private unparkAfterProbe(job: Job): void {
    if (job.probe) {
      job.probe = false;
      this.unpark(job.req.provider);
    }
  }

  private recordUsage(
    job: Job,
    usage: Usage,
    latencyMs: number,
    outcome: string,
    model: string,
    reachedModel: boolean,
  ): void {
    const provider = job.req.provider;
    const tokens = totalTokens(usage);
    const cost = callCost(this.opts.pricing(model) ?? this.opts.pricing(job.req.request.model), usage);
    const r = job.req;
    if (this.usage !== undefined) {
      this.usage.record({
        ts: this.clock.now(),
        requestId: job.id,
        sessionId: r.sessionId,
        pipelineId: r.pipelineId,
        taskId: r.taskId,
        agentId: r.agentId,
        agentType: r.agentType,
        provider,
        model,
        ...usage,
        costUsd: cost,
        latencyMs,
        outcome,
      });
    } else {
      this.totals.add(job.key, { requests: 1, tokens, costUsd: cost });
    }
    this.budget?.afterRecord(job.key);
    if (!reachedModel) return;
    this.limiter(provider).record(model, tokens);
    if (this.quota?.record(provider, tokens)) this.usage?.schedule();
  }

  // ---- settling --------------------------------------------------------------------------

  private complete(job: Job, response: LLMResponse): void {
    if (!this.settle(job)) return;
    this.counters.completed++;
    flushHeld(job);
    job.channel?.end();
    job.resolve(response);
  }

  private fail(job: Job, err: unknown): void {
    if (!this.settle(job)) return;
    this.counters.failed++;
    job.channel?.fail(err);
    job.reject(err);
  }

  private settle(job: Job): boolean {
    if (job.state === 'done') return false;
    job.state = 'done';
    job.detachSignal?.();
    this.latency.add(this.clock.monotonic() - job.acceptedAt);
    return true;
  }

  private cancelJob(job: Job): void {
    switch (job.state) {
      case 'queued':
        this.queue.remove(job);
        return this.fail(job, cancelledError(job.id));
      case 'waiting':
        this.waiting.remove(job);
        return this.fail(job, cancelledError(job.id));
      case 'running':
        job.controller?.abort(new GateAbort('cancelled'));
        return;
      default:
        return;
    }
  }

  // ---- per provider state ----------------------------------------------------------------

  private limiter(provider: ProviderName): ProviderRateLimiter {
    let l = this.limiters.get(provider);
    if (l === undefined) {
      l = new ProviderRateLimiter(provider, this.rateLimits[provider], this.clock, (w) =>
        this.events.emit('quota_warning', { ...w, kind: 'rate', provider }),
      );
      this.limiters.set(provider, l);
    }
    return l;
  }

  /** Until when a provider's requests go non-streaming (wall-clock ms); undefined while streaming works. */
  streamingDegradedUntil(provider: ProviderName): number | undefined {
    return this.streamHealth.get(provider)?.degradedUntil;
  }

  private health(provider: ProviderName): StreamHealth {
    let h = this.streamHealth.get(provider);
    if (h === undefined) {
      h = new StreamHealth({ ...DEFAULT_STREAM_HEALTH, ...this.opts.streamHealth }, this.clock);
      this.streamHealth.set(provider, h);
    }
    return h;
  }

  /** A streamed attempt ended (`fault`: the stream itself failed); announces a change of mode. */
  private noteStream(provider: ProviderName, fault: boolean): void {
    const health = this.health(provider);
    const change = health.record(fault);
    if (change === 'degraded') {
      const until = health.degradedUntil as number;
      this.events.emit('stream_mode', { provider, mode: 'degraded', until });
      this.logger.warn(
        { provider, until: new Date(until).toISOString() },
        'provider streams keep failing; sending its requests non-streaming until then',
      );
    } else if (change === 'restored') {
      this.events.emit('stream_mode', { provider, mode: 'restored' });
      this.logger.info({ provider }, 'provider streaming works again');
    }
  }

  private breaker(provider: ProviderName): CircuitBreaker {
    return this.breakerRegistry.get(`llm:${provider}`);
  }

  private onBreakerChange(snap: BreakerSnapshot, previous: BreakerSnapshot['state']): void {
    this.events.emit('circuit_state', { ...snap, previous });
    if (snap.state === 'closed' && snap.id.startsWith('llm:')) this.unpark(snap.id.slice(4) as ProviderName);
  }
}
