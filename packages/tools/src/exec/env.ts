import { ErrorTier, SylkError, defaultEnvBlocklist, filterEnv } from '@sylk/core';

/** Core's credential blocklist plus a few more cloud-credential shapes. */
export function defaultToolEnvBlocklist(): string[] {
  return [...defaultEnvBlocklist(), '*_ACCESS_KEY', '*_STORAGE_KEY', '*_SECRET_*', 'AWS_CONTAINER_CREDENTIALS_*'];
}

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A child's environment: the attaching client's snapshot minus blocked (credential) names,
 * plus the call's own additions (deliberate, so not filtered; validated).
 * @internal exported for tests
 */
export function buildChildEnv(
  base: Readonly<Record<string, string | undefined>>,
  blocklist: readonly string[],
  additions: Readonly<Record<string, string>> = {},
): Record<string, string> {
  return withAdditions(filterEnv(base, blocklist), additions);
}

/** A copy of an already filtered environment plus validated additions. */
export function withAdditions(
  filtered: Readonly<Record<string, string>>,
  additions: Readonly<Record<string, string>> = {},
): Record<string, string> {
  const env = { ...filtered };
  for (const [name, value] of Object.entries(additions)) {
    if (!NAME.test(name) || value.includes('\0')) {
      throw new SylkError(`invalid environment variable for command: ${name}`, {
        tier: ErrorTier.Permanent,
        code: 'tools.env_invalid',
        details: { name },
      });
    }
    env[name] = value;
  }
  return env;
}
