// Bundles the CLI into one CommonJS file. One module graph to load instead of
// hundreds of files, compiled once and then reused through V8's code cache by
// bin/sylk.js, is what keeps `sylk status` close to a bare `node` start.
import { readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { build } from 'esbuild';

/**
 * Built-in modules that the bundle's dependencies require at load time but `sylk status` never
 * uses: child_process (commander; sylk only spawns to start sylkd), zlib (grpc-js compression,
 * off) and dns (grpc-js's DNS resolver; sylk dials a Unix socket). Each is replaced by an object
 * of getters that loads the real module on first use: ~1-2 ms of every start.
 */
const LAZY_BUILTINS = ['child_process', 'zlib', 'dns'];
const nodeRequire = createRequire(import.meta.url);
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      // The stand-in itself requires the real module.
      args.namespace === 'lazy-builtin'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^node:/, ''), namespace: 'lazy-builtin' },
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const names = Object.keys(nodeRequire(`node:${args.path}`));
      const getters = names
        .map((n) => `${JSON.stringify(n)}: { enumerable: true, get: () => load()[${JSON.stringify(n)}] }`)
        .join(',\n');
      return {
        loader: 'js',
        contents: `let real;\nconst load = () => (real ??= require('node:${args.path}'));\nmodule.exports = Object.defineProperties({}, {\n${getters}\n});\n`,
      };
    });
  },
};

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
  // grpc-js requires the proto-loader only for channelz and ORCA, server-side features a client
  // never turns on; bundling it (and protobufjs) would add ~130 KB to every start.
  external: ['@grpc/proto-loader'],
  // The sources are ESM; in the CommonJS bundle modules find their packages through __filename
  // (see src/render/highlight.ts), and import.meta is never read.
  define: { 'import.meta.url': 'undefined' },
  plugins: [lazyBuiltins],
});

// V8 checks a code cache against the source's length, not its content: a rebuilt bundle of the
// same length could run stale bytecode. The next run writes a fresh cache.
// (sylk.cjs.cache and its .commands list are the caches of builds before per-command caches.)
for (const file of readdirSync('dist')) {
  if (/^sylk\.cjs\.(.+\.cache|cache|cache\.commands)$/.test(file)) rmSync(`dist/${file}`, { force: true });
}
