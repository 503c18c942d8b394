import type { DecisionSource, PermissionDecision, PermissionRule, Verdict } from './types.js';

export function decide(
  verdict: Verdict,
  source: DecisionSource,
  reason: string,
  rule?: PermissionRule,
): PermissionDecision {
  return rule === undefined ? { verdict, source, reason } : { verdict, source, reason, rule };
}

const SEVERITY: Record<Verdict, number> = { allow: 0, ask: 1, deny: 2 };

/** The most restrictive decision (deny > ask > allow); the first one wins a tie. */
export function strictest(decisions: readonly PermissionDecision[]): PermissionDecision | undefined {
  let worst: PermissionDecision | undefined;
  for (const d of decisions) if (worst === undefined || SEVERITY[d.verdict] > SEVERITY[worst.verdict]) worst = d;
  return worst;
}
