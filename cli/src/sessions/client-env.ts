/**
 * The environment a new session's commands start from: this shell's (PATH, nvm/pyenv/asdf shims,
 * an activated virtualenv), without anything secret. Left out here, and dropped again by sylkd:
 * names on the user's `tools.env_blocklist` (asked from sylkd, else the built-in list),
 * secret-looking names (`*_KEY`, `*_TOKEN`, …; provider keys never travel: sylkd resolves keys
 * itself) and SYLK_* / HOME, which stay sylkd's own.
 */
import { createClient } from '@sylk/proto/client';
import { ConfigService } from '@sylk/proto/config';
import { defaultEnvBlocklist, filterEnv, looksLikeSecretEnvName } from '@sylk/core';
import type { DaemonConnection } from '../connection.js';

/** @internal exported for tests */
export function clientEnv(env: NodeJS.ProcessEnv, blocklist: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(filterEnv(env, blocklist))) {
    if (name === 'HOME' || name.startsWith('SYLK_') || looksLikeSecretEnvName(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The user's `tools.env_blocklist` plus the built-in one; the built-in one alone when sylkd cannot say. */
async function envBlocklist(conn: DaemonConnection): Promise<string[]> {
  const builtIn = defaultEnvBlocklist();
  try {
    const res = await createClient(ConfigService, conn.channel).getConfig(
      { key: 'tools.env_blocklist', projectDir: '' },
      { timeoutMs: 5_000, metadata: conn.metadata },
    );
    const value: unknown = JSON.parse(res.valueJson);
    const configured = Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
    return [...new Set([...builtIn, ...configured])];
  } catch {
    return builtIn;
  }
}

/** The environment to send with a CreateSession request. */
export async function sessionClientEnv(
  env: NodeJS.ProcessEnv,
  conn: DaemonConnection,
): Promise<Record<string, string>> {
  return clientEnv(env, await envBlocklist(conn));
}
