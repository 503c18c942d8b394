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
    pools: [{ name: 'subprocesses', inUse: 3, limit: 8, waiting: 0, background: 1, backgroundLimit: 4 }],
    daemon: {
      pid: 4242,
      rssBytes: 90 * 1024 * 1024,
      heapUsedBytes: 40 * 1024 * 1024,
      uptimeSeconds: 7385,
      loadedSessions: 2,
      totalSessions: 12,
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
    expect(text).toContain('subprocesses 3/8 in use · 0 waiting · background 1/4');
    expect(text).toContain('throttled    closed    req 2/2 · tok 1.2k/40k · 1 waiting 42 s');
    expect(text).toContain('no rate limits');
    const row = lines.find((l) => l.includes('session-1')) ?? '';
    expect(row).toMatch(/session-1\s+waiting_approval\s+yes\s+sylk\s+claude-sonnet-4-5\s+\$0\.12\s+1\s+0$/);
    expect(lines.find((l) => l.includes('session-2'))).toMatch(/idle\s+no\s/);
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
      expect(row).toMatch(/ a-very-long-s… +idle +yes +a-proj\S*… +a-model-whose\S*… +\$0\.12 /);
    }
    // A narrow terminal clips whole lines too.
    for (const l of renderTop(view([long]), { width: 40 }, style(false))) expect(l.length).toBeLessThanOrEqual(40);
  });

  it('fits the sessions into the height it is given and says how many more there are', () => {
    const many = Array.from({ length: 30 }, (_, i) => session(i));
    const lines = renderTop(view(many), { width: 80, height: 20 }, style(false));
    expect(lines.length).toBeLessThanOrEqual(20);
    expect(lines.at(-1)).toMatch(/^ {2}… \d+ more$/);
    expect(renderTop(view(many), { width: 80 }, style(false)).filter((l) => l.includes('session-'))).toHaveLength(30);
    expect(renderTop(view([]), { width: 80 }, style(false)).at(-1)).toBe('  no open sessions');
  });
});
