/** `sylk config set|unset`: one key of a config file, checked against the schema (and the repository allow-list). */
import { parse as parseYaml } from 'yaml';
import { ErrorTier, REDACTED, SylkError, isSylkError } from '@sylk/core';
import { isSecretKey } from './access.js';
import { checkYamlBounds } from './bounds.js';
import { editConfigFile } from './edit.js';
import { REPOSITORY_SETTINGS_TEXT, formatWarning, isRepositorySetting } from './load.js';
import { CONFIG_SCHEMA, deref, schemaAt, type SchemaNode } from './schema.js';
import type { ConfigWarning } from './types.js';

function mapOf(node: SchemaNode): SchemaNode | undefined {
  return typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
}

/** The path `segments` name below `node`; a map key may itself contain dots (model ids such as gpt-5.1). */
function resolveSegments(node: SchemaNode, segments: readonly string[]): string[] | undefined {
  if (segments.length === 0) return [];
  const resolved = deref(node);
  const [first] = segments as [string];
  const fixed = resolved.properties?.[first];
  if (fixed !== undefined) {
    const rest = resolveSegments(fixed, segments.slice(1));
    if (rest !== undefined) return [first, ...rest];
  }
  const map = mapOf(resolved);
  if (map === undefined) return undefined;
  for (let take = 1; take <= segments.length; take++) {
    const rest = resolveSegments(map, segments.slice(take));
    if (rest !== undefined) return [segments.slice(0, take).join('.'), ...rest];
  }
  return undefined;
}

function unknownKey(dotted: string): SylkError {
  // Name the first part the schema does not know, and what is valid there.
  const segments = dotted.split('.');
  let node: SchemaNode = CONFIG_SCHEMA;
  let i = 0;
  for (; i < segments.length; i++) {
    const resolved = deref(node);
    const next = resolved.properties?.[segments[i] as string] ?? mapOf(resolved);
    if (next === undefined) break;
    node = next;
  }
  const parent = segments.slice(0, i).join('.');
  const valid = Object.keys(deref(node).properties ?? {});
  const where = parent === '' ? 'top-level keys' : `keys under "${parent}"`;
  const listing = valid.length > 0 ? `valid ${where}: ${valid.join(', ')}` : `"${parent}" is a value, not a section`;
  return new SylkError(`unknown config key "${dotted}"; ${listing}`, {
    code: 'config.unknown_key',
    tier: ErrorTier.UserFixable,
    hint: 'See docs/configuration.md for every key (or `sylk config get` for the current values).',
    details: { key: dotted, parent, validKeys: valid },
  });
}

/**
 * The config path a dotted key names, resolved against the schema (`llm.providers.openai.models.gpt-5.1.context_window`
 * keeps `gpt-5.1` whole); `''` is the whole config. Throws `config.unknown_key` naming the valid keys.
 */
export function configKeyPath(dotted: string): string[] {
  if (dotted === '') return [];
  if (dotted.split('.').some((s) => s === '')) throw unknownKey(dotted);
  const path = resolveSegments(CONFIG_SCHEMA, dotted.split('.'));
  if (path === undefined) throw unknownKey(dotted);
  return path;
}

/** Whether any part of the path names a secret (its value is never echoed). */
function isSecretPath(path: readonly string[]): boolean {
  return path.some(isSecretKey);
}

/**
 * A value typed on the command line, parsed as YAML (a scalar or a flow collection: `30`, `true`,
 * `[a, b]`, `{x: 1}`). For a string key a number, boolean or empty value is taken as the text
 * typed (`sylk config set llm.default_model 4` means "4").
 * @internal exported for tests
 */
export function parseConfigValue(text: string, path: readonly string[]): unknown {
  const invalid = (problem: string) =>
    new SylkError(`cannot read the value for ${path.join('.')}: ${problem}`, {
      code: 'config.invalid_value',
      tier: ErrorTier.UserFixable,
      hint: 'Give a YAML scalar or flow collection, quoted for the shell: 30, true, "a b", "[a, b]", "{x: 1}".',
    });
  const bounds = checkYamlBounds(text);
  if (bounds !== undefined) throw invalid(bounds.reason);
  let value: unknown;
  try {
    value = parseYaml(text, { maxAliasCount: 100 }) as unknown;
  } catch (err) {
    throw invalid((err as Error).message.split('\n')[0] ?? 'not YAML');
  }
  const node = schemaAt(path);
  const isScalar = value === null || typeof value === 'number' || typeof value === 'boolean';
  if (node !== undefined && deref(node).type === 'string' && isScalar) return text.trim();
  return value;
}

/** What a refused write says: for a secret key, the reasons without the value they quote. */
function refusal(err: unknown, secret: boolean): unknown {
  if (!secret || !isSylkError(err) || err.code !== 'config.invalid_value') return err;
  const problems = (err.details?.problems ?? []) as ConfigWarning[];
  const reasons = problems.map((w) => formatWarning({ ...w, reason: w.reason.replace(/; got [\s\S]*$/, '') }));
  return new SylkError(
    `Not written: ${reasons.join('; ') || 'the value does not fit the schema'} (value ${REDACTED})`,
    {
      code: err.code,
      tier: err.tier,
      ...(err.hint !== undefined ? { hint: err.hint } : {}),
    },
  );
}

export interface ConfigFileTarget {
  /** The YAML file to change. */
  file: string;
  /** The file is a repository's `.sylk/config.yaml`: only the allow-listed settings may be set. */
  repository: boolean;
}

/**
 * Set the value at a dotted key in a config file, keeping its comments and formatting. The value
 * is parsed (`parseConfigValue`) and the file must still validate, or nothing is written.
 */
export function setConfigValue(
  target: ConfigFileTarget,
  dottedKey: string,
  valueText: string,
): { path: string[]; existed: boolean } {
  const path = configKeyPath(dottedKey);
  if (path.length === 0)
    throw new SylkError('name the key to set, e.g. `sylk config set llm.timeout 30`', {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  if (target.repository && !isRepositorySetting(path)) {
    throw new SylkError(
      `${path.join('.')} cannot be set in a project's .sylk/config.yaml: a repository may set only ` +
        `${REPOSITORY_SETTINGS_TEXT} (endpoints, prices, budgets, limits and security settings stay yours, ` +
        `so a cloned repository cannot change them)`,
      {
        code: 'config.not_for_repository',
        tier: ErrorTier.UserFixable,
        hint: `Set it in your user config instead: sylk config set ${path.join('.')} <value> (without --project).`,
        details: { key: path.join('.') },
      },
    );
  }
  const value = parseConfigValue(valueText, path);
  try {
    return { path, ...editConfigFile(target.file, path, value) };
  } catch (err) {
    throw refusal(err, isSecretPath(path));
  }
}

/** Remove a dotted key from a config file (any key: removing never loosens anything). */
export function unsetConfigValue(target: ConfigFileTarget, dottedKey: string): { path: string[]; existed: boolean } {
  const path = configKeyPath(dottedKey);
  if (path.length === 0)
    throw new SylkError('name the key to remove, e.g. `sylk config unset llm.timeout`', {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  return { path, ...editConfigFile(target.file, path, undefined) };
}
