#!/usr/bin/env node
'use strict';
// Runs the bundled CLI through a V8 code cache kept beside the bundle: parsing and
// compiling ~600 KB of JavaScript is most of a cold start, and the cache removes it
// on every run after the first. A cache holds what the run that wrote it compiled, so
// each command has its own (dist/sylk.cjs.<command>.cache, written by its first run):
// one cache for every command grew with each and made every start read and
// deserialize all of it. V8 rejects a cache that does not match the source (after an
// upgrade), and then it is simply rewritten. Where the install's directory cannot be
// written (a root-owned global install), the caches go to Sylk's cache directory
// (~/.cache/sylk/cli-code/). CommonJS on purpose: it skips the ESM loader's start-up cost.
// (module.enableCompileCache() was measured as the alternative: slower, because it
// keeps only what compiles eagerly.)
const {
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} = require('node:fs');
const Module = require('node:module');
const { dirname, isAbsolute, join } = require('node:path');
const { Script } = require('node:vm');

const MIN_NODE = [22, 12];

/**
 * On a Node older than the engines floor, run under the Node a clone's set-up installed
 * (.node/<.node-version>/), else say what to do. Never returns when it is too old.
 */
function requireSupportedNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  if (major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1])) return;
  const root = join(__dirname, '..', '..');
  const pinned = (read(join(root, '.node-version'), 'utf8') ?? '').trim();
  const local = join(root, '.node', pinned, 'bin', 'node');
  if (pinned && existsSync(local)) {
    const child = require('node:child_process').spawn(local, [__filename, ...process.argv.slice(2)], {
      stdio: 'inherit',
    });
    // The terminal signals the whole foreground group: the child decides what Ctrl-C means.
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => {});
    child.on('exit', (code, signal) => process.exit(code ?? (signal === 'SIGINT' ? 130 : 1)));
    child.on('error', (err) => {
      process.stderr.write(`sylk: cannot run ${local}: ${err.message}\n`);
      process.exit(1);
    });
    return true;
  }
  process.stderr.write(
    `sylk: Node ${process.versions.node} is too old; Sylk needs Node ${MIN_NODE.join('.')} or newer.\n` +
      '  Install a current Node LTS (https://nodejs.org), or in a clone of Sylk run `npm run setup`,\n' +
      '  which installs one into .node/ that this command then uses.\n',
  );
  process.exit(1);
}

const bundle = join(__dirname, '..', 'dist', 'sylk.cjs');
/** Caches kept at most: typos are command words too. */
const MAX_CACHES = 40;

/** The command word of argv (what decides which code runs): `_` for none, `_other` for one that is not a word. */
function commandKey(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--socket' || arg === '--profile') i++;
    else if (!arg.startsWith('-')) return /^[a-z][a-z-]{0,31}$/.test(arg) ? arg : '_other';
  }
  return '_';
}

function cacheCount(dir) {
  try {
    return readdirSync(dir).filter((f) => f.startsWith('sylk.cjs.') && f.endsWith('.cache')).length;
  } catch {
    return 0;
  }
}

/** FNV-1a, 32 bits, hex: names a directory, needs no crypto module. */
function fnv(text) {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/**
 * Sylk's cache directory, by @sylk/config's rule (resolveDirs: SYLK_CACHE_DIR > SYLK_HOME/cache >
 * XDG_CACHE_HOME/sylk > the platform's), which this script cannot load before the bundle; a test
 * holds the two together. Relative or empty values are ignored, as there.
 */
function sylkCacheDir(env) {
  const at = (name) => (env[name] && isAbsolute(env[name]) ? env[name] : undefined);
  if (at('SYLK_CACHE_DIR')) return at('SYLK_CACHE_DIR');
  if (at('SYLK_HOME')) return join(at('SYLK_HOME'), 'cache');
  if (at('XDG_CACHE_HOME')) return join(at('XDG_CACHE_HOME'), 'sylk');
  const home = at('HOME') ?? require('node:os').homedir();
  return join(home, ...(process.platform === 'darwin' ? ['Library', 'Caches'] : ['.cache']), 'sylk');
}

/**
 * The caches of an install whose directory is not ours to write (`sudo npm install -g`), in Sylk's
 * cache directory: one directory per install, holding the caches of its current build only. The
 * build is told apart by version, size and time, since V8 checks a cache against the source's
 * length alone.
 */
function userCaches() {
  let build;
  try {
    const { size, mtimeMs } = statSync(bundle);
    const { version } = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8'));
    build = fnv(`${version}\0${size}\0${mtimeMs}`);
  } catch {
    return undefined;
  }
  const install = join(sylkCacheDir(process.env), 'cli-code', fnv(bundle));
  return { install, dir: join(install, build) };
}

/** Drops the caches of the install's earlier builds. */
function dropOtherBuilds(caches) {
  try {
    for (const name of readdirSync(caches.install)) {
      const dir = join(caches.install, name);
      if (dir !== caches.dir) rmSync(dir, { recursive: true, force: true });
    }
  } catch {
    // nothing to drop
  }
}

function read(file, encoding) {
  try {
    return readFileSync(file, encoding);
  } catch {
    return undefined;
  }
}

function writeAtomically(file, data) {
  const tmp = `${file}.${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

if (requireSupportedNode()) return;
const cacheName = `sylk.cjs.${commandKey(process.argv.slice(2))}.cache`;
let cacheDir = dirname(bundle);
let cachedData = read(join(cacheDir, cacheName));
const user = cachedData === undefined ? userCaches() : undefined;
if (user !== undefined) {
  cachedData = read(join(user.dir, cacheName));
  if (cachedData !== undefined) cacheDir = user.dir;
}
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    const data = script.createCachedData();
    const write = (dir) => {
      if (cachedData === undefined && cacheCount(dir) >= MAX_CACHES) return true;
      try {
        writeAtomically(join(dir, cacheName), data);
        return true;
      } catch {
        return false;
      }
    };
    if (write(cacheDir) || user === undefined || cacheDir === user.dir) return;
    // The install's directory is read-only to us: keep the cache with the user's.
    try {
      mkdirSync(user.dir, { recursive: true, mode: 0o700 });
      dropOtherBuilds(user);
      write(user.dir);
    } catch {
      // no cache
    }
  });
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
