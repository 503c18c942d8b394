import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ErrorObject } from 'ajv';
import { scrubSecrets } from '@sylk/core';
import { cloneTree, deepFreeze, isPlainObject, type Tree } from './tree.js';
import type { ConfigWarning, SylkConfig } from './types.js';
// Compiled from the schema ahead of time (scripts/gen-validators.mjs, run by every build): ajv
// compiling it at run time was most of what loading the config cost at start.
import { validate as defaultsValidator } from './generated/validate-defaults.js';
import { validate as layerValidator } from './generated/validate-layer.js';

/** The subset of JSON Schema the loader walks (env mapping, docs, messages). */
export interface SchemaNode {
  type?: string | string[];
  title?: string;
  description?: string;
  default?: unknown;
  enum?: unknown[];
  properties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  definitions?: Record<string, SchemaNode>;
  $ref?: string;
  [keyword: string]: unknown;
}

const schemaUrl = new URL('../schema/config.schema.json', import.meta.url);

/** Absolute path of the shipped config.schema.json (for `yaml-language-server` and docs). */
export const SCHEMA_PATH: string = fileURLToPath(schemaUrl);

export const CONFIG_SCHEMA: Readonly<SchemaNode> = deepFreeze(
  JSON.parse(readFileSync(schemaUrl, 'utf8')) as SchemaNode,
);

/** @internal exported for tests */
export const CONFIG_SECTIONS: readonly string[] = Object.keys(CONFIG_SCHEMA.properties ?? {});

/** Resolve a local `#/definitions/x` reference. */
export function deref(node: SchemaNode): SchemaNode {
  const ref = node.$ref;
  if (ref === undefined) return node;
  const name = ref.replace(/^#\/definitions\//, '');
  const target = CONFIG_SCHEMA.definitions?.[name];
  if (target === undefined) throw new Error(`config schema: unresolved $ref ${ref}`);
  // Siblings of $ref (default, description) describe this use of the definition.
  const { $ref: _ignored, ...siblings } = node;
  return { ...target, ...siblings };
}

/** The schema node for a config path; map entries (providers.<name>) resolve too. */
export function schemaAt(path: readonly string[]): SchemaNode | undefined {
  let node: SchemaNode | undefined = CONFIG_SCHEMA;
  for (const key of path) {
    if (node === undefined) return undefined;
    const resolved: SchemaNode = deref(node);
    const next: SchemaNode | undefined =
      resolved.properties?.[key] ??
      (typeof resolved.additionalProperties === 'object' ? resolved.additionalProperties : undefined);
    node = next === undefined ? undefined : deref(next);
  }
  return node;
}

/** Fill schema defaults into `tree` in place; returns the validation errors (normally none). */
export function applyDefaults(tree: Tree): ErrorObject[] {
  return defaultsValidator(tree) ? [] : [...(defaultsValidator.errors ?? [])];
}

/** Every default from the schema; the single source of default values. */
export const DEFAULT_CONFIG: Readonly<SylkConfig> = (() => {
  const tree: Tree = {};
  const errors = applyDefaults(tree);
  if (errors.length > 0) throw new Error(`config schema defaults are invalid: ${JSON.stringify(errors)}`);
  return deepFreeze(tree as unknown as SylkConfig);
})();

function pointerToPath(pointer: string): string[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function describe(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return scrubSecrets(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

interface Problem {
  path: string[];
  reason: string;
}

function valueAt(tree: unknown, path: readonly string[]): unknown {
  let node = tree;
  for (const key of path) node = isPlainObject(node) || Array.isArray(node) ? (node as Tree)[key] : undefined;
  return node;
}

/** The path to drop for one ajv error: arrays replace as a whole, so stop at the array. */
function problemFor(error: ErrorObject, data: Tree): Problem | undefined {
  if ('propertyName' in error) return undefined; // the inner error of a propertyNames failure
  const base = pointerToPath(error.instancePath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'additionalProperties') {
    const key = String(params.additionalProperty);
    const known = Object.keys(schemaAt(base)?.properties ?? {});
    return { path: [...base, key], reason: `unknown key (known: ${known.join(', ')})` };
  }
  if (error.keyword === 'propertyNames') {
    const key = String(params.propertyName);
    return { path: [...base, key], reason: `invalid name ${describe(key)}: use lower-case letters, digits, _ and -` };
  }
  let cut = base.length;
  for (let i = 1; i < base.length; i++) {
    if (Array.isArray(valueAt(data, base.slice(0, i)))) {
      cut = i;
      break;
    }
  }
  const path = base.slice(0, cut);
  const where = cut < base.length ? `item ${base.slice(cut).join('.')} ` : '';
  const message =
    error.keyword === 'enum'
      ? `must be one of: ${(params.allowedValues as unknown[]).join(', ')}`
      : (error.message ?? error.keyword);
  return { path, reason: `${where}${message}; got ${describe(valueAt(data, base))}` };
}

/**
 * Remove every unknown key and invalid value from one layer, so that the lower layers (or the
 * defaults) supply those fields. Never throws; each removal becomes a warning naming `file`.
 */
export function sanitizeLayer(
  input: unknown,
  file: string,
): { data: Tree; warnings: ConfigWarning[]; removed: string[][] } {
  if (input === null || input === undefined) return { data: {}, warnings: [], removed: [] };
  if (!isPlainObject(input)) {
    const reason = `expected a mapping of config sections, got ${Array.isArray(input) ? 'a list' : typeof input}`;
    return { data: {}, warnings: [{ file, path: '', reason }], removed: [[]] };
  }
  const data = cloneTree(input);
  const warnings: ConfigWarning[] = [];
  const removedAll: string[][] = [];
  // Removing a value can only remove errors, so this settles in a round or two.
  for (let round = 0; round < 8; round++) {
    if (layerValidator(data)) return { data, warnings, removed: removedAll };
    const problems = (layerValidator.errors ?? [])
      .map((e) => problemFor(e, data))
      .filter((p): p is Problem => p !== undefined)
      .sort((a, b) => a.path.length - b.path.length);
    const removed: string[][] = [];
    for (const problem of problems) {
      if (removed.some((r) => r.every((key, i) => problem.path[i] === key))) continue;
      removed.push(problem.path);
      removedAll.push(problem.path);
      warnings.push({ file, path: problem.path.join('.'), reason: problem.reason });
      if (problem.path.length === 0) return { data: {}, warnings, removed: [[]] };
      const parent = valueAt(data, problem.path.slice(0, -1));
      if (isPlainObject(parent)) delete parent[problem.path[problem.path.length - 1] as string];
    }
  }
  warnings.push({ file, path: '', reason: 'could not be made valid; the whole file is ignored' });
  return { data: {}, warnings, removed: [[]] };
}
