#!/usr/bin/env node
'use strict';
// Runs the bundled CLI through a V8 code cache kept beside the bundle: parsing and
// compiling ~550 KB of JavaScript is most of a cold start, and the cache removes it
// on every run after the first. V8 rejects a cache that does not match the source
// (after an upgrade), and then it is simply rebuilt; an unwritable directory only
// means no cache. CommonJS on purpose: it skips the ESM loader's start-up cost.
const { readFileSync, renameSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'sylk.cjs');
const cacheFile = `${bundle}.cache`;
let cachedData;
try {
  cachedData = readFileSync(cacheFile);
} catch {
  cachedData = undefined;
}
const script = new Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
if (cachedData === undefined || script.cachedDataRejected) {
  process.once('exit', () => {
    try {
      const tmp = `${cacheFile}.${process.pid}`;
      writeFileSync(tmp, script.createCachedData());
      renameSync(tmp, cacheFile);
    } catch {
      // read-only install: run without a cache
    }
  });
}
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(bundle), mod, bundle, dirname(bundle));
