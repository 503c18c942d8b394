/**
 * Secret hygiene shared by logging, errors, events and child environments.
 * Redaction by *path* (pino) catches structured fields; scrubbing by *pattern*
 * catches keys that ended up inside free text such as an upstream error body.
 */

const SECRET_FIELD_NAMES: readonly string[] = [
  'apiKey',
  'api_key',
  'apikey',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'password',
  'secret',
  'authorization',
  'Authorization',
  'x-api-key',
  'x-goog-api-key',
  'credential',
  'credentials',
  'privateKey',
  'private_key',
];

/** pino redact paths: every secret-looking field name at the top and the next three levels. */
export const REDACT_PATHS: readonly string[] = SECRET_FIELD_NAMES.flatMap((name) => {
  const key = /^[A-Za-z_$][\w$]*$/.test(name) ? `.${name}` : `["${name}"]`;
  return [key.startsWith('.') ? name : key, `*${key}`, `*.*${key}`, `*.*.*${key}`];
});

export const REDACTED = '[REDACTED]';

const SECRET_PATTERNS: readonly RegExp[] = [
  /\bsk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}/g, // Anthropic / OpenAI keys
  /\bAIza[0-9A-Za-z_-]{30,}/g, // Google API keys
  /\bgh[pousr]_[A-Za-z0-9]{30,}/g, // GitHub tokens
  /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, // AWS access key ids
  /\bxox[abpors]-[A-Za-z0-9-]{10,}/g, // Slack tokens
  /(\bBearer\s+)[A-Za-z0-9._~+/-]{12,}=*/gi,
];

/** The prefixes every pattern starts with: one scan decides whether any replacement can apply. */
const ANY_SECRET_PREFIX = /sk-|AIza|gh[pousr]_|AKIA|ASIA|xox[abpors]-|bearer/i;

/** Replace anything that looks like a credential in free text. */
export function scrubSecrets(text: string): string {
  if (!ANY_SECRET_PREFIX.test(text)) return text;
  let out = text;
  for (const re of SECRET_PATTERNS) {
    out = out.replace(re, (_m, bearer?: string) => (typeof bearer === 'string' ? `${bearer}${REDACTED}` : REDACTED));
  }
  return out;
}

const DEFAULT_ENV_BLOCKLIST: readonly string[] = [
  '*_API_KEY',
  '*_APIKEY',
  '*_SECRET',
  '*_SECRET_KEY',
  '*_TOKEN',
  '*_PASSWORD',
  '*_PASSWD',
  '*_CREDENTIALS',
  '*_PRIVATE_KEY',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
  'GOOGLE_APPLICATION_CREDENTIALS',
  'AZURE_CLIENT_SECRET',
  'SSH_AUTH_SOCK',
];

export function defaultEnvBlocklist(): string[] {
  return [...DEFAULT_ENV_BLOCKLIST];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

/** Drop variables whose names match any blocklist glob (case-insensitive). */
export function filterEnv(
  env: Readonly<Record<string, string | undefined>>,
  blocklist: readonly string[] = DEFAULT_ENV_BLOCKLIST,
): Record<string, string> {
  const patterns = blocklist.map(globToRegExp);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (patterns.some((re) => re.test(name))) continue;
    out[name] = value;
  }
  return out;
}

/**
 * The variables of `env` whose names match the blocklist: what a child never gets is what the
 * daemon must treat as secret (SecretValues), from the same list.
 */
export function secretEnvEntries(
  env: Readonly<Record<string, string | undefined>>,
  blocklist: readonly string[] = DEFAULT_ENV_BLOCKLIST,
): Array<[name: string, value: string]> {
  const patterns = blocklist.map(globToRegExp);
  return Object.entries(env).filter(
    (e): e is [string, string] => e[1] !== undefined && e[1] !== '' && patterns.some((re) => re.test(e[0])),
  );
}

/**
 * Names that say they hold a secret whatever the blocklist says (`MY_SERVICE_KEY`, `DB_PASSWORD`,
 * `GH_TOKEN_FILE`): a client's environment never forwards them, and listings never show their values.
 */
const SECRET_ENV_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIALS?)(_FILE)?$/i;

export function looksLikeSecretEnvName(name: string): boolean {
  return SECRET_ENV_NAME.test(name);
}
