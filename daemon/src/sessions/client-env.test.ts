import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultEnvBlocklist } from '@sylk/core';
import {
  CLIENT_ENV_LIMITS,
  cleanClientEnv,
  describeEnv,
  loadClientEnv,
  saveClientEnv,
  sessionBaseEnv,
} from './client-env.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

describe('client environment', () => {
  it('drops secrets (blocklist and secret-looking names), SYLK_*, HOME and invalid names', () => {
    const kept = cleanClientEnv(
      {
        PATH: '/home/u/.nvm/versions/node/v20/bin:/usr/bin',
        VIRTUAL_ENV: '/home/u/proj/.venv',
        NVM_BIN: '/home/u/.nvm/versions/node/v20/bin',
        ANTHROPIC_API_KEY: 'sk-ant-x',
        GITHUB_TOKEN: 'ghp_x',
        MY_SERVICE_KEY: 'k',
        CORP_VAULT: 'v',
        db_password: 'p',
        SYLK_HOME: '/elsewhere',
        HOME: '/home/other',
        'BAD-NAME': 'x',
        NUL: 'a\0b',
      },
      [...defaultEnvBlocklist(), 'CORP_*'],
    );
    expect(kept).toEqual({
      PATH: '/home/u/.nvm/versions/node/v20/bin:/usr/bin',
      VIRTUAL_ENV: '/home/u/proj/.venv',
      NVM_BIN: '/home/u/.nvm/versions/node/v20/bin',
    });
  });

  it('refuses an environment past the limits with a clear error', () => {
    const huge = Object.fromEntries(Array.from({ length: CLIENT_ENV_LIMITS.variables + 1 }, (_, i) => [`V${i}`, 'x']));
    expect(() => cleanClientEnv(huge, [])).toThrow(/client environment has 4097 variables/);
  });

  it("is stored 0600 with the session and becomes its commands' base, with sylkd's SYLK_* and HOME", () => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-clientenv-'));
    expect(loadClientEnv(dir)).toBeUndefined();
    saveClientEnv(dir, { PATH: '/client/bin', VIRTUAL_ENV: '/v' });
    expect(statSync(join(dir, 'client-env.json')).mode & 0o777).toBe(0o600);
    const daemonEnv = { PATH: '/daemon/bin', HOME: '/home/d', SYLK_HOME: '/s', OTHER: 'daemon-only' };
    const base = sessionBaseEnv(daemonEnv, loadClientEnv(dir));
    expect(base).toEqual({ PATH: '/client/bin', VIRTUAL_ENV: '/v', HOME: '/home/d', SYLK_HOME: '/s' });
    expect(sessionBaseEnv(daemonEnv, undefined)).toBe(daemonEnv);
  });

  it('describes an environment by names and PATH only, after the blocklist', () => {
    expect(describeEnv({ PATH: '/a:/b', ZED: 'z', AWS_SECRET_ACCESS_KEY: 's', A: '1' }, defaultEnvBlocklist())).toEqual(
      { names: ['A', 'PATH', 'ZED'], path: '/a:/b' },
    );
  });
});
