import { CircuitState, UsageGroup, UsagePeriod, type ServiceImpl, type UsageService } from '@sylk/proto';
import type { ReportGroup, ReportRow } from '@sylk/llm/gate';
import type { DaemonLlm } from './llm.js';
import type { ProviderInfo } from './providers.js';
import type { UsagePeriodName } from './report.js';

type Methods = typeof UsageService extends { method: infer M } ? M : never;

const GROUPS: Record<UsageGroup, ReportGroup> = {
  [UsageGroup.UNSPECIFIED]: 'provider',
  [UsageGroup.PROVIDER]: 'provider',
  [UsageGroup.MODEL]: 'model',
  [UsageGroup.SESSION]: 'session',
  [UsageGroup.AGENT]: 'agent',
  [UsageGroup.TASK]: 'task',
  [UsageGroup.DAY]: 'day',
};
const GROUP_ENUM = Object.fromEntries(
  Object.entries(GROUPS)
    .slice(1)
    .map(([k, v]) => [v, Number(k) as UsageGroup]),
) as Record<ReportGroup, UsageGroup>;

const PERIODS: Record<UsagePeriod, UsagePeriodName> = {
  [UsagePeriod.UNSPECIFIED]: 'all',
  [UsagePeriod.DAY]: 'day',
  [UsagePeriod.WEEK]: 'week',
  [UsagePeriod.MONTH]: 'month',
  [UsagePeriod.ALL]: 'all',
};

const CIRCUIT: Record<ProviderInfo['circuit']['state'], CircuitState> = {
  closed: CircuitState.CLOSED,
  open: CircuitState.OPEN,
  half_open: CircuitState.HALF_OPEN,
};

const optional = (s: string) => (s === '' ? undefined : s);

function row(r: Omit<ReportRow, 'key'> & { key?: string }) {
  return {
    key: r.key ?? '',
    requests: BigInt(r.requests),
    inputTokens: BigInt(Math.round(r.inputTokens)),
    outputTokens: BigInt(Math.round(r.outputTokens)),
    cacheReadTokens: BigInt(Math.round(r.cacheRead)),
    cacheWriteTokens: BigInt(Math.round(r.cacheWrite)),
    costUsd: r.costUsd,
  };
}

function circuit(p: ProviderInfo) {
  return {
    state: CIRCUIT[p.circuit.state],
    failures: p.circuit.failures,
    cooldownEndsUnixMs: BigInt(p.circuit.cooldownEnds),
    lastFailureUnixMs: BigInt(p.circuit.lastFailure),
  };
}

function provider(p: ProviderInfo) {
  const { waitingUntil, ...rateLimit } = p.rateLimit;
  return {
    ...p,
    circuit: circuit(p),
    pausedUntilUnixMs: BigInt(p.pausedUntil),
    rateLimit: { ...rateLimit, waitingUntilUnixMs: BigInt(waitingUntil) },
  };
}

export function usageServiceImpl(llm: () => DaemonLlm): ServiceImpl<Methods> {
  return {
    report(req) {
      const q = {
        ...(optional(req.sessionId) ? { sessionId: req.sessionId } : {}),
        ...(optional(req.provider) ? { provider: req.provider } : {}),
        ...(optional(req.model) ? { model: req.model } : {}),
        period: PERIODS[req.period] ?? 'all',
        groupBy:
          req.groupBy.length > 0
            ? [...new Set(req.groupBy.map((g) => GROUPS[g] ?? 'provider'))]
            : ['provider' as const],
      };
      const r = llm().report(q);
      return {
        sinceUnixMs: BigInt(r.since),
        untilUnixMs: BigInt(r.until),
        period: req.period === UsagePeriod.UNSPECIFIED ? UsagePeriod.ALL : req.period,
        groups: r.groups.map((g) => ({ groupBy: GROUP_ENUM[g.by], rows: g.rows.map(row) })),
        totals: row(r.totals),
        budgets: r.budgets.map((b) => ({
          ...b,
          limitTokens: BigInt(b.limitTokens),
          spentTokens: BigInt(Math.round(b.spentTokens)),
        })),
      };
    },

    providers() {
      const d = llm();
      const s = d.gate.stats();
      return {
        providers: d.providers().map(provider),
        gate: {
          workers: d.workers,
          inFlight: s.inFlight,
          queuedUser: s.queued.user,
          queuedPipeline: s.queued.pipeline,
          waiting: s.waiting,
          submitted: BigInt(s.submitted),
          completed: BigInt(s.completed),
          failed: BigInt(s.failed),
          rejected: BigInt(s.rejected),
          retried: BigInt(s.retried),
          preempted: BigInt(s.preempted),
          latencyMeanMs: s.latencyMs.mean,
          latencyP99Ms: s.latencyMs.p99,
        },
      };
    },

    resetBreaker(req) {
      const { previous, current } = llm().resetBreaker(req.provider);
      return { provider: req.provider, previousState: CIRCUIT[previous.circuit.state], circuit: circuit(current) };
    },
  };
}
