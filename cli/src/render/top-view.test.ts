import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import { visibleLength } from './markdown.js';
import { renderTop, type TopView } from './top-view.js';

const NOW = Date.UTC(2026, 0, 1);

function session(i: number, over: Partial<TopView['sessions'][number]> = {}): TopView['sessions'][number] {
  return {
    id: `s_${String(i).padStart(20, '0')}`,
    name: `session-${i}`,
    state: 'idle',
    loaded: true,
    project: 'sylk',
    projectRoot: '/work/sylk',
    provider: 'anthropic',
    model: 'claude-sonnet-4-5',
    costUsd: 0.1234,
    pendingApprovals: 0,
    backgroundProcesses: 0,
    lastActivityAt: NOW,
    tasksRunning: 1,
    tasksQueued: 2,
    share: 0.4,
    taskSlots: 1,
    ...over,
  };
}

function view(sessions: TopView['sessions']): TopView {
  return {
    sessions,
    gate: { inFlight: 1, workers: 4, queuedUser: 2, queuedPipeline: 0, waiting: 1 },
    providers: [
      {
        name: 'anthropic',
        state: 'throttled',
        breaker: 'closed',
        requestsPerMinute: 2,
        tokensPerMinute: 40_000,
        usedRequests: 2,
        usedTokens: 1234,
        rateLimitWaiting: 1,
        waitingUntil: NOW + 42_000,
      },
      {
        name: 'openai',
        state: 'no key',
        breaker: 'closed',
        requestsPerMinute: 0,
        tokensPerMinute: 0,
        usedRequests: 0,
        usedTokens: 0,
        rateLimitWaiting: 0,
        waitingUntil: 0,
      },
    ],
    pools: [
      {
        name: 'subprocesses',
        inUse: 3,
        limit: 8,
        waiting: 0,
        background: 1,
        backgroundLimit: 4,
        reserve: 2,
        reserveInUse: 1,
        preempted: 1,
        timeouts: 0,
      },
    ],
    scheduler: { limit: 2, running: 2, queued: 3, waiting: 1, paused: 0 },
    tasks: [
      {
        session: 'session-1',
        id: 't1',
        role: 'engineer',
        state: 'running',
        goal: 'fix the failing parser test in a very long goal that will need to be clipped at the edge',
        costUsd: 0.01,
        createdAt: NOW,
      },
    ],
    daemon: {
      pid: 4242,
      rssBytes: 90 * 1024 * 1024,
      heapUsedBytes: 40 * 1024 * 1024,
      uptimeSeconds: 7385,
      loadedSessions: 2,
      totalSessions: 12,
    },
    pressure: {
      memoryLevel: 'pause_new_pipelines',
      memoryUsedBytes: 820 * 1024 * 1024,
      memoryCeilingBytes: 1024 * 1024 * 1024,
      diskLevel: 'ok',
      diskUsedBytes: 5 * 1024 * 1024,
      diskQuotaBytes: 1024 * 1024 * 1024,
      pausedPipelines: 2,
      components: [],
    },
    now: NOW,
  };
}

describe('sylk top rendering', () => {
  it('shows the gate, pools, providers and every session, each line within 80 columns', () => {
    const lines = renderTop(
      view([session(1, { state: 'waiting_approval', pendingApprovals: 1 }), session(2, { loaded: false })]),
      { width: 80 },
      style(false),
    );
    for (const l of lines) expect(visibleLength(l), l).toBeLessThanOrEqual(80);
    const text = lines.join('\n');
    expect(text).toContain('sylkd pid 4242 · up 2h 3m · RSS 90.0 MB');
    expect(text).toContain('loaded 2 of 12');
    expect(text).toContain('1/4 in flight · queued 2 user + 0 pipeline · 1 parked');
    expect(text).toContain('subprocesses 3/8 · reserve 1/2 · 0 waiting · bg 1/4 · 1 lent to you');
    expect(text).toContain('tasks      2/2 running · 3 queued · 1 waiting on others · 0 paused');
    expect(text).toMatch(/ {2}t1 engineer running \$0\.01 \[session-1\] fix the failing/);
    expect(text).toContain('throttled    closed    req 2/2 · tok 1.2k/40k · 1 waiting 42 s');
    expect(text).toContain('no rate limits');
    expect(text).toMatch(/pressure {3}memory pause_new_pipelines 820\.0 MB\/1\.0 GB · disk ok 5\.0 MB\/1\.0 GB/);
    const row = lines.find((l) => l.startsWith('  session-1')) ?? '';
    expect(row).toMatch(/session-1\s+waiting_approval\s+sylk\s+claude-\S+\s+\$0\.12\s+1\s+0\s+1\+2\s+40%$/);
    // An unloaded session's row is dimmed (see sessionStyle); `--json` says `loaded`.
    expect(lines.find((l) => l.startsWith('  session-2'))).toMatch(/idle\s+sylk\s/);
  });

  it('truncates long names, projects and models with an ellipsis, coloured or not', () => {
    const long = session(1, {
      name: 'a-very-long-session-name-that-does-not-fit',
      project: 'a-project-with-a-name-longer-than-any-column',
      model: 'a-model-whose-identifier-goes-on-and-on-and-on',
    });
    for (const st of [style(false), style(true)]) {
      const lines = renderTop(view([long]), { width: 80 }, st);
      for (const l of lines) expect(visibleLength(l), l).toBeLessThanOrEqual(80);
      const row = lines.find((l) => l.includes('a-very-long')) ?? '';
      expect(row).toMatch(/ a-very-long-s… +idle +a-proj\S*… +a-model\S*… +\$0\.12 /);
    }
    // A narrow terminal clips whole lines too.
    for (const l of renderTop(view([long]), { width: 40 }, style(false))) expect(l.length).toBeLessThanOrEqual(40);
  });

  it('fits the sessions into the height it is given and says how many more there are', () => {
    const many = Array.from({ length: 30 }, (_, i) => session(i));
    const lines = renderTop(view(many), { width: 80, height: 20 }, style(false));
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines.at(-1)).toMatch(/^ {2}… \d+ more$/);
    expect(renderTop(view(many), { width: 80 }, style(false)).filter((l) => /^ {2}session-/.test(l))).toHaveLength(30);
    expect(renderTop(view([]), { width: 80 }, style(false)).at(-1)).toBe('  no open sessions');
  });
});
