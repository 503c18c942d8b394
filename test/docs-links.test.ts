// Every relative link in the repository's Markdown (README.md, docs/, package READMEs) points at a
// file that exists and, when it names an anchor, at a heading of that file (GitHub's slugs).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', '.turbo', 'gen', 'bench-results']);

function markdownFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (SKIP_DIRS.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) markdownFiles(path, out);
    else if (name.endsWith('.md')) out.push(path);
  }
  return out;
}

/** The Markdown outside fenced code blocks and inline code spans. */
function prose(text: string): string {
  return text.replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '').replace(/`[^`\n]*`/g, '');
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(file: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose(readFileSync(file, 'utf8')).split('\n')) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (heading === null) continue;
    const base = (heading[1] ?? '')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

function repositoryMarkdown(): string[] {
  const dirs = ['docs', 'packages', 'daemon', 'cli', 'test'].map((d) => join(root, d)).filter((d) => existsSync(d));
  return [join(root, 'README.md'), ...dirs.flatMap((d) => markdownFiles(d))];
}

function brokenLinks(files: string[], base: string): string[] {
  const broken: string[] = [];
  for (const file of files) {
    for (const match of prose(readFileSync(file, 'utf8')).matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1] ?? '';
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:
      const [path = '', anchor] = target.split('#');
      const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
      const where = `${relative(base, file)}: ${target}`;
      if (!existsSync(resolved)) broken.push(`${where} (no such file)`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchorsOf(resolved).has(anchor)) {
        broken.push(`${where} (no such heading)`);
      }
    }
  }
  return broken;
}

describe('Markdown links', () => {
  it('resolve to existing files and headings', () => {
    expect(brokenLinks(repositoryMarkdown(), root)).toEqual([]);
  });

  it('reports a missing file and a missing heading, not code or good links', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sylk-links-'));
    try {
      writeFileSync(join(dir, 'b.md'), '# Long sessions\n\n## Tiers (and retries)\n\n## Tiers (and retries)\n');
      writeFileSync(
        join(dir, 'a.md'),
        [
          '[ok](b.md#long-sessions) [ok](b.md#tiers-and-retries-1) [ok](#top) [web](https://example.com/x.md)',
          '[gone](c.md) [bad anchor](b.md#short-sessions) `[in code](d.md)`',
          '```',
          '[in a fence](e.md)',
          '```',
          '# Top',
        ].join('\n'),
      );
      expect(brokenLinks([join(dir, 'a.md')], dir)).toEqual([
        'a.md: c.md (no such file)',
        'a.md: b.md#short-sessions (no such heading)',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
