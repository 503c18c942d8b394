// Bundles sylkd's start-up path into dist/main.js (after tsc, which it overwrites): one module graph
// of a few files instead of ~900 to resolve, read and link, which was most of a cold start. Code
// loaded on demand (the web dashboard, OTLP export, providers, agents) stays behind dynamic
// imports as chunks in dist/chunks/. Third-party packages are bundled only when listed in
// BUNDLED (the start-up path, each checked to bundle cleanly); every other one, and every native
// module, is loaded from node_modules as before. Unminified, with a linked source map
// (`node --enable-source-maps` maps stack traces to the TypeScript sources).
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * Third-party packages on the start-up path: bundled. Anything else is external. A CommonJS
 * package bundled and imported with import() arrives as its default export (daemon/src/reflection.ts).
 */
const BUNDLED = new Set([
  '@bufbuild/protobuf',
  '@grpc/grpc-js',
  '@grpc/proto-loader',
  '@grpc/reflection',
  '@js-sdsl/ordered-map',
  '@pinojs/redact',
  'atomic-sleep',
  'chokidar',
  'date-fns',
  'lodash.camelcase',
  'long',
  'on-exit-leak-free',
  'pino',
  'pino-roll',
  'pino-std-serializers',
  'process-warning',
  'protobufjs',
  'quick-format-unescaped',
  're2js',
  'readdirp',
  'safe-stable-stringify',
  'sonic-boom',
  'thread-stream',
  'yaml',
]);

/** `@scope/name/sub` → `@scope/name`; `name/sub` → `name`. */
function packageName(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/**
 * Bare imports: @sylk/* and BUNDLED go into the bundle; the rest stay external, unless the copy
 * the importer would load is not the one Node finds from dist/ (a workspace's own version of a
 * package, nested in its node_modules): that one is bundled, so each module keeps its version.
 */
const externals = {
  name: 'externals',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData === 'probe') return undefined;
      const name = packageName(args.path);
      if (name.startsWith('@sylk/') || BUNDLED.has(name) || name.startsWith('@protobufjs/')) return undefined;
      const probe = (resolveDir) => b.resolve(args.path, { kind: args.kind, resolveDir, pluginData: 'probe' });
      const [fromImporter, fromDist] = await Promise.all([probe(args.resolveDir), probe(join(here, 'dist'))]);
      if (fromImporter.errors.length === 0 && fromImporter.path !== fromDist.path) return undefined;
      return { path: args.path, external: true };
    });
  },
};

/**
 * An ES module import of a built-in makes Node build a facade that reads every export, and some
 * exports are getters that load more (node:http's load all of undici). Imported through require,
 * a built-in's exports are read only where they are used. The built-ins in LAZY_BUILTINS, which
 * modules of the bundle require as they load but use later if ever (grpc-js's compression and DNS
 * resolver, the memory trim's vm), are replaced by an object of getters that loads the real module
 * on first use.
 */
const LAZY_BUILTINS = new Set(['dns', 'vm', 'zlib']);
const builtinFilter = new RegExp(`^(node:)?(${builtinModules.map((m) => m.replace(/[/]/g, '\\/')).join('|')})$`);
const nodeRequire = createRequire(import.meta.url);
const builtins = {
  name: 'builtins-through-require',
  setup(b) {
    b.onResolve({ filter: builtinFilter }, (args) => {
      const name = args.path.replace(/^node:/, '');
      // The stand-ins' own require of the real module.
      if (args.namespace !== 'file') return { path: args.path, external: true };
      if (LAZY_BUILTINS.has(name)) return { path: name, namespace: 'lazy-builtin' };
      if (args.kind === 'import-statement') return { path: name, namespace: 'builtin' };
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => ({
      loader: 'js',
      contents: `module.exports = require('node:${args.path}');`,
    }));
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, (args) => {
      const getters = Object.keys(nodeRequire(`node:${args.path}`))
        .map((n) => `${JSON.stringify(n)}: { enumerable: true, get: () => load()[${JSON.stringify(n)}] }`)
        .join(',\n');
      return {
        loader: 'js',
        contents: `let real;\nconst load = () => (real ??= require('node:${args.path}'));\nmodule.exports = Object.defineProperties({}, {\n${getters}\n});\n`,
      };
    });
  },
};

/** The nearest package.json above `file` that has a name: { root, manifest }. */
function owningPackage(file) {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      if (typeof manifest.name === 'string') return { root: dir, manifest };
    } catch {
      // no package.json here
    }
  }
  throw new Error(`no package.json above ${file}`);
}

const posix = (p) => p.split(sep).join('/');

/**
 * A module that finds files next to itself (`import.meta.url`, `__dirname`, `__filename`: the
 * config schema, .proto files, the web assets, createRequire) gets the location it has in its
 * package, not the bundle's. It is computed at run time through module resolution from the bundle,
 * so the same bundle works in the repository and in an installed package (whose layout differs).
 */
function originalLocation(file) {
  const { root, manifest } = owningPackage(file);
  // The daemon's own sources are bundled from src/; their place in the package is tsc's dist/.
  const target = root === here ? join(here, 'dist', relative(join(here, 'src'), file).replace(/\.ts$/, '.js')) : file;
  // A package whose exports hide package.json is anchored at its main entry instead.
  const exportsManifest =
    manifest.exports === undefined || (typeof manifest.exports === 'object' && './package.json' in manifest.exports);
  const anchorSpecifier = exportsManifest ? `${manifest.name}/package.json` : manifest.name;
  const anchorFile = fileURLToPath(import.meta.resolve(anchorSpecifier, `file://${here}/dist/main.js`));
  const rel = posix(relative(dirname(anchorFile), target));
  return `new URL(${JSON.stringify(rel.startsWith('.') ? rel : `./${rel}`)}, __sylkResolve(${JSON.stringify(anchorSpecifier)})).href`;
}

const relocated = new Set();
const locations = {
  name: 'original-locations',
  setup(b) {
    b.onLoad({ filter: /\.(c|m)?(j|t)s$/ }, (args) => {
      const source = readFileSync(args.path, 'utf8');
      const usesMeta = source.includes('import.meta.url');
      const usesDirname = /\b__(dirname|filename)\b/.test(source);
      if (!usesMeta && !usesDirname) return undefined;
      const url = originalLocation(args.path);
      relocated.add(posix(relative(here, args.path)));
      const loader = args.path.endsWith('.ts') ? 'ts' : 'js';
      if (usesMeta) {
        // ESM: a module-level constant replaces import.meta.url.
        const contents = `const __sylkModuleUrl = ${url};\n${source.replaceAll('import.meta.url', '__sylkModuleUrl')}`;
        return { contents, loader };
      }
      // CommonJS: esbuild wraps the module in a function, so these are its own.
      const contents =
        `var __filename = require('node:url').fileURLToPath(${url});\n` +
        `var __dirname = require('node:path').dirname(__filename);\n${source}`;
      return { contents, loader };
    });
  },
};

/**
 * pino-roll requires five functions of date-fns; through its CommonJS index that is all ~300 of
 * its modules. Each of the five is instead required from its own entry point on its first call:
 * the bundle keeps only what they use, and none of it runs at start-up (~10 ms), as sylkd rotates
 * its log by size, and pino-roll calls them only for rotation by date.
 */
const dateFns = {
  name: 'date-fns-subset',
  setup(b) {
    b.onResolve({ filter: /^date-fns$/ }, (args) =>
      args.importer.includes(`${sep}pino-roll${sep}`) ? { path: 'date-fns', namespace: 'date-fns-subset' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'date-fns-subset' }, () => ({
      resolveDir: here,
      loader: 'js',
      contents: ['format', 'addDays', 'addHours', 'parse', 'isValid']
        .map((f) => `export const ${f} = (...args) => require('date-fns/${f}').${f}(...args);`)
        .join('\n'),
    }));
  },
};

rmSync(join(here, 'dist', 'chunks'), { recursive: true, force: true });
const built = await build({
  absWorkingDir: here,
  entryPoints: [{ in: 'src/main.ts', out: 'main' }],
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  outdir: 'dist',
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS modules in the bundle require Node's built-ins and the external packages;
  // __sylkResolve serves originalLocation (a CommonJS module cannot say import.meta itself).
  banner: {
    js: [
      "import { createRequire as __sylkCreateRequire } from 'node:module';",
      'const require = __sylkCreateRequire(import.meta.url);',
      'const __sylkResolve = (specifier) => import.meta.resolve(specifier);',
    ].join('\n'),
  },
  plugins: [builtins, externals, dateFns, locations],
  metafile: true,
});
// The chunks this build wrote. Turbo's cache restore adds a build's files to dist/ without deleting
// others, so after a checkout the directory can hold chunks of another build: packing ships only
// the listed ones (scripts/pack.mjs).
const CHUNKS = 'dist/chunks/';
const chunks = Object.keys(built.metafile.outputs)
  .filter((f) => f.startsWith(CHUNKS) && !f.endsWith('.map'))
  .map((f) => f.slice(CHUNKS.length))
  .sort();
writeFileSync(join(here, CHUNKS, 'chunks.json'), `${JSON.stringify(chunks, null, 1)}\n`);
// SYLK_BUILD_VERBOSE=1 lists the modules whose own location originalLocation gave back.
if (process.env.SYLK_BUILD_VERBOSE) process.stdout.write(`relocated: ${[...relocated].sort().join(', ')}\n`);
