import { ErrorTier, SylkError } from '@sylk/core';
import { GateErrorCode, formatTokens, formatUsd } from './errors.js';
import type { Spend, SpendKey, SpendScope, UsageTotals } from './usage-totals.js';

/** A hard limit; -1 or absent = unlimited. */
export interface BudgetLimit {
  tokens?: number;
  usd?: number;
}

/** Checked global → session → task → provider. */
export interface BudgetConfig {
  global?: BudgetLimit;
  /** Default for every session; `sessions` overrides per id. */
  session?: BudgetLimit;
  sessions?: Record<string, BudgetLimit>;
  task?: BudgetLimit;
  tasks?: Record<string, BudgetLimit>;
  provider?: Record<string, BudgetLimit>;
  /** Warning threshold, fraction of a limit (default 0.8). */
  warnAt?: number;
}

export interface BudgetWarning {
  scope: SpendScope;
  key: string | undefined;
  kind: 'tokens' | 'usd';
  spent: number;
  limit: number;
}

export interface Need {
  tokens: number;
  usd: number;
}

type Check = { scope: SpendScope; key: string | undefined; limit: BudgetLimit };

/** Hard budget limits over the usage totals; refuses before queueing, warns at 80% once. */
export class BudgetGuard {
  private readonly warned = new Set<string>();

  constructor(
    private readonly config: BudgetConfig,
    private readonly totals: UsageTotals,
    private readonly warn: (w: BudgetWarning) => void,
  ) {}

  /** Throws `llm.budget_exceeded` naming the first limit (in that order) this request would break. */
  check(key: SpendKey, need: Need): void {
    const failure = this.firstExceeded(key, need);
    if (failure !== undefined) throw failure;
  }

  /** The limit that `need` on top of what is recorded would exceed, if any. */
  firstExceeded(key: SpendKey, need: Need): SylkError | undefined {
    for (const c of this.applicable(key)) {
      const spent = this.totals.get(c.scope, c.key);
      const err = exceeded(c, spent, need, 'usd') ?? exceeded(c, spent, need, 'tokens');
      if (err !== undefined) return err;
    }
    return undefined;
  }

  /** After a usage record: emit `budget_warning` for limits that just crossed the threshold. */
  afterRecord(key: SpendKey): void {
    const at = this.config.warnAt ?? 0.8;
    for (const c of this.applicable(key)) {
      const spent = this.totals.get(c.scope, c.key);
      for (const kind of ['usd', 'tokens'] as const) {
        const limit = c.limit[kind];
        const value = kind === 'usd' ? spent.costUsd : spent.tokens;
        if (limit === undefined || limit < 0 || value < at * limit) continue;
        const id = `${c.scope}:${c.key ?? ''}:${kind}`;
        if (this.warned.has(id)) continue;
        this.warned.add(id);
        this.warn({ scope: c.scope, key: c.key, kind, spent: value, limit });
      }
    }
  }

  private applicable(key: SpendKey): Check[] {
    const cfg = this.config;
    const out: Check[] = [];
    if (cfg.global) out.push({ scope: 'global', key: undefined, limit: cfg.global });
    const session = key.sessionId === undefined ? undefined : (cfg.sessions?.[key.sessionId] ?? cfg.session);
    if (session) out.push({ scope: 'session', key: key.sessionId, limit: session });
    const task = key.taskId === undefined ? undefined : (cfg.tasks?.[key.taskId] ?? cfg.task);
    if (task) out.push({ scope: 'task', key: key.taskId, limit: task });
    const provider = cfg.provider?.[key.provider];
    if (provider) out.push({ scope: 'provider', key: key.provider, limit: provider });
    return out;
  }
}

function exceeded(c: Check, spent: Spend, need: Need, kind: 'usd' | 'tokens'): SylkError | undefined {
  const limit = c.limit[kind];
  if (limit === undefined || limit < 0) return undefined;
  const used = kind === 'usd' ? spent.costUsd : spent.tokens;
  const wants = kind === 'usd' ? need.usd : need.tokens;
  if (used + wants <= limit) return undefined;
  const fmt = kind === 'usd' ? formatUsd : formatTokens;
  const who = c.scope === 'global' ? 'global' : `${c.scope} ${c.key ?? ''}`;
  return new SylkError(
    `${who} budget of ${fmt(limit)} exceeded: spent ${fmt(used)}, this request needs ~${fmt(wants)}`,
    {
      tier: ErrorTier.UserFixable,
      code: GateErrorCode.BudgetExceeded,
      hint: `raise the ${c.scope} budget in the configuration or wait for the usage period to roll over`,
      details: { scope: c.scope, key: c.key, kind, limit, spent: used, need: wants },
    },
  );
}
