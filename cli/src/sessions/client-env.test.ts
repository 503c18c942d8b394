import { describe, expect, it } from 'vitest';
import { defaultEnvBlocklist } from '@sylk/core';
import { clientEnv } from './client-env.js';

describe('clientEnv', () => {
  it("sends the shell's environment without blocklisted or secret-looking names, SYLK_* or HOME", () => {
    const sent = clientEnv(
      {
        PATH: '/home/u/.pyenv/shims:/usr/bin',
        VIRTUAL_ENV: '/home/u/p/.venv',
        PYENV_VERSION: '3.12.1',
        ANTHROPIC_API_KEY: 'sk-ant-x',
        OPENAI_API_KEY: 'sk-x',
        GH_TOKEN: 't',
        NPM_AUTH_TOKEN_FILE: '/x',
        CORP_VAULT_ADDR: 'v',
        SSH_AUTH_SOCK: '/tmp/ssh',
        SYLK_HOME: '/s',
        HOME: '/home/u',
        UNSET: undefined,
      },
      [...defaultEnvBlocklist(), 'CORP_*'],
    );
    expect(sent).toEqual({
      PATH: '/home/u/.pyenv/shims:/usr/bin',
      VIRTUAL_ENV: '/home/u/p/.venv',
      PYENV_VERSION: '3.12.1',
    });
  });
});
