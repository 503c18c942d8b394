import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isSylkError } from '@sylk/core';
import { broadProjectRoot } from '@sylk/config';
import { HOME_ROOT_REFUSED, refuseHomeRoot } from './home-root.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('broadProjectRoot and refuseHomeRoot', () => {
  it('refuses / and the home directory (also through a symlink) unless confirmed', () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-home-root-'));
    const home = join(dir, 'home');
    mkdirSync(join(home, 'project'), { recursive: true });
    symlinkSync(home, join(dir, 'link'));
    expect(broadProjectRoot('/', home)).toBe('the filesystem root');
    expect(broadProjectRoot(join(dir, 'link'), home)).toBe('your home directory');
    expect(broadProjectRoot(`${home}/`, home)).toBe('your home directory');
    expect(broadProjectRoot(join(home, 'project'), home)).toBeUndefined();
    expect(broadProjectRoot(dir, home)).toBeUndefined();

    let thrown: unknown;
    try {
      refuseHomeRoot(home, home, false);
    } catch (err) {
      thrown = err;
    }
    expect(isSylkError(thrown) && thrown.code).toBe(HOME_ROOT_REFUSED);
    expect(isSylkError(thrown) && thrown.tier).toBe('user_fixable');
    expect((thrown as Error).message).toBe(
      `refusing to start a session in ${home} (your home directory): the agent would see every file you own`,
    );
    expect(() => refuseHomeRoot('/', home, false)).toThrow(/filesystem root/);
    expect(() => refuseHomeRoot(home, home, true)).not.toThrow();
    expect(() => refuseHomeRoot(join(home, 'project'), home, false)).not.toThrow();
  });
});
