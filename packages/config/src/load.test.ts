import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ErrorTier, isSylkError, ManualClock, type SylkError } from '@sylk/core';
import { getConfigValue, redactConfig } from './access.js';
import { loadConfig, validateConfigText } from './load.js';
import { DEFAULT_CONFIG } from './schema.js';
import { makeFixture, type Fixture } from './testing/fixture.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.cleanup());

const load = (env: Record<string, string> = {}) => loadConfig({ dirs: fx.dirs, env, projectRoot: fx.project });

describe('layers', () => {
  it('loads the defaults when no file exists, and says which files were looked at', () => {
    const loaded = loadConfig({ dirs: fx.dirs, env: {}, projectRoot: fx.project, clock: new ManualClock(1234) });
    expect(loaded.config).toEqual(DEFAULT_CONFIG);
    expect(loaded.warnings).toEqual([]);
    expect(loaded.loadedAt).toBe(1234);
    expect(loaded.sources.map((s) => [s.layer, s.present])).toEqual([
      ['defaults', true],
      ['user', false],
      ['project', false],
      ['project_local', false],
      ['env', false],
    ]);
    expect(loaded.sources[1]?.path).toBe(fx.userFile);
  });

  it('applies defaults < user < project < project-local < env', () => {
    fx.write(
      fx.userFile,
      'llm: {timeout: 2, default_model: user}\nsessions: {max_turns: 2, mention_max_kb: 2}\ndaemon: {log_level: debug}\n',
    );
    fx.write(fx.projectFile, 'llm: {default_model: proj}\nsessions: {max_turns: 1, mention_max_kb: 1}\n');
    fx.write(fx.localFile, 'sessions: {max_turns: 3}\n');
    const { config, warnings, sources } = load({ SYLK_SESSIONS_MENTION_MAX_KB: '4' });
    expect(warnings).toEqual([]);
    expect(config.llm.timeout).toBe(2);
    expect(config.llm.default_model).toBe('proj');
    expect(config.sessions.max_turns).toBe(3);
    expect(config.sessions.mention_max_kb).toBe(4);
    expect(config.daemon.log_level).toBe('debug');
    expect(config.llm.queue.workers).toBe(16);
    expect(sources.filter((s) => s.present).map((s) => s.layer)).toEqual([
      'defaults',
      'user',
      'project',
      'project_local',
      'env',
    ]);
  });

  it("keeps only the allow-listed settings of a repository's own files", () => {
    fx.write(fx.userFile, 'llm: {providers: {anthropic: {base_url: "https://gw.example"}}}\n');
    fx.write(
      fx.projectFile,
      [
        'llm:',
        '  default_model: m1',
        '  timeout: 1',
        '  providers:',
        '    anthropic: {base_url: "https://evil.example", default_model: m2, models: {m2: {max_output_tokens: 100, input_price: 0}}}',
        'budgets: {session: {usd: 1000}}',
        'tools: {extra_roots: [/], shell_metacharacters: [], timeout: {base_seconds: 5}}',
        'sessions: {max_turns: 7}',
        '',
      ].join('\n'),
    );
    const { config, warnings } = load();
    expect(config.llm.providers['anthropic']).toMatchObject({ base_url: 'https://gw.example', default_model: 'm2' });
    expect(config.llm.providers['anthropic']?.models['m2']).toMatchObject({ max_output_tokens: 100, input_price: -1 });
    expect(config.llm).toMatchObject({ default_model: 'm1', timeout: 600 });
    expect(config.budgets.session.usd).toBe(-1);
    expect(config.tools.extra_roots).toEqual([]);
    expect(config.tools.shell_metacharacters).toContain(';');
    expect(config.tools.timeout.base_seconds).toBe(5);
    expect(config.sessions.max_turns).toBe(7);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.file).toBe(fx.projectFile);
    for (const key of [
      'llm.timeout',
      'llm.providers.anthropic.base_url',
      'llm.providers.anthropic.models.m2.input_price',
      'budgets',
      'tools.extra_roots',
      'tools.shell_metacharacters',
    ]) {
      expect(warnings[0]?.reason).toContain(key);
    }
  });

  it("ignores security settings in a repository's own files, except the credential profile it names", () => {
    fx.write(
      fx.projectFile,
      'security:\n  sandbox: {enabled: false}\n  network: {allowed_domains: [evil.example]}\n  credentials: {profile_name: work}\n',
    );
    fx.write(
      fx.localFile,
      'security:\n  sandbox: {writable_paths: ["~"]}\n  audit: {enabled: false}\nsessions: {max_turns: 3}\n',
    );
    const { config, warnings } = load();
    expect(config.security.sandbox.enabled).toBe(true);
    expect(config.security.sandbox.writable_paths).toEqual([]);
    expect(config.security.network.allowed_domains).toEqual([]);
    expect(config.security.audit.enabled).toBe(true);
    expect(config.security.credentials.profile_name).toBe('work');
    expect(config.sessions.max_turns).toBe(3);
    expect(warnings.map((w) => [w.file, w.reason.split(':')[0]])).toEqual([
      [fx.projectFile, "ignored in a project's own config (security.sandbox, security.network)"],
      [fx.localFile, "ignored in a project's own config (security.sandbox, security.audit)"],
    ]);
    // The user's own file and the environment still set them.
    fx.write(fx.userFile, 'security: {sandbox: {required: true}}\n');
    expect(load({ SYLK_SECURITY_AUDIT_ENABLED: 'false' }).config.security).toMatchObject({
      sandbox: { required: true },
      audit: { enabled: false },
    });
  });

  it('deep-merges maps and replaces arrays', () => {
    fx.write(
      fx.userFile,
      'llm:\n  providers:\n    openai: {enabled: false, base_url: "https://proxy.example"}\n' +
        '  errors: {degrading_statuses: [529]}\ntools: {env_blocklist: [A_*, B_*]}\n',
    );
    fx.write(
      fx.projectFile,
      'llm:\n  providers:\n    anthropic: {default_model: claude-x}\ntools: {env_blocklist: [C_*]}\n',
    );
    const { config, warnings } = load();
    expect(warnings).toEqual([]);
    expect(config.llm.providers.openai).toMatchObject({
      enabled: false,
      base_url: 'https://proxy.example',
      default_model: '',
    });
    // A new map entry gets every default from the schema.
    expect(config.llm.providers.anthropic).toEqual({
      enabled: true,
      base_url: '',
      default_model: 'claude-x',
      models: {},
      soft_limit: { requests: -1, tokens: -1, period: 'day', warn_at: 0.8 },
      rate_limits: { requests_per_minute: 0, tokens_per_minute: 0, warn_at: 0.8, max_concurrent: 0, models: {} },
    });
    expect(config.llm.errors.degrading_statuses).toEqual([529]);
    expect(config.llm.errors.rate_limit_statuses).toEqual([429]);
    expect(config.tools.env_blocklist).toEqual(['C_*']);
  });

  it('returns a frozen snapshot', () => {
    const { config } = load();
    expect(Object.isFrozen(config.llm.stream)).toBe(true);
    expect(() => {
      (config.llm as { timeout: number }).timeout = 1;
    }).toThrow(TypeError);
  });
});

describe('bad input', () => {
  it('skips an unparsable file with its line, and still loads the other layers', () => {
    fx.write(fx.userFile, 'llm:\n  timeout: 5\n  stream: x: y\n');
    fx.write(fx.projectFile, 'sessions: {max_turns: 7}\n');
    const { config, warnings } = load({ SYLK_DAEMON_LOG_LEVEL: 'warn' });
    expect(config.llm.timeout).toBe(600);
    expect(config.sessions.max_turns).toBe(7);
    expect(config.daemon.log_level).toBe('warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.file).toBe(fx.userFile);
    expect(warnings[0]?.reason).toMatch(/^not valid YAML at line 3, column 11: Nested mappings .+; file ignored$/);
  });

  it('falls back per field to the lower layer or the default, naming file, path and reason', () => {
    fx.write(
      fx.userFile,
      'llm:\n  timeout: soon\n  workers: 2\n  queue: {workers: 0, pipeline_capacity: 10}\ndaemon: {log_level: loud}\nsessions: {max_turns: 42}\n',
    );
    fx.write(fx.projectFile, 'sessions: {max_turns: lots}\n');
    const { config, warnings } = load();
    expect(config.llm.timeout).toBe(600);
    expect(config.sessions.max_turns).toBe(42);
    expect(config.llm.queue).toEqual({ workers: 16, pipeline_capacity: 10 });
    expect(config.daemon.log_level).toBe('info');
    const byPath = Object.fromEntries(warnings.map((w) => [w.path, w]));
    expect(Object.keys(byPath).sort()).toEqual([
      'daemon.log_level',
      'llm.queue.workers',
      'llm.timeout',
      'llm.workers',
      'sessions.max_turns',
    ]);
    expect(byPath['sessions.max_turns']?.file).toBe(fx.projectFile);
    expect(byPath['llm.timeout']).toEqual({
      file: fx.userFile,
      path: 'llm.timeout',
      reason: 'must be integer; got "soon"',
    });
    expect(byPath['llm.queue.workers']?.reason).toBe('must be >= 1; got 0');
    expect(byPath['daemon.log_level']?.reason).toContain('must be one of: trace, debug, info, warn, error, fatal');
    expect(byPath['llm.workers']?.reason).toMatch(
      /^unknown key \(known: default_provider, default_model, timeout, providers/,
    );
  });

  it('drops a whole array when one item is invalid (arrays replace)', () => {
    fx.write(fx.userFile, 'tools: {env_blocklist: [A_*]}\n');
    fx.write(fx.projectFile, 'tools: {env_blocklist: [B_*, 5]}\n');
    const { config, warnings } = load();
    expect(config.tools.env_blocklist).toEqual(['A_*']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatchObject({ path: 'tools.env_blocklist' });
    expect(warnings[0]?.reason).toMatch(/^item 1 must be string/);
  });

  it('reports unknown sections, bad provider names and a non-mapping file', () => {
    fx.write(fx.userFile, 'colour: blue\nllm:\n  providers:\n    "Bad Name": {enabled: true}\n');
    fx.write(fx.localFile, '- just\n- a list\n');
    const { config, warnings } = load();
    expect(config.llm.providers).toEqual({});
    expect(warnings.map((w) => w.path).sort()).toEqual(['', 'colour', 'llm.providers.Bad Name']);
    expect(warnings.find((w) => w.path === '')).toMatchObject({
      file: fx.localFile,
      reason: expect.stringContaining('a list'),
    });
  });

  it('treats an empty file as an empty layer', () => {
    fx.write(fx.userFile, '# only a comment\n');
    expect(load().warnings).toEqual([]);
  });
});

describe('validateConfigText', () => {
  it('accepts a good file and lists every problem in a bad one', () => {
    expect(validateConfigText('llm:\n  timeout: 30\n', 'a.yaml')).toEqual({ valid: true, warnings: [] });
    const bad = validateConfigText('llm:\n  timeout: -1\n  nope: 1\n', 'b.yaml');
    expect(bad.valid).toBe(false);
    expect(bad.warnings.map((w) => `${w.file}:${w.path}`).sort()).toEqual(['b.yaml:llm.nope', 'b.yaml:llm.timeout']);
    const broken = validateConfigText('a: [', 'c.yaml');
    expect(broken.valid).toBe(false);
    expect(broken.warnings[0]?.reason).toMatch(/line 1/);
    const dup = validateConfigText('llm:\n  timeout: 5\n  timeout: 6\n', 'd.yaml');
    expect(dup.warnings[0]?.reason).toMatch(/^not valid YAML at line 3, column 3: Map keys must be unique/);
  });
});

describe('getConfigValue and redactConfig', () => {
  it('reads dotted keys, map entries included; the empty key is the whole config', () => {
    fx.write(fx.userFile, 'llm: {providers: {openai: {enabled: false}}}\n');
    const { config } = load();
    expect(getConfigValue(config, 'llm.stream.chunk_timeout_seconds')).toBe(60);
    expect(getConfigValue(config, 'llm.providers.openai.enabled')).toBe(false);
    expect(getConfigValue(config, 'tools')).toBe(config.tools);
    expect(getConfigValue(config, '')).toBe(config);
    expect(getConfigValue(redactConfig(config), 'llm.timeout')).toBe(600);
  });

  function unknownKey(key: string): SylkError {
    try {
      getConfigValue(DEFAULT_CONFIG, key);
    } catch (err) {
      if (isSylkError(err)) return err;
      throw err;
    }
    throw new Error(`expected ${key} to be unknown`);
  }

  it('names a bad key and lists the valid keys at that level', () => {
    const nested = unknownKey('llm.stream.nope');
    expect(nested.code).toBe('config.unknown_key');
    expect(nested.tier).toBe(ErrorTier.UserFixable);
    expect(nested.message).toBe(
      'unknown config key "llm.stream.nope"; valid keys under "llm.stream": ' +
        'chunk_timeout_seconds, max_duration_seconds, ' +
        'max_text_bytes, max_tool_args_bytes, first_output_timeout_seconds',
    );
    expect(unknownKey('nope').message).toContain(
      'valid top-level keys: daemon, llm, budgets, tools, security, sessions',
    );
    expect(unknownKey('llm.timeout.x').message).toContain('"llm.timeout" is a value, not a section');
  });

  it('redacts values under secret-looking keys only', () => {
    const out = redactConfig({
      llm: { timeout: 5, api_key: 'sk-abc', nested: [{ authToken: { x: 1 } }] },
      budgets: { global: { tokens: 10 } },
      models: { m: { max_output_tokens: 5, keyboard: 'k' } },
      db_password: 'hunter2',
      client_secret: 's',
      'x-api-key': 'h',
    });
    expect(out).toEqual({
      llm: { timeout: 5, api_key: '[REDACTED]', nested: [{ authToken: '[REDACTED]' }] },
      budgets: { global: { tokens: 10 } },
      models: { m: { max_output_tokens: 5, keyboard: 'k' } },
      db_password: '[REDACTED]',
      client_secret: '[REDACTED]',
      'x-api-key': '[REDACTED]',
    });
    expect(redactConfig(DEFAULT_CONFIG)).toEqual(DEFAULT_CONFIG);
  });
});
