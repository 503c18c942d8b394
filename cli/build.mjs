// Bundles the CLI into one CommonJS file. One module graph to load instead of
// hundreds of files, compiled once and then reused through V8's code cache by
// bin/sylk.js, is what keeps `sylk status` close to a bare `node` start.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/entry.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  outfile: 'dist/sylk.cjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
});
