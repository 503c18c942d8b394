/** Layered loading: defaults < user < project < project-local < environment (a repository's layers are allow-listed). */
import nodePath from 'node:path';
import { systemClock, type Clock } from '@sylk/core';
import { envLayers } from './env.js';
import { parseConfigText, readConfigFile, type ParsedLayer } from './parse.js';
import type { Env, SylkDirs } from './paths.js';
import { applyDefaults, DEFAULT_CONFIG, SCHEMA_PATH, sanitizeLayer } from './schema.js';
import { cloneTree, deepFreeze, deepMerge, isPlainObject, type Tree } from './tree.js';
import type { ConfigLayer, ConfigSource, ConfigWarning, LoadedConfig, SylkConfig } from './types.js';

export interface LoadConfigOptions {
  dirs: SylkDirs;
  env: Env;
  projectRoot?: string;
  clock?: Clock;
  /**
   * The last valid content of each config file, by path (ConfigStore keeps it across reloads).
   * A file that no longer parses keeps this content; a value that no longer validates keeps its
   * value from here. Updated in place with what this load accepted.
   */
  lastGood?: Map<string, Tree>;
}

const KEPT_FILE = 'the last good version of this file stays in effect until it is fixed';
const KEPT_VALUE = 'the last good value stays in effect until it is fixed';

function hasAt(tree: Tree, path: readonly string[]): { found: boolean; value: unknown } {
  let node: unknown = tree;
  for (const key of path) {
    if (!isPlainObject(node) || !Object.hasOwn(node, key)) return { found: false, value: undefined };
    node = node[key];
  }
  return { found: true, value: node };
}

function setAt(tree: Tree, path: readonly string[], value: unknown): void {
  let node = tree;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    node = isPlainObject(next) ? next : (node[key] = {});
  }
  node[path[path.length - 1] as string] = cloneTree(value);
}

/**
 * One config file's accepted content: what validates from the new text, plus the last good
 * content (or value) wherever the new text fails, so a half-saved file never resets anything.
 */
function acceptFile(
  path: string,
  parsed: ParsedLayer,
  lastGood: Map<string, Tree> | undefined,
): { data: Tree | undefined; warnings: ConfigWarning[] } {
  const previous = lastGood?.get(path);
  if (!parsed.present) {
    lastGood?.delete(path); // a removed file is a deliberate change
    return { data: undefined, warnings: [] };
  }
  if (parsed.data === undefined) {
    if (previous === undefined) return { data: undefined, warnings: parsed.warnings };
    const warnings = parsed.warnings.map((w) => ({
      ...w,
      reason: `${w.reason.replace(/; file ignored$/, '')}; ${KEPT_FILE}`,
    }));
    return { data: cloneTree(previous), warnings };
  }
  const clean = sanitizeLayer(parsed.data, path);
  const warnings = [...parsed.warnings, ...clean.warnings];
  if (previous !== undefined) {
    for (const removed of clean.removed) {
      if (removed.length === 0) {
        const kept = warnings.map((w) => (w.file === path ? { ...w, reason: `${w.reason}; ${KEPT_FILE}` } : w));
        return { data: cloneTree(previous), warnings: kept };
      }
      const old = hasAt(previous, removed);
      if (!old.found) continue;
      setAt(clean.data, removed, old.value);
      const dotted = removed.join('.');
      for (const [i, w] of warnings.entries())
        if (w.path === dotted) warnings[i] = { ...w, reason: `${w.reason}; ${KEPT_VALUE}` };
    }
  }
  if (clean.removed.some((r) => r.length === 0)) return { data: undefined, warnings };
  lastGood?.set(path, clean.data);
  return { data: clean.data, warnings };
}

/**
 * What a repository's own `.sylk/` files may set (a clone can even commit `.sylk/local/`): the
 * project's models, limits and session behaviour. Everything else (provider endpoints, prices,
 * budgets, retries, roots, security) comes only from the user's config or SYLK_* variables, so a
 * hostile repository cannot send the user's key elsewhere, lift a budget or loosen the sandbox.
 * `*` matches one map key. MCP servers a project names still need the user's approval to start.
 */
const REPOSITORY_SETTINGS: readonly string[] = [
  'llm.default_provider',
  'llm.default_model',
  'llm.providers.*.default_model',
  'llm.providers.*.models.*.context_window',
  'llm.providers.*.models.*.max_output_tokens',
  'llm.providers.*.models.*.thinking_budget_tokens',
  'sessions',
  'tools.timeout',
  'tools.output',
  'tools.env_blocklist',
  'mcp.servers',
  'security.credentials.profile_name',
];

const REPOSITORY_PATTERNS = REPOSITORY_SETTINGS.map((s) => s.split('.'));

/** Whether a repository's `.sylk/` files may set the value at `path` (it is at or under an allowed setting). */
export function isRepositorySetting(path: readonly string[]): boolean {
  return REPOSITORY_PATTERNS.some(
    (p) => p.length <= path.length && p.every((seg, i) => seg === '*' || seg === path[i]),
  );
}

/** The allow-list as text, for messages. */
export const REPOSITORY_SETTINGS_TEXT = REPOSITORY_SETTINGS.join(', ');

/** Keeps what REPOSITORY_SETTINGS allows; what else the file sets is named in one warning. */
function repositoryLayer(data: unknown, file: string, warnings: ConfigWarning[]): unknown {
  const ignored: string[] = [];
  const keep = (node: unknown, path: string[]): unknown => {
    const depth = path.length;
    const live = REPOSITORY_PATTERNS.filter((p) => p.slice(0, depth).every((seg, i) => seg === '*' || seg === path[i]));
    if (live.some((p) => p.length <= depth)) return node;
    if (live.length === 0 || !isPlainObject(node)) {
      ignored.push(path.join('.'));
      return undefined;
    }
    const out: Tree = {};
    for (const [key, value] of Object.entries(node)) {
      const kept = keep(value, [...path, key]);
      if (kept !== undefined) out[key] = kept;
    }
    return out;
  };
  const kept = isPlainObject(data) ? keep(data, []) : data;
  if (ignored.length > 0) {
    warnings.push({
      file,
      path: ignored.length === 1 ? (ignored[0] as string) : '',
      reason:
        `ignored in a project's own config (${ignored.join(', ')}): ` +
        `a repository may set only ${REPOSITORY_SETTINGS_TEXT}; ` +
        `set the rest in your user config or SYLK_* variables`,
    });
  }
  return kept;
}

interface ConfigFile {
  layer: Extract<ConfigLayer, 'project' | 'user' | 'project_local'>;
  path: string;
}

/** The config files in merge order (lowest first). */
function configFiles(opts: { dirs: SylkDirs; projectRoot?: string }): ConfigFile[] {
  const files: ConfigFile[] = [];
  const project = opts.projectRoot === undefined ? undefined : nodePath.join(opts.projectRoot, '.sylk');
  files.push({ layer: 'user', path: nodePath.join(opts.dirs.config, 'config.yaml') });
  if (project !== undefined) files.push({ layer: 'project', path: nodePath.join(project, 'config.yaml') });
  if (project !== undefined)
    files.push({ layer: 'project_local', path: nodePath.join(project, 'local', 'config.yaml') });
  return files;
}

/** One layer's content before validation: `file` is its path or `$SYLK_…` variable. */
interface RawLayer {
  layer: ConfigLayer;
  file: string;
  data: unknown;
}

/** Every layer above the defaults, in merge order (lowest first), with the project files allow-listed. */
export function readLayers(opts: LoadConfigOptions): {
  layers: RawLayer[];
  sources: ConfigSource[];
  warnings: ConfigWarning[];
} {
  const sources: ConfigSource[] = [{ layer: 'defaults', path: SCHEMA_PATH, present: true }];
  const warnings: ConfigWarning[] = [];
  const layers: RawLayer[] = [];
  for (const file of configFiles(opts)) {
    const parsed = readConfigFile(file.path);
    sources.push({ layer: file.layer, path: file.path, present: parsed.present });
    const accepted = acceptFile(file.path, parsed, opts.lastGood);
    warnings.push(...accepted.warnings);
    if (accepted.data === undefined) continue;
    const data = file.layer === 'user' ? accepted.data : repositoryLayer(accepted.data, file.path, warnings);
    layers.push({ layer: file.layer, file: file.path, data });
  }
  const fromEnv = envLayers(opts.env);
  sources.push(...fromEnv.sources);
  warnings.push(...fromEnv.warnings);
  // A variable's layer is named by `$NAME`, a `_FILE` variable's by the file it names.
  layers.push(
    ...fromEnv.layers.map((l) => ({ ...l, layer: l.file.startsWith('$') ? ('env' as const) : ('env_file' as const) })),
  );
  return { layers, sources, warnings };
}

/** Merge sanitized layers over the defaults. Never throws: bad input only produces warnings. */
export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  const { layers, sources, warnings } = readLayers(opts);

  let merged = cloneTree(DEFAULT_CONFIG) as unknown as Tree;
  for (const layer of layers) {
    const clean = sanitizeLayer(layer.data, layer.file);
    warnings.push(...clean.warnings);
    merged = deepMerge(merged, clean.data);
  }
  // Fills defaults inside new map entries (e.g. a provider named only by its base_url).
  if (applyDefaults(merged).length > 0) {
    // Unreachable while every schema keyword is per value; kept so a future schema can't crash startup.
    const clean = sanitizeLayer(merged, 'merged config');
    warnings.push(...clean.warnings);
    merged = deepMerge(cloneTree(DEFAULT_CONFIG) as unknown as Tree, clean.data);
    applyDefaults(merged);
  }
  const config = deepFreeze(merged as unknown as SylkConfig);
  return { config, sources, warnings, loadedAt: (opts.clock ?? systemClock).now() };
}

/** Check one config file's text without loading anything (`sylk config validate`). */
export function validateConfigText(yamlText: string, fileName: string): { valid: boolean; warnings: ConfigWarning[] } {
  const parsed = parseConfigText(yamlText, fileName);
  const warnings = [...parsed.warnings];
  if (parsed.data !== undefined) warnings.push(...sanitizeLayer(parsed.data, fileName).warnings);
  return { valid: warnings.length === 0, warnings };
}

/** One human-readable line per warning, for logs and `sylk config validate`. */
export function formatWarning(warning: ConfigWarning): string {
  return `${warning.file}${warning.path === '' ? '' : `: ${warning.path}`}: ${warning.reason}`;
}
