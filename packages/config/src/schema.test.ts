import { describe, expect, it } from 'vitest';
import { defaultEnvBlocklist } from '@sylk/core';
import { CONFIG_SCHEMA, CONFIG_SECTIONS, DEFAULT_CONFIG, deref, type SchemaNode } from './schema.js';
import type { SylkConfig } from './types.js';

function walk(node: SchemaNode, path: string, visit: (path: string, node: SchemaNode) => void): void {
  const resolved = deref(node);
  for (const [key, child] of Object.entries(resolved.properties ?? {})) {
    visit(`${path}${key}`, child);
    walk(child, `${path}${key}.`, visit);
  }
  if (typeof resolved.additionalProperties === 'object') walk(resolved.additionalProperties, `${path}<name>.`, visit);
}

describe('config schema', () => {
  it('gives every key a description and a default', () => {
    const missing: string[] = [];
    walk(CONFIG_SCHEMA, '', (path, node) => {
      const resolved = deref(node);
      if (typeof resolved.description !== 'string' || resolved.description === '') missing.push(`${path}: description`);
      if (!('default' in resolved)) missing.push(`${path}: default`);
    });
    expect(missing).toEqual([]);
  });

  it('has no key ending in "file", which SYLK_*_FILE variables rely on', () => {
    const clashes: string[] = [];
    walk(CONFIG_SCHEMA, '', (path) => {
      if (path.endsWith('file') || path.endsWith('_file')) clashes.push(path);
    });
    expect(clashes).toEqual([]);
  });

  it('derives DEFAULT_CONFIG with every section and its defaults', () => {
    const typed: SylkConfig = DEFAULT_CONFIG;
    expect(Object.keys(typed)).toEqual([...CONFIG_SECTIONS]);
    expect(CONFIG_SECTIONS).toEqual([
      'daemon',
      'llm',
      'budgets',
      'tools',
      'security',
      'sessions',
      'pipelines',
      'mcp',
      'resources',
      'web',
    ]);
    expect(typed.web).toEqual({ enabled: false });
    expect(typed.llm.retry.external_rate_limit).toEqual({
      attempts: 10,
      initial_ms: 1000,
      max_ms: 60000,
      multiplier: 2,
      jitter: 0.1,
    });
    expect(typed.llm.circuit_breaker).toEqual({
      consecutive_failures: 5,
      failure_rate: 0.5,
      window: 20,
      cooldown_seconds: 30,
      close_after: 3,
    });
    expect(typed.budgets.global).toEqual({ tokens: -1, usd: -1 });
    expect(typed.tools.timeout).toEqual({ base_seconds: 120, extend_seconds: 30, ceiling_seconds: 1800 });
    expect(typed.mcp).toEqual({
      servers: {},
      call_timeout_seconds: 120,
      idle_stop_minutes: 10,
      max_result_bytes: 32768,
    });
    expect(Object.isFrozen(typed.tools)).toBe(true);
  });

  it('ships the same child-environment blocklist as @sylk/core', () => {
    expect(DEFAULT_CONFIG.tools.env_blocklist).toEqual(defaultEnvBlocklist());
  });
});
