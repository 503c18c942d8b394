// sylkd's LLM wiring (daemon/src/llm) on a real config store, system.db and emulator: keys from the
// environment, base URLs from config, status lines, the usage report and live budget reload.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorTier, silentLogger, systemClock, type SylkError } from '@sylk/core';
import { ConfigStore, resolveDirs } from '@sylk/config';
import { openSystemDatabase, type SqliteDatabase } from '@sylk/storage';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { Priority } from '@sylk/llm/gate';
import { DaemonLlm } from '../../daemon/src/llm/llm.js';

const KEY = 'sk-daemon-llm-test-9d8c7b6a';
let emu: Emulator;
let home: string;
let store: ConfigStore;
let db: SqliteDatabase;
let llm: DaemonLlm;

function writeConfig(yaml: string): void {
  const dirs = resolveDirs({ SYLK_HOME: home });
  mkdirSync(dirs.config, { recursive: true });
  writeFileSync(join(dirs.config, 'config.yaml'), yaml);
}

function start(env: Record<string, string>, yaml: string): DaemonLlm {
  writeConfig(yaml);
  const dirs = resolveDirs({ SYLK_HOME: home });
  store = new ConfigStore({ dirs, env: { SYLK_HOME: home } });
  db = openSystemDatabase(dirs.data);
  llm = new DaemonLlm({ config: store, db: db.raw, env, clock: systemClock, logger: silentLogger() });
  return llm;
}

const ask = (provider: 'anthropic' | 'openai', model = '') => ({
  provider,
  priority: Priority.Execution,
  sessionId: 'ses-7',
  request: { model, messages: [{ role: 'user' as const, content: 'hi' }] },
});
const rejection = (p: Promise<unknown>) =>
  p.then(
    () => expect.fail('expected a rejection'),
    (e: unknown) => e as SylkError,
  );

const HELLO = {
  apiKey: KEY,
  steps: [{ reply: { text: 'Hello from the emulator.', usage: { input: 1000, output: 200 } } }],
};
beforeAll(async () => {
  emu = await startEmulator({ scenario: HELLO });
});
afterAll(async () => emu.close());
afterEach(async () => {
  emu.setScenario(HELLO);
  await llm?.close();
  db?.close();
  await store?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('DaemonLlm', () => {
  it('sends to the configured base URL with the key from the environment and reports usage', async () => {
    home = mkdtempSync(join(tmpdir(), 'sylk-dl-'));
    emu.reset();
    const d = start({ ANTHROPIC_API_KEY: KEY }, `llm:\n  providers:\n    anthropic:\n      base_url: ${emu.url}\n`);
    await d.ready('anthropic');
    const res = await d.gate.submit(ask('anthropic'));
    expect(res.content).toBe('Hello from the emulator.');
    expect(emu.requests().filter((r) => r.turn !== undefined)).toHaveLength(1);

    const byName = Object.fromEntries(d.providers().map((p) => [p.name, p]));
    expect(byName.anthropic).toMatchObject({
      state: 'ok',
      hasKey: true,
      keySource: 'env ANTHROPIC_API_KEY',
      baseUrl: emu.url,
    });
    expect(byName.openai).toMatchObject({ state: 'no key', hasKey: false, keySource: 'env OPENAI_API_KEY' });
    expect(byName.google).toMatchObject({ state: 'no key', keySource: 'env GOOGLE_API_KEY or GEMINI_API_KEY' });
    expect(d.components().map((c) => c.name)).toEqual(['llm:anthropic', 'llm:google', 'llm:openai', 'llm:gate']);

    const report = d.report({ period: 'day', groupBy: ['provider', 'session'] });
    expect(report.groups.map((g) => g.rows.map((r) => [r.key, r.requests]))).toEqual([
      [['anthropic', 1]],
      [['ses-7', 1]],
    ]);
    expect(report.totals).toMatchObject({ requests: 1, inputTokens: 1000, outputTokens: 200 });
    expect(report.totals.costUsd).toBeGreaterThan(0);
    expect(report.budgets[0]).toMatchObject({ scope: 'global', limitUsd: -1, spentTokens: 1200 });
    expect(JSON.stringify([d.providers(), d.components(), report])).not.toContain(KEY);
  });

  it('fails a request to a provider without a key with llm.auth_missing, early and through the gate, never retried', async () => {
    home = mkdtempSync(join(tmpdir(), 'sylk-dl-'));
    emu.reset();
    const d = start({}, `llm:\n  providers:\n    openai:\n      base_url: ${emu.url}/v1\n`);
    const early = await rejection(d.ready('openai'));
    expect(early).toMatchObject({ code: 'llm.auth_missing', tier: ErrorTier.UserFixable });
    expect(early.message).toContain('OPENAI_API_KEY');
    // A session's requests carry its credential profile to the gate's adapter lookup.
    const viaGate = await rejection(d.gateFor('work').stream(ask('openai')).response);
    expect(viaGate).toMatchObject({
      tier: ErrorTier.UserFixable,
      code: 'llm.auth_missing',
      hint: expect.stringContaining('sylk --profile work auth login openai'),
    });
    expect((viaGate.cause as SylkError).code).toBe('llm.auth_missing');
    expect(d.gate.stats().retried).toBe(0);
    expect(emu.requests()).toHaveLength(0);
  });

  it("sends requests non-streaming once a provider's streams keep dropping, and says so in its status", async () => {
    home = mkdtempSync(join(tmpdir(), 'sylk-dl-'));
    emu.setScenario({
      apiKey: KEY,
      steps: [
        { times: 5, reply: { text: 'This answer never arrives whole.' }, fault: { kind: 'drop', afterChunks: 2 } },
        { reply: { text: 'Whole answer.', usage: { input: 10, output: 3 } } },
      ],
    });
    emu.reset();
    const d = start(
      { ANTHROPIC_API_KEY: KEY },
      [
        'llm:',
        '  providers:',
        `    anthropic: { base_url: "${emu.url}" }`,
        '  circuit_breaker: { consecutive_failures: 50, failure_rate: 1 }',
        '  retry: { transient: { initial_ms: 1, max_ms: 5 } }',
        '',
      ].join('\n'),
    );
    const res = await d.gate.submit(ask('anthropic'));
    expect(res.content).toBe('Whole answer.');
    expect(emu.requests().map((r) => r.stream)).toEqual([true, true, true, true, true, false]);
    const anthropic = d.providers().find((p) => p.name === 'anthropic');
    expect(anthropic).toMatchObject({
      state: 'degraded',
      detail: expect.stringContaining('requests go non-streaming'),
    });
  });

  it('refuses a disabled provider', async () => {
    home = mkdtempSync(join(tmpdir(), 'sylk-dl-'));
    const d = start({ ANTHROPIC_API_KEY: KEY }, 'llm:\n  providers:\n    anthropic:\n      enabled: false\n');
    expect(await rejection(d.ready('anthropic'))).toMatchObject({
      code: 'llm.provider_disabled',
      tier: ErrorTier.UserFixable,
    });
    expect(await rejection(d.gate.submit(ask('anthropic')))).toMatchObject({
      code: 'llm.provider_disabled',
      tier: ErrorTier.UserFixable,
      hint: 'set llm.providers.anthropic.enabled: true',
    });
    expect(d.providers().find((p) => p.name === 'anthropic')?.state).toBe('disabled');
  });

  it('applies a budget change on reload without a restart', async () => {
    home = mkdtempSync(join(tmpdir(), 'sylk-dl-'));
    emu.reset();
    const base = `llm:\n  providers:\n    anthropic:\n      base_url: ${emu.url}\n`;
    const d = start({ ANTHROPIC_API_KEY: KEY }, base);
    await d.gate.submit(ask('anthropic'));
    writeConfig(`${base}budgets:\n  global:\n    usd: 0.001\n`);
    expect(store.reload('test').changed).toBe(true);
    const err = await rejection(d.gate.submit(ask('anthropic')));
    expect(err).toMatchObject({ code: 'llm.budget_exceeded', tier: ErrorTier.UserFixable });
    expect(d.report({ period: 'all', groupBy: ['provider'] }).budgets[0]).toMatchObject({
      scope: 'global',
      limitUsd: 0.001,
    });
  });
});
