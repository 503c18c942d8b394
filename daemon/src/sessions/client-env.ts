/**
 * The environment a session's commands start from: the creating client's (its PATH, nvm/pyenv/
 * asdf shims, an activated virtualenv), kept in the session dir for the session's whole life (an
 * attach from another shell does not change it). Secrets never get in: the client leaves out
 * `tools.env_blocklist` names and secret-looking ones and sylkd drops them again here. SYLK_* and
 * HOME stay sylkd's own (its directories, socket and the home the sandbox and permissions use).
 */
import { join } from 'node:path';
import { ErrorTier, SylkError, filterEnv, looksLikeSecretEnvName } from '@sylk/core';
import { readJsonFile, writeJsonWhole } from './recovery-files.js';

const FILE = 'client-env.json';
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A client's environment at most: far above a real shell's, bounded so a request cannot bloat a session.
 * @internal exported for tests
 */
export const CLIENT_ENV_LIMITS = { variables: 4096, bytes: 1024 * 1024 } as const;

type Env = Readonly<Record<string, string | undefined>>;

function isDaemonOwn(name: string): boolean {
  return name === 'HOME' || name.startsWith('SYLK_');
}

/** What a session keeps of the environment a client sent. */
export function cleanClientEnv(
  raw: Readonly<Record<string, string>>,
  blocklist: readonly string[],
): Record<string, string> {
  const entries = Object.entries(raw);
  const bytes = entries.reduce((n, [k, v]) => n + k.length + v.length + 2, 0);
  if (entries.length > CLIENT_ENV_LIMITS.variables || bytes > CLIENT_ENV_LIMITS.bytes) {
    throw new SylkError(
      `the client environment has ${entries.length} variables (${bytes} bytes); ` +
        `at most ${CLIENT_ENV_LIMITS.variables} and ${CLIENT_ENV_LIMITS.bytes} bytes are taken`,
      {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
        hint: 'Start the session from a shell with a smaller environment (env -i PATH="$PATH" sylk run …).',
      },
    );
  }
  const kept: Record<string, string> = {};
  for (const [name, value] of entries) {
    if (!NAME.test(name) || value.includes('\0') || isDaemonOwn(name) || looksLikeSecretEnvName(name)) continue;
    kept[name] = value;
  }
  return filterEnv(kept, blocklist);
}

export function saveClientEnv(sessionDir: string, env: Readonly<Record<string, string>>): void {
  writeJsonWhole(join(sessionDir, FILE), env);
}

/** The environment a session was created with; undefined for a session created without one. */
export function loadClientEnv(sessionDir: string): Record<string, string> | undefined {
  const value = readJsonFile(join(sessionDir, FILE));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'));
}

/**
 * The base environment of a session's commands: the creating client's with sylkd's own SYLK_* and
 * HOME, or sylkd's environment for a session created without one (older sessions, API clients).
 */
export function sessionBaseEnv(daemonEnv: Env, clientEnv: Readonly<Record<string, string>> | undefined): Env {
  if (clientEnv === undefined) return daemonEnv;
  const env: Record<string, string | undefined> = { ...clientEnv };
  for (const [name, value] of Object.entries(daemonEnv)) if (isDaemonOwn(name)) env[name] = value;
  return env;
}

/** What `sylk status <session>` shows: the names commands get (after the blocklist) and PATH; never a value. */
export function describeEnv(base: Env, blocklist: readonly string[]): { names: string[]; path: string } {
  const env = filterEnv(base, blocklist);
  return { names: Object.keys(env).sort(), path: env.PATH ?? '' };
}
