#!/usr/bin/env node
// Regenerates the key table in docs/configuration.md from schema/config.schema.json.
// Usage: node packages/config/scripts/gen-docs.mjs [--check]   (--check: exit 1 if the docs are stale)
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const schemaFile = fileURLToPath(new URL('../schema/config.schema.json', import.meta.url));
const docsFile = fileURLToPath(new URL('../../../docs/configuration.md', import.meta.url));
const BEGIN = '<!-- BEGIN GENERATED: config keys (packages/config/scripts/gen-docs.mjs) -->';
const END = '<!-- END GENERATED: config keys -->';

const schema = JSON.parse(readFileSync(schemaFile, 'utf8'));

function deref(node) {
  if (!node.$ref) return node;
  const { $ref, ...siblings } = node;
  return { ...schema.definitions[$ref.replace('#/definitions/', '')], ...siblings };
}

function typeOf(node) {
  const n = deref(node);
  if (n.enum) return n.enum.map((v) => `\`${v}\``).join(' \\| ');
  if (n.type === 'array') return `list of ${typeOf(n.items)}`;
  if (n.type === 'object' && typeof n.additionalProperties === 'object') return 'map';
  return n.type;
}

const cell = (text) => String(text).replace(/\|/g, '\\|').replace(/\n/g, ' ');
// A code span needs a fence longer than any backtick run inside it (the shell_metacharacters default has one).
const code = (value) => {
  const text = JSON.stringify(value).replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length)) + 1);
  return fence.length > 1 ? `${fence} ${text} ${fence}` : `${fence}${text}${fence}`;
};
const envName = (path) => `SYLK_${path.join('_').toUpperCase()}`;

const rows = [];
function walk(node, path) {
  const n = deref(node);
  for (const [key, child] of Object.entries(n.properties ?? {})) visit(deref(child), [...path, key]);
  if (typeof n.additionalProperties === 'object') walk(n.additionalProperties, [...path, '<name>']);
}
function visit(node, path) {
  const isSection = node.type === 'object' && node.properties;
  const isMap = node.type === 'object' && typeof node.additionalProperties === 'object';
  if (isSection && !isMap && path.length === 1) rows.push(`| **\`${path[0]}\`** | | | | ${cell(node.description)} |`);
  if (!isSection || isMap) {
    rows.push(
      `| \`${path.join('.')}\` | ${typeOf(node)} | ${code(node.default)} | \`${envName(path)}\` | ${cell(node.description)} |`,
    );
  }
  walk(node, path);
}
walk(schema, []);

const table = ['| Key | Type | Default | Environment variable | Description |', '|---|---|---|---|---|', ...rows].join(
  '\n',
);
const docs = readFileSync(docsFile, 'utf8');
const start = docs.indexOf(BEGIN);
const end = docs.indexOf(END);
if (start < 0 || end < start) {
  process.stderr.write(`${docsFile}: generated-block markers not found\n`);
  process.exit(2);
}
const next = `${docs.slice(0, start + BEGIN.length)}\n${table}\n${docs.slice(end)}`;
if (process.argv.includes('--check')) {
  if (next !== docs) {
    process.stderr.write('docs/configuration.md is out of date; run: node packages/config/scripts/gen-docs.mjs\n');
    process.exit(1);
  }
} else if (next !== docs) {
  writeFileSync(docsFile, next);
  process.stdout.write(`updated ${docsFile} (${rows.length} rows)\n`);
}
