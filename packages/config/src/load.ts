/** Layered loading (SPEC 3.2): defaults < project < user < project-local < environment. */
import nodePath from 'node:path';
import { systemClock, type Clock } from '@sylk/core';
import { envLayers } from './env.js';
import { parseConfigText, readConfigFile } from './parse.js';
import type { Env, SylkDirs } from './paths.js';
import { applyDefaults, DEFAULT_CONFIG, SCHEMA_PATH, sanitizeLayer } from './schema.js';
import { cloneTree, deepFreeze, deepMerge, type Tree } from './tree.js';
import type { ConfigLayer, ConfigSource, ConfigWarning, LoadedConfig, SylkConfig } from './types.js';

export interface LoadConfigOptions {
  dirs: SylkDirs;
  env: Env;
  projectRoot?: string;
  clock?: Clock;
}

export interface ConfigFile {
  layer: Extract<ConfigLayer, 'project' | 'user' | 'project_local'>;
  path: string;
}

/** The config files in merge order (lowest first). */
export function configFiles(opts: { dirs: SylkDirs; projectRoot?: string }): ConfigFile[] {
  const files: ConfigFile[] = [];
  const project = opts.projectRoot === undefined ? undefined : nodePath.join(opts.projectRoot, '.sylk');
  if (project !== undefined) files.push({ layer: 'project', path: nodePath.join(project, 'config.yaml') });
  files.push({ layer: 'user', path: nodePath.join(opts.dirs.config, 'config.yaml') });
  if (project !== undefined) files.push({ layer: 'project_local', path: nodePath.join(project, 'local', 'config.yaml') });
  return files;
}

/** Merge sanitized layers over the defaults. Never throws: bad input only produces warnings. */
export function loadConfig(opts: LoadConfigOptions): LoadedConfig {
  const sources: ConfigSource[] = [{ layer: 'defaults', path: SCHEMA_PATH, present: true }];
  const warnings: ConfigWarning[] = [];
  const layers: Array<{ file: string; data: unknown }> = [];
  for (const file of configFiles(opts)) {
    const parsed = readConfigFile(file.path);
    sources.push({ layer: file.layer, path: file.path, present: parsed.present });
    warnings.push(...parsed.warnings);
    if (parsed.data !== undefined) layers.push({ file: file.path, data: parsed.data });
  }
  const fromEnv = envLayers(opts.env);
  sources.push(...fromEnv.sources);
  warnings.push(...fromEnv.warnings);
  layers.push(...fromEnv.layers);

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
