/**
 * The readings pressure decisions are made from: sylkd's resident memory and the free space on
 * the data directory's filesystem.
 *
 * Test hook: with `SYLK_TEST_PRESSURE_READINGS=<path>` in the daemon's environment, each reading
 * first looks at that JSON file (`{ "rss_mb": 900, "free_mb": 20000 }`, either key optional) and
 * uses its figure instead of the real one; a missing or unreadable file (or key) means the real
 * reading. End-to-end tests drive the thresholds with it against a real sylkd. The variable only
 * changes what the daemon believes it uses; it reaches nothing else.
 */
import { readFileSync } from 'node:fs';
import { statfs } from 'node:fs/promises';

const MiB = 1024 * 1024;

const READINGS_ENV = 'SYLK_TEST_PRESSURE_READINGS';

interface Injected {
  rss_mb?: unknown;
  free_mb?: unknown;
}

function injected(path: string | undefined, key: keyof Injected): number | undefined {
  if (path === undefined || path === '') return undefined;
  try {
    const value = (JSON.parse(readFileSync(path, 'utf8')) as Injected)[key];
    return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value * MiB : undefined;
  } catch {
    return undefined;
  }
}

export interface Readings {
  usedMemoryBytes(): number;
  freeDiskBytes(): Promise<number>;
}

export function pressureReadings(env: Readonly<Record<string, string | undefined>>, dataDir: string): Readings {
  const hook = env[READINGS_ENV];
  return {
    usedMemoryBytes: () => injected(hook, 'rss_mb') ?? process.memoryUsage.rss(),
    async freeDiskBytes() {
      const fake = injected(hook, 'free_mb');
      if (fake !== undefined) return fake;
      const s = await statfs(dataDir);
      return s.bavail * s.bsize;
    },
  };
}
