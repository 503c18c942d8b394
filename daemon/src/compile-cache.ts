import module from 'node:module';
import { join } from 'node:path';
import { resolveDirs } from '@sylk/config/paths';

type EnableCompileCache = (directory?: string) => { status: number; message?: string; directory?: string };

/**
 * Node ≥ 22.1 keeps the compiled code of every module sylkd loads on disk (`{cache}/node-compile`),
 * so a later start skips compiling it again. Must run before the daemon's modules are imported.
 * Older Node has no such API: nothing happens. NODE_DISABLE_COMPILE_CACHE=1 turns it off (Node's own switch).
 * Returns the cache directory when it is in use.
 */
export function enableCompileCache(env: Readonly<Record<string, string | undefined>>): string | undefined {
  const enable = (module as { enableCompileCache?: EnableCompileCache }).enableCompileCache;
  if (typeof enable !== 'function') return undefined;
  try {
    return enable(join(resolveDirs(env).cache, 'node-compile')).directory;
  } catch {
    // An unusable cache directory only costs the compile time it would have saved.
    return undefined;
  }
}
