/** `DaemonService.Top`: one snapshot of what the daemon is doing, from accessors it already has. */
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { TopResponseSchema } from '@sylk/proto';
import type { Daemon } from '../daemon.js';

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
  // Running ones are all in loaded sessions: one holds its session loaded.
  const background = countBy(
    host.backgroundProcesses().filter((h) => h.result === undefined),
    (h) => h.sessionId,
  );
  const open = all
    .filter((s) => s.state !== 'closed')
    .map((s) => ({ record: s, loaded: host.isLoaded(s.id) }))
    .sort((a, b) => Number(b.loaded) - Number(a.loaded) || b.record.lastActivityAt - a.record.lastActivityAt)
    .slice(0, MAX_SESSIONS);
  const slots = daemon.resources.scheduler.snapshot().bySession;
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
    tasksRunning: slots[s.id]?.running ?? 0,
    tasksQueued: (slots[s.id]?.queued ?? 0) + (slots[s.id]?.waiting ?? 0),
    share: slots[s.id]?.fraction ?? daemon.resources.shares.fraction(s.id),
    taskSlots: slots[s.id]?.share ?? 0,
  }));
  return { rows, loaded: all.filter((s) => host.isLoaded(s.id)).length, total: all.length };
}

function schedulerRow(daemon: Daemon): NonNullable<TopShape['scheduler']> {
  const { limit, running, queued, waiting, paused } = daemon.resources.scheduler.snapshot();
  return { limit, running, queued, waiting, paused };
}

const TASK_ORDER: Record<string, number> = { running: 0, paused: 1, queued: 2, waiting: 3 };

/** Unfinished tasks of the loaded sessions (an unloaded session has none running). */
function tasks(daemon: Daemon): NonNullable<TopShape['tasks']> {
  return daemon.sessions
    .loadedTasks()
    .map(({ session, task }) => ({
      sessionId: session.id,
      sessionName: session.name,
      id: task.id,
      role: task.role,
      state: task.state,
      goal: task.goal.split('\n')[0]?.slice(0, 200) ?? '',
      costUsd: task.costUsd,
      createdAtUnixMs: BigInt(task.createdAt),
    }))
    .sort(
      (a, b) =>
        (TASK_ORDER[a.state] ?? 9) - (TASK_ORDER[b.state] ?? 9) || Number(a.createdAtUnixMs - b.createdAtUnixMs),
    );
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
    pools: daemon.resources.poolStats().map((p) => ({
      name: p.name,
      inUse: p.inUse,
      limit: p.capacity,
      waiting: p.waiting,
      background: p.background,
      backgroundLimit: p.backgroundLimit,
      reserve: p.reserve,
      reserveInUse: p.reserveInUse,
      preempted: p.preempted,
      timeouts: p.timeouts,
    })),
    scheduler: schedulerRow(daemon),
    tasks: tasks(daemon),
    pid: process.pid,
    rssBytes: BigInt(mem.rss),
    heapUsedBytes: BigInt(mem.heapUsed),
    uptimeSeconds: (daemon.clock.now() - daemon.startedAt) / 1000,
    loadedSessions: s.loaded,
    totalSessions: s.total,
    nowUnixMs: BigInt(daemon.clock.now()),
    pressure: daemon.pressure.top(),
  };
}
