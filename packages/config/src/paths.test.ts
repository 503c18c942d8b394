import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSylkError } from '@sylk/core';
import { ensureDir, findProjectRoot, lockPath, projectHash, resolveDirs, resolveSocketPath } from './paths.js';

describe('resolveDirs', () => {
  it('uses the XDG base directories on linux', () => {
    const dirs = resolveDirs({}, { platform: 'linux', homedir: '/home/ann' });
    expect(dirs).toEqual({
      config: '/home/ann/.config/sylk',
      data: '/home/ann/.local/share/sylk',
      cache: '/home/ann/.cache/sylk',
      state: '/home/ann/.local/state/sylk',
      runtime: '/home/ann/.local/state/sylk/run',
      logs: '/home/ann/.local/state/sylk/logs',
      temp: '/home/ann/.local/state/sylk/temp',
      locks: '/home/ann/.local/state/sylk/locks',
      staging: '/home/ann/.local/share/sylk/staging',
      backups: '/home/ann/.local/share/sylk/backups',
    });
  });

  it('takes the home directory from HOME in env when no homedir is given', () => {
    expect(resolveDirs({ HOME: '/home/bob' }, { platform: 'linux' }).config).toBe('/home/bob/.config/sylk');
    expect(resolveDirs({ HOME: '/home/bob' }, { platform: 'linux', homedir: '/home/ann' }).config).toBe(
      '/home/ann/.config/sylk',
    );
  });

  it('uses Library folders on macOS', () => {
    const dirs = resolveDirs({}, { platform: 'darwin', homedir: '/Users/ann' });
    expect(dirs.config).toBe('/Users/ann/Library/Preferences/sylk');
    expect(dirs.data).toBe('/Users/ann/Library/Application Support/sylk');
    expect(dirs.cache).toBe('/Users/ann/Library/Caches/sylk');
    expect(dirs.state).toBe('/Users/ann/Library/Logs/sylk');
    expect(dirs.runtime).toBe('/Users/ann/Library/Logs/sylk/run');
  });

  it('uses APPDATA and LOCALAPPDATA on Windows, matching names case-insensitively', () => {
    const env = { AppData: 'C:\\Users\\ann\\AppData\\Roaming', LOCALAPPDATA: 'C:\\Users\\ann\\AppData\\Local' };
    const dirs = resolveDirs(env, { platform: 'win32', homedir: 'C:\\Users\\ann' });
    expect(dirs.config).toBe('C:\\Users\\ann\\AppData\\Roaming\\sylk');
    expect(dirs.data).toBe('C:\\Users\\ann\\AppData\\Roaming\\sylk');
    expect(dirs.cache).toBe('C:\\Users\\ann\\AppData\\Local\\sylk');
    expect(dirs.runtime).toBe('C:\\Users\\ann\\AppData\\Local\\sylk\\run');
    expect(dirs.logs).toBe('C:\\Users\\ann\\AppData\\Local\\sylk\\logs');
  });

  it('lets XDG variables win on every platform and ignores relative or empty ones', () => {
    const env = {
      XDG_CONFIG_HOME: '/x/conf',
      XDG_RUNTIME_DIR: '/run/user/1000',
      XDG_DATA_HOME: 'relative/data',
      XDG_CACHE_HOME: '',
    };
    for (const platform of ['linux', 'darwin'] as const) {
      const dirs = resolveDirs(env, { platform, homedir: '/h' });
      expect(dirs.config).toBe('/x/conf/sylk');
      expect(dirs.runtime).toBe('/run/user/1000/sylk');
    }
    const linux = resolveDirs(env, { platform: 'linux', homedir: '/h' });
    expect(linux.data).toBe('/h/.local/share/sylk');
    expect(linux.cache).toBe('/h/.cache/sylk');
  });

  it('puts everything under SYLK_HOME, below explicit per-root overrides', () => {
    const env = { SYLK_HOME: '/opt/sylk', SYLK_DATA_DIR: '/big/data', XDG_CONFIG_HOME: '/x/conf' };
    const dirs = resolveDirs(env, { platform: 'linux', homedir: '/h' });
    expect(dirs.config).toBe('/opt/sylk/config');
    expect(dirs.data).toBe('/big/data');
    expect(dirs.cache).toBe('/opt/sylk/cache');
    expect(dirs.state).toBe('/opt/sylk/state');
    expect(dirs.runtime).toBe('/opt/sylk/run');
    expect(dirs.staging).toBe('/big/data/staging');
  });

  it('applies each SYLK_*_DIR override to its own root only', () => {
    const env = { SYLK_RUNTIME_DIR: '/tmp/r', SYLK_STATE_DIR: '/s', SYLK_CONFIG_DIR: 'not/absolute' };
    const dirs = resolveDirs(env, { platform: 'linux', homedir: '/h' });
    expect(dirs.runtime).toBe('/tmp/r');
    expect(dirs.state).toBe('/s');
    expect(dirs.logs).toBe('/s/logs');
    expect(dirs.config).toBe('/h/.config/sylk');
  });
});

describe('socket and lock', () => {
  const dirs = resolveDirs({}, { platform: 'linux', homedir: '/h' });

  it('defaults into the runtime dir', () => {
    expect(resolveSocketPath({}, dirs)).toBe('/h/.local/state/sylk/run/sylkd.sock');
    expect(lockPath(dirs)).toBe('/h/.local/state/sylk/run/sylkd.lock');
  });

  it('honours an absolute SYLK_SOCKET and rejects a relative one', () => {
    expect(resolveSocketPath({ SYLK_SOCKET: '/tmp/s.sock' }, dirs)).toBe('/tmp/s.sock');
    let caught: unknown;
    try {
      resolveSocketPath({ SYLK_SOCKET: 'sock' }, dirs);
    } catch (err) {
      caught = err;
    }
    expect(isSylkError(caught) && caught.code).toBe('config.socket_relative');
    expect(isSylkError(caught) && caught.tier).toBe('user_fixable');
  });
});

describe('filesystem helpers', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'sylk-paths-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('finds the nearest .sylk/ before any .git, from a nested directory', () => {
    mkdirSync(join(root, 'repo', '.git'), { recursive: true });
    mkdirSync(join(root, 'repo', 'pkg', '.sylk'), { recursive: true });
    mkdirSync(join(root, 'repo', 'pkg', 'src', 'deep'), { recursive: true });
    mkdirSync(join(root, 'repo', 'other', 'x'), { recursive: true });
    const home = join(root, 'home');
    expect(findProjectRoot(join(root, 'repo', 'pkg', 'src', 'deep'), { homedir: home })).toBe(
      join(root, 'repo', 'pkg'),
    );
    expect(findProjectRoot(join(root, 'repo', 'other', 'x'), { homedir: home })).toBe(join(root, 'repo'));
  });

  it('accepts a .git file (worktree) and ignores the home directory .sylk/', () => {
    const home = join(root, 'home');
    mkdirSync(join(home, '.sylk'), { recursive: true });
    mkdirSync(join(home, 'wt', 'src'), { recursive: true });
    writeFileSync(join(home, 'wt', '.git'), 'gitdir: /elsewhere\n');
    expect(findProjectRoot(join(home, 'wt', 'src'), { homedir: home })).toBe(join(home, 'wt'));
  });

  it('hashes the real path to 16 hex digits', () => {
    mkdirSync(join(root, 'p'));
    symlinkSync(join(root, 'p'), join(root, 'link'));
    const hash = projectHash(join(root, 'p'));
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    expect(projectHash(join(root, 'link'))).toBe(hash);
  });

  it('ensureDir creates with the mode, is idempotent and leaves existing parents alone', () => {
    const parent = join(root, 'existing');
    mkdirSync(parent, { mode: 0o755 });
    const target = join(parent, 'a', 'b');
    ensureDir(target);
    ensureDir(target);
    expect(statSync(target).mode & 0o777).toBe(0o700);
    expect(statSync(join(parent, 'a')).mode & 0o777).toBe(0o700);
    expect(statSync(parent).mode & 0o777).toBe(0o755);
    ensureDir(join(root, 'shared'), 0o750);
    expect(statSync(join(root, 'shared')).mode & 0o777).toBe(0o750);
  });
});

describe('@sylk/config/paths', () => {
  it('stays free of the heavy config dependencies so the CLI can bundle it', () => {
    const source = readFileSync(new URL('./paths.ts', import.meta.url), 'utf8');
    const imports = [...source.matchAll(/from '([^']+)'/g)].map((m) => m[1]);
    expect(imports.filter((name) => !name?.startsWith('node:'))).toEqual(['@sylk/core']);
  });
});
