#!/usr/bin/env node
// Makes a fresh clone runnable, then runs the command after `--` in it:
//  1. a Node.js that meets package.json's engines (the machine's own, else the one
//     pinned in .node-version, installed from the npm registry into .node/);
//  2. dependencies installed (npm ci) when missing or stale, native modules rebuilt
//     when they were built for another Node;
//  3. every workspace built (turbo caches unchanged ones).
// Used by the README's two commands so neither needs a separate set-up step.
//   node scripts/ensure-setup.mjs [--oldest] [-- <command> [args…]]
// --oldest runs on the oldest Node line the engines allow (CI's smoke run).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { engineFloor, envForNode, installLocalNode, projectNode, satisfiesFloor } from './node-runtime.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const dashDash = argv.indexOf('--');
const flags = dashDash < 0 ? argv : argv.slice(0, dashDash);
const command = dashDash < 0 ? [] : argv.slice(dashDash + 1);
const log = (msg) => console.error(`sylk setup: ${msg}`);

function fail(msg) {
  log(msg);
  process.exit(1);
}

function exitLike(result) {
  if (result.error) fail(String(result.error.message));
  process.exit(result.status ?? 128 + (result.signal ? 15 : 1));
}

// 1. The right Node: re-run this script under it when this one is not.
const { engines, pinned } = projectNode(root);
const oldest = flags.includes('--oldest');
const wanted = oldest ? engineFloor(engines).join('.') : pinned;
const current = process.versions.node;
const fits = oldest ? current === wanted : satisfiesFloor(current, engines);
if (!fits) {
  if (process.env.SYLK_SETUP_NODE === wanted) fail(`Node ${wanted} was installed but ${current} is running`);
  if (!oldest) log(`Node ${current} is older than the ${engines} Sylk needs`);
  let dir;
  try {
    dir = installLocalNode(root, wanted, log);
  } catch (err) {
    fail(`${err.message}\n  install Node ${engines} yourself (https://nodejs.org) and run this again`);
  }
  const env = { ...envForNode(dir, process.env), SYLK_SETUP_NODE: wanted };
  exitLike(spawnSync(join(dir, 'bin', 'node'), [fileURLToPath(import.meta.url), ...argv], { stdio: 'inherit', env }));
}

const env = { ...process.env, TURBO_TELEMETRY_DISABLED: '1', TURBO_NO_UPDATE_NOTIFIER: '1', DO_NOT_TRACK: '1' };
// node-gyp builds against the headers it is pointed at, not the running Node's: an npmrc's
// `nodedir` (set for the machine's own Node, say /usr) would get native modules built for that
// Node's ABI under another one. The headers that ship beside a Node binary (include/node) are
// that binary's own, so they win whenever they are there.
const nodeHome = dirname(dirname(process.execPath));
if (existsSync(join(nodeHome, 'include', 'node', 'node_version.h'))) env.npm_config_nodedir = nodeHome;

function run(cmd, args) {
  const result = spawnSync(cmd, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'], env });
  if (result.status !== 0) fail(`'${cmd} ${args.join(' ')}' failed (exit ${result.status ?? result.signal}).`);
}

// 2. Dependencies, and native modules built for this Node's ABI.
const installed = join(root, 'node_modules', '.package-lock.json');
const lock = join(root, 'package-lock.json');
const abiStamp = join(root, 'node_modules', '.sylk-node-abi');
const abi = `${process.versions.modules} ${process.platform}-${process.arch}`;
const stale = !existsSync(installed) || (existsSync(lock) && statSync(lock).mtimeMs > statSync(installed).mtimeMs);
if (stale) {
  log(`installing dependencies for Node ${current} (npm ci)…`);
  run('npm', ['ci', '--no-fund', '--no-audit']);
} else if ((existsSync(abiStamp) ? readFileSync(abiStamp, 'utf8') : '') !== abi) {
  log(`rebuilding native modules for Node ${current} (npm rebuild)…`);
  run('npm', ['rebuild', '--no-fund', '--no-audit']);
}
// A native module that does not load (built for another ABI by an earlier install) is rebuilt once.
const loads = () =>
  spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root, env })
    .status === 0;
if (!loads()) {
  log(`better-sqlite3 does not load under Node ${current}: rebuilding it…`);
  run('npm', ['rebuild', 'better-sqlite3', '--no-fund', '--no-audit']);
  if (!loads()) fail(`better-sqlite3 still does not load under Node ${current}; see the build output above.`);
}
writeFileSync(abiStamp, abi);

// 3. Build, then the command.
run('npx', ['turbo', 'run', 'build', '--output-logs=errors-only']);
if (command.length > 0) exitLike(spawnSync(command[0], command.slice(1), { cwd: root, stdio: 'inherit', env }));
