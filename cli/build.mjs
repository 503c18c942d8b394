// Bundles the CLI into one ESM file: one module graph to load instead of hundreds
// of files is most of what keeps `sylk status` close to a bare `node` start.
import { build } from 'esbuild';

await build({
  entryPoints: ['src/entry.ts'],
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  outfile: 'dist/sylk.mjs',
  minify: true,
  sourcemap: 'linked',
  legalComments: 'none',
  banner: { js: "import { createRequire as __sylkCreateRequire } from 'node:module'; const require = __sylkCreateRequire(import.meta.url);" },
  logLevel: 'warning',
});
