/**
 * Secret hygiene shared by logging, errors, events and child environments.
 * Redaction by *field name* catches structured fields; scrubbing by *pattern*
 * catches keys that ended up inside free text such as an upstream error body.
 */

const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
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
]);

/** Levels of nesting searched for secret-named fields: the top and the next three. */
const SECRET_FIELD_DEPTH = 4;

export const REDACTED = '[REDACTED]';

/**
 * `value` with every field named like a secret (apiKey, token, authorization, …) in its top four
 * levels, arrays included, replaced by {@link REDACTED}. Copy-on-write: what has nothing to redact
 * comes back as it is, and the caller's objects are never changed (a copy keeps its prototype and
 * own properties, so an Error stays an Error). One walk over the object: pino's path redaction
 * with wildcards for the same fields cost ~100 µs per log line, this a few.
 */
export function redactSecretFields<T>(value: T, depth = 0): T {
  if (depth >= SECRET_FIELD_DEPTH || value === null || typeof value !== 'object') return value;
  // A Buffer's keys are its bytes: nothing named there, and walking them would cost per byte.
  if (ArrayBuffer.isView(value)) return value;
  if (Array.isArray(value)) {
    let out: unknown[] | undefined;
    value.forEach((item: unknown, i) => {
      const next = redactSecretFields(item, depth + 1);
      if (next !== item) (out ??= [...value])[i] = next;
    });
    return (out ?? value) as T;
  }
  let out: Record<string, unknown> | undefined;
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    const item = record[key];
    const next = SECRET_FIELD_NAMES.has(key) ? REDACTED : redactSecretFields(item, depth + 1);
    if (next === item) continue;
    out ??= ownCopy(record);
    out[key] = next;
  }
  return (out ?? value) as T;
}

/**
 * Free text scrubbed ({@link scrubSecrets}): a string, or an error's message and stack (an upstream
 * API's error can quote the key it was sent). Copy-on-write, as {@link redactSecretFields}.
 */
export function scrubSecretText<T>(value: T): T {
  if (typeof value === 'string') return scrubSecrets(value) as T;
  if (value === null || typeof value !== 'object') return value;
  const record = value as Record<string, unknown>;
  let out: Record<string, unknown> | undefined;
  for (const key of ['message', 'stack']) {
    const text = record[key];
    if (typeof text !== 'string') continue;
    const clean = scrubSecrets(text);
    if (clean !== text) (out ??= ownCopy(record))[key] = clean;
  }
  return (out ?? value) as T;
}

/** Same prototype, every own property's current value (read from the original: an Error's stack too). */
function ownCopy(record: Record<string | symbol, unknown>): Record<string, unknown> {
  const copy = Object.create(Object.getPrototypeOf(record) as object | null) as Record<string | symbol, unknown>;
  for (const key of Reflect.ownKeys(record)) {
    const enumerable = Object.getOwnPropertyDescriptor(record, key)?.enumerable ?? true;
    Object.defineProperty(copy, key, { value: record[key], enumerable, writable: true, configurable: true });
  }
  return copy as Record<string, unknown>;
}

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
