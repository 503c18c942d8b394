import { ErrorTier, SylkError } from '@sylk/core';
import { findProjectRoot, getConfigValue, loadConfig, redactConfig, validateConfigText } from '@sylk/config';
import type { ConfigService } from '@sylk/proto';
import { type ServiceImpl } from '@sylk/proto';
import type { Daemon } from '../daemon.js';
import { sourcesOf, warningsOf } from './config-summary.js';

type Methods = typeof ConfigService extends { method: infer M } ? M : never;

function projectLoad(daemon: Daemon, projectDir: string) {
  if (!projectDir.startsWith('/')) {
    throw new SylkError(`project_dir must be absolute, got '${projectDir}'`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
  }
  const projectRoot = findProjectRoot(projectDir) ?? projectDir;
  return loadConfig({ dirs: daemon.dirs, env: daemon.env, projectRoot });
}

export function configServiceImpl(daemon: Daemon): ServiceImpl<Methods> {
  return {
    getConfig(req) {
      const loaded = req.projectDir ? projectLoad(daemon, req.projectDir) : daemon.config.current();
      // Redaction keeps the shape, so the key lookup (and its unknown-key error) still applies.
      const value = getConfigValue(redactConfig(loaded.config), req.key);
      return {
        key: req.key,
        valueJson: JSON.stringify(value),
        sources: sourcesOf(loaded),
        warnings: warningsOf(loaded),
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
  };
}
