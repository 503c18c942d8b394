#!/usr/bin/env node
// Benchmark runner: `npm run bench -- <name>` runs test/bench/<name>.bench.mjs (no name: all).
// Each bench module default-exports `async () => ({ summary, metrics, targets, met })`.
// The runner prints the human summary, then, as the last line of each bench, one JSON object
// {"bench", "metrics", "targets", "met"} — the convention in docs/benchmarks.md.
import { readdirSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.mjs'))
  .map((f) => f.replace('.bench.mjs', ''))
  .sort();
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length > 0 ? wanted : available;
const unknown = names.filter((n) => !available.includes(n));
if (unknown.length > 0) {
  console.error(`unknown bench: ${unknown.join(', ')} (available: ${available.join(', ')})`);
  process.exit(2);
}

let allMet = true;
const results = [];
for (const name of names) {
  const mod = await import(pathToFileURL(join(here, `${name}.bench.mjs`)).href);
  const { summary, metrics, targets, met } = await mod.default();
  allMet &&= met;
  console.log(`${name}: ${summary}`);
  const line = { bench: name, metrics, targets, met };
  results.push(line);
  console.log(JSON.stringify(line));
}
const outDir = join(here, '..', '..', 'bench-results');
mkdirSync(outDir, { recursive: true });
writeFileSync(join(outDir, 'latest.json'), JSON.stringify(results, null, 2) + '\n');
process.exitCode = allMet ? 0 : 1;
