// Provider streams and errors as a user meets them: real sylkd + sylk, the Anthropic provider on an
// in-process sylk-emulator. A rejected key keeps its code and hint and marks the provider in
// `sylk status`; a retry shows while it waits; a stream held open after its last event completes;
// keep-alives alone end at the first-output timeout; unknown providers and models are named.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Scenario } from '@sylk/emulator';
import { parseJson, runCli } from '../helpers/sylk.js';
import { KEY, sessionHarness, type EventJson, type SessionHarness } from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
async function harness(steps: Scenario['steps'], config: string[] = []): Promise<SessionHarness> {
  const s = await sessionHarness({ scenario: { name: 'llm-errors', apiKey: KEY, steps } });
  harnesses.push(s);
  if (config.length > 0) {
    // The harness wrote the provider block; add the test's own llm settings after it.
    const path = join(s.h.home, 'config', 'config.yaml');
    writeFileSync(path, `${readFileSync(path, 'utf8')}${config.join('\n')}\n`);
  }
  return s;
}
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

const ofKind = (events: EventJson[], kind: string) => events.filter((e) => e.kind === kind);

interface StatusJson {
  daemon: { components: Array<{ name: string; state: string; detail: string }> };
}

const anthropicState = (status: { stdout: string }) =>
  parseJson<StatusJson>(status.stdout).daemon.components.find((c) => c.name === 'llm:anthropic')?.state;

describe('provider errors in a session', () => {
  it('a rejected key: the error event keeps code and hint, the view says it once, status marks the provider', async () => {
    const s = await harness([{ name: 'rejected', fault: { kind: 'unauthorized' } }]);
    const project = s.project('auth');
    const r = await s.cli(['run', '--yes', '-C', project, 'hello'], { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(
      /✗ anthropic rejected the API key from env ANTHROPIC_API_KEY \(HTTP 401 authentication_error\): invalid x-api-key\n/,
    );
    expect(r.stdout).toContain('→ Check or replace the key: sylk auth login anthropic');
    expect(r.stdout).not.toMatch(/after \d+ attempts|request failed/);

    const [session] = await s.sessions();
    const [error] = ofKind(await s.events(session?.id ?? ''), 'error');
    expect(error?.data).toMatchObject({
      code: 'llm.auth_failed',
      tier: 'user_fixable',
      hint: 'Check or replace the key: sylk auth login anthropic',
    });
    expect(s.emu.requests().filter((q) => q.turn !== undefined)).toHaveLength(1);

    const status = await s.cli(['--json', 'status']);
    const provider = parseJson<StatusJson>(status.stdout).daemon.components.find((c) => c.name === 'llm:anthropic');
    expect(provider).toMatchObject({
      state: 'auth failed',
      detail: expect.stringContaining('run `sylk auth login anthropic`'),
    });
    expect((await s.cli(['status'])).stdout).toMatch(/llm:anthropic\s+auth failed/);

    // A changed key clears the mark; the next rejection sets it again.
    const login = await runCli(['auth', 'login', 'anthropic', '--api-key-stdin', '--skip-verify'], {
      env: s.h.env,
      input: 'sk-ant-another-key-0123456789',
    });
    expect(login.code, login.stderr).toBe(0);
    expect(anthropicState(await s.cli(['--json', 'status']))).toBe('ok');
    expect((await s.cli(['run', '--yes', '-C', project, 'hello'], { timeoutMs: 45_000 })).code).toBe(1);
    expect(anthropicState(await s.cli(['--json', 'status']))).toBe('auth failed');

    // A request that succeeds clears the mark.
    s.emu.setScenario({ apiKey: KEY, steps: [{ reply: { text: 'Hello again.' } }] });
    const ok = await s.cli(['run', '--yes', '-C', project, 'hello again'], { timeoutMs: 45_000 });
    expect(ok.code, ok.stderr).toBe(0);
    expect(anthropicState(await s.cli(['--json', 'status']))).toBe('ok');
  });

  it('shows a rate-limit retry while the user waits, then the answer', async () => {
    const s = await harness([
      { name: 'limited', times: 1, fault: { kind: 'rate_limit', retryAfter: 1 } },
      { name: 'answer', reply: { text: 'Here it is.' } },
    ]);
    const r = await s.cli(['run', '--yes', '-C', s.project('retry'), 'hello'], { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('! anthropic rate limited the request; retrying in 1 s (retry 1 of ');
    expect(r.stdout).toContain('Here it is.');
    const [session] = await s.sessions();
    const notices = ofKind(await s.events(session?.id ?? ''), 'notice').filter((e) => e.data.code === 'llm.retrying');
    expect(notices).toHaveLength(1);
    expect(notices[0]?.data.delayMs).toBeGreaterThan(500); // the pause until Retry-After, less the time since it began
  });
});

describe('provider streams in a session', () => {
  it('a stream whose server keeps the body open after its final event completes, with no chunk timeout', async () => {
    const s = await harness(
      [{ reply: { text: 'Complete answer.' }, fault: { kind: 'hold_open' } }],
      ['  stream:', '    chunk_timeout_seconds: 2'],
    );
    const r = await s.cli(['run', '--yes', '-C', s.project('held'), 'hello'], { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('Complete answer.');
    const [session] = await s.sessions();
    const events = await s.events(session?.id ?? '');
    expect(ofKind(events, 'error')).toEqual([]);
    expect(ofKind(events, 'assistant_message').at(-1)?.data).toMatchObject({ text: 'Complete answer.' });
    expect(ofKind(events, 'assistant_message').at(-1)?.data.partial).toBeUndefined();
  });

  it('keep-alives alone end at llm.stream.first_output_timeout_seconds with a named error', async () => {
    const s = await harness(
      [{ reply: { text: 'never sent' }, fault: { kind: 'keepalive', intervalMs: 200 } }],
      [
        // Pings every 200 ms keep the stream past the 3 s stall timeout until the 6 s first-output bound.
        '  stream:',
        '    chunk_timeout_seconds: 3',
        '    first_output_timeout_seconds: 6',
        '  retry:',
        '    transient:',
        '      attempts: 0',
      ],
    );
    const r = await s.cli(['run', '--yes', '-C', s.project('pings'), 'hello'], { timeoutMs: 45_000 });
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain('✗ anthropic sent no output within 6 s of the request (only keep-alives)');
    const [session] = await s.sessions();
    const [error] = ofKind(await s.events(session?.id ?? ''), 'error');
    expect(error?.data).toMatchObject({
      code: 'llm.first_output_timeout',
      tier: 'transient',
      hint: expect.stringContaining('first_output_timeout_seconds'),
    });
  });
});

describe('choosing a provider and model', () => {
  it('refuses an unknown provider, naming the known ones; no session is created', async () => {
    const s = await harness([{ reply: { text: 'unused' } }]);
    const r = await s.cli(['run', '--provider', 'nosuch', '-C', s.project('p'), 'hello']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("unknown provider 'nosuch'");
    expect(r.stderr).toContain('use one of: anthropic, openai, google, openai-compatible');
    expect(r.stderr).not.toContain('is not iterable');
    expect(await s.sessions()).toEqual([]);
  });

  it('refuses a model of another provider, and runs a model the catalogue does not know with a notice', async () => {
    const s = await harness([{ reply: { text: 'Answered by the new model.' } }]);
    const wrong = await s.cli(['run', '--provider', 'anthropic', '--model', 'gpt-5.2', '-C', s.project('p'), 'hello']);
    expect(wrong.code).not.toBe(0);
    expect(wrong.stderr).toContain("model 'gpt-5.2' belongs to provider openai, not anthropic");

    const r = await s.cli(['run', '--yes', '--model', 'claude-sonnet-9-9', '-C', s.project('q'), 'hello'], {
      timeoutMs: 45_000,
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("! model 'claude-sonnet-9-9' is not in sylk's catalogue for anthropic");
    expect(r.stdout).toContain('Answered by the new model.');
    expect((s.emu.requests().at(-1)?.body as { model: string }).model).toBe('claude-sonnet-9-9');
  });
});
