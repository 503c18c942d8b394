/**
 * The dashboard's JSON routes: sessions as `sylk ls` describes them, a session's pending
 * approvals and the decision on one (host.decide, as `sylk approve` / `sylk deny`), usage
 * for the charts. Data is returned as the daemon holds it; the page escapes it when it shows it.
 */
import { ErrorTier, SylkError, errorMessage, isSylkError } from '@sylk/core';
import type { Approval, ApprovalDecision, SessionRecord } from '@sylk/sessions';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { SessionHost } from '../sessions/host.js';
import { boundedArg, boundedInput } from '../services/args.js';
import type { WebDeps } from './web.js';

/** What the page's buttons send (the CLI's allow once / session / always, deny, deny with message). */
const DECISIONS: readonly ApprovalDecision[] = [
  'allow_once',
  'allow_session',
  'allow_always',
  'deny',
  'deny_with_message',
];

const STATUS_BY_CODE: Record<string, number> = {
  invalid_argument: 400,
  'approvals.invalid': 400,
  'sessions.not_found': 404,
  'approvals.not_found': 404,
  'approvals.already_resolved': 409,
};

/** A SylkError as JSON with its code and hint; anything else as a 500 without details. */
export function sendError(reply: FastifyReply, err: unknown, deps: Pick<WebDeps, 'secrets' | 'logger'>) {
  if (isSylkError(err)) {
    return reply.code(STATUS_BY_CODE[err.code] ?? 400).send({
      error: deps.secrets.redact(err.message),
      code: err.code,
      hint: err.hint === undefined ? '' : deps.secrets.redact(err.hint),
    });
  }
  const status = (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500)
    return reply.code(status).send({ error: deps.secrets.redact(errorMessage(err)), code: 'bad_request', hint: '' });
  deps.logger.error({ err }, 'web dashboard request failed');
  return reply.code(500).send({ error: 'internal error (see the daemon log)', code: 'internal', hint: '' });
}

function sessionJson(host: SessionHost, record: SessionRecord) {
  const s = host.describe(record);
  return {
    id: s.id,
    name: s.name,
    projectRoot: s.projectRoot,
    provider: s.provider,
    model: s.model,
    state: s.state,
    interrupted: s.interrupted,
    createdAt: s.createdAt,
    lastActivityAt: s.lastActivityAt,
    lastSeq: s.lastSeq,
    pendingApprovals: s.pendingApprovals,
    attachedClients: s.attachedClients,
    costUsd: s.costUsd,
    tasks: s.tasks.map((t) => ({
      id: t.id,
      role: t.role,
      goal: t.goal,
      state: t.state,
      costUsd: t.costUsd,
      createdAt: t.createdAt,
      endedAt: t.endedAt ?? 0,
      error: t.error ?? '',
      merged: t.merged ?? [],
      conflicts: (t.conflicts ?? []).map((c) => c.path),
    })),
  };
}

function approvalJson(a: Approval) {
  return {
    id: a.id,
    sessionId: a.sessionId,
    kind: a.kind,
    summary: a.summary,
    detail: a.detail,
    reason: a.reason,
    proposedRule: a.proposedRule ?? '',
    createdAt: a.createdAt,
  };
}

function decisionOf(value: unknown): ApprovalDecision {
  const found = DECISIONS.find((d) => d === value);
  if (found === undefined)
    throw new SylkError(`decision must be one of ${DECISIONS.join(', ')}`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  return found;
}

/** Usage for the charts: by day, provider and model as the report groups it, by project from its sessions. */
function usageJson(deps: WebDeps) {
  const report = deps.usage({ period: 'all', groupBy: ['day', 'provider', 'model', 'session'] });
  const rows = (by: string) => report.groups.find((g) => g.by === by)?.rows ?? [];
  const byProject = new Map<string, { key: string; costUsd: number; tokens: number }>();
  for (const row of rows('session')) {
    const project = deps.sessions.registry.find(row.key)?.projectRoot ?? '(deleted sessions)';
    const entry = byProject.get(project) ?? { key: project, costUsd: 0, tokens: 0 };
    entry.costUsd += row.costUsd;
    entry.tokens += row.inputTokens + row.outputTokens;
    byProject.set(project, entry);
  }
  const slim = (by: string) =>
    rows(by).map((r) => ({ key: r.key, costUsd: r.costUsd, tokens: r.inputTokens + r.outputTokens }));
  return {
    byDay: slim('day').sort((a, b) => a.key.localeCompare(b.key)),
    byProvider: slim('provider'),
    byModel: slim('model'),
    byProject: [...byProject.values()],
  };
}

export function registerApi(app: FastifyInstance, deps: WebDeps): void {
  const host = deps.sessions;
  app.get<{ Querystring: { all?: string } }>('/api/sessions', (req) => ({
    sessions: host.registry
      .list()
      .filter((r) => req.query.all === '1' || r.state !== 'closed')
      .map((r) => sessionJson(host, r)),
  }));
  app.get<{ Params: { id: string } }>('/api/sessions/:id', (req) => {
    const record = host.registry.get(boundedArg(req.params.id, 'session id or name'));
    return { session: sessionJson(host, record), approvals: host.approvals.pending(record.id).map(approvalJson) };
  });
  app.get('/api/usage', () => usageJson(deps));
  // int64 fields are bigints in the snapshot: numbers in JSON, as `sylk top --json` has them.
  app.get('/api/top', (_req, reply) =>
    reply
      .type('application/json; charset=utf-8')
      .send(JSON.stringify(deps.top(), (_k, v: unknown) => (typeof v === 'bigint' ? Number(v) : v))),
  );
  app.post<{ Params: { id: string }; Body: unknown }>('/api/approvals/:id', async (req, reply) => {
    // JSON only: a form another site could post (text/plain, urlencoded) is never a decision.
    if (!(req.headers['content-type'] ?? '').startsWith('application/json'))
      return reply.code(415).send({ error: 'send application/json', code: 'bad_request', hint: '' });
    const body = (typeof req.body === 'object' && req.body !== null ? req.body : {}) as Record<string, unknown>;
    const message = typeof body.message === 'string' ? boundedInput(body.message, 'message') : '';
    const approval = await host.decide(
      boundedArg(req.params.id, 'approval id'),
      decisionOf(body.decision),
      message,
      'sylk web',
    );
    return { approval: { ...approvalJson(approval), resolution: approval.decision ?? '' } };
  });
}
