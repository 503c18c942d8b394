import type { LoadedConfig } from '@sylk/config';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { ConfigSource, ConfigSummarySchema, ConfigWarning } from '@sylk/proto';

export function sourcesOf(loaded: Pick<LoadedConfig, 'sources'>): Pick<ConfigSource, 'layer' | 'path' | 'present'>[] {
  return loaded.sources.map((s) => ({ layer: s.layer, path: s.path, present: s.present }));
}

export function warningsOf(loaded: Pick<LoadedConfig, 'warnings'>): Pick<ConfigWarning, 'file' | 'path' | 'reason'>[] {
  return loaded.warnings.map((w) => ({ file: w.file, path: w.path, reason: w.reason }));
}

export function configSummary(loaded: LoadedConfig, reloadCount: number): MessageInitShape<typeof ConfigSummarySchema> {
  return {
    sources: sourcesOf(loaded),
    warnings: warningsOf(loaded),
    loadedAtUnixMs: BigInt(loaded.loadedAt),
    reloadCount,
  };
}
