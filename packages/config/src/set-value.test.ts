import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { getConfigValue } from './access.js';
import { loadConfig } from './load.js';
import { configOrigins } from './origins.js';
import { configKeyPath, parseConfigValue, setConfigValue, unsetConfigValue } from './set-value.js';
import type { SylkDirs } from './paths.js';

let dir: string;
let file: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-set-'));
  file = join(dir, 'config.yaml');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const user = () => ({ file, repository: false });
const repo = () => ({ file, repository: true });

describe('configKeyPath', () => {
  it('resolves keys against the schema, keeping dotted map keys whole', () => {
    expect(configKeyPath('llm.timeout')).toEqual(['llm', 'timeout']);
    expect(configKeyPath('llm.providers.openai.models.gpt-5.1.context_window')).toEqual([
      'llm',
      'providers',
      'openai',
      'models',
      'gpt-5.1',
      'context_window',
    ]);
    expect(configKeyPath('llm.providers.openai.models.gpt-5.1')).toEqual([
      'llm',
      'providers',
      'openai',
      'models',
      'gpt-5.1',
    ]);
    expect(configKeyPath('')).toEqual([]);
  });

  it('names what is valid where an unknown key goes wrong', () => {
    expect(() => configKeyPath('llm.timout')).toThrow(
      /unknown config key "llm.timout"; valid keys under "llm": .*timeout/,
    );
    expect(() => configKeyPath('llm.timeout.x')).toThrow(/"llm.timeout" is a value, not a section/);
    expect(() => configKeyPath('llm..timeout')).toThrow(expect.objectContaining({ code: 'config.unknown_key' }));
  });
});

describe('parseConfigValue', () => {
  it('parses YAML scalars and flow collections', () => {
    expect(parseConfigValue('30', ['llm', 'timeout'])).toBe(30);
    expect(parseConfigValue('false', ['security', 'audit', 'enabled'])).toBe(false);
    expect(parseConfigValue('[/a, "/b c"]', ['tools', 'extra_roots'])).toEqual(['/a', '/b c']);
    expect(parseConfigValue('{context_window: 5}', ['llm', 'providers', 'x', 'models', 'm'])).toEqual({
      context_window: 5,
    });
  });

  it('takes a number, boolean or empty value for a string key as the text typed', () => {
    expect(parseConfigValue('4', ['llm', 'default_model'])).toBe('4');
    expect(parseConfigValue('true', ['llm', 'default_model'])).toBe('true');
    expect(parseConfigValue('', ['llm', 'providers', 'openai', 'base_url'])).toBe('');
  });

  it('refuses text that is not YAML, or over the limits, before parsing', () => {
    expect(() => parseConfigValue('[unclosed', ['tools', 'extra_roots'])).toThrow(
      /cannot read the value for tools.extra_roots/,
    );
    expect(() => parseConfigValue('['.repeat(100), ['tools', 'extra_roots'])).toThrow(
      /nested more than 64 levels deep/,
    );
  });
});

describe('setConfigValue / unsetConfigValue', () => {
  it('sets and removes a value, keeping comments and formatting', () => {
    writeFileSync(file, '# mine\nsessions:\n  max_turns: 7 # keep\n');
    expect(setConfigValue(user(), 'llm.timeout', '30')).toEqual({ path: ['llm', 'timeout'], existed: false });
    expect(setConfigValue(user(), 'llm.timeout', '45')).toEqual({ path: ['llm', 'timeout'], existed: true });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# mine');
    expect(text).toContain('max_turns: 7 # keep');
    expect(parse(text).llm.timeout).toBe(45);
    expect(unsetConfigValue(user(), 'llm.timeout').existed).toBe(true);
    expect(parse(readFileSync(file, 'utf8')).llm).toEqual({});
  });

  it('refuses a value the schema rejects with its message and writes nothing', () => {
    writeFileSync(file, 'llm:\n  timeout: 30\n');
    expect(() => setConfigValue(user(), 'llm.timeout', 'soon')).toThrow(
      /Not written: .*config.yaml: llm.timeout: must be integer; got "soon"/,
    );
    expect(() => setConfigValue(user(), 'daemon.log_level', 'loud')).toThrow(/must be one of: trace, debug/);
    expect(readFileSync(file, 'utf8')).toBe('llm:\n  timeout: 30\n');
  });

  it('never repeats a refused value of a secret-looking key', () => {
    expect(() => setConfigValue(user(), 'mcp.servers.docs.env.API_TOKEN', '{nested: sk-live-secret}')).toThrow(
      expect.objectContaining({ message: expect.not.stringContaining('sk-live-secret') as unknown }),
    );
    expect(() => setConfigValue(user(), 'mcp.servers.docs.env.API_TOKEN', '{nested: sk-live-secret}')).toThrow(
      /must be string.*\[REDACTED\]/,
    );
  });

  it("keeps a repository's file to the allow-list, naming it and pointing to the user file", () => {
    expect(setConfigValue(repo(), 'sessions.max_turns', '12').existed).toBe(false);
    expect(setConfigValue(repo(), 'llm.providers.openai.models.gpt-5.1.context_window', '100000').existed).toBe(false);
    let err: unknown;
    try {
      setConfigValue(repo(), 'llm.providers.openai.base_url', 'https://elsewhere.example');
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({
      code: 'config.not_for_repository',
      message: expect.stringMatching(/a repository may set only llm.default_provider, .*sessions/) as unknown,
      hint: expect.stringContaining(
        'sylk config set llm.providers.openai.base_url <value> (without --project)',
      ) as unknown,
    });
    expect(parse(readFileSync(file, 'utf8'))).toEqual({
      sessions: { max_turns: 12 },
      llm: { providers: { openai: { models: { 'gpt-5.1': { context_window: 100000 } } } } },
    });
  });

  it('unsetting a key the file does not set writes nothing', () => {
    expect(unsetConfigValue(user(), 'llm.timeout').existed).toBe(false);
    expect(() => readFileSync(file)).toThrow(/ENOENT/);
  });
});

describe('configOrigins', () => {
  it('names the layer and file or variable of each value, defaults otherwise', () => {
    const dirs = { config: dir } as SylkDirs;
    const project = join(dir, 'proj');
    setConfigValue(user(), 'llm.timeout', '30');
    setConfigValue(user(), 'sessions.max_turns', '9');
    setConfigValue({ file: join(project, '.sylk', 'config.yaml'), repository: true }, 'sessions.max_turns', '12');
    const env = { SYLK_LLM_STREAM_CHUNK_TIMEOUT_SECONDS: '90' };
    const opts = { dirs, env, projectRoot: project };
    const { config } = loadConfig(opts);
    const byKey = (path: string[]) =>
      Object.fromEntries(
        configOrigins(opts, getConfigValue(config, path), path).map((o) => [
          o.path.join('.'),
          [o.value, o.layer, o.source],
        ]),
      );
    expect(byKey(['llm', 'timeout'])).toEqual({ 'llm.timeout': [30, 'user', file] });
    expect(byKey(['sessions', 'max_turns'])).toEqual({
      'sessions.max_turns': [12, 'project', join(project, '.sylk', 'config.yaml')],
    });
    const stream = byKey(['llm', 'stream']);
    expect(stream['llm.stream.chunk_timeout_seconds']).toEqual([90, 'env', '$SYLK_LLM_STREAM_CHUNK_TIMEOUT_SECONDS']);
    expect(stream['llm.stream.max_duration_seconds']?.[1]).toBe('defaults');
  });
});
