// Tables and messages as a user in a 60-column terminal reads them: real sylkd + sylk, the
// Anthropic provider on the emulator. `ls`, `status`, `providers` and `usage` fit 60 columns
// (CJK and emoji paths counted by display width) with names first; usage by session names them.
// A key set in the user's shell but not in sylkd's environment is said so, and leaves no session.
import stringWidth from 'string-width';
import { afterEach, describe, expect, it } from 'vitest';
import { parseJson, runCli } from '../helpers/sylk.js';
import { KEY, answeringScenario, sessionHarness, type SessionHarness } from '../helpers/sessions.js';

let harnesses: SessionHarness[] = [];
afterEach(async () => {
  await Promise.all(harnesses.map((s) => s.cleanup()));
  harnesses = [];
});

async function harness(): Promise<SessionHarness> {
  const s = await sessionHarness({ scenario: answeringScenario('tables', [], 'Done: **all good**.') });
  harnesses.push(s);
  return s;
}

const wider = (text: string, width: number) => text.split('\n').filter((l) => stringWidth(l) > width);

describe('tables in 60 columns', () => {
  it('ls, status, providers and usage fit, names first, ids dropped, paths cut with …', async () => {
    const s = await harness();
    const cjk = s.project('日本語のプロジェクト-🚀-with-a-rather-long-directory-name');
    const plain = s.project('plain-project');
    for (const [name, dir] of [
      ['alpha-session', cjk],
      ['beta', plain],
    ] as const) {
      const r = await s.cli(['run', '--name', name, '-C', dir, 'hello'], { timeoutMs: 45_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('Done: all good.');
    }
    const [alpha] = (await s.sessions()).filter((x) => x.name === 'alpha-session');
    const narrow = { ...s.h.env, COLUMNS: '60' };

    const ls = await runCli(['ls'], { env: narrow });
    expect(ls.code, ls.stderr).toBe(0);
    expect(wider(ls.stdout, 60)).toEqual([]);
    expect(ls.stdout).toMatch(/^NAME\s+STATE\s+ACTIVE\s+COST\s+PROJECT$/m);
    expect(ls.stdout).toMatch(/^alpha-session\s+idle\s+.*…[^\n]*directory-name$/m);
    expect(ls.stdout).not.toContain(alpha?.id ?? 's_');
    // A pipe without COLUMNS cuts nothing: the whole path and the id.
    const wide = await runCli(['ls'], { env: s.h.env });
    expect(wide.stdout).toContain(cjk);
    expect(wide.stdout).toContain(alpha?.id ?? 's_');

    for (const args of [['status'], ['providers'], ['usage', '--by', 'session,model']]) {
      const r = await runCli(args, { env: narrow });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      expect(wider(r.stdout, 60), args.join(' ')).toEqual([]);
    }
    const providers = await runCli(['providers'], { env: narrow });
    expect(providers.stdout).toMatch(/^provider\s+state\s+key\s+default model$/m);
    expect(providers.stdout).toMatch(/^anthropic\s+ok\s+env ANTHROPIC_\S*\s+claude-sonnet-5-5$/m);

    const usage = await runCli(['usage', '--by', 'session'], { env: narrow });
    expect(usage.stdout).toMatch(/^\s+alpha-session\s+1\s.*\$\d/m);
    expect(usage.stdout).toMatch(/^\s+beta\s+1\s/m);
    const usageJson = parseJson<{ groups: Array<{ rows: Array<{ key: string; name: string | null }> }> }>(
      (await runCli(['usage', '--by', 'session', '--json'], { env: s.h.env })).stdout,
    );
    expect(usageJson.groups[0]?.rows).toContainEqual(
      expect.objectContaining({ key: alpha?.id, name: 'alpha-session' }),
    );
  });
});

describe('a key in the shell but not in sylkd', () => {
  it('says so with what to run, leaves no session behind, and a later turn keeps the session idle', async () => {
    const s = await harness();
    const project = s.project('keyless');
    // sylkd started without the key (as from a service manager or another shell).
    const { ANTHROPIC_API_KEY: _key, ...daemonEnv } = s.h.env;
    expect((await runCli(['daemon', 'start'], { env: daemonEnv })).code).toBe(0);

    const r = await s.cli(['run', '-C', project, 'hello']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ANTHROPIC_API_KEY is set in your shell but not in sylkd's environment");
    expect(r.stderr).toContain('sylk auth login anthropic');
    expect(r.stderr).toContain('sylk daemon restart');
    expect(`${r.stdout}${r.stderr}`).not.toContain(KEY);
    expect(await s.sessions()).toEqual([]);

    // Without the key in the shell either: sylkd's own message, still no session.
    const bare = await runCli(['run', '-C', project, 'hello'], { env: daemonEnv });
    expect(bare.code).toBe(1);
    expect(bare.stderr).toContain('no API key for anthropic');
    expect(await s.sessions()).toEqual([]);

    // An idle session whose next turn finds no key: the error says so, the session stays idle.
    const created = await s.json<{ id: string }>(['new', '-C', project, '--name', 'waiting']);
    expect((await s.cli(['send', created.id, 'hello'])).code).toBe(0);
    const error = await s.waitEvent(created.id, (e) => e.kind === 'error', 'the missing-key error');
    const ended = await s.waitEvent(
      created.id,
      (e) => e.kind === 'state_changed' && e.seq > error.seq && ['idle', 'failed'].includes(String(e.data.to)),
      'the turn to end',
    );
    expect(ended.data.to).toBe('idle');
    const logs = await s.cli(['logs', created.id]);
    expect(logs.stdout).toContain("ANTHROPIC_API_KEY is set in your shell but not in sylkd's environment");
    expect(logs.stdout).not.toContain(KEY);
  });
});

describe('sylk daemon start', () => {
  it('reports a bad value in the environment on the terminal', async () => {
    const s = await harness();
    const r = await runCli(['daemon', 'start'], { env: { ...s.h.env, SYLK_LLM_TIMEOUT: 'soon' } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^sylkd started \(pid \d+/);
    expect(r.stderr).toMatch(/^warning: \$SYLK_LLM_TIMEOUT: llm\.timeout: .+/m);
    const json = await runCli(['daemon', 'restart', '--json'], { env: { ...s.h.env, SYLK_LLM_TIMEOUT: 'soon' } });
    expect(parseJson<{ warnings: Array<{ file: string; path: string }> }>(json.stdout).warnings).toContainEqual(
      expect.objectContaining({ file: '$SYLK_LLM_TIMEOUT', path: 'llm.timeout' }),
    );
    expect(json.stderr).toBe('');
  });
});
