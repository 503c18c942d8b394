import type { MessageInitShape } from '@bufbuild/protobuf';
import { ErrorTier, SylkError, errorMessage, isSylkError } from '@sylk/core';
import {
  isResync,
  readLog,
  type Approval,
  type ApprovalDecision,
  type SessionEvent,
  type SessionRecord,
  type SubscriptionItem,
} from '@sylk/sessions';
import {
  Decision,
  SessionState,
  type ApprovalService,
  type AttachRequest,
  type AttachResponseSchema,
  type PermissionService,
  type ServiceImpl,
  type SessionService,
} from '@sylk/proto';
import { toEventColumns, type EventRow } from '@sylk/proto/event-columns';
import type { SessionHost } from '../sessions/host.js';
import { StreamMerger } from '../sessions/merge.js';
import { rewindTurn } from '../sessions/undo.js';
import { clearConversation, switchSessionModel } from '../sessions/conversation-controls.js';
import { boundedArg, boundedInput } from './args.js';
import { MAX_MESSAGE_BYTES } from '@sylk/proto/client';
import { requestedProfile } from '../llm/session-profile.js';

type Methods<S> = S extends { method: infer M } ? M : never;
type Out = MessageInitShape<typeof AttachResponseSchema>;

const HEARTBEAT_MS = 5_000;
/** Events per Attach message at most (one message per event costs more than the event). */
const MAX_BATCH = 512;

const STATES: Record<string, SessionState> = {
  created: SessionState.CREATED,
  running: SessionState.RUNNING,
  waiting_approval: SessionState.WAITING_APPROVAL,
  idle: SessionState.IDLE,
  paused: SessionState.PAUSED,
  completed: SessionState.COMPLETED,
  failed: SessionState.FAILED,
  closed: SessionState.CLOSED,
};

const DECISIONS: Partial<Record<Decision, ApprovalDecision>> = {
  [Decision.ALLOW_ONCE]: 'allow_once',
  [Decision.ALLOW_SESSION]: 'allow_session',
  [Decision.ALLOW_ALWAYS]: 'allow_always',
  [Decision.DENY]: 'deny',
  [Decision.DENY_WITH_MESSAGE]: 'deny_with_message',
};

function decisionName(d: Decision): ApprovalDecision {
  const name = DECISIONS[d];
  if (name === undefined)
    throw new SylkError('a decision is required (allow once/session/always, deny, deny with message)', {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  return name;
}

function sessionProto(s: ReturnType<SessionHost['describe']>) {
  return {
    id: s.id,
    name: s.name,
    projectRoot: s.projectRoot,
    provider: s.provider,
    model: s.model,
    state: STATES[s.state] ?? SessionState.UNSPECIFIED,
    createdAtUnixMs: BigInt(s.createdAt),
    updatedAtUnixMs: BigInt(s.updatedAt),
    lastActivityUnixMs: BigInt(s.lastActivityAt),
    lastSeq: BigInt(s.lastSeq),
    interrupted: s.interrupted,
    pendingApprovals: s.pendingApprovals,
    attachedClients: s.attachedClients,
    costUsd: s.costUsd,
    tasks: s.tasks.map((t) => ({
      id: t.id,
      role: t.role,
      goal: t.goal,
      state: t.state,
      costUsd: t.costUsd,
      createdAtUnixMs: BigInt(t.createdAt),
      endedAtUnixMs: BigInt(t.endedAt ?? 0),
      error: t.error ?? '',
      merged: t.merged ?? [],
      conflicts: (t.conflicts ?? []).map((c) => c.path),
      patch: t.patch ?? '',
    })),
  };
}

function eventRow(e: SessionEvent): EventRow {
  return { seq: e.seq, tsUnixMs: e.ts, kind: e.kind, dataJson: e.json ?? JSON.stringify(e.data) };
}

function eventProto(e: SessionEvent, sessionId: string) {
  const row = eventRow(e);
  return { sessionId, seq: BigInt(row.seq), tsUnixMs: BigInt(row.tsUnixMs), kind: row.kind, dataJson: row.dataJson };
}

/**
 * Characters of event data per Attach message: with UTF-8 at most 3 bytes per character this
 * stays under MAX_MESSAGE_BYTES, so a burst of large events (a 5 MiB reply) is never one message
 * the client must refuse. A single event is bounded by the input limits (args.ts).
 */
const BATCH_CHARS = MAX_MESSAGE_BYTES / 4;

/** `events` as one or more messages, split so each stays under the message limit. */
function* eventMessages(events: SessionEvent[]): Generator<Out> {
  let start = 0;
  let chars = 0;
  for (let i = 0; i < events.length; i++) {
    const e = events[i] as SessionEvent;
    const size = e.json?.length ?? JSON.stringify(e.data).length;
    if (i > start && chars + size > BATCH_CHARS) {
      yield* eventsMessage(events.slice(start, i));
      start = i;
      chars = 0;
    }
    chars += size;
  }
  if (start === 0) yield* eventsMessage(events);
  else if (start < events.length) yield* eventsMessage(events.slice(start));
}

/** Events in columns (see session.proto): one message, or more where timestamps are far apart. */
function* eventsMessage(events: SessionEvent[]): Generator<Out> {
  for (const value of toEventColumns(events.map(eventRow))) yield { msg: { case: 'columns', value } };
}

function approvalProto(a: Approval) {
  return {
    id: a.id,
    sessionId: a.sessionId,
    agentId: a.agentId,
    kind: a.kind,
    summary: a.summary,
    detail: a.detail,
    reason: a.reason,
    state: a.state,
    createdAtUnixMs: BigInt(a.createdAt),
    proposedRule: a.proposedRule ?? '',
    resolution: a.decision ?? '',
  };
}

function needSession(value: string): string {
  if (value.trim() === '')
    throw new SylkError('a session id or name is required', { code: 'invalid_argument', tier: ErrorTier.UserFixable });
  return boundedArg(value, 'session id or name');
}

/** Races the subscription, client messages and the shutdown signal without draining the subscription early. */
async function* attachStream(
  host: SessionHost,
  requests: AsyncIterable<AttachRequest>,
  signal: AbortSignal,
  peer: string,
): AsyncGenerator<Out> {
  const incoming = requests[Symbol.asyncIterator]();
  const first = await incoming.next();
  if (first.done || first.value.msg.case !== 'start') {
    throw new SylkError('the first message on Attach must be `start`', {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  }
  const start = first.value.msg.value;
  const rt = await host.runtime(needSession(start.session));
  rt.attach();
  const stop = AbortSignal.any([signal, host.shutdown.signal]);
  const last = rt.log.lastSeq;
  const fromSeq = start.tail > 0 ? Math.max(1, last - start.tail + 1) : Math.max(1, Number(start.fromSeq));
  const sub = rt.log.subscribe(fromSeq);
  const events = sub[Symbol.asyncIterator]();
  const merged = new StreamMerger<SubscriptionItem, Out>(events, stop);
  const heartbeat = setInterval(
    () => merged.push({ msg: { case: 'heartbeat', value: { tsUnixMs: BigInt(Date.now()) } } }),
    HEARTBEAT_MS,
  );
  void (async () => {
    for (;;) {
      const next = await incoming.next().catch(() => ({ done: true as const, value: undefined }));
      if (next.done) break;
      const msg = next.value.msg;
      try {
        if (msg.case === 'input') await rt.input(msg.value.text);
        else if (msg.case === 'decision')
          await host.decide(
            msg.value.approvalId,
            decisionName(msg.value.decision),
            msg.value.message,
            `client ${peer}`,
          );
        else if (msg.case === 'cancel') rt.cancel();
        else continue;
        merged.push({ msg: { case: 'result', value: { ok: true } } });
      } catch (err) {
        merged.push({
          msg: {
            case: 'result',
            value: { ok: false, error: errorMessage(err), errorCode: isSylkError(err) ? err.code : 'error' },
          },
        });
      }
    }
    merged.endSide();
  })();
  try {
    yield { msg: { case: 'session', value: sessionProto(host.describe(host.registry.get(rt.id))) } };
    for (;;) {
      const next = await merged.next();
      if (next.source === 'side-done' || next.source === 'events-done') return; // client closed its side: detach
      if (next.source === 'side') {
        yield next.value;
        continue;
      }
      // Whatever else is available right now goes in the same message (replay, bursts of deltas).
      const items = [next.value, ...sub.takeAvailable(MAX_BATCH - 1)];
      const events: SessionEvent[] = [];
      for (const item of items) {
        if (isResync(item)) {
          if (events.length > 0) yield* eventMessages(events);
          yield { msg: { case: 'resync', value: { fromSeq: BigInt(item.fromSeq) } } };
          return;
        }
        events.push(item);
      }
      yield* eventMessages(events);
    }
  } finally {
    clearInterval(heartbeat);
    rt.detach();
    void events.return?.();
  }
}

export function sessionServiceImpl(host: SessionHost): ServiceImpl<Methods<typeof SessionService>> {
  const describe = (r: SessionRecord) => sessionProto(host.describe(r));
  return {
    async createSession(req, ctx) {
      const record = await host.create({
        profile: requestedProfile(ctx),
        projectRoot: boundedArg(req.projectRoot, 'project root', 'path'),
        name: boundedArg(req.name, 'session name', 'name'),
        provider: boundedArg(req.provider, 'provider', 'name'),
        model: boundedArg(req.model, 'model', 'name'),
        prompt: boundedInput(req.prompt, 'prompt'),
        allowHomeRoot: req.allowHomeRoot,
        // An empty map is a client that sent none (older sylk, API callers): sylkd's own environment then.
        ...(Object.keys(req.clientEnv).length > 0 ? { clientEnv: req.clientEnv } : {}),
      });
      return { session: describe(record) };
    },
    listSessions(req) {
      const records = host.registry
        .list(req.projectRoot ? { projectRoot: boundedArg(req.projectRoot, 'project root', 'path') } : {})
        .filter((r) => req.all || r.state !== 'closed');
      return { sessions: records.map(describe) };
    },
    getSession(req) {
      return { session: describe(host.registry.get(needSession(req.session))) };
    },
    async sendInput(req) {
      if (req.text.trim() === '')
        throw new SylkError('input text is empty', { code: 'invalid_argument', tier: ErrorTier.UserFixable });
      return {
        seq: BigInt(await (await host.runtime(needSession(req.session))).input(boundedInput(req.text, 'input'))),
      };
    },
    async cancelTurn(req) {
      return { cancelled: (await host.runtime(needSession(req.session))).cancel() };
    },
    async rewindTurn(req) {
      const session = needSession(req.session);
      const r = await rewindTurn(
        await host.runtime(session),
        { turn: req.turn, force: req.force, filesOnly: req.filesOnly },
        session,
      );
      return {
        turn: r.turn,
        rewoundTurns: r.rewoundTurns,
        restored: r.restored.map((f) => ({ path: f.path, action: f.action })),
        kept: r.kept.map((f) => ({ path: f.path, action: f.reason })),
        unchanged: r.unchanged,
        sideEffects: r.sideEffects,
        conversationRewound: r.conversationRewound,
        commits: r.commits,
      };
    },
    async compactSession(req) {
      const stats = await (await host.runtime(needSession(req.session))).compact();
      if (stats === undefined)
        return {
          compacted: false,
          tokensBefore: 0,
          tokensAfter: 0,
          messagesSummarized: 0,
          model: '',
          contextWindow: 0,
        };
      return {
        compacted: true,
        tokensBefore: stats.tokensBefore,
        tokensAfter: stats.tokensAfter,
        messagesSummarized: stats.messagesSummarized,
        model: stats.model,
        contextWindow: stats.contextWindow,
      };
    },
    async setSessionModel(req) {
      const r = await switchSessionModel(host, needSession(req.session), {
        provider: boundedArg(req.provider, 'provider', 'name'),
        model: boundedArg(req.model, 'model', 'name'),
      });
      return { session: describe(r.record), warning: r.warning ?? '' };
    },
    async clearConversation(req) {
      return { messagesCleared: await clearConversation(host, needSession(req.session)) };
    },
    async pauseSession(req) {
      const rt = await host.runtime(needSession(req.session));
      await rt.pause();
      return { session: describe(host.registry.get(rt.id)) };
    },
    async resumeSession(req) {
      const rt = await host.runtime(needSession(req.session));
      await rt.resume();
      return { session: describe(host.registry.get(rt.id)) };
    },
    async closeSession(req) {
      return { session: describe(await host.closeSession(needSession(req.session))) };
    },
    async deleteSession(req) {
      return { id: await host.deleteSession(needSession(req.session)) };
    },
    attach(requests, ctx) {
      return attachStream(host, requests, ctx.signal, ctx.peer);
    },
    async getSessionContext(req) {
      const c = await host.context(needSession(req.session));
      return {
        sessionId: c.sessionId,
        instructions: c.instructions.map((f) => ({
          path: f.path,
          scope: f.scope,
          sizeBytes: BigInt(f.sizeBytes),
          includedChars: BigInt(f.includedChars),
          truncated: f.truncated,
          included: f.included,
        })),
        envSource: c.envSource,
        envNames: c.envNames,
        envPath: c.envPath,
        configFiles: c.configFiles,
        configWarnings: c.configWarnings,
      };
    },
    async *readEvents(req, ctx) {
      // The log alone, not the runtime: reading an unloaded session's log does not load it.
      const { id } = host.registry.get(needSession(req.session));
      const log = host.logs.get(id);
      const fromSeq = req.tail > 0 ? Math.max(1, log.lastSeq - req.tail + 1) : Math.max(1, Number(req.fromSeq));
      const signal = AbortSignal.any([ctx.signal, host.shutdown.signal]);
      for await (const event of readLog(log, fromSeq, { follow: req.follow, signal }))
        yield { event: eventProto(event, id) };
    },
  };
}

export function approvalServiceImpl(host: SessionHost): ServiceImpl<Methods<typeof ApprovalService>> {
  return {
    listApprovals(req) {
      const sessionId = req.session ? host.registry.get(boundedArg(req.session, 'session id or name')).id : undefined;
      return { approvals: host.approvals.pending(sessionId).map(approvalProto) };
    },
    async decideApproval(req) {
      const approval = await host.decide(
        boundedArg(req.approvalId, 'approval id'),
        decisionName(req.decision),
        req.message,
        'sylk approve',
      );
      return { approval: approvalProto(approval) };
    },
  };
}

export function permissionServiceImpl(host: SessionHost): ServiceImpl<Methods<typeof PermissionService>> {
  const rule = (r: { id: string; kind: string; pattern: string; op?: string; createdAt: number }) => ({
    id: r.id,
    kind: r.kind,
    pattern: r.pattern,
    op: r.op ?? '',
    createdAtUnixMs: BigInt(r.createdAt),
  });
  return {
    listPermissions(req) {
      const pm = host.permissionsFor(boundedArg(req.projectRoot, 'project root', 'path'));
      return { rules: pm.list().map(rule), file: pm.allowlistPath };
    },
    revokePermission(req) {
      const pm = host.permissionsFor(boundedArg(req.projectRoot, 'project root', 'path'));
      const removed = pm.revoke(boundedArg(req.rule, 'rule id'));
      host.allowlistChanged(req.projectRoot);
      return { rule: rule(removed) };
    },
  };
}
