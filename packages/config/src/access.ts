import { ErrorTier, REDACTED, SylkError } from '@sylk/core';
import { isPlainObject } from './tree.js';
import type { SylkConfig } from './types.js';

type ConfigTree = SylkConfig | Readonly<Record<string, unknown>>;

/**
 * The value at a dotted key (`llm.stream.chunk_timeout_seconds`, `llm.providers.openai`); the
 * empty key is the whole config. Works on redacted copies too.
 */
export function getConfigValue(config: ConfigTree, key: string | readonly string[]): unknown {
  let node: unknown = config;
  // A resolved path keeps map keys with dots in them (model ids such as gpt-5.1) whole.
  const keys = typeof key === 'string' ? (key === '' ? [] : key.split('.')) : key;
  const dottedKey = keys.join('.');
  for (const [i, key] of keys.entries()) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) {
      const parent = keys.slice(0, i).join('.');
      const valid = isPlainObject(node) ? Object.keys(node) : [];
      const where = parent === '' ? 'top-level keys' : `keys under "${parent}"`;
      const listing =
        valid.length > 0 ? `valid ${where}: ${valid.join(', ')}` : `"${parent}" is a value, not a section`;
      throw new SylkError(`unknown config key "${dottedKey}"; ${listing}`, {
        tier: ErrorTier.UserFixable,
        code: 'config.unknown_key',
        hint: 'See docs/configuration.md for every key.',
        details: { key: dottedKey, parent, validKeys: valid },
      });
    }
    node = node[key];
  }
  return node;
}

const SECRET_WORDS = new Set(['key', 'apikey', 'token', 'secret', 'password', 'passwd']);

/**
 * Whether a key names a secret: one of its words (split on `_`, `-` and camelCase) is key, token,
 * secret or password. Word-based rather than a bare substring match so that `tokens` budgets and
 * `max_output_tokens` stay visible.
 */
export function isSecretKey(key: string): boolean {
  const words = key
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .split(/[_\-.\s]+/);
  return words.some((w) => SECRET_WORDS.has(w));
}

/** A deep copy safe to print: every value under a secret-looking key is `[REDACTED]`. */
export function redactConfig(config: ConfigTree): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, isSecretKey(k) ? REDACTED : walk(v)]));
  };
  return walk(config) as Record<string, unknown>;
}
