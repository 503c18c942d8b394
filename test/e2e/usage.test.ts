// `sylk usage` and `sylk providers` against a real sylkd whose system.db was seeded before it started
// (rows shaped like the gate writes them), with anthropic pointed at an emulator by SYLK_* env.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { openSystemDatabase } from '@sylk/storage';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { parseJson, runCli, useHomes, type RunResult, type SylkHome } from '../helpers/sylk.js';

const KEY = 'test-key';
let emu: Emulator;
const outputs: RunResult[] = [];

beforeAll(async () => {
  emu = await startEmulator({ scenario: { apiKey: KEY, steps: [{ reply: { text: 'ok' } }] } });
});
afterAll(async () => emu.close());
const home = useHomes(() => ({ ANTHROPIC_API_KEY: KEY, SYLK_LLM_PROVIDERS_ANTHROPIC_BASE_URL: emu.url }));

async function cli(h: SylkHome, ...args: string[]): Promise<RunResult> {
  const r = await runCli(args, { env: h.env });
  outputs.push(r);
  return r;
}

const DAY = 86_400_000;

/** Rows as the gate's UsageStore inserts them, written before sylkd opens the database. */
function seed(h: SylkHome): void {
  const db = openSystemDatabase(join(h.home, 'data'));
  const now = Date.now();
  const insert = db.raw.prepare(
    `INSERT INTO usage (ts, request_id, session_id, pipeline_id, task_id, agent_id, agent_type, provider, model,
       input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd, latency_ms, outcome)
     VALUES (?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 900, 'ok')`,
  );
  insert.run(
    now - 1,
    'llm-1',
    'ses-a',
    'task-1',
    'agent-1',
    'coder',
    'anthropic',
    'claude-sonnet-4-5-20250901',
    1000,
    200,
    300,
    0.00609,
  );
  insert.run(
    now - 1,
    'llm-2',
    'ses-a',
    'task-2',
    'agent-2',
    'reviewer',
    'openai',
    'gpt-5.2-codex',
    2000,
    100,
    0,
    0.0049,
  );
  insert.run(
    now - 1,
    'llm-3',
    'ses-b',
    'task-3',
    'agent-3',
    'coder',
    'anthropic',
    'claude-haiku-4-5-20251001',
    100,
    10,
    0,
    0.00015,
  );
  insert.run(
    now - 40 * DAY,
    'llm-4',
    'ses-old',
    'task-4',
    'agent-4',
    'coder',
    'anthropic',
    'claude-sonnet-4-5-20250901',
    100_000,
    80_000,
    0,
    1.5,
  );
  db.raw
    .prepare(
      `INSERT INTO circuit_breakers (resource_id, state, failures, last_failure, last_state_change, cooldown_ends) VALUES ('llm:openai', 'open', 5, ?, ?, ?)`,
    )
    .run(now, now, now + 600_000);
  db.close();
}

interface Report {
  period: string;
  since: string | null;
  until: string;
  filters: Record<string, string | null>;
  totals: { requests: number; inputTokens: number; outputTokens: number; cacheReadTokens: number; costUsd: number };
  groups: Array<{ by: string; rows: Array<{ key: string; requests: number; costUsd: number }> }>;
  budgets: Array<{ scope: string; key: string; limitUsd: number | null; spentUsd: number }>;
}
const keys = (r: Report, i = 0) => r.groups[i]?.rows.map((row) => [row.key, row.requests]);

describe('sylk usage', () => {
  it('prints a clean empty report (table and JSON) after auto-starting the daemon', async () => {
    const h = home();
    const r = await cli(h, 'usage', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = parseJson<Report>(r.stdout);
    expect(j).toMatchObject({ period: 'all', since: null, filters: { session: null, provider: null, model: null } });
    expect(j.totals).toEqual({
      requests: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd: 0,
    });
    expect(j.groups).toEqual([{ by: 'provider', rows: [] }]);
    expect(j.budgets).toEqual([
      { scope: 'global', key: '', limitUsd: null, limitTokens: null, spentUsd: 0, spentTokens: 0 },
    ]);
    const table = await cli(h, 'usage', '--period', 'week', '--provider', 'google');
    expect(table.stdout).toContain('no usage recorded for this week (provider google)');
    expect((await cli(h, 'usage', '--period', 'year')).code).toBe(2);
  });

  it('groups, filters and bounds by period over seeded rows, with budget vs actual', async () => {
    const h = home({ SYLK_BUDGETS_GLOBAL_USD: '5' });
    seed(h);
    const all = parseJson<Report>((await cli(h, 'usage', '--json')).stdout);
    expect(all.totals.requests).toBe(4);
    expect(all.totals.costUsd).toBeCloseTo(1.51114, 6);
    expect(keys(all)).toEqual([
      ['anthropic', 3],
      ['openai', 1],
    ]);
    expect(all.budgets[0]).toMatchObject({ scope: 'global', limitUsd: 5 });
    expect(all.budgets[0]?.spentUsd).toBeCloseTo(1.51114, 6);

    const day = parseJson<Report>((await cli(h, 'usage', '--json', '--period', 'day')).stdout);
    expect(day.totals.requests).toBe(3);
    expect(new Date(day.since ?? '').getHours()).toBe(0);
    const month = parseJson<Report>((await cli(h, 'usage', '--json', '--period', 'month')).stdout);
    expect(month.totals.requests).toBe(3);

    const session = parseJson<Report>((await cli(h, 'usage', '--json', '--session', 'ses-a', '--detailed')).stdout);
    expect(session.groups.map((g) => g.by)).toEqual(['provider', 'model', 'agent', 'task']);
    expect(keys(session, 2)).toEqual([
      ['coder', 1],
      ['reviewer', 1],
    ]);
    expect(keys(session, 3)).toEqual([
      ['task-1', 1],
      ['task-2', 1],
    ]);
    expect(session.budgets.map((b) => [b.scope, b.key])).toEqual([
      ['global', ''],
      ['session', 'ses-a'],
    ]);

    const model = parseJson<Report>(
      (await cli(h, 'usage', '--json', '--model', 'claude-haiku-4-5-20251001', '--by', 'session')).stdout,
    );
    expect(keys(model)).toEqual([['ses-b', 1]]);

    const table = await cli(h, 'usage', '--period', 'day', '--provider', 'openai');
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toContain('LLM usage — today (provider openai): 1 requests, $0.0049');
    expect(table.stdout).toMatch(/openai\s+1\s+2,000\s+100\s+0\s+0\s+\$0\.0049/);
    expect(table.stdout).toMatch(/global\s+\$1\.51 of \$5\.00 \(30%\)/);
  });
});

describe('sylk providers', () => {
  it('shows keys by variable name, breakers restored from system.db, and resets one', async () => {
    const h = home();
    seed(h);
    const r = await cli(h, 'providers', '--json');
    expect(r.code, r.stderr).toBe(0);
    const j = parseJson<{
      providers: Array<{
        name: string;
        hasKey: boolean;
        keySource: string;
        baseUrl: string;
        state: string;
        circuit: { state: string; failures: number };
      }>;
      gate: { workers: number; queuedUser: number };
    }>(r.stdout);
    const by = Object.fromEntries(j.providers.map((p) => [p.name, p]));
    expect(by.anthropic).toMatchObject({
      hasKey: true,
      keySource: 'env ANTHROPIC_API_KEY',
      baseUrl: emu.url,
      state: 'ok',
      circuit: { state: 'closed' },
    });
    expect(by.openai).toMatchObject({ hasKey: false, state: 'no key', circuit: { state: 'open', failures: 5 } });
    expect(j.gate).toMatchObject({ workers: 16, queuedUser: 0 });

    const status = parseJson<{ daemon: { components: Array<{ name: string; state: string }> } }>(
      (await cli(h, 'status', '--json')).stdout,
    );
    expect(status.daemon.components).toEqual(
      expect.arrayContaining([
        { name: 'llm:anthropic', state: 'ok', detail: expect.stringContaining('env ANTHROPIC_API_KEY') },
        expect.objectContaining({ name: 'llm:gate' }),
      ]),
    );

    const reset = parseJson<{ provider: string; previousState: string; circuit: { state: string } }>(
      (await cli(h, 'providers', 'reset-breaker', 'openai', '--json')).stdout,
    );
    expect(reset).toMatchObject({ provider: 'openai', previousState: 'open', circuit: { state: 'closed' } });
    const after = parseJson<{ providers: Array<{ name: string; circuit: { state: string } }> }>(
      (await cli(h, 'providers', '--json')).stdout,
    );
    expect(after.providers.find((p) => p.name === 'openai')?.circuit.state).toBe('closed');

    const bad = await cli(h, 'providers', 'reset-breaker', 'nosuch');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("unknown provider 'nosuch'");
    const table = await cli(h, 'providers');
    expect(table.stdout).toMatch(/anthropic\s+ok\s+closed\s+env ANTHROPIC_API_KEY/);
  });

  it('never shows the key value in any output or daemon log', async () => {
    const h = home();
    await cli(h, 'providers', '--json');
    await cli(h, 'status');
    const logs = join(h.home, 'state', 'logs');
    const logText = readdirSync(logs)
      .map((f) => readFileSync(join(logs, f), 'utf8'))
      .join('\n');
    expect(logText).toContain('sylkd ready');
    for (const text of [logText, ...outputs.flatMap((o) => [o.stdout, o.stderr])]) expect(text).not.toContain(KEY);
  });
});
