/** The usage report: groupings over system.db `usage`, totals, budget vs actual. */
import {
  periodBounds,
  type BudgetConfig,
  type BudgetLimit,
  type LLMGate,
  type ReportGroup,
  type ReportRow,
  type Spend,
} from '@sylk/llm/gate';

export type UsagePeriodName = 'day' | 'week' | 'month' | 'all';

export interface UsageQuery {
  sessionId?: string;
  provider?: string;
  model?: string;
  period: UsagePeriodName;
  /** At least one; the first one's rows make the totals. */
  groupBy: ReportGroup[];
}

interface BudgetLine {
  scope: 'global' | 'session' | 'provider';
  key: string;
  limitUsd: number;
  limitTokens: number;
  spentUsd: number;
  spentTokens: number;
}

export interface UsageReport {
  /** 0 = from the first record. */
  since: number;
  until: number;
  groups: Array<{ by: ReportGroup; rows: ReportRow[] }>;
  totals: Omit<ReportRow, 'key'>;
  budgets: BudgetLine[];
}

function line(scope: BudgetLine['scope'], key: string, limit: BudgetLimit | undefined, spent: Spend): BudgetLine {
  return {
    scope,
    key,
    limitUsd: limit?.usd ?? -1,
    limitTokens: limit?.tokens ?? -1,
    spentUsd: spent.costUsd,
    spentTokens: spent.tokens,
  };
}

const limited = (l: BudgetLimit | undefined) => l !== undefined && ((l.usd ?? -1) >= 0 || (l.tokens ?? -1) >= 0);

/** Hard budgets count everything recorded, so "spent" is all-time whatever the report's period. */
function budgetLines(gate: LLMGate, budgets: BudgetConfig, q: UsageQuery): BudgetLine[] {
  const totals = gate.usage?.totals;
  if (totals === undefined) return [];
  const lines = [line('global', '', budgets.global, totals.global)];
  if (q.sessionId !== undefined)
    lines.push(
      line(
        'session',
        q.sessionId,
        budgets.sessions?.[q.sessionId] ?? budgets.session,
        totals.get('session', q.sessionId),
      ),
    );
  for (const [provider, limit] of Object.entries(budgets.provider ?? {})) {
    if (!limited(limit) || (q.provider !== undefined && q.provider !== provider)) continue;
    lines.push(line('provider', provider, limit, totals.get('provider', provider)));
  }
  return lines;
}

export function usageReport(gate: LLMGate, budgets: BudgetConfig, q: UsageQuery, now: number): UsageReport {
  const since = q.period === 'all' ? 0 : periodBounds(q.period, now).start;
  const filter = {
    ...(q.sessionId !== undefined ? { sessionId: q.sessionId } : {}),
    ...(q.provider !== undefined ? { provider: q.provider } : {}),
    ...(q.model !== undefined ? { model: q.model } : {}),
    ...(since > 0 ? { since } : {}),
  };
  const groups = q.groupBy.map((by) => ({ by, rows: gate.report({ ...filter, groupBy: by }) }));
  const totals = { requests: 0, inputTokens: 0, outputTokens: 0, cacheRead: 0, cacheWrite: 0, costUsd: 0 };
  for (const r of groups[0]?.rows ?? []) {
    totals.requests += r.requests;
    totals.inputTokens += r.inputTokens;
    totals.outputTokens += r.outputTokens;
    totals.cacheRead += r.cacheRead;
    totals.cacheWrite += r.cacheWrite;
    totals.costUsd += r.costUsd;
  }
  return { since, until: now, groups, totals, budgets: budgetLines(gate, budgets, q) };
}
