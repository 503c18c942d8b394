// Shared by the tests (excluded from the build): temp dirs, seeded randomness, and a bundle of
// this package that plain `node` child processes can import (Node 20 cannot run .ts itself).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { RandomSource } from '@sylk/core';
import { afterEach, beforeEach } from 'vitest';
import { EventLog } from '../event-log.js';
import type { SessionEvent } from '../events.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const packagesDir = resolve(here, '..', '..', '..');
const require = createRequire(import.meta.url);

export function tempDir(prefix: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Resolves after the current turn of the event loop (an event log commits at its end). */
export const nextTick = () => new Promise<void>((r) => setImmediate(r));

/**
 * A fresh event log in a temp dir for each test, closed and removed after it; `opened` is told
 * each new log. `appendMany(n)` appends n deltas to the current one in a single tick.
 */
export function eventLogPerTest(
  prefix: string,
  opened: (log: EventLog) => void,
): { appendMany: (n: number) => Promise<SessionEvent[]> } {
  let dir: { path: string; remove: () => void } | undefined;
  let log: EventLog | undefined;
  beforeEach(() => {
    dir = tempDir(prefix);
    log = new EventLog({ path: join(dir.path, 'events.db') });
    opened(log);
  });
  afterEach(() => {
    log?.close();
    dir?.remove();
  });
  return {
    appendMany: (n) =>
      Promise.all(Array.from({ length: n }, (_, i) => (log as EventLog).append('assistant_delta', { i }))),
  };
}

/** Deterministic bytes (xorshift32) so ids and names repeat from run to run. */
export function seededRandom(seed = 1): RandomSource {
  let state = seed >>> 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      state >>>= 0;
      out[i] = state & 0xff;
    }
    return out;
  };
}

/**
 * Bundles this package's API plus `openSystemDatabase` (core and storage from source) into
 * `{dir}/sessions.mjs`.
 */
export async function bundleForChildren(dir: string): Promise<string> {
  const outfile = join(dir, 'sessions.mjs');
  await build({
    stdin: {
      contents: "export * from './index.ts'; export { openSystemDatabase } from '@sylk/storage';",
      resolveDir: resolve(here, '..'),
      loader: 'ts',
    },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'silent',
    plugins: [
      {
        name: 'workspace-and-natives',
        setup(b) {
          b.onResolve({ filter: /^@sylk\/(core|storage)$/ }, (args) => ({
            path: join(packagesDir, args.path.slice('@sylk/'.length), 'src', 'index.ts'),
          }));
          // Native and worker-spawning modules stay external, imported from the repo by path.
          b.onResolve({ filter: /^(better-sqlite3|pino)$/ }, (args) => ({
            path: require.resolve(args.path),
            external: true,
          }));
        },
      },
    ],
  });
  return outfile;
}

/** Runs `node -e script` with the bundle path in SYLK_SESSIONS_BUNDLE plus `env`. */
export function spawnNode(script: string, bundle: string, env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, ...env, SYLK_SESSIONS_BUNDLE: bundle },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
}

/** Resolves with the exit code (or signal name) and everything the child wrote. */
export function finished(child: ChildProcess): Promise<{ code: number | string; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolvePromise, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolvePromise({ code: code ?? signal ?? 'unknown', stdout, stderr }));
  });
}
