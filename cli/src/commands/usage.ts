import type { Command } from 'commander';
import { connect, createClient, unixTarget, type TypedClient } from '@sylk/proto/client';
import {
  CircuitState,
  UsageGroup,
  UsagePeriod,
  UsageService,
  type CircuitStatus,
  type ProviderRateLimit,
  type ProvidersResponse,
  type ReportResponse,
  type UsageRow,
} from '@sylk/proto/usage';
import type { Client } from '@grpc/grpc-js';
import { SessionService } from '@sylk/proto/session';
import { connectDaemon } from '../connection.js';
import { fitLines } from '../render/markdown.js';
import { outputWidth, renderTable, type Column } from '../render/table.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';

type Methods<S> = S extends { method: infer M } ? M : never;
type UsageClient = TypedClient<Methods<typeof UsageService>>;

const PERIODS: Record<string, UsagePeriod> = {
  day: UsagePeriod.DAY,
  week: UsagePeriod.WEEK,
  month: UsagePeriod.MONTH,
  all: UsagePeriod.ALL,
};
const PERIOD_TEXT: Record<string, string> = { day: 'today', week: 'this week', month: 'this month', all: 'all time' };
const GROUPS: Record<string, UsageGroup> = {
  provider: UsageGroup.PROVIDER,
  model: UsageGroup.MODEL,
  session: UsageGroup.SESSION,
  agent: UsageGroup.AGENT,
  task: UsageGroup.TASK,
  day: UsageGroup.DAY,
};
const DETAILED = [UsageGroup.PROVIDER, UsageGroup.MODEL, UsageGroup.AGENT, UsageGroup.TASK];
const groupName = (g: UsageGroup) => Object.keys(GROUPS).find((k) => GROUPS[k] === g) ?? 'provider';
const circuitName = (s: CircuitState) => (CircuitState[s] ?? 'UNSPECIFIED').toLowerCase();

/** `$1.23`; four decimals under a cent so small requests don't read as free. */
export function formatUsd(usd: number): string {
  return Math.abs(usd) >= 0.01 || usd === 0 ? `$${usd.toFixed(2)}` : `$${usd.toFixed(4)}`;
}
const num = (n: bigint | number) => Number(n).toLocaleString('en-US');
const isoOrNull = (ms: bigint) => (ms > 0n ? new Date(Number(ms)).toISOString() : null);

/** Runs `fn` with a UsageService client on a connected (auto-started) daemon. */
async function withUsage<T>(
  rt: Runtime,
  opts: GlobalOptions,
  fn: (usage: UsageClient, metadata: Record<string, string>, channel: Client) => Promise<T>,
): Promise<T> {
  const conn = await connectDaemon(opts, rt.env);
  const channel = connect(unixTarget(conn.socket));
  try {
    return await fn(createClient(UsageService, channel), conn.metadata, channel);
  } finally {
    channel.close();
    conn.close();
  }
}

/** Session id → name, closed sessions included (usage outlives a session's state). */
async function sessionNames(channel: Client, metadata: Record<string, string>): Promise<Map<string, string>> {
  const res = await createClient(SessionService, channel).listSessions(
    { all: true, projectRoot: '' },
    { timeoutMs: 5_000, metadata },
  );
  return new Map(res.sessions.map((s) => [s.id, s.name]));
}

function rowJson(r: UsageRow | undefined) {
  return {
    requests: Number(r?.requests ?? 0n),
    inputTokens: Number(r?.inputTokens ?? 0n),
    outputTokens: Number(r?.outputTokens ?? 0n),
    cacheReadTokens: Number(r?.cacheReadTokens ?? 0n),
    cacheWriteTokens: Number(r?.cacheWriteTokens ?? 0n),
    costUsd: r?.costUsd ?? 0,
  };
}

/** `names`: session id → name, for the rows grouped by session. */
export function reportJson(
  r: ReportResponse,
  filters: Record<string, string | null>,
  names: ReadonlyMap<string, string> = new Map(),
) {
  const period = Object.keys(PERIODS).find((k) => PERIODS[k] === r.period) ?? 'all';
  return {
    period,
    since: isoOrNull(r.sinceUnixMs),
    until: isoOrNull(r.untilUnixMs),
    filters,
    totals: rowJson(r.totals),
    groups: r.groups.map((g) => ({
      by: groupName(g.groupBy),
      rows: g.rows.map((row) => ({
        key: row.key,
        ...(g.groupBy === UsageGroup.SESSION ? { name: names.get(row.key) ?? null } : {}),
        ...rowJson(row),
      })),
    })),
    budgets: r.budgets.map((b) => ({
      scope: b.scope,
      key: b.key,
      limitUsd: b.limitUsd < 0 ? null : b.limitUsd,
      limitTokens: b.limitTokens < 0n ? null : Number(b.limitTokens),
      spentUsd: b.spentUsd,
      spentTokens: Number(b.spentTokens),
    })),
  };
}

/** A usage table: the grouping key first (cut to fit), then numbers; narrow terminals lose the cache columns first. */
const USAGE_COLUMNS = (by: string): Column[] => [
  { header: by, shrink: 2, min: 10 },
  { header: 'requests', align: 'right', drop: 3 },
  { header: 'input', align: 'right', drop: 4 },
  { header: 'output', align: 'right', drop: 5 },
  { header: 'cache read', align: 'right', drop: 1 },
  { header: 'cache write', align: 'right', drop: 0 },
  { header: 'cost', align: 'right' },
];

/** Budget lines: what the budget is for, then spent of limit (cut to fit). */
const BUDGET_COLUMNS: Column[] = [
  { header: '', shrink: 1, min: 10 },
  { header: '', shrink: 0, min: 16 },
];

export function renderReport(j: ReturnType<typeof reportJson>, st: Style, width = Number.POSITIVE_INFINITY): string {
  const filters = Object.entries(j.filters)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k} ${v}`);
  const scope = `${PERIOD_TEXT[j.period] ?? j.period}${filters.length ? ` (${filters.join(', ')})` : ''}`;
  const lines: string[] = [];
  if (j.totals.requests === 0) lines.push(`no usage recorded for ${scope}`);
  else {
    lines.push(
      `${st.bold('LLM usage')} — ${scope}: ${num(j.totals.requests)} requests, ${formatUsd(j.totals.costUsd)}`,
    );
    const cells = (r: ReturnType<typeof rowJson>) => [
      num(r.requests),
      num(r.inputTokens),
      num(r.outputTokens),
      num(r.cacheReadTokens),
      num(r.cacheWriteTokens),
      formatUsd(r.costUsd),
    ];
    for (const g of j.groups) {
      lines.push('', st.bold(`by ${g.by}`));
      // Sessions by name (their id when the session is gone).
      const rows = g.rows.map((r) => [('name' in r ? r.name : undefined) || r.key || st.dim('(none)'), ...cells(r)]);
      lines.push(...renderTable(USAGE_COLUMNS(g.by), [...rows, ['total', ...cells(j.totals)]], { width, indent: 2 }));
    }
  }
  if (j.budgets.length > 0) {
    lines.push('', st.bold('budget vs actual (all recorded usage)'));
    const budgets: string[][] = [];
    for (const b of j.budgets) {
      const name = b.scope === 'global' ? 'global' : `${b.scope} ${b.key}`;
      const usd =
        b.limitUsd === null
          ? `${formatUsd(b.spentUsd)} of unlimited`
          : `${formatUsd(b.spentUsd)} of ${formatUsd(b.limitUsd)} (${Math.round((100 * b.spentUsd) / Math.max(b.limitUsd, 1e-9))}%)`;
      const tokens = b.limitTokens === null ? '' : `, ${num(b.spentTokens)} of ${num(b.limitTokens)} tokens`;
      const over =
        (b.limitUsd !== null && b.spentUsd >= b.limitUsd) || (b.limitTokens !== null && b.spentTokens >= b.limitTokens);
      budgets.push([name, over ? st.red(usd + tokens) : usd + tokens]);
    }
    lines.push(...renderTable(BUDGET_COLUMNS, budgets, { width, indent: 2 }).slice(1));
  }
  return fitLines(lines, width).join('\n');
}

function circuitJson(c: CircuitStatus | undefined) {
  return {
    state: circuitName(c?.state ?? CircuitState.UNSPECIFIED),
    failures: c?.failures ?? 0,
    cooldownEndsAt: isoOrNull(c?.cooldownEndsUnixMs ?? 0n),
    lastFailureAt: isoOrNull(c?.lastFailureUnixMs ?? 0n),
  };
}

function rateLimitJson(r: ProviderRateLimit | undefined) {
  return {
    buckets: (r?.buckets ?? []).map((b) => ({
      model: b.model === '' ? null : b.model,
      requestsPerMinute: b.requestsPerMinute,
      tokensPerMinute: b.tokensPerMinute,
    })),
    usedRequests: r?.usedRequests ?? 0,
    usedTokens: r?.usedTokens ?? 0,
    waiting: r?.waiting ?? 0,
    waitingUntil: isoOrNull(r?.waitingUntilUnixMs ?? 0n),
  };
}

/** The provider's own bucket, as the table shows it: "2 req/min, 40000 tok/min" (+N models). */
function rateLimitCell(r: ReturnType<typeof rateLimitJson>): string {
  const own = r.buckets.find((b) => b.model === null);
  const parts = [
    ...(own !== undefined && own.requestsPerMinute > 0 ? [`${own.requestsPerMinute} req/min`] : []),
    ...(own !== undefined && own.tokensPerMinute > 0 ? [`${own.tokensPerMinute} tok/min`] : []),
  ];
  const models = r.buckets.length - (own === undefined ? 0 : 1);
  if (models > 0) parts.push(`+${models} model${models === 1 ? '' : 's'}`);
  return parts.length === 0 ? 'none' : parts.join(', ');
}

export function providersJson(r: ProvidersResponse) {
  const g = r.gate;
  return {
    providers: r.providers.map((p) => ({
      name: p.name,
      enabled: p.enabled,
      hasKey: p.hasKey,
      keySource: p.keySource,
      baseUrl: p.baseUrl,
      defaultModel: p.defaultModel,
      state: p.state,
      detail: p.detail,
      circuit: circuitJson(p.circuit),
      pausedUntil: isoOrNull(p.pausedUntilUnixMs),
      rateLimit: rateLimitJson(p.rateLimit),
    })),
    gate: {
      workers: g?.workers ?? 0,
      inFlight: g?.inFlight ?? 0,
      queuedUser: g?.queuedUser ?? 0,
      queuedPipeline: g?.queuedPipeline ?? 0,
      waiting: g?.waiting ?? 0,
      submitted: Number(g?.submitted ?? 0n),
      completed: Number(g?.completed ?? 0n),
      failed: Number(g?.failed ?? 0n),
      rejected: Number(g?.rejected ?? 0n),
      retried: Number(g?.retried ?? 0n),
      preempted: Number(g?.preempted ?? 0n),
      latencyMeanMs: g?.latencyMeanMs ?? 0,
      latencyP99Ms: g?.latencyP99Ms ?? 0,
    },
  };
}

/** Name, state and key first; a narrow terminal loses the endpoint, rate limit and circuit columns. */
const PROVIDER_COLUMNS: Column[] = [
  { header: 'provider', shrink: 5, min: 8 },
  { header: 'state', shrink: 6, min: 5 },
  { header: 'circuit', drop: 2 },
  { header: 'key', shrink: 3, min: 10 },
  { header: 'default model', shrink: 4, min: 10 },
  { header: 'endpoint', drop: 0 },
  { header: 'rate limit', drop: 1 },
];

function renderProviders(j: ReturnType<typeof providersJson>, st: Style, width: number): string {
  const rows = j.providers.map((p) => [
    p.name,
    p.state,
    p.circuit.state,
    p.hasKey ? p.keySource : st.dim(`(${p.keySource})`),
    p.defaultModel,
    p.baseUrl || 'standard',
    rateLimitCell(p.rateLimit),
  ]);
  const lines = renderTable(PROVIDER_COLUMNS, rows, { width });
  const g = j.gate;
  lines.push(
    '',
    `gate: ${g.inFlight}/${g.workers} in flight, ` +
      `queued ${g.queuedUser} user + ${g.queuedPipeline} pipeline, ${g.waiting} waiting; ` +
      `${g.submitted} submitted, ${g.retried} retried, ${g.failed} failed`,
  );
  for (const p of j.providers) if (p.state !== 'ok') lines.push(st.yellow(`${p.name}: ${p.detail}`));
  return fitLines(lines, width).join('\n');
}

function groupsFrom(o: { detailed?: boolean; by?: string }): UsageGroup[] {
  if (o.by === undefined) return o.detailed ? DETAILED : [UsageGroup.PROVIDER];
  return o.by.split(',').map((name) => {
    const g = GROUPS[name.trim()];
    if (g === undefined)
      throw new CliError(`--by must be among ${Object.keys(GROUPS).join(', ')}; got '${name}'`, EXIT.usage);
    return g;
  });
}

export function registerUsageCommands(program: Command, rt: Runtime): void {
  program
    .command('usage')
    .description('LLM usage and cost, with budget vs actual (starts sylkd if needed)')
    .option('--session <id>', 'only this session')
    .option('--provider <name>', 'only this provider')
    .option('--model <id>', 'only this model')
    .option('--period <period>', 'day | week | month | all (calendar, local time)', 'all')
    .option('--detailed', 'attribution by provider, model, agent and task')
    .option('--by <groups>', 'comma-separated groupings: provider, model, session, agent, task, day')
    .action(
      async (
        o: { session?: string; provider?: string; model?: string; period: string; detailed?: boolean; by?: string },
        cmd: Command,
      ) => {
        const opts = rt.globals(cmd);
        const period = PERIODS[o.period];
        if (period === undefined)
          throw new CliError(`--period must be day, week, month or all; got '${o.period}'`, EXIT.usage);
        const groupBy = groupsFrom(o);
        const { res, names } = await withUsage(rt, opts, async (usage, metadata, channel) => ({
          res: await usage.report(
            { sessionId: o.session ?? '', provider: o.provider ?? '', model: o.model ?? '', period, groupBy },
            { timeoutMs: 10_000, metadata },
          ),
          names: groupBy.includes(UsageGroup.SESSION)
            ? await sessionNames(channel, metadata)
            : new Map<string, string>(),
        }));
        const j = reportJson(
          res,
          { session: o.session ?? null, provider: o.provider ?? null, model: o.model ?? null },
          names,
        );
        emit(opts, j, () => renderReport(j, style(rt.color(opts)), outputWidth(process.stdout, rt.env)));
      },
    );

  const providers = program
    .command('providers')
    .description('LLM providers: keys, circuit breakers, rate-limit pauses, gate queues')
    .action(async (_o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withUsage(rt, opts, (usage, metadata) => usage.providers({}, { timeoutMs: 5_000, metadata }));
      const j = providersJson(res);
      emit(opts, j, () => renderProviders(j, style(rt.color(opts)), outputWidth(process.stdout, rt.env)));
    });

  providers
    .command('reset-breaker')
    .description("close a provider's circuit breaker; waiting requests resume")
    .argument('<provider>', 'anthropic, openai, google or openai-compatible')
    .action(async (provider: string, _o, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withUsage(rt, opts, (usage, metadata) =>
        usage.resetBreaker({ provider }, { timeoutMs: 5_000, metadata }),
      );
      const previousState = circuitName(res.previousState);
      emit(
        opts,
        { provider: res.provider, previousState, circuit: circuitJson(res.circuit) },
        () => `circuit breaker llm:${res.provider} reset (was ${previousState}, now ${circuitJson(res.circuit).state})`,
      );
    });
}
