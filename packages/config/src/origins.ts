/** Where each effective value comes from (`sylk config get`): the last layer that set it, else the defaults. */
import { readLayers, type LoadConfigOptions } from './load.js';
import { SCHEMA_PATH, sanitizeLayer } from './schema.js';
import { isPlainObject } from './tree.js';
import type { ConfigLayer } from './types.js';

interface ConfigOrigin {
  /** The value's path (map keys kept whole). */
  path: string[];
  value: unknown;
  layer: ConfigLayer;
  /** The file, or the `$SYLK_…` variable, that set it; the schema file for defaults. */
  source: string;
}

/** Each value under `tree`: maps are walked, anything else (lists too: they replace whole) is one value. */
function leaves(tree: unknown, path: string[], visit: (path: string[], value: unknown) => void): void {
  if (isPlainObject(tree) && Object.keys(tree).length > 0) {
    for (const [key, value] of Object.entries(tree)) leaves(value, [...path, key], visit);
  } else visit(path, tree);
}

/**
 * The origin of every value under `path` in `effective` (the config loaded with the same options,
 * possibly redacted: values are taken from it). A layer's values count only as far as they
 * validate and, for a project's files, are allow-listed: the same rules as `loadConfig`.
 */
export function configOrigins(opts: LoadConfigOptions, effective: unknown, path: readonly string[]): ConfigOrigin[] {
  const setBy = new Map<string, { layer: ConfigLayer; source: string }>();
  for (const layer of readLayers(opts).layers) {
    const clean = sanitizeLayer(layer.data, layer.file).data;
    leaves(clean, [], (p) => setBy.set(JSON.stringify(p), { layer: layer.layer, source: layer.file }));
  }
  const out: ConfigOrigin[] = [];
  leaves(effective, [...path], (p, value) => {
    const origin = setBy.get(JSON.stringify(p)) ?? { layer: 'defaults' as const, source: SCHEMA_PATH };
    out.push({ path: p, value, ...origin });
  });
  return out;
}
