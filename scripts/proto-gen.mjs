#!/usr/bin/env node
// Generates TypeScript for proto/ with buf + protoc-gen-es into packages/proto/src/gen.
// `--check` generates into a temporary directory and fails if the committed code differs,
// so the generated code can never drift from the .proto files. Also runs `buf lint`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const check = process.argv.includes('--check');
const committed = join(root, 'packages/proto/src/gen');
const buf = join(root, 'node_modules/.bin/buf');

function run(args, extra = {}) {
  const r = spawnSync(buf, args, { cwd: root, stdio: 'inherit', ...extra });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

function listFiles(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listFiles(p));
    else out.push(p);
  }
  return out.sort();
}

run(['lint']);
if (!check) {
  rmSync(committed, { recursive: true, force: true });
  run(['generate']);
  console.log(
    'proto: generated',
    listFiles(committed)
      .map((f) => relative(root, f))
      .join(', '),
  );
  process.exit(0);
}

const tmp = mkdtempSync(join(tmpdir(), 'sylk-proto-'));
try {
  const template = readFileSync(join(root, 'buf.gen.yaml'), 'utf8').replace(
    'out: packages/proto/src/gen',
    `out: ${tmp}`,
  );
  const templatePath = join(tmp, 'buf.gen.yaml');
  writeFileSync(templatePath, template);
  run(['generate', '--template', templatePath]);
  const fresh = listFiles(tmp)
    .filter((f) => f !== templatePath)
    .map((f) => relative(tmp, f));
  const current = listFiles(committed).map((f) => relative(committed, f));
  const stale = [];
  for (const f of new Set([...fresh, ...current])) {
    const a = fresh.includes(f) ? readFileSync(join(tmp, f), 'utf8') : null;
    const b = current.includes(f) ? readFileSync(join(committed, f), 'utf8') : null;
    if (a !== b) stale.push(f);
  }
  if (stale.length > 0) {
    console.error(`proto: generated code is out of date (${stale.join(', ')}); run 'npm run proto:gen' and commit.`);
    process.exit(1);
  }
  console.log('proto: lint clean, generated code current');
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
