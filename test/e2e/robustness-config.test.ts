// Hostile and half-saved config against a real sylkd: a file nested 2,000 levels deep used to be
// reported once and then abort V8 on the next parse (issue 14). Every path that parses config is
// driven twice or more here, and the daemon must stay up with its last good configuration.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@sylk/config';
import { parseJson, runCli, startForeground, useHomes, waitFor, type SylkHome } from '../helpers/sylk.js';

const home = useHomes();
const DEEP = `llm: ${'['.repeat(2000)}\n`; // the unclosed shape aborted V8 on the second parse
const GOOD = [
  'llm:',
  '  timeout: 42',
  '  providers:',
  '    openai:',
  '      base_url: http://proxy.internal/v1',
  '',
].join('\n');

async function status(
  h: SylkHome,
): Promise<{ pid: number; config: { warnings: Array<{ reason: string; path: string }> } }> {
  const r = await runCli(['--json', 'status'], { env: h.env });
  expect(r.code, r.stderr).toBe(0);
  return parseJson<{ daemon: { pid: number; config: { warnings: Array<{ reason: string; path: string }> } } }>(r.stdout)
    .daemon;
}

async function get(h: SylkHome, key: string, cwd?: string): Promise<unknown> {
  const r = await runCli(['--json', 'config', 'get', key], { env: h.env, ...(cwd ? { cwd } : {}) });
  expect(r.code, r.stderr).toBe(0);
  return parseJson<{ value: unknown }>(r.stdout).value;
}

describe('deeply nested config', () => {
  it('`sylk config validate` reports it with a position every time and the daemon stays up', async () => {
    const h = home();
    const file = join(h.home, 'deep.yaml');
    writeFileSync(file, DEEP);
    let pid: number | undefined;
    for (let i = 0; i < 3; i++) {
      const r = await runCli(['config', 'validate', file], { env: h.env });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stdout).toMatch(/rejected before parsing at line 1, column \d+: nested more than 64 levels deep/);
      const s = await status(h);
      pid ??= s.pid;
      expect(s.pid).toBe(pid);
    }
  });

  it('a repository’s committed .sylk/config.yaml is read twice without harm', async () => {
    const h = home();
    const project = join(h.home, 'repo');
    mkdirSync(join(project, '.sylk'), { recursive: true });
    writeFileSync(join(project, '.sylk', 'config.yaml'), DEEP);
    for (let i = 0; i < 3; i++) {
      expect(await get(h, 'llm.timeout', project)).toBe(DEFAULT_CONFIG.llm.timeout);
      const r = await runCli(['--json', 'config', 'validate'], { env: h.env, cwd: project });
      expect(parseJson<{ valid: boolean; warnings: Array<{ reason: string }> }>(r.stdout).warnings[0]?.reason).toMatch(
        /nested more than 64 levels/,
      );
    }
  });
});

describe('hot reload keeps the last good configuration', () => {
  it('through hostile and half-saved edits, reporting each in `sylk status`, then applies the fix', async () => {
    const h = home();
    const userFile = join(h.home, 'config', 'config.yaml');
    mkdirSync(join(h.home, 'config'), { recursive: true });
    writeFileSync(userFile, GOOD);
    const daemon = await startForeground(h);
    const { pid } = await status(h);
    expect(await get(h, 'llm.providers.openai.base_url')).toBe('http://proxy.internal/v1');

    const edits: Array<[string, RegExp]> = [
      [DEEP, /nested more than 64 levels deep/],
      [`${DEEP}# again\n`, /nested more than 64 levels deep/],
      [GOOD.slice(0, GOOD.indexOf('http') + 8).replace('base_url: ', 'base_url: "'), /not valid YAML at line \d+/],
    ];
    for (const [text, problem] of edits) {
      writeFileSync(userFile, text);
      await waitFor(
        async () => (await status(h)).config.warnings.some((w) => problem.test(w.reason)),
        15_000,
        `a config warning matching ${problem}`,
      );
      const s = await status(h);
      expect(s.pid).toBe(pid);
      expect(s.config.warnings[0]?.reason).toMatch(/the last good version of this file stays in effect/);
      expect(await get(h, 'llm.providers.openai.base_url')).toBe('http://proxy.internal/v1');
      expect(await get(h, 'llm.timeout')).toBe(42);
    }

    // Valid changes apply; an invalid value keeps its last good value.
    writeFileSync(userFile, GOOD.replace('42', '43').replace('http://proxy.internal/v1', '7'));
    await waitFor(async () => (await get(h, 'llm.timeout')) === 43, 15_000, 'the valid edit to apply');
    expect(await get(h, 'llm.providers.openai.base_url')).toBe('http://proxy.internal/v1');
    expect((await status(h)).config.warnings).toEqual([
      expect.objectContaining({
        path: 'llm.providers.openai.base_url',
        reason: expect.stringMatching(/last good value stays in effect/),
      }),
    ]);
    expect(daemon.exitCode).toBeNull();
  });
});
