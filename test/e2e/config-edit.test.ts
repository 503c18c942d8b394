// `sylk config set|unset|get` against a real sylkd: values are checked against the schema before
// anything is written, files keep their comments, a repository's file keeps to the allow-list,
// the daemon applies a change at once, and `get` says where each value comes from.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '@sylk/config';
import { parseJson, runCli, startForeground, useHomes, type SylkHome } from '../helpers/sylk.js';

const home = useHomes();
const ENV_VAR = 'SYLK_LLM_STREAM_CHUNK_TIMEOUT_SECONDS';
const SECRET = 'sk-e2e-config-secret-4711';

interface Origin {
  key: string;
  value: unknown;
  layer: string;
  source: string;
}

async function cli(h: SylkHome, args: string[], cwd: string) {
  return runCli(args, { env: h.env, cwd });
}

async function get(h: SylkHome, key: string, cwd: string): Promise<{ value: unknown; origins: Origin[] }> {
  const r = await cli(h, ['--json', 'config', 'get', key], cwd);
  expect(r.code, r.stderr).toBe(0);
  return parseJson<{ value: unknown; origins: Origin[] }>(r.stdout);
}

describe('sylk config set / unset / get', () => {
  it('writes checked values to the user or project file and shows where each value comes from', async () => {
    const h = home({ [ENV_VAR]: '90' });
    const userFile = join(h.home, 'config', 'config.yaml');
    mkdirSync(join(h.home, 'config'), { recursive: true });
    writeFileSync(userFile, '# my settings\nsessions:\n  max_turns: 7 # keep\n');
    const project = join(h.home, 'proj');
    mkdirSync(join(project, '.sylk'), { recursive: true });
    const projectFile = join(project, '.sylk', 'config.yaml');
    const outside = h.home;
    await startForeground(h);

    // A valid value: written with the comments kept, applied by the daemon at once, shown from the user file.
    let r = await cli(h, ['config', 'set', 'llm.timeout', '30'], outside);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`set llm.timeout in ${userFile}`);
    expect(r.stdout).toMatch(new RegExp(`llm.timeout = 30 +← user file ${userFile}`));
    expect(readFileSync(userFile, 'utf8')).toBe(
      '# my settings\nsessions:\n  max_turns: 7 # keep\nllm:\n  timeout: 30\n',
    );
    expect(await get(h, 'llm.timeout', outside)).toEqual({
      key: 'llm.timeout',
      value: 30,
      origins: [{ key: 'llm.timeout', value: 30, layer: 'user', source: userFile }],
    });
    r = await cli(h, ['config', 'get', 'llm.timeout'], outside);
    expect(r.stdout.trim()).toBe(`llm.timeout = 30  ← user file ${userFile}`);

    // An invalid value: the schema's message, nothing written, the daemon still answers.
    const before = readFileSync(userFile, 'utf8');
    r = await cli(h, ['config', 'set', 'llm.timeout', 'soon'], outside);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Not written: ${userFile}: llm.timeout: must be integer; got "soon"`);
    r = await cli(h, ['config', 'set', 'llm.timout', '5'], outside);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/unknown config key "llm.timout"; valid keys under "llm": .*timeout/);
    expect(readFileSync(userFile, 'utf8')).toBe(before);
    expect((await get(h, 'llm.timeout', outside)).value).toBe(30);

    // --project: an allow-listed key goes to the project's file and wins inside the project.
    r = await cli(h, ['config', 'set', '--project', 'sessions.max_turns', '12'], project);
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(projectFile, 'utf8')).toBe('sessions:\n  max_turns: 12\n');
    expect((await get(h, 'sessions.max_turns', project)).origins).toEqual([
      { key: 'sessions.max_turns', value: 12, layer: 'project', source: projectFile },
    ]);
    expect((await get(h, 'sessions.max_turns', outside)).origins).toEqual([
      { key: 'sessions.max_turns', value: 7, layer: 'user', source: userFile },
    ]);
    // …and one a repository may not set is refused, naming the allow-list and the user file.
    r = await cli(
      h,
      ['config', 'set', '--project', 'llm.providers.openai.base_url', 'https://elsewhere.example'],
      project,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("llm.providers.openai.base_url cannot be set in a project's .sylk/config.yaml");
    expect(r.stderr).toContain('a repository may set only llm.default_provider');
    expect(r.stderr).toContain('sylk config set llm.providers.openai.base_url <value> (without --project)');
    expect(readFileSync(projectFile, 'utf8')).not.toContain('elsewhere');

    // Unset: back to the default.
    r = await cli(h, ['config', 'unset', 'llm.timeout'], outside);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`removed llm.timeout from ${userFile}`);
    expect((await get(h, 'llm.timeout', outside)).origins).toEqual([
      { key: 'llm.timeout', value: DEFAULT_CONFIG.llm.timeout, layer: 'defaults', source: expect.any(String) },
    ]);
    r = await cli(h, ['config', 'unset', 'llm.timeout'], outside);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('llm.timeout is not set');

    // A variable in sylkd's environment: shown as the source, and a set that it overrides says so.
    const stream = await get(h, 'llm.stream', outside);
    expect(stream.origins).toContainEqual({
      key: 'llm.stream.chunk_timeout_seconds',
      value: 90,
      layer: 'env',
      source: `$${ENV_VAR}`,
    });
    expect(stream.origins).toContainEqual(
      expect.objectContaining({ key: 'llm.stream.max_duration_seconds', layer: 'defaults' }),
    );
    r = await cli(h, ['config', 'set', 'llm.stream.chunk_timeout_seconds', '10'], outside);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `llm.stream.chunk_timeout_seconds is 90 from env $${ENV_VAR}, which takes precedence here`,
    );

    // Each change is in the audit log: key and file, never the value.
    const audit = await cli(h, ['audit', 'query', '--category', 'config', '--json'], outside);
    expect(audit.code, audit.stderr).toBe(0);
    expect(audit.stdout).toContain('"action":"config_set"');
    expect(audit.stdout).toContain('"action":"config_unset"');
    expect(audit.stdout).toContain('"target":"sessions.max_turns"');
  });

  it('never echoes a secret-looking value', async () => {
    const h = home();
    await startForeground(h);
    const r = await cli(
      h,
      ['config', 'set', 'mcp.servers.docs', `{command: echo, env: {API_TOKEN: ${SECRET}}}`],
      h.home,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(readFileSync(join(h.home, 'config', 'config.yaml'), 'utf8')).toContain(SECRET);
    const shown = await cli(h, ['config', 'get', 'mcp.servers.docs'], h.home);
    expect(shown.stdout).toContain('mcp.servers.docs.env.API_TOKEN = "[REDACTED]"');
    const bad = await cli(h, ['config', 'set', 'mcp.servers.docs.env.API_TOKEN', `[${SECRET}]`], h.home);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('must be string');
    for (const out of [r.stdout, r.stderr, shown.stdout, shown.stderr, bad.stdout, bad.stderr])
      expect(out).not.toContain(SECRET);
  });
});
