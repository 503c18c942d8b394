// `llm.providers.<name>.rate_limits`: per-minute limits of what all sessions send to a provider.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigStore } from './store.js';
import { loadConfig, validateConfigText } from './load.js';
import { makeFixture, type Fixture } from './testing/fixture.js';

let fx: Fixture;
beforeEach(() => {
  fx = makeFixture();
});
afterEach(() => fx.cleanup());

const KEY = 'llm.providers.anthropic.rate_limits';
const yaml = (limits: string) => `llm:\n  providers:\n    anthropic:\n      rate_limits: ${limits}\n`;

describe('llm.providers.<name>.rate_limits', () => {
  it('defaults to no limit and takes positive integers, a warn fraction and per-model buckets', () => {
    expect(loadConfig({ dirs: fx.dirs, env: {} }).config.llm.providers['anthropic']).toBeUndefined();
    fx.write(
      fx.userFile,
      yaml(
        '{requests_per_minute: 50, tokens_per_minute: 40000, warn_at: 0.9, max_concurrent: 4, models: {m1: {requests_per_minute: 5}}}',
      ),
    );
    const { config, warnings } = loadConfig({ dirs: fx.dirs, env: {} });
    expect(warnings).toEqual([]);
    expect(config.llm.providers['anthropic']?.rate_limits).toEqual({
      requests_per_minute: 50,
      tokens_per_minute: 40000,
      warn_at: 0.9,
      max_concurrent: 4,
      models: { m1: { requests_per_minute: 5, tokens_per_minute: 0 } },
    });
    fx.write(fx.userFile, 'llm:\n  providers:\n    openai: {base_url: "https://gw.example/v1"}\n');
    expect(loadConfig({ dirs: fx.dirs, env: {} }).config.llm.providers['openai']?.rate_limits).toEqual({
      requests_per_minute: 0,
      tokens_per_minute: 0,
      warn_at: 0.8,
      max_concurrent: 0,
      models: {},
    });
  });

  it.each([
    ['{requests_per_minute: -1}', `${KEY}.requests_per_minute`, /must be >= 0/],
    ['{tokens_per_minute: 1.5}', `${KEY}.tokens_per_minute`, /must be integer/],
    ['{requests_per_minute: many}', `${KEY}.requests_per_minute`, /must be integer/],
    ['{warn_at: 2}', `${KEY}.warn_at`, /must be <= 1/],
    ['{rpm: 2}', `${KEY}.rpm`, /unknown key/],
    ['{models: {m1: {requests_per_minute: -3}}}', `${KEY}.models.m1.requests_per_minute`, /must be >= 0/],
    ['7', KEY, /must be object/],
  ])('refuses %s with a warning naming %s', (value, path, reason) => {
    const { valid, warnings } = validateConfigText(yaml(value), 'config.yaml');
    expect(valid).toBe(false);
    expect(warnings).toEqual([
      expect.objectContaining({ file: 'config.yaml', path, reason: expect.stringMatching(reason) }),
    ]);
  });

  it('a bad value on reload keeps the last good one, with a warning naming the key', () => {
    fx.write(fx.userFile, yaml('{requests_per_minute: 2}'));
    const store = new ConfigStore({ dirs: fx.dirs, env: {} });
    fx.write(fx.userFile, yaml('{requests_per_minute: -2}'));
    const { changed, loaded } = store.reload('test');
    expect(changed).toBe(false);
    expect(loaded.config.llm.providers['anthropic']?.rate_limits.requests_per_minute).toBe(2);
    expect(loaded.warnings).toEqual([
      expect.objectContaining({
        path: `${KEY}.requests_per_minute`,
        reason: expect.stringMatching(/>= 0.*the last good value stays in effect/),
      }),
    ]);
  });

  it("is ignored in a repository's own .sylk config, with the warning naming it", () => {
    fx.write(fx.projectFile, yaml('{requests_per_minute: 1000000}'));
    fx.write(fx.localFile, yaml('{models: {m1: {tokens_per_minute: 5}}}'));
    const { config, warnings } = loadConfig({ dirs: fx.dirs, env: {}, projectRoot: fx.project });
    expect(config.llm.providers['anthropic']?.rate_limits).toMatchObject({ requests_per_minute: 0, models: {} });
    expect(warnings.map((w) => [w.file, w.path, w.reason.split(':')[0]])).toEqual([
      [fx.projectFile, `${KEY}`, `ignored in a project's own config (${KEY})`],
      [fx.localFile, `${KEY}`, `ignored in a project's own config (${KEY})`],
    ]);
    // The user's own file and the environment set it.
    fx.write(fx.userFile, yaml('{requests_per_minute: 3}'));
    const env = { SYLK_LLM_PROVIDERS_ANTHROPIC_RATE_LIMITS_TOKENS_PER_MINUTE: '9000' };
    const user = loadConfig({ dirs: fx.dirs, env, projectRoot: fx.project }).config.llm.providers['anthropic'];
    expect(user?.rate_limits).toMatchObject({ requests_per_minute: 3, tokens_per_minute: 9000 });
  });
});
