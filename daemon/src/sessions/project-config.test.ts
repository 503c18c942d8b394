import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, resolveDirs } from '@sylk/config';
import { silentLogger } from '@sylk/core';
import {
  ProjectConfigs,
  changedKeys,
  reportProjectConfig,
  sessionTools,
  type ProjectConfigUpdate,
} from './project-config.js';

let root: string | undefined;
let configs: ProjectConfigs | undefined;
afterEach(async () => {
  await configs?.closeAll();
  configs = undefined;
  if (root !== undefined) rmSync(root, { recursive: true, force: true });
  root = undefined;
});

function setup(): {
  configs: ProjectConfigs;
  project: string;
  other: string;
  write: (path: string, text: string) => void;
} {
  root = mkdtempSync(join(tmpdir(), 'sylk-projcfg-'));
  const dirs = resolveDirs({ SYLK_HOME: join(root, 'sylk') }, { platform: 'linux', homedir: root });
  const project = join(root, 'proj');
  const other = join(root, 'other');
  mkdirSync(project);
  mkdirSync(other);
  configs = new ProjectConfigs({ dirs, env: {}, logger: silentLogger(), debounceMs: 30 });
  const write = (path: string, text: string) => {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, text);
  };
  return { configs, project, other, write };
}

function nextUpdate(subscribe: (l: (u: ProjectConfigUpdate) => void) => () => void): Promise<ProjectConfigUpdate> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no config update within 10 s')), 10_000);
    const off = subscribe((u) => {
      clearTimeout(timer);
      off();
      resolve(u);
    });
  });
}

describe('ProjectConfigs', () => {
  it("applies each project's own layers (local over project), keeps security out, and reloads on change", async () => {
    const t = setup();
    t.write(
      join(t.project, '.sylk/config.yaml'),
      'sessions: {max_turns: 3, mention_max_kb: 8}\nsecurity: {sandbox: {enabled: false}}\n',
    );
    t.write(join(t.project, '.sylk/local/config.yaml'), 'sessions: {max_turns: 4}\n');
    const a = await t.configs.acquire(t.project);
    const b = await t.configs.acquire(t.other);
    expect(a.config().sessions).toMatchObject({ max_turns: 4, mention_max_kb: 8 });
    expect(a.config().security.sandbox.enabled).toBe(DEFAULT_CONFIG.security.sandbox.enabled);
    expect(a.warnings().join('\n')).toContain('security');
    expect(b.config().sessions.max_turns).toBe(DEFAULT_CONFIG.sessions.max_turns);

    const update = nextUpdate((l) => a.onReload(l));
    t.write(join(t.project, '.sylk/local/config.yaml'), 'sessions: {max_turns: 9}\n');
    expect((await update).changed).toEqual(['sessions.max_turns']);
    expect(a.config().sessions.max_turns).toBe(9);
  });

  it('keeps the last good values of a broken file and reports its problem once', async () => {
    const t = setup();
    t.write(join(t.project, '.sylk/config.yaml'), 'sessions: {max_turns: 5}\n');
    const a = await t.configs.acquire(t.project);
    const update = nextUpdate((l) => a.onReload(l));
    t.write(join(t.project, '.sylk/config.yaml'), 'sessions: {max_turns: [\n');
    const u = await update;
    expect(u.changed).toEqual([]);
    expect(u.newWarnings).toHaveLength(1);
    expect(u.newWarnings[0]).toContain(join(t.project, '.sylk/config.yaml'));
    expect(a.config().sessions.max_turns).toBe(5);
  });

  it('shares one store per project and closes it with the last holder', async () => {
    const t = setup();
    const a1 = await t.configs.acquire(t.project);
    const a2 = await t.configs.acquire(t.project);
    expect(t.configs.watched).toEqual([t.project]);
    await a1.release();
    await a1.release();
    expect(t.configs.watched).toEqual([t.project]);
    await a2.release();
    expect(t.configs.watched).toEqual([]);
    // A released hold still answers with its last snapshot.
    expect(a2.config().sessions.max_turns).toBe(DEFAULT_CONFIG.sessions.max_turns);
  });

  it('posts notices for problems at load and for later changes', async () => {
    const t = setup();
    t.write(join(t.project, '.sylk/config.yaml'), 'sessions: {max_turns: nope}\n');
    const a = await t.configs.acquire(t.project);
    const notices: string[] = [];
    await reportProjectConfig(a, async (m) => notices.push(m), silentLogger());
    expect(notices).toHaveLength(1);
    expect(notices[0]).toMatch(/^Project configuration problem .*\n- .*sessions\.max_turns/);
    const update = nextUpdate((l) => a.onReload(l));
    t.write(join(t.project, '.sylk/config.yaml'), 'sessions: {max_turns: 2}\n');
    await update;
    expect(notices[1]).toBe('Configuration changed (sessions.max_turns); it applies from the next turn.');
  });
});

describe('sessionTools', () => {
  it("lets a project add blocked names but never widen the writable roots or drop the user's blocklist", () => {
    const daemon = { ...DEFAULT_CONFIG.tools, env_blocklist: ['*_TOKEN'], extra_roots: ['/srv/data'] };
    const project = {
      ...DEFAULT_CONFIG.tools,
      env_blocklist: ['CORP_*'],
      extra_roots: ['/home/user'],
      timeout: { base_seconds: 5, extend_seconds: 1, ceiling_seconds: 10 },
    };
    expect(sessionTools(project, daemon)).toMatchObject({
      env_blocklist: ['*_TOKEN', 'CORP_*'],
      extra_roots: ['/srv/data'],
      timeout: { base_seconds: 5 },
    });
  });
});

describe('changedKeys', () => {
  it('lists the changed leaf keys, lists as values', () => {
    expect(changedKeys({ a: { b: 1, c: [1] }, d: 1 }, { a: { b: 2, c: [1, 2] }, d: 1, e: 1 })).toEqual([
      'a.b',
      'a.c',
      'e',
    ]);
  });
});
