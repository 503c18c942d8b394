// `sylk top` end to end: a real sylkd with the emulator as the model. One session runs a
// background ticker (allowlisted), another is mid-turn waiting on the approval of the same
// command; `sylk top --json` shows both with their state, approvals and background processes,
// and the gate, pool and daemon figures; without a terminal `sylk top` prints one plain snapshot.
import { afterEach, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectHash } from '@sylk/config';
import { scenarioFile, sessionHarness, startDetached, type SessionHarness } from '../helpers/sessions.js';
import { CLI } from '../helpers/sylk.js';
import { count, startTmux, type Tmux } from '../helpers/tmux.js';

interface TopJson {
  sessions: Array<{
    id: string;
    name: string;
    state: string;
    loaded: boolean;
    project: string;
    model: string;
    costUsd: number;
    pendingApprovals: number;
    backgroundProcesses: number;
  }>;
  gate: Record<'inFlight' | 'workers' | 'queuedUser' | 'queuedPipeline' | 'waiting', number>;
  providers: Array<{ name: string; state: string; breaker: string; usedRequests: number; rateLimitWaiting: number }>;
  pools: Array<Record<'inUse' | 'limit' | 'waiting' | 'background' | 'backgroundLimit', number> & { name: string }>;
  daemon: Record<'pid' | 'rssBytes' | 'heapUsedBytes' | 'uptimeSeconds' | 'loadedSessions' | 'totalSessions', number>;
}

let harness: SessionHarness | undefined;
let term: Tmux | undefined;
afterEach(async () => {
  term?.kill();
  term = undefined;
  await harness?.cleanup();
  harness = undefined;
});

describe('sylk top', () => {
  it('shows a session waiting on an approval, one with a background process, and the gate, pools and daemon', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('background') }));
    const allowed = s.fixtureProject('dev-server', 'ticker-allowed');
    const asking = s.fixtureProject('dev-server', 'ticker-asking');
    mkdirSync(join(s.h.home, 'state', 'permissions'), { recursive: true, mode: 0o700 });
    writeFileSync(
      join(s.h.home, 'state', 'permissions', `${projectHash(allowed)}.yaml`),
      'version: 1\ncommands:\n  - pattern: node ticker.js\n',
    );

    const runner = await startDetached(s, allowed, 'start the ticker', ['--name', 'runner']);
    await s.waitEvent(runner.id, (e) => e.kind === 'assistant_message', 'the ticker is running');
    await s.waitState(runner.id, ['idle']);
    // The same command in a project that does not allow it: the turn stops at the approval.
    const waiter = await startDetached(s, asking, 'start the ticker', ['--name', 'waiter']);
    const approval = await s.waitApproval(waiter.id);

    const top = await s.json<TopJson>(['top']);
    const byName = new Map(top.sessions.map((x) => [x.name, x]));
    expect(byName.get('waiter')).toMatchObject({
      id: waiter.id,
      state: 'waiting_approval',
      loaded: true,
      project: 'ticker-asking',
      pendingApprovals: 1,
      backgroundProcesses: 0,
    });
    expect(byName.get('runner')).toMatchObject({
      state: 'idle',
      loaded: true,
      project: 'ticker-allowed',
      pendingApprovals: 0,
      backgroundProcesses: 1,
    });
    expect(byName.get('runner')?.model).not.toBe('');
    for (const v of Object.values(top.gate)) expect(Number.isInteger(v)).toBe(true);
    expect(top.gate.workers).toBeGreaterThan(0);
    const [pool] = top.pools;
    expect(pool).toMatchObject({ name: 'subprocesses', background: 1 });
    expect(pool?.inUse).toBeGreaterThanOrEqual(1);
    expect(pool?.limit).toBeGreaterThanOrEqual(pool?.backgroundLimit ?? Infinity);
    expect(top.providers.find((p) => p.name === 'anthropic')).toMatchObject({ breaker: 'closed', rateLimitWaiting: 0 });
    expect(top.daemon).toMatchObject({ loadedSessions: 2, totalSessions: 2 });
    expect(top.daemon.rssBytes).toBeGreaterThan(0);
    expect(top.daemon.uptimeSeconds).toBeGreaterThan(0);

    // No terminal: one plain snapshot that fits 80 columns, then exit 0.
    const plain = await s.cli(['top']);
    expect(plain.code, plain.stderr).toBe(0);
    const lines = plain.stdout.trimEnd().split('\n');
    for (const l of lines) expect(l.length, l).toBeLessThanOrEqual(80);
    expect(plain.stdout).not.toContain('\u001b[');
    expect(plain.stdout).toMatch(/subprocesses \d+\/\d+ · reserve \d+\/\d+ · \d+ waiting · bg 1\/\d+/);
    expect(plain.stdout).toMatch(/tasks {6}0\/\d+ running · 0 queued/);
    expect(lines.find((l) => l.includes('waiter'))).toMatch(
      /waiting_approval\s+ticker\S*\s+\S+\s+\$\S+\s+1\s+0\s+-\s+\d+%$/,
    );

    // In a terminal: redrawn in place as things change (one header, never scrolled), Ctrl-C quits with 0.
    term = startTmux(`${process.execPath} ${CLI} top`, s.h.env, { cols: 80, rows: 30 });
    await term.waitFor((t) => /waiter +waiting_approval/.test(t), 'the live view');
    expect((await s.cli(['approve', approval.id])).code).toBe(0);
    const moved = await term.waitFor(
      (t) => /waiter +idle +.* 0 +1 +- +\d+%\n/.test(t),
      'the approved session, redrawn',
    );
    expect(moved).toMatch(/subprocesses \d+\/\d+ · reserve \d+\/\d+ · \d+ waiting · bg 2\/\d+/);
    expect(count(moved, 'sylkd pid')).toBe(1);
    term.keys(['C-c']);
    const after = await term.waitFor((t) => t.includes('[exited 0]'), 'top to quit');
    expect(count(after, 'sylkd pid')).toBe(1);
  });
});
