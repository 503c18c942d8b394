#!/usr/bin/env node
'use strict';
// Runs the bundled CLI through a V8 code cache kept beside the bundle: parsing and
// compiling ~600 KB of JavaScript is most of a cold start, and the cache removes it
// on every run after the first. A cache holds what the run that wrote it compiled, so
// each command has its own (dist/sylk.cjs.<command>.cache, written by its first run):
// one cache for every command grew with each and made every start read and
// deserialize all of it. V8 rejects a cache that does not match the source (after an
// upgrade), and then it is simply rewritten; an unwritable directory only means no
// cache. CommonJS on purpose: it skips the ESM loader's start-up cost.
// (module.enableCompileCache() was measured as the alternative: slower, because it
// keeps only what compiles eagerly.)
const { existsSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
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

function cacheCount() {
  try {
    return readdirSync(dirname(bundle)).filter((f) => f.startsWith('sylk.cjs.') && f.endsWith('.cache')).length;
  } catch {
    return MAX_CACHES;
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
const cacheFile = `${bundle}.${commandKey(process.argv.slice(2))}.cache`;
const cachedData = read(cacheFile);
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
if (cachedData === undefined ? cacheCount() < MAX_CACHES : script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      writeAtomically(cacheFile, script.createCachedData());
    } catch {
      // read-only install: run without a cache
    }
  });
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
