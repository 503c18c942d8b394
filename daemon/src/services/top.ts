/** `DaemonService.Top`: one snapshot of what the daemon is doing, from accessors it already has. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TopResponseSchema } from '@sylk/proto';
import type { Daemon } from '../daemon.js';
import { processState } from '../sessions/background-processes.js';
import { subprocessPool } from '../sessions/runtime-factory.js';

/** More would not fit any terminal; `total_sessions` says how many there are. */
const MAX_SESSIONS = 200;

type TopShape = MessageInitShape<typeof TopResponseSchema>;

function countBy<T>(items: Iterable<T>, key: (item: T) => string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(key(item), (counts.get(key(item)) ?? 0) + 1);
  return counts;
}

function sessions(daemon: Daemon): { rows: NonNullable<TopShape['sessions']>; loaded: number; total: number } {
  const host = daemon.sessions;
  const all = host.registry.list();
  const approvals = countBy(host.approvals.pending(), (a) => a.sessionId);
  const background = countBy(
    host.backgroundProcesses().filter((h) => processState(h) === 'running'),
    (h) => h.sessionId,
  );
  const open = all
    .filter((s) => s.state !== 'closed')
    .map((s) => ({ record: s, loaded: host.isLoaded(s.id) }))
    .sort((a, b) => Number(b.loaded) - Number(a.loaded) || b.record.lastActivityAt - a.record.lastActivityAt)
    .slice(0, MAX_SESSIONS);
  const rows = open.map(({ record: s, loaded }) => ({
    id: s.id,
    name: s.name,
    state: s.state,
    loaded,
    projectRoot: s.projectRoot,
    provider: s.provider,
    model: s.model,
    costUsd: daemon.llm.sessionCost(s.id),
    pendingApprovals: approvals.get(s.id) ?? 0,
    backgroundProcesses: background.get(s.id) ?? 0,
    lastActivityUnixMs: BigInt(s.lastActivityAt),
  }));
  return { rows, loaded: all.filter((s) => host.isLoaded(s.id)).length, total: all.length };
}

function providers(daemon: Daemon): NonNullable<TopShape['providers']> {
  return daemon.llm.providers().map((p) => {
    const own = p.rateLimit.buckets.find((b) => b.model === '');
    return {
      name: p.name,
      state: p.state,
      breaker: p.circuit.state,
      requestsPerMinute: own?.requestsPerMinute ?? 0,
      tokensPerMinute: BigInt(own?.tokensPerMinute ?? 0),
      usedRequests: p.rateLimit.usedRequests,
      usedTokens: BigInt(p.rateLimit.usedTokens),
      rateLimitWaiting: p.rateLimit.waiting,
      waitingUntilUnixMs: BigInt(p.rateLimit.waitingUntil),
    };
  });
}

export function topSnapshot(daemon: Daemon): TopShape {
  const s = sessions(daemon);
  const gate = daemon.llm.gate.stats();
  const pool = subprocessPool();
  const mem = process.memoryUsage();
  return {
    sessions: s.rows,
    gate: {
      inFlight: gate.inFlight,
      workers: daemon.llm.workers,
      queuedUser: gate.queued.user,
      queuedPipeline: gate.queued.pipeline,
      waiting: gate.waiting,
    },
    providers: providers(daemon),
    pools: [
      {
        name: 'subprocesses',
        inUse: pool.inUse,
        limit: pool.limit,
        waiting: pool.waiting,
        background: pool.background,
        backgroundLimit: pool.backgroundLimit,
      },
    ],
    pid: process.pid,
    rssBytes: BigInt(mem.rss),
    heapUsedBytes: BigInt(mem.heapUsed),
    uptimeSeconds: (daemon.clock.now() - daemon.startedAt) / 1000,
    loadedSessions: s.loaded,
    totalSessions: s.total,
    nowUnixMs: BigInt(daemon.clock.now()),
  };
}
