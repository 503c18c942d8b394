/** Running spend for one scope. */
export interface Spend {
  requests: number;
  tokens: number;
  costUsd: number;
}

export type SpendScope = 'global' | 'session' | 'task' | 'provider' | 'agentType';

export interface SpendKey {
  sessionId?: string | undefined;
  taskId?: string | undefined;
  provider: string;
  agentType?: string | undefined;
}

const empty = (): Spend => ({ requests: 0, tokens: 0, costUsd: 0 });

/** O(1) running totals by scope, fed by every usage record. */
export class UsageTotals {
  readonly global: Spend = empty();
  private readonly maps: Record<Exclude<SpendScope, 'global'>, Map<string, Spend>> = {
    session: new Map(),
    task: new Map(),
    provider: new Map(),
    agentType: new Map(),
  };

  add(key: SpendKey, delta: Spend): void {
    bump(this.global, delta);
    if (key.sessionId !== undefined) bump(this.entry('session', key.sessionId), delta);
    if (key.taskId !== undefined) bump(this.entry('task', key.taskId), delta);
    bump(this.entry('provider', key.provider), delta);
    if (key.agentType !== undefined) bump(this.entry('agentType', key.agentType), delta);
  }

  get(scope: SpendScope, id?: string): Spend {
    if (scope === 'global') return this.global;
    return (id === undefined ? undefined : this.maps[scope].get(id)) ?? empty();
  }

  private entry(scope: Exclude<SpendScope, 'global'>, id: string): Spend {
    let s = this.maps[scope].get(id);
    if (s === undefined) {
      s = empty();
      this.maps[scope].set(id, s);
    }
    return s;
  }
}

function bump(s: Spend, d: Spend): void {
  s.requests += d.requests;
  s.tokens += d.tokens;
  s.costUsd += d.costUsd;
}
