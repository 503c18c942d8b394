#!/usr/bin/env node
// The crash loop for longer than CI runs it: `npm run chaos -- --cycles 500 --seed 42`.
// It runs test/e2e/crash-loop.test.ts (test/helpers/crash-loop.ts) with that many kill -9
// cycles and that seed (random when not given; printed, so a failure can be replayed exactly).
// Needs a build first (`npx turbo run build`): it starts the real sylkd from dist/.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};
const usage = 'usage: npm run chaos -- [--cycles N] [--seed S] [--quiet]';
const cycles = Number(option('cycles') ?? 500);
const seed = Number(option('seed') ?? Math.floor(Math.random() * 2 ** 31));
if (!Number.isInteger(cycles) || cycles < 1 || !Number.isInteger(seed) || seed < 0) {
  console.error(usage);
  process.exit(2);
}
console.log(`chaos: ${cycles} kill -9 cycles, seed ${seed}`);
const child = spawn(
  process.execPath,
  [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', 'test/e2e/crash-loop.test.ts'],
  {
    cwd: root,
    stdio: 'inherit',
    env: {
      ...process.env,
      SYLK_CRASH_CYCLES: String(cycles),
      SYLK_CRASH_SEED: String(seed),
      SYLK_CRASH_VERBOSE: args.includes('--quiet') ? '0' : '1',
    },
  },
);
child.on('exit', (code, signal) => {
  if (code !== 0)
    console.error(`chaos: failed (seed ${seed}); replay with: npm run chaos -- --cycles ${cycles} --seed ${seed}`);
  process.exit(code ?? (signal ? 1 : 0));
});
