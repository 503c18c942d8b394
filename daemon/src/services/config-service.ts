import { join } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';
import {
  configKeyPath,
  configOrigins,
  findProjectRoot,
  getConfigValue,
  loadConfig,
  redactConfig,
  setConfigValue,
  unsetConfigValue,
  validateConfigText,
  type ConfigFileTarget,
  type LoadedConfig,
} from '@sylk/config';
import type { ConfigService } from '@sylk/proto';
import { type ServiceImpl } from '@sylk/proto';
import type { Daemon } from '../daemon.js';
import { sourcesOf, warningsOf } from './config-summary.js';

type Methods = typeof ConfigService extends { method: infer M } ? M : never;

function projectRootOf(projectDir: string): string {
  if (!projectDir.startsWith('/')) {
    throw new SylkError(`project_dir must be absolute, got '${projectDir}'`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  }
  return findProjectRoot(projectDir) ?? projectDir;
}

/** What `sylk config get` reads: the daemon's own config, or a project's layers over it. */
function loadOptions(daemon: Daemon, projectDir: string) {
  return projectDir === ''
    ? { dirs: daemon.dirs, env: daemon.env }
    : { dirs: daemon.dirs, env: daemon.env, projectRoot: projectRootOf(projectDir) };
}

function projectLoad(daemon: Daemon, projectDir: string): LoadedConfig {
  return loadConfig(loadOptions(daemon, projectDir));
}

/** Each value under the key, redacted, with the layer and file (or variable) that set it. */
function originsAt(daemon: Daemon, projectDir: string, loaded: LoadedConfig, path: readonly string[]) {
  const value = getConfigValue(redactConfig(loaded.config), path);
  return configOrigins(loadOptions(daemon, projectDir), value, path).map((o) => ({
    key: o.path.join('.'),
    valueJson: JSON.stringify(o.value),
    layer: o.layer,
    source: o.source,
  }));
}

/** The file `sylk config set|unset` writes: the user's, or (`--project`) the project's `.sylk/config.yaml`. */
function targetOf(daemon: Daemon, project: boolean, projectDir: string): ConfigFileTarget {
  if (!project) return { file: join(daemon.dirs.config, 'config.yaml'), repository: false };
  if (projectDir === '')
    throw new SylkError('--project needs a project: no .sylk/ or .git directory here or above', {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
      hint: 'Run it inside the project (or create its .sylk/ directory), or drop --project to change your user config.',
    });
  return { file: join(projectRootOf(projectDir), '.sylk', 'config.yaml'), repository: true };
}

export function configServiceImpl(daemon: Daemon): ServiceImpl<Methods> {
  /** After a write: the user file is reloaded now (the watcher would, 500 ms later); project files load per request. */
  const applied = (target: ConfigFileTarget, action: string, path: readonly string[], projectDir: string) => {
    if (!target.repository) daemon.config.reload(`sylk config ${action} ${path.join('.')}`);
    // The key and the file only: a value can be a secret.
    daemon.audit.sink.record({
      category: 'config',
      action: `config_${action}`,
      target: path.join('.'),
      outcome: 'ok',
      details: { path: target.file },
    });
    const loaded = projectDir === '' ? daemon.config.current() : projectLoad(daemon, projectDir);
    return originsAt(daemon, projectDir, loaded, path);
  };

  return {
    getConfig(req) {
      const loaded = req.projectDir ? projectLoad(daemon, req.projectDir) : daemon.config.current();
      const path = configKeyPath(req.key);
      // Redaction keeps the shape, so the key lookup (and its unknown-key error) still applies.
      const value = getConfigValue(redactConfig(loaded.config), path);
      return {
        key: req.key,
        valueJson: JSON.stringify(value),
        sources: sourcesOf(loaded),
        warnings: warningsOf(loaded),
        origins: req.withOrigins ? originsAt(daemon, req.projectDir, loaded, path) : [],
      };
    },

    validateConfig(req) {
      if (req.yaml !== '') {
        const result = validateConfigText(req.yaml, req.fileName || '<input>');
        return { valid: result.valid, warnings: result.warnings, sources: [] };
      }
      const loaded = req.projectDir
        ? projectLoad(daemon, req.projectDir)
        : loadConfig({ dirs: daemon.dirs, env: daemon.env });
      return { valid: loaded.warnings.length === 0, warnings: warningsOf(loaded), sources: sourcesOf(loaded) };
    },

    setConfig(req) {
      const target = targetOf(daemon, req.project, req.projectDir);
      const { path, existed } = setConfigValue(target, req.key, req.valueYaml);
      return { path: target.file, replaced: existed, origins: applied(target, 'set', path, req.projectDir) };
    },

    unsetConfig(req) {
      const target = targetOf(daemon, req.project, req.projectDir);
      const { path, existed } = unsetConfigValue(target, req.key);
      const origins = existed
        ? applied(target, 'unset', path, req.projectDir)
        : originsAt(daemon, req.projectDir, projectLoad(daemon, req.projectDir), path);
      return { path: target.file, removed: existed, origins };
    },
  };
}
