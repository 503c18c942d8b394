import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { coerceEnvValue, envVarName, envVarPath } from './env.js';
import { loadConfig } from './load.js';
import { schemaAt } from './schema.js';
import { makeFixture, type Fixture } from './testing/fixture.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.cleanup());

const load = (env: Record<string, string>) => loadConfig({ dirs: fx.dirs, env, projectRoot: fx.project });

describe('variable names', () => {
  it('resolves underscores against the schema, map keys included', () => {
    expect(envVarPath('SYLK_LLM_TIMEOUT')).toEqual(['llm', 'timeout']);
    expect(envVarPath('SYLK_LLM_STREAM_CHUNK_TIMEOUT_SECONDS')).toEqual(['llm', 'stream', 'chunk_timeout_seconds']);
    expect(envVarPath('SYLK_LLM_PROVIDERS_MY_PROV_BASE_URL')).toEqual(['llm', 'providers', 'my_prov', 'base_url']);
    expect(envVarPath('SYLK_LLM_PROVIDERS_OPENAI')).toEqual(['llm', 'providers', 'openai']);
    expect(envVarPath('SYLK_LLM_TIMEOUTS')).toBeUndefined();
    expect(envVarPath('SYLK_')).toBeUndefined();
    expect(envVarName(['llm', 'retry', 'transient', 'max_ms'])).toBe('SYLK_LLM_RETRY_TRANSIENT_MAX_MS');
  });

  it('coerces by schema type and leaves misfits as text', () => {
    expect(coerceEnvValue('30', schemaAt(['llm', 'timeout']))).toBe(30);
    expect(coerceEnvValue('3.5', schemaAt(['llm', 'timeout']))).toBe('3.5');
    expect(coerceEnvValue('0.25', schemaAt(['llm', 'circuit_breaker', 'failure_rate']))).toBe(0.25);
    expect(coerceEnvValue('yes', schemaAt(['security', 'sandbox', 'enabled']))).toBe(true);
    expect(coerceEnvValue('OFF', schemaAt(['security', 'sandbox', 'enabled']))).toBe(false);
    expect(coerceEnvValue('123', schemaAt(['llm', 'default_model']))).toBe('123');
    expect(coerceEnvValue('[429, 418]', schemaAt(['llm', 'errors', 'rate_limit_statuses']))).toEqual([429, 418]);
    expect(coerceEnvValue('{enabled: false}', schemaAt(['llm', 'providers', 'x']))).toEqual({ enabled: false });
  });
});

describe('environment layer', () => {
  it('overrides every file layer, with typed values', () => {
    fx.write(fx.localFile, 'sessions: {max_turns: 3}\n');
    fx.write(fx.userFile, 'llm: {timeout: 3}\nsecurity: {sandbox: {enabled: false}}\n');
    const { config, warnings, sources } = load({
      SYLK_LLM_TIMEOUT: '30',
      SYLK_SESSIONS_MAX_TURNS: '9',
      SYLK_SECURITY_SANDBOX_ENABLED: 'true',
      SYLK_TOOLS_EXTRA_ROOTS: '["/opt/work", "/srv"]',
      SYLK_LLM_PROVIDERS_OPENAI_SOFT_LIMIT_PERIOD: 'week',
    });
    expect(warnings).toEqual([]);
    expect(config.llm.timeout).toBe(30);
    expect(config.sessions.max_turns).toBe(9);
    expect(config.security.sandbox.enabled).toBe(true);
    expect(config.tools.extra_roots).toEqual(['/opt/work', '/srv']);
    expect(config.llm.providers.openai?.soft_limit.period).toBe('week');
    expect(config.llm.providers.openai?.enabled).toBe(true);
    expect(sources.find((s) => s.layer === 'env')).toMatchObject({
      present: true,
      path: expect.stringContaining('$SYLK_LLM_TIMEOUT'),
    });
  });

  it('lets a specific variable win over a whole-section one', () => {
    const { config } = load({
      SYLK_LLM_STREAM: '{chunk_timeout_seconds: 5, max_duration_seconds: 9}',
      SYLK_LLM_STREAM_CHUNK_TIMEOUT_SECONDS: '7',
    });
    expect(config.llm.stream).toMatchObject({ chunk_timeout_seconds: 7, max_duration_seconds: 9 });
  });

  it('warns about a bad value naming the variable and keeps the lower layer', () => {
    fx.write(fx.userFile, 'llm: {timeout: 90}\n');
    const { config, warnings } = load({ SYLK_LLM_TIMEOUT: 'forever' });
    expect(config.llm.timeout).toBe(90);
    expect(warnings).toEqual([
      { file: '$SYLK_LLM_TIMEOUT', path: 'llm.timeout', reason: 'must be integer; got "forever"' },
    ]);
  });

  it('skips reserved variables and names unknown ones', () => {
    const { warnings } = load({
      SYLK_HOME: '/x',
      SYLK_SOCKET: '/s',
      SYLK_PROFILE: 'work',
      SYLK_DATA_DIR: '/d',
      SYLK_NO_AUTOSTART: '1',
      SYLKD_BIN: '/b',
      SYLK_LOG_LEVEL: 'debug',
      SYLK_TEST_FAULT: 'x',
      SYLK_TIMEOUT: '5',
    });
    expect(warnings).toEqual([
      { file: '$SYLK_TIMEOUT', path: '', reason: expect.stringContaining('unknown SYLK_ variable') },
    ]);
  });
});

describe('_FILE variables', () => {
  it('merge a YAML or JSON file at the named path, below plain variables', () => {
    const providers = fx.write(
      `${fx.root}/providers.yaml`,
      'openai: {base_url: "https://gw.example/v1"}\nanthropic: {enabled: false}\n',
    );
    const stream = fx.write(`${fx.root}/stream.json`, '{"chunk_timeout_seconds": 11, "max_text_bytes": 100}');
    fx.write(fx.userFile, 'llm: {providers: {google: {enabled: false}}}\n');
    const { config, warnings, sources } = load({
      SYLK_LLM_PROVIDERS_FILE: providers,
      SYLK_LLM_STREAM_FILE: stream,
      SYLK_LLM_STREAM_MAX_TEXT_BYTES: '200',
    });
    expect(warnings).toEqual([]);
    expect(config.llm.providers.openai?.base_url).toBe('https://gw.example/v1');
    expect(config.llm.providers.anthropic?.enabled).toBe(false);
    expect(config.llm.providers.google?.enabled).toBe(false);
    expect(config.llm.stream.chunk_timeout_seconds).toBe(11);
    expect(config.llm.stream.max_text_bytes).toBe(200);
    expect(sources.filter((s) => s.layer === 'env_file').map((s) => [s.path, s.present])).toEqual([
      [providers, true],
      [stream, true],
    ]);
  });

  it('report a missing file, a relative path and invalid content', () => {
    const bad = fx.write(`${fx.root}/bad.yaml`, 'openai: {enabled: maybe}\n');
    const { config, warnings } = load({
      SYLK_LLM_PROVIDERS_FILE: bad,
      SYLK_LLM_STREAM_FILE: `${fx.root}/missing.yaml`,
      SYLK_TOOLS_FILE: 'tools.yaml',
    });
    expect(config.llm.providers.openai?.enabled).toBe(true);
    expect(warnings.map((w) => [w.file, w.path])).toEqual([
      ['$SYLK_LLM_STREAM_FILE', 'llm.stream'],
      ['$SYLK_TOOLS_FILE', 'tools'],
      [bad, 'llm.providers.openai.enabled'],
    ]);
  });
});
