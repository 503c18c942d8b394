/** The `SYLK_*` environment layer: variable names resolved against the schema. */
import nodePath from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DIR_ENV_VARS, type Env } from './paths.js';
import { deref, schemaAt, CONFIG_SCHEMA, type SchemaNode } from './schema.js';
import { readConfigFile } from './parse.js';
import { checkYamlBounds } from './bounds.js';
import { treeAt } from './tree.js';
import type { ConfigSource, ConfigWarning } from './types.js';

/** `SYLK_` variables that are not config keys (directories, socket, CLI behaviour); `SYLK_TEST_*` too. */
const RESERVED_ENV_VARS: readonly string[] = [
  ...DIR_ENV_VARS,
  'SYLK_SOCKET',
  'SYLK_PROFILE',
  'SYLK_NO_AUTOSTART',
  'SYLK_LOG_LEVEL',
  'SYLK_DEBUG',
  'SYLK_NO_COLOR',
];

const PREFIX = 'SYLK_';
/** Test harness switches, never config. */
const RESERVED_PREFIX = 'SYLK_TEST_';

function isConfigCandidate(name: string): boolean {
  return name.startsWith(PREFIX) && !name.startsWith(RESERVED_PREFIX) && !RESERVED_ENV_VARS.includes(name);
}

function resolveSegments(node: SchemaNode, segments: readonly string[]): string[] | undefined {
  if (segments.length === 0) return [];
  const resolved = deref(node);
  const map = typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined;
  // Keys contain underscores too, so try every split; shortest key first, backtracking.
  for (let take = 1; take <= segments.length; take++) {
    const key = segments.slice(0, take).join('_').toLowerCase();
    const child = resolved.properties?.[key] ?? map;
    if (child === undefined) continue;
    const rest = resolveSegments(child, segments.slice(take));
    if (rest !== undefined) return [key, ...rest];
  }
  return undefined;
}

/**
 * The config path a variable sets (`SYLK_LLM_TIMEOUT` → ['llm', 'timeout']), if any.
 * @internal exported for tests
 */
export function envVarPath(name: string): string[] | undefined {
  if (!name.startsWith(PREFIX)) return undefined;
  const path = resolveSegments(
    CONFIG_SCHEMA,
    name
      .slice(PREFIX.length)
      .split('_')
      .filter((s) => s !== ''),
  );
  return path === undefined || path.length === 0 ? undefined : path;
}

/**
 * The variable for a config path (`['llm','timeout']` → `SYLK_LLM_TIMEOUT`).
 * @internal exported for tests
 */
export function envVarName(path: readonly string[]): string {
  return `${PREFIX}${path.join('_').toUpperCase()}`;
}

const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * Convert a variable's text to the schema's type; leave it as text when it does not fit (validation then warns).
 * @internal exported for tests
 */
export function coerceEnvValue(raw: string, node: SchemaNode | undefined): unknown {
  const type = node === undefined ? undefined : deref(node).type;
  const text = raw.trim();
  switch (type) {
    case 'string':
      return raw;
    case 'integer':
      return /^[+-]?\d+$/.test(text) ? Number(text) : raw;
    case 'number':
      return text !== '' && Number.isFinite(Number(text)) ? Number(text) : raw;
    case 'boolean':
      return TRUE.has(text.toLowerCase()) ? true : FALSE.has(text.toLowerCase()) ? false : raw;
    default:
      // Same limits as a config file: a hostile value must not reach the parser.
      if (checkYamlBounds(raw) !== undefined) return raw;
      try {
        return parseYaml(raw, { maxAliasCount: 100 }) as unknown;
      } catch {
        return raw;
      }
  }
}

interface EnvLayer {
  /** Names the source in warnings: `$SYLK_X` or the `_FILE` file. */
  file: string;
  data: unknown;
}

export interface EnvLayers {
  /** In merge order: `_FILE` files first, then variables from general to specific. */
  layers: EnvLayer[];
  sources: ConfigSource[];
  warnings: ConfigWarning[];
  /** Files named by `SYLK_*_FILE` variables (watched for changes). */
  files: string[];
}

export function envLayers(env: Env): EnvLayers {
  const fileLayers: EnvLayer[] = [];
  const valueLayers: Array<EnvLayer & { depth: number }> = [];
  const sources: ConfigSource[] = [];
  const warnings: ConfigWarning[] = [];
  const files: string[] = [];
  const used: string[] = [];
  const names = Object.keys(env).filter(isConfigCandidate).sort();
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined) continue;
    // `_FILE` is checked first: otherwise SYLK_LLM_PROVIDERS_FILE would name a provider called "file".
    const target = name.endsWith('_FILE') ? envVarPath(name.slice(0, -'_FILE'.length)) : undefined;
    if (target === undefined) {
      const path = envVarPath(name);
      if (path === undefined) {
        warnings.push({
          file: `$${name}`,
          path: '',
          reason: 'unknown SYLK_ variable: it names no config key; ignored',
        });
        continue;
      }
      used.push(name);
      valueLayers.push({
        file: `$${name}`,
        data: treeAt(path, coerceEnvValue(raw, schemaAt(path))),
        depth: path.length,
      });
      continue;
    }
    if (!nodePath.isAbsolute(raw)) {
      warnings.push({
        file: `$${name}`,
        path: target.join('.'),
        reason: `must be an absolute file path, got "${raw}"; ignored`,
      });
      continue;
    }
    const parsed = readConfigFile(raw);
    files.push(raw);
    sources.push({ layer: 'env_file', path: raw, present: parsed.present });
    warnings.push(...parsed.warnings);
    if (!parsed.present)
      warnings.push({ file: `$${name}`, path: target.join('.'), reason: `file ${raw} does not exist; ignored` });
    if (parsed.data !== undefined) fileLayers.push({ file: raw, data: treeAt(target, parsed.data) });
  }
  sources.push({
    layer: 'env',
    path: used.length > 0 ? used.map((n) => `$${n}`).join(', ') : 'environment',
    present: used.length > 0,
  });
  valueLayers.sort((a, b) => a.depth - b.depth);
  return {
    layers: [...fileLayers, ...valueLayers.map(({ file, data }) => ({ file, data }))],
    sources,
    warnings,
    files,
  };
}
