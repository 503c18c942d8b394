#!/usr/bin/env node
'use strict';
// Runs the bundled CLI through a V8 code cache kept beside the bundle: parsing and
// compiling ~500 KB of JavaScript is most of a cold start, and the cache removes it
// on every run after the first. A cache holds what the runs that wrote it compiled,
// so it is rewritten (cumulatively) the first time each command runs; the commands it
// covers are listed beside it. V8 rejects a cache that does not match the source
// (after an upgrade), and then it is simply rebuilt; an unwritable directory only
// means no cache. CommonJS on purpose: it skips the ESM loader's start-up cost.
const { readFileSync, renameSync, rmSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'sylk.cjs');
const cacheFile = `${bundle}.cache`;
const keysFile = `${cacheFile}.commands`;
const MAX_KEYS = 40;

/** The command word of argv (what decides which code runs), '-' for none. */
function commandKey(argv) {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--socket' || arg === '--profile') i++;
    else if (!arg.startsWith('-')) return /^[a-z-]{1,32}$/.test(arg) ? arg : '?';
  }
  return '-';
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

const cachedData = read(cacheFile);
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
const fresh = cachedData === undefined || script.cachedDataRejected;
const covered = fresh ? [] : (read(keysFile, 'utf8') ?? '').split('\n').filter(Boolean);
const key = commandKey(process.argv.slice(2));
if (fresh || (!covered.includes(key) && covered.length < MAX_KEYS)) {
  process.once('exit', () => {
    try {
      writeAtomically(cacheFile, script.createCachedData());
      writeAtomically(keysFile, [...covered, key].join('\n'));
    } catch {
      // read-only install: run without a cache
    }
  });
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
