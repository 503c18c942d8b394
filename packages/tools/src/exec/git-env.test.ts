import { cpSync, existsSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GIT_HARDENING, withGitHardening } from './git-env.js';
import { sandbox, testExecutor, type Sandbox } from './test-support.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

describe('withGitHardening', () => {
  it('appends numbered GIT_CONFIG entries after existing ones', () => {
    const env = withGitHardening({ GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'user.name', GIT_CONFIG_VALUE_0: 'x' });
    expect(env.GIT_CONFIG_COUNT).toBe(String(1 + GIT_HARDENING.length));
    expect(env.GIT_CONFIG_KEY_0).toBe('user.name');
    expect(env.GIT_CONFIG_KEY_1).toBe('core.fsmonitor');
    expect(env.GIT_CONFIG_VALUE_1).toBe('false');
    expect(Object.values(env)).toContain('core.hooksPath');
    expect(env.GIT_TERMINAL_PROMPT).toBe('0');
  });
});

describe('git run by the executor (no sandbox)', () => {
  it("ignores a core.fsmonitor planted through .git/commondir (the issue's exploit)", async () => {
    const repo = box.project;
    execFileSync('git', ['init', '-q', repo]);
    // The agent writes a second git dir with a hostile config and points commondir at it.
    const evil = join(box.outside, 'evil');
    cpSync(join(repo, '.git'), evil, { recursive: true });
    const marker = join(box.outside, 'PWNED');
    execFileSync('git', ['config', '-f', join(evil, 'config'), 'core.fsmonitor', `touch ${marker}; false`]);
    execFileSync('git', ['config', '-f', join(evil, 'config'), 'core.hooksPath', join(box.outside, 'hooks')]);
    writeFileSync(join(repo, '.git', 'commondir'), evil);
    // Plain git does run it: the exploit is real.
    execFileSync('git', ['status'], { cwd: repo, stdio: 'ignore' });
    expect(existsSync(marker)).toBe(true);
    execFileSync('rm', [marker]);

    const result = await testExecutor(box).run('git status', { cwd: repo });
    expect(result.exitCode).toBe(0);
    expect(existsSync(marker)).toBe(false);
  });
});
