/** `sylk top`: the snapshot as plain data (`--json`) and as lines that fit the terminal. */
import { basename } from 'node:path';
import type { TopResponse } from '@sylk/proto/daemon';
import { formatBytes, formatDuration, type Style } from '../output.js';
import { formatUsd } from './session-view.js';

/** What `sylk top --json` prints, and what the view renders. */
export interface TopView {
  sessions: Array<{
    id: string;
    name: string;
    state: string;
    loaded: boolean;
    project: string;
    projectRoot: string;
    provider: string;
    model: string;
    costUsd: number;
    pendingApprovals: number;
    backgroundProcesses: number;
    lastActivityAt: number;
    tasksRunning: number;
    tasksQueued: number;
    /** Fair share of the pools (0–1). */
    share: number;
    taskSlots: number;
  }>;
  scheduler: { limit: number; running: number; queued: number; waiting: number; paused: number };
  tasks: Array<{
    session: string;
    id: string;
    role: string;
    state: string;
    goal: string;
    costUsd: number;
    createdAt: number;
  }>;
  gate: { inFlight: number; workers: number; queuedUser: number; queuedPipeline: number; waiting: number };
  providers: Array<{
    name: string;
    state: string;
    breaker: string;
    requestsPerMinute: number;
    tokensPerMinute: number;
    usedRequests: number;
    usedTokens: number;
    rateLimitWaiting: number;
    waitingUntil: number;
  }>;
  pools: Array<{
    name: string;
    inUse: number;
    limit: number;
    waiting: number;
    background: number;
    backgroundLimit: number;
    reserve: number;
    reserveInUse: number;
    preempted: number;
    timeouts: number;
  }>;
  daemon: {
    pid: number;
    rssBytes: number;
    heapUsedBytes: number;
    uptimeSeconds: number;
    loadedSessions: number;
    totalSessions: number;
  };
  pressure: {
    memoryLevel: string;
    memoryUsedBytes: number;
    memoryCeilingBytes: number;
    diskLevel: string;
    diskUsedBytes: number;
    diskQuotaBytes: number;
    pausedPipelines: number;
    components: Array<{ name: string; bytes: number; budgetBytes: number; evictedBytes: number }>;
  };
  now: number;
}

export function topView(r: TopResponse): TopView {
  return {
    sessions: r.sessions.map((s) => ({
      id: s.id,
      name: s.name,
      state: s.state,
      loaded: s.loaded,
      project: basename(s.projectRoot),
      projectRoot: s.projectRoot,
      provider: s.provider,
      model: s.model,
      costUsd: s.costUsd,
      pendingApprovals: s.pendingApprovals,
      backgroundProcesses: s.backgroundProcesses,
      lastActivityAt: Number(s.lastActivityUnixMs),
      tasksRunning: s.tasksRunning,
      tasksQueued: s.tasksQueued,
      share: s.share,
      taskSlots: s.taskSlots,
    })),
    scheduler: {
      limit: r.scheduler?.limit ?? 0,
      running: r.scheduler?.running ?? 0,
      queued: r.scheduler?.queued ?? 0,
      waiting: r.scheduler?.waiting ?? 0,
      paused: r.scheduler?.paused ?? 0,
    },
    tasks: r.tasks.map((t) => ({
      session: t.sessionName || t.sessionId,
      id: t.id,
      role: t.role,
      state: t.state,
      goal: t.goal,
      costUsd: t.costUsd,
      createdAt: Number(t.createdAtUnixMs),
    })),
    gate: {
      inFlight: r.gate?.inFlight ?? 0,
      workers: r.gate?.workers ?? 0,
      queuedUser: r.gate?.queuedUser ?? 0,
      queuedPipeline: r.gate?.queuedPipeline ?? 0,
      waiting: r.gate?.waiting ?? 0,
    },
    providers: r.providers.map((p) => ({
      name: p.name,
      state: p.state,
      breaker: p.breaker,
      requestsPerMinute: p.requestsPerMinute,
      tokensPerMinute: Number(p.tokensPerMinute),
      usedRequests: p.usedRequests,
      usedTokens: Number(p.usedTokens),
      rateLimitWaiting: p.rateLimitWaiting,
      waitingUntil: Number(p.waitingUntilUnixMs),
    })),
    pools: r.pools.map((p) => ({
      name: p.name,
      inUse: p.inUse,
      limit: p.limit,
      waiting: p.waiting,
      background: p.background,
      backgroundLimit: p.backgroundLimit,
      reserve: p.reserve,
      reserveInUse: p.reserveInUse,
      preempted: p.preempted,
      timeouts: p.timeouts,
    })),
    daemon: {
      pid: r.pid,
      rssBytes: Number(r.rssBytes),
      heapUsedBytes: Number(r.heapUsedBytes),
      uptimeSeconds: r.uptimeSeconds,
      loadedSessions: r.loadedSessions,
      totalSessions: r.totalSessions,
    },
    pressure: {
      memoryLevel: r.pressure?.memoryLevel ?? '',
      memoryUsedBytes: Number(r.pressure?.memoryUsedBytes ?? 0),
      memoryCeilingBytes: Number(r.pressure?.memoryCeilingBytes ?? 0),
      diskLevel: r.pressure?.diskLevel ?? '',
      diskUsedBytes: Number(r.pressure?.diskUsedBytes ?? 0),
      diskQuotaBytes: Number(r.pressure?.diskQuotaBytes ?? 0),
      pausedPipelines: r.pressure?.pausedPipelines ?? 0,
      components: (r.pressure?.components ?? []).map((c) => ({
        name: c.name,
        bytes: Number(c.bytes),
        budgetBytes: Number(c.budgetBytes),
        evictedBytes: Number(c.evictedBytes),
      })),
    },
    now: Number(r.nowUnixMs),
  };
}

/** One line: the memory and disk pressure levels and what they are measured against; yellow or red under pressure. */
function pressureRow(p: TopView['pressure'], st: Style): [string, (s: string) => string] {
  const paused = p.pausedPipelines > 0 ? ` · ${p.pausedPipelines} pipeline(s) paused` : '';
  const text =
    `pressure   memory ${p.memoryLevel} ${formatBytes(p.memoryUsedBytes)}/${formatBytes(p.memoryCeilingBytes)}` +
    ` · disk ${p.diskLevel} ${formatBytes(p.diskUsedBytes)}/${formatBytes(p.diskQuotaBytes)}${paused}`;
  if (p.memoryLevel === 'pause_all_but_user' || p.diskLevel === 'full') return [text, st.red];
  return [text, p.memoryLevel === 'normal' && p.diskLevel === 'ok' ? (s) => s : st.yellow];
}

/** Cut to `n` visible characters, the last one an ellipsis when anything was cut. */
function clip(s: string, n: number): string {
  if (n <= 0) return '';
  return s.length <= n ? s : `${s.slice(0, n - 1)}…`;
}

/** 1234 → 1.2k, 40000 → 40k. */
function compact(n: number): string {
  if (n < 1000) return String(n);
  const [v, unit] = n < 1_000_000 ? [n / 1000, 'k'] : [n / 1_000_000, 'M'];
  return `${v < 10 ? v.toFixed(1).replace(/\.0$/, '') : Math.round(v)}${unit}`;
}

function providerLine(p: TopView['providers'][number], now: number): string {
  const limits: string[] = [];
  if (p.requestsPerMinute > 0) limits.push(`req ${p.usedRequests}/${p.requestsPerMinute}`);
  if (p.tokensPerMinute > 0) limits.push(`tok ${compact(p.usedTokens)}/${compact(p.tokensPerMinute)}`);
  if (limits.length === 0) limits.push('no rate limits');
  if (p.rateLimitWaiting > 0) {
    const wait = Math.max(0, Math.ceil((p.waitingUntil - now) / 1000));
    limits.push(`${p.rateLimitWaiting} waiting ${wait} s`);
  }
  return `  ${p.name.padEnd(10)} ${p.state.padEnd(12)} ${p.breaker.padEnd(9)} ${limits.join(' · ')}`;
}

/** Session columns: [heading, width]; 0 = shares what the fixed ones leave. */
const COLUMNS: Array<[string, number]> = [
  ['SESSION', 14],
  ['STATE', 16],
  ['PROJECT', 0],
  ['MODEL', 0],
  ['COST', 7],
  ['APPR', 4],
  ['BG', 2],
  ['TASKS', 5],
  ['SHARE', 5],
];

function sessionRows(sessions: TopView['sessions'], width: number): string[] {
  const fixed = COLUMNS.reduce((sum, [, w]) => sum + w, 0) + COLUMNS.length - 1 + 2;
  const flexible = Math.max(12, width - fixed);
  const project = Math.min(24, Math.floor(flexible * 0.45));
  const model = Math.min(32, flexible - project);
  const widths = COLUMNS.map(([, w], i) => (w > 0 ? w : i === 2 ? project : model));
  const row = (cells: string[]) =>
    `  ${cells.map((c, i) => (i === cells.length - 1 ? clip(c, widths[i] ?? 0) : clip(c, widths[i] ?? 0).padEnd(widths[i] ?? 0))).join(' ')}`;
  return [
    row(COLUMNS.map(([h]) => h)),
    ...sessions.map((s) =>
      row([
        s.name || s.id.slice(0, 10),
        s.state,
        s.project,
        s.model || s.provider,
        formatUsd(s.costUsd),
        String(s.pendingApprovals),
        String(s.backgroundProcesses),
        s.tasksRunning + s.tasksQueued > 0 ? `${s.tasksRunning}+${s.tasksQueued}` : '-',
        `${Math.round(s.share * 100)}%`,
      ]),
    ),
  ];
}

function poolLine(p: TopView['pools'][number]): string {
  const background = p.backgroundLimit > 0 ? ` · bg ${p.background}/${p.backgroundLimit}` : '';
  const lent = p.preempted > 0 ? ` · ${p.preempted} lent to you` : '';
  return `pool       ${p.name} ${p.inUse}/${p.limit} · reserve ${p.reserveInUse}/${p.reserve} · ${p.waiting} waiting${background}${lent}`;
}

function sessionStyle(state: string, loaded: boolean, st: Style): (s: string) => string {
  if (state === 'waiting_approval') return st.yellow;
  if (state === 'running') return st.green;
  if (state === 'failed') return st.red;
  return loaded ? (s) => s : st.dim;
}

export interface TopLayout {
  /** Terminal columns; every line fits. */
  width: number;
  /** Terminal rows the whole view may take (live mode); undefined = every session. */
  height?: number;
}

/** The view as lines, none wider than `layout.width`; sessions beyond `layout.height` become "… N more". */
export function renderTop(v: TopView, layout: TopLayout, st: Style): string[] {
  const width = Math.max(20, layout.width);
  const d = v.daemon;
  const g = v.gate;
  const head: Array<[string, (s: string) => string]> = [
    [
      `sylkd pid ${d.pid} · up ${formatDuration(d.uptimeSeconds)} · RSS ${formatBytes(d.rssBytes)} · heap ${formatBytes(d.heapUsedBytes)} · loaded ${d.loadedSessions} of ${d.totalSessions}`,
      st.bold,
    ],
    [
      `gate       ${g.inFlight}/${g.workers} in flight · queued ${g.queuedUser} user + ${g.queuedPipeline} pipeline · ${g.waiting} parked`,
      (s) => s,
    ],
    ...(v.pressure.memoryLevel === '' ? [] : [pressureRow(v.pressure, st)]),
    ...v.pools.map((p): [string, (s: string) => string] => [poolLine(p), p.preempted > 0 ? st.yellow : (s) => s]),
    [
      `tasks      ${v.scheduler.running}/${v.scheduler.limit} running · ${v.scheduler.queued} queued · ${v.scheduler.waiting} waiting on others · ${v.scheduler.paused} paused`,
      (s) => s,
    ],
    ...v.tasks.map((t): [string, (s: string) => string] => [
      `  ${t.id} ${t.role} ${t.state} ${formatUsd(t.costUsd)} [${t.session}] ${t.goal}`,
      t.state === 'running' ? st.green : t.state === 'paused' ? st.yellow : st.dim,
    ]),
    ['providers  state · breaker · rate limit used/limit per minute', st.bold],
    ...v.providers.map((p): [string, (s: string) => string] => [
      providerLine(p, v.now),
      p.state === 'ok' ? (s) => s : p.state === 'no key' || p.state === 'disabled' ? st.dim : st.yellow,
    ]),
    [`sessions (${v.sessions.length} open)`, st.bold],
  ];
  const [heading = '', ...rows] = sessionRows(v.sessions, width);
  const room = layout.height === undefined ? rows.length : Math.max(1, layout.height - head.length - 2);
  const shown = rows.length > room ? room - 1 : rows.length;
  const body: Array<[string, (s: string) => string]> = [
    [heading, st.dim],
    ...rows
      .slice(0, shown)
      .map((r, i): [string, (s: string) => string] => [
        r,
        sessionStyle(v.sessions[i]?.state ?? '', v.sessions[i]?.loaded ?? false, st),
      ]),
  ];
  if (shown < rows.length) body.push([`  … ${rows.length - shown} more`, st.dim]);
  if (v.sessions.length === 0) body.splice(0, 1, ['  no open sessions', st.dim]);
  // Clipped before styling: escape codes take no columns.
  return [...head, ...body].map(([text, paint]) => paint(clip(text, width)));
}
