/**
 * Where the CLI's installed neighbours are. `sylk` runs from wherever npm put it (a clone's
 * workspace, a global prefix, a project's node_modules), so other packages are found the way
 * Node finds them, through module resolution from the CLI's own location, never by a path
 * relative to the repository.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// The bundle (CommonJS, dist/sylk.cjs) has __filename; the ESM sources (tests) have import.meta.url.
const here = typeof __filename === 'string' ? __filename : fileURLToPath(import.meta.url);

/** `require` as seen from the CLI's package (for packages loaded outside the bundle). */
export const cliRequire = createRequire(here);

/** The CLI package's own directory: both dist/sylk.cjs and src/installed.ts sit one level below it. */
export const cliRoot = join(dirname(here), '..');

/**
 * The file behind program `name` of package `pkg` (its package.json `bin`), resolved from the CLI;
 * undefined when that package is not installed where the CLI can see it.
 */
export function packageBin(pkg: string, name: string): string | undefined {
  let manifest: string;
  try {
    manifest = cliRequire.resolve(`${pkg}/package.json`);
  } catch {
    return undefined;
  }
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin?: string | Record<string, string> };
  const file = typeof bin === 'string' ? bin : bin?.[name];
  return file === undefined ? undefined : join(dirname(manifest), file);
}
