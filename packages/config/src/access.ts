import { ErrorTier, REDACTED, SylkError } from '@sylk/core';
import { CONFIG_SECTIONS } from './schema.js';
import { isPlainObject } from './tree.js';
import type { SylkConfig } from './types.js';

/** The value at a dotted key (`llm.stream.chunk_timeout_seconds`, `llm.providers.openai`). */
export function getConfigValue(config: SylkConfig, dottedKey: string): unknown {
  let node: unknown = config;
  for (const key of dottedKey.split('.')) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) {
      throw new SylkError(`unknown config key "${dottedKey}"; valid top-level keys: ${CONFIG_SECTIONS.join(', ')}`, {
        tier: ErrorTier.UserFixable,
        code: 'config.unknown_key',
        hint: 'See docs/configuration.md for every key.',
        details: { key: dottedKey, validTopLevelKeys: [...CONFIG_SECTIONS] },
      });
    }
    node = node[key];
  }
  return node;
}

const SECRET_KEY = /(key|token|secret|password)$/i;

/** A copy safe to print: anything under a key named like *key, *token, *secret or *password is replaced. */
export function redactConfig(config: SylkConfig | Readonly<Record<string, unknown>>): Record<string, unknown> {
  const walk = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(walk);
    if (!isPlainObject(value)) return value;
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, SECRET_KEY.test(k) ? REDACTED : walk(v)]));
  };
  return walk(config) as Record<string, unknown>;
}
