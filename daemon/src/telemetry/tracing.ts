/**
 * OpenTelemetry traces of turns (docs/operations.md#traces), off unless an OTLP endpoint is set
 * in sylkd's environment. This file is all a daemon without one loads: the tracer, its exporter
 * and the OTLP transport are imported only when tracing is on, and sessions then get a tracer
 * (RuntimeDeps.tracer); off, the runtime's hooks are `undefined?.` calls.
 */
import { cryptoRandom, type Clock, type Logger } from '@sylk/core';
import type { LLMGate } from '@sylk/llm/gate';
import type { Usage } from '@sylk/llm';
import type { TurnTracing } from './turn-tracer.js';

type Env = Readonly<Record<string, string | undefined>>;

export interface TracingDeps {
  gate: Pick<LLMGate, 'on'>;
  costOf: (model: string, usage: Usage) => number | undefined;
  /** The daemon's known secrets: the collector's headers (tokens) join them. */
  secrets: { add(value: string): unknown };
  clock: Clock;
  logger: Logger;
}

export interface Tracing {
  tracer: TurnTracing;
  /** Exports what is queued (the turns stopped by the shutdown included) and stops. */
  close(): Promise<void>;
}

/** Tracing when the standard variables ask for it and name a usable collector, else undefined. */
export async function startTracing(env: Env, deps: TracingDeps): Promise<Tracing | undefined> {
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT && !env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return undefined;
  if (env.OTEL_TRACES_EXPORTER?.trim() === 'none') return undefined;
  const [{ otlpTarget, OtlpPoster }, { BatchSpanExporter, batchSettings }, { TurnTracer }] = await Promise.all([
    import('../metrics/otlp.js'),
    import('./span-exporter.js'),
    import('./turn-tracer.js'),
  ]);
  const target = otlpTarget(env, 'traces');
  if ('refused' in target) {
    deps.logger.warn({ reason: target.refused }, 'OTLP trace export is off');
    return undefined;
  }
  for (const value of Object.values(target.headers)) deps.secrets.add(value);
  const logger = deps.logger.child({ component: 'otlp' });
  const settings = batchSettings(env);
  const exporter = new BatchSpanExporter(
    new OtlpPoster(target, 'traces', logger),
    target.serviceName,
    settings,
    logger,
  );
  const tracer = new TurnTracer({ sink: exporter, clock: deps.clock, random: cryptoRandom, costOf: deps.costOf });
  const unsubscribe = deps.gate.on('retry_scheduled', tracer.retryScheduled);
  logger.info({ url: target.url, scheduleDelayMs: settings.scheduleDelayMs }, 'exporting traces over OTLP');
  return {
    tracer,
    close: async () => {
      unsubscribe();
      await exporter.close();
    },
  };
}
