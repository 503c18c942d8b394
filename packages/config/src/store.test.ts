import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger, sleep } from '@sylk/core';
import { ConfigStore, type ConfigStoreOptions } from './store.js';
import { DEFAULT_CONFIG } from './schema.js';
import { makeFixture, type Fixture } from './testing/fixture.js';
import type { LoadedConfig } from './types.js';

let fx: Fixture;
let stores: ConfigStore[];
let logLines: Array<Record<string, unknown>>;

beforeEach(() => {
  fx = makeFixture();
  stores = [];
  logLines = [];
});
afterEach(async () => {
  await Promise.all(stores.map((s) => s.close()));
  fx.cleanup();
});

function makeStore(opts: Partial<ConfigStoreOptions> = {}): ConfigStore {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logLines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const store = new ConfigStore({
    dirs: fx.dirs,
    env: {},
    projectRoot: fx.project,
    logger: createLogger(sink),
    debounceMs: 50,
    ...opts,
  });
  stores.push(store);
  return store;
}

/** Resolves on the store's next change; fails clearly instead of hanging. */
function nextChange(store: ConfigStore): Promise<LoadedConfig> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no config change within 10 s')), 10_000);
    const off = store.onChange((next) => {
      clearTimeout(timer);
      off();
      resolve(next);
    });
  });
}

const reloads = () =>
  logLines.filter((l) => l.msg === 'configuration reloaded' && String(l.reason).startsWith('file change'));

describe('reload', () => {
  it("tells reload listeners about every reload, also one that kept a broken file's last good content", () => {
    fx.write(fx.userFile, 'sessions: {max_turns: 7}\n');
    const store = makeStore();
    const seen: Array<{ changed: boolean; warnings: number; maxTurns: number }> = [];
    const off = store.onReload((loaded, info) =>
      seen.push({
        changed: info.changed,
        warnings: loaded.warnings.length,
        maxTurns: loaded.config.sessions.max_turns,
      }),
    );
    fx.write(fx.userFile, 'sessions: {max_turns: [\n');
    store.reload('broken edit');
    off();
    store.reload('after unsubscribe');
    expect(seen).toEqual([{ changed: false, warnings: 1, maxTurns: 7 }]);
  });

  it('swaps the snapshot whole and reports whether anything changed', () => {
    fx.write(fx.userFile, 'llm: {timeout: 10}\n');
    const store = makeStore();
    const before = store.current();
    const seen: Array<[string, number]> = [];
    store.onChange((loaded, reason) => seen.push([reason, loaded.config.llm.timeout]));

    fx.write(fx.userFile, 'llm: {timeout: 20}\n');
    const first = store.reload('test edit');
    expect(first.changed).toBe(true);
    expect(store.current()).toBe(first.loaded);
    expect(first.loaded.config.llm.timeout).toBe(20);
    expect(before.config.llm.timeout).toBe(10); // old readers keep a consistent snapshot
    expect(seen).toEqual([['test edit', 20]]);

    const second = store.reload('nothing new');
    expect(second.changed).toBe(false);
    expect(store.current()).toBe(second.loaded);
    expect(seen).toHaveLength(1);
  });

  it('calls section listeners only for their section and survives a throwing listener', () => {
    const store = makeStore();
    const llm: number[] = [];
    const sessions: number[] = [];
    store.onChange(() => {
      throw new Error('boom');
    });
    store.onSectionChange('llm', (value) => llm.push(value.timeout));
    const off = store.onSectionChange('sessions', (value) => sessions.push(value.max_turns));
    fx.write(fx.userFile, 'llm: {timeout: 5}\n');
    store.reload('one');
    off();
    fx.write(fx.userFile, 'llm: {timeout: 5}\nsessions: {max_turns: 9}\n');
    store.reload('two');
    expect(llm).toEqual([5]);
    expect(sessions).toEqual([]);
    expect(logLines.some((l) => l.msg === 'config change listener failed')).toBe(true);
  });

  it('logs each load with its reason, changed flag, warning count and each warning', () => {
    fx.write(fx.userFile, 'llm: {timeout: no, extra: 1}\n');
    const store = makeStore();
    store.reload('sylk config reload');
    const loads = logLines.filter((l) => String(l.msg).startsWith('configuration '));
    expect(loads.map((l) => [l.msg, l.reason, l.changed, l.warnings])).toEqual([
      ['configuration loaded', 'startup', true, 2],
      ['configuration reloaded', 'sylk config reload', false, 2],
    ]);
    const problems = logLines.filter((l) => String(l.msg).startsWith('config problem'));
    expect(problems).toHaveLength(4);
    expect(problems.slice(0, 2)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          reason: 'startup',
          file: fx.userFile,
          path: 'llm.timeout',
          problem: 'must be integer; got "no"',
        }),
        expect.objectContaining({
          reason: 'startup',
          file: fx.userFile,
          path: 'llm.extra',
          problem: expect.stringMatching(/^unknown key/),
        }),
      ]),
    );
  });
});

describe('a broken edit keeps the last good configuration', () => {
  const good = 'llm:\n  timeout: 30\n  providers:\n    openai: {base_url: "http://proxy.internal/v1"}\n';

  it('keeps the whole last good file when the new text does not parse (half-saved), and reports it', () => {
    fx.write(fx.userFile, good);
    const store = makeStore();
    fx.write(fx.userFile, 'llm:\n  timeout: 30\n  providers:\n    openai: {base_url: "http://pro');
    const { loaded, changed } = store.reload('half-saved');
    expect(changed).toBe(false);
    expect(loaded.config.llm.providers.openai?.base_url).toBe('http://proxy.internal/v1');
    expect(loaded.warnings).toEqual([
      expect.objectContaining({
        file: fx.userFile,
        path: '',
        reason: expect.stringMatching(/not valid YAML at line \d+.*last good version of this file stays in effect/),
      }),
    ]);
    expect(logLines.some((l) => l.msg === `config problem: ${fx.userFile}: ${loaded.warnings[0]?.reason}`)).toBe(true);

    fx.write(fx.userFile, good.replace('30', '31'));
    expect(store.reload('fixed').loaded).toMatchObject({ config: { llm: { timeout: 31 } }, warnings: [] });
  });

  it('applies the valid changes of an edit and keeps the last good value of each invalid one', () => {
    fx.write(fx.userFile, good);
    const store = makeStore();
    fx.write(fx.userFile, 'llm:\n  timeout: 45\n  providers:\n    openai: {base_url: 7}\n');
    const { loaded } = store.reload('edit');
    expect(loaded.config.llm.timeout).toBe(45);
    expect(loaded.config.llm.providers.openai?.base_url).toBe('http://proxy.internal/v1');
    expect(loaded.warnings).toEqual([
      expect.objectContaining({
        path: 'llm.providers.openai.base_url',
        reason: expect.stringMatching(/must be string.*last good value stays in effect/),
      }),
    ]);
  });

  it('keeps it through hostile (deeply nested) text, on every reload', () => {
    fx.write(fx.userFile, good);
    const store = makeStore();
    fx.write(fx.userFile, `llm: ${'['.repeat(2000)}\n`);
    for (let i = 0; i < 10; i++) {
      const { loaded } = store.reload(`hostile ${i}`);
      expect(loaded.config.llm.providers.openai?.base_url).toBe('http://proxy.internal/v1');
      expect(loaded.warnings[0]?.reason).toMatch(
        /rejected before parsing at line 1, column \d+: nested more than 64 levels/,
      );
    }
  });

  it('uses the defaults for a file that was never valid, and forgets a deleted file', () => {
    fx.write(fx.userFile, 'llm: [');
    const store = makeStore();
    expect(store.current().config.llm.timeout).toBe(DEFAULT_CONFIG.llm.timeout);
    fx.write(fx.userFile, good);
    store.reload('valid');
    rmSync(fx.userFile);
    store.reload('deleted');
    fx.write(fx.userFile, 'llm: [');
    expect(store.reload('broken again').loaded.config.llm.timeout).toBe(DEFAULT_CONFIG.llm.timeout);
  });
});

describe('watch', () => {
  it('reloads once after a burst of edits, after the debounce', async () => {
    fx.write(fx.userFile, 'llm: {timeout: 1}\n');
    const store = makeStore({ debounceMs: 200 });
    await store.watch();
    const changed = nextChange(store);
    for (const t of [2, 3, 4]) writeFileSync(fx.userFile, `llm: {timeout: ${t}}\n`);
    const next = await changed;
    expect(next.config.llm.timeout).toBe(4);
    await sleep(600); // a second reload would have come by now
    expect(reloads()).toHaveLength(1);
    expect(String(reloads()[0]?.reason)).toContain(fx.userFile);
  });

  it('notices a user config file created after watching started, in a directory that did not exist', async () => {
    const store = makeStore();
    await store.watch();
    const changed = nextChange(store);
    fx.write(fx.userFile, 'sessions: {max_turns: 3}\n');
    expect((await changed).config.sessions.max_turns).toBe(3);
  });

  it('watches the project layers and _FILE files, and notices deletion', async () => {
    mkdirSync(`${fx.project}/.sylk`, { recursive: true });
    const providers = fx.write(`${fx.root}/providers.yaml`, 'openai: {enabled: true}\n');
    const store = makeStore({ env: { SYLK_LLM_PROVIDERS_FILE: providers } });
    await store.watch();

    let changed = nextChange(store);
    fx.write(fx.localFile, 'sessions: {max_turns: 7}\n');
    expect((await changed).config.sessions.max_turns).toBe(7);

    changed = nextChange(store);
    writeFileSync(providers, 'openai: {enabled: false}\n');
    expect((await changed).config.llm.providers.openai?.enabled).toBe(false);

    changed = nextChange(store);
    rmSync(fx.localFile);
    expect((await changed).config.sessions.max_turns).toBe(50);
  });

  it('stops reloading after close', async () => {
    const store = makeStore();
    await store.watch();
    await store.close();
    fx.write(fx.userFile, 'sessions: {max_turns: 3}\n');
    await sleep(300);
    expect(store.current().config.sessions.max_turns).toBe(50);
    expect(reloads()).toHaveLength(0);
  });
});
