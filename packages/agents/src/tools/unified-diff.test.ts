import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { applyPatch } from 'diff';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../testing/tool-env.js';
import { editFileTool } from './edit-file.js';
import { diffFile, formatDiff, LOG_CAPS, PREVIEW_CAPS, type DiffCaps, type FileDiff } from './unified-diff.js';
import { writeFileTool } from './write-file.js';

const UNCAPPED: DiffCaps = { hunkLines: Infinity, totalLines: Infinity, lineChars: Infinity, totalChars: Infinity };
const numbered = (n: number, f: (i: number) => string = (i) => `line ${i}`) =>
  Array.from({ length: n }, (_, i) => `${f(i + 1)}\n`).join('');

/** The diff is a real unified diff: applying it to `before` gives `after`. */
function roundTrips(diff: FileDiff, before: string, after: string): void {
  expect(applyPatch(before, formatDiff(diff, UNCAPPED))).toBe(after);
}

describe('diffFile / formatDiff', () => {
  it('gives two hunks with three lines of context for two distant changes', () => {
    const before = numbered(40);
    const after = before.replace('line 5\n', 'line five\n').replace('line 35\n', 'line thirty-five\n');
    const d = diffFile('src/a.txt', before, after);
    expect(d).toMatchObject({ path: 'src/a.txt', created: false, added: 2, removed: 2 });
    expect(d.hunks).toHaveLength(2);
    expect(formatDiff(d)).toBe(
      [
        '--- a/src/a.txt',
        '+++ b/src/a.txt',
        '@@ -2,7 +2,7 @@',
        ' line 2',
        ' line 3',
        ' line 4',
        '-line 5',
        '+line five',
        ' line 6',
        ' line 7',
        ' line 8',
        '@@ -32,7 +32,7 @@',
        ' line 32',
        ' line 33',
        ' line 34',
        '-line 35',
        '+line thirty-five',
        ' line 36',
        ' line 37',
        ' line 38',
      ].join('\n'),
    );
    roundTrips(d, before, after);
  });

  it('shows a new file against /dev/null and an unchanged one as such', () => {
    const created = diffFile('b.txt', undefined, 'x\ny\n');
    expect(created).toMatchObject({ created: true, added: 2, removed: 0 });
    expect(formatDiff(created)).toBe('--- /dev/null\n+++ b/b.txt\n@@ -0,0 +1,2 @@\n+x\n+y');
    expect(formatDiff(diffFile('b.txt', undefined, ''))).toBe('--- /dev/null\n+++ b/b.txt\n(no changes)');
    expect(formatDiff(diffFile('b.txt', 'same\n', 'same\n'))).toBe('--- a/b.txt\n+++ b/b.txt\n(no changes)');
    const emptied = diffFile('b.txt', 'x\ny\n', '');
    expect(formatDiff(emptied)).toBe('--- a/b.txt\n+++ b/b.txt\n@@ -1,2 +0,0 @@\n-x\n-y');
    roundTrips(emptied, 'x\ny\n', '');
  });

  it('marks a missing final newline the way diff -u does', () => {
    const d = diffFile('c.txt', 'a\nb\n', 'a\nb');
    expect(formatDiff(d)).toBe('--- a/c.txt\n+++ b/c.txt\n@@ -1,2 +1,2 @@\n a\n-b\n+b\n\\ No newline at end of file');
    roundTrips(d, 'a\nb\n', 'a\nb');
    const appended = diffFile('c.txt', 'a\nb', 'a\nb\nc');
    expect(appended).toMatchObject({ added: 2, removed: 1 });
    roundTrips(appended, 'a\nb', 'a\nb\nc');
  });

  it('keeps CRLF line endings: a one-line edit is one line, a conversion is every line', () => {
    const before = 'one\r\ntwo\r\nthree\r\n';
    const edit = diffFile('w.txt', before, 'one\r\nTWO\r\nthree\r\n');
    expect(edit).toMatchObject({ added: 1, removed: 1 });
    expect(formatDiff(edit).split('\n').slice(2)).toEqual([
      '@@ -1,3 +1,3 @@',
      ' one\r',
      '-two\r',
      '+TWO\r',
      ' three\r',
    ]);
    roundTrips(edit, before, 'one\r\nTWO\r\nthree\r\n');
    expect(diffFile('w.txt', before, 'one\ntwo\nthree\n')).toMatchObject({ added: 3, removed: 3 });
  });

  it('caps a huge change per hunk and in total, and says which later hunks it does not show', () => {
    // 60 separate changes, each its own hunk, plus one 1,000-line rewrite at the start.
    const before = numbered(5_000);
    const after = numbered(5_000, (i) => (i <= 1_000 || i % 80 === 0 ? `changed ${i}` : `line ${i}`));
    // Time enough for the exact diff of ~2,100 changed lines even on a loaded machine.
    const d = diffFile('big.txt', before, after, { timeoutMs: 60_000 });
    expect(d.hunks.length).toBe(1 + ((4_960 - 1_040) / 80 + 1));
    const text = formatDiff(d, { ...PREVIEW_CAPS, hunkLines: 50, totalLines: 100 });
    const lines = text.split('\n');
    expect(lines.length).toBeLessThan(120);
    // The first hunk is cut, and the note says by how much …
    expect(lines[2]).toBe('@@ -1,1003 +1,1003 @@');
    expect(lines).toContain(`… ${2_003 - 50} more lines in this hunk`);
    // … the following hunks are shown until the total cap, then counted, never silently dropped.
    const shownHunks = lines.filter((l) => l.startsWith('@@')).length;
    expect(shownHunks).toBeGreaterThan(1);
    const rest = d.hunks.slice(shownHunks);
    const restLines = rest.reduce((n, h) => n + h.lines.length, 0);
    expect(lines.at(-1)).toBe(`… ${restLines} more lines in ${rest.length} more hunks`);
    // What the event keeps is the whole diff here (well inside LOG_CAPS), and it applies.
    expect(formatDiff(d, LOG_CAPS)).not.toContain('more lines');
    roundTrips(d, before, after);
  });

  it('numbers hunks by the whole file when the unchanged ends are cut before the line diff', () => {
    const before = numbered(100_000);
    const edited = before.replace('line 50000\n', 'line 50000 changed\n');
    const one = diffFile('big.txt', before, edited);
    expect(one.hunks.map((h) => [h.oldStart, h.oldLines, h.newStart, h.newLines])).toEqual([[49_997, 7, 49_997, 7]]);
    roundTrips(one, before, edited);
    const inserted = before.replace('line 70000\n', 'line 70000\nnew a\nnew b\n');
    const insert = diffFile('big.txt', before, inserted);
    expect(formatDiff(insert).split('\n').slice(2)).toEqual([
      '@@ -69998,6 +69998,8 @@',
      ' line 69998',
      ' line 69999',
      ' line 70000',
      '+new a',
      '+new b',
      ' line 70001',
      ' line 70002',
      ' line 70003',
    ]);
    roundTrips(insert, before, inserted);
  });

  it('cuts a megabyte line and notes it', () => {
    const long = 'x'.repeat(1_000_000);
    const text = formatDiff(diffFile('min.js', 'a\n', `${long}\n`));
    expect(text.length).toBeLessThan(PREVIEW_CAPS.lineChars + 200);
    expect(text).toContain(`… [${1_000_000 + 1 - PREVIEW_CAPS.lineChars} more characters]`);
  });

  it('falls back to one hunk between the first and last difference when the line diff takes too long', () => {
    const before = numbered(20_000);
    // Every other line changed: the exact diff keeps the odd lines as context, the fallback
    // removes everything and adds everything.
    const after = `head\n${numbered(20_000, (i) => (i % 2 === 0 ? `even ${i * 7}` : `line ${i}`))}`;
    const d = diffFile('slow.txt', before, after, { timeoutMs: 1 });
    expect(d.hunks).toHaveLength(1);
    expect(d.hunks[0]).toMatchObject({ oldStart: 1, oldLines: 20_000, newStart: 1, newLines: 20_001 });
    expect(d).toMatchObject({ removed: 20_000, added: 20_001 });
    roundTrips(d, before, after);
    // Also with a missing final newline on both sides and a shared tail.
    const coarse = diffFile('slow.txt', `${before}tail`, `${after}tail`, { timeoutMs: 1 });
    roundTrips(coarse, `${before}tail`, `${after}tail`);
  });
});

describe('write_file and edit_file report their diff', () => {
  let p: TempProject | undefined;
  afterEach(() => {
    p?.cleanup();
    p = undefined;
  });

  it('asks with every hunk and gives tool_finished the diff and its counts', async () => {
    p = tempProject({ 'src/cfg.txt': numbered(60, (i) => (i === 4 || i === 55 ? 'timeout = 10' : `key${i} = ${i}`)) });
    const previews: string[] = [];
    p.env.askPermission = async (req) => {
      previews.push(req.preview ?? '');
      return { allowed: true };
    };
    const edit = await editFileTool.run(
      { path: 'src/cfg.txt', old_string: 'timeout = 10', new_string: 'timeout = 30', replace_all: true },
      p.env,
    );
    expect(edit.isError).toBe(false);
    expect(previews[0]?.match(/^@@ /gm)).toHaveLength(2);
    expect(previews[0]).toContain('@@ -52,7 +52,7 @@');
    // The model reads the same preview it was approved with.
    expect(edit.content).toBe(`Edited src/cfg.txt (2 replacements)\n${previews[0]}`);
    expect(edit.fileChange).toEqual({
      diff: previews[0],
      stat: { path: 'src/cfg.txt', added: 2, removed: 2, hunks: 2 },
    });

    const write = await writeFileTool.run({ path: 'src/new.txt', content: 'a\nb\nc\n' }, p.env);
    expect(write.content).toBe('Created src/new.txt (3 lines, 6 bytes)');
    expect(write.fileChange?.stat).toEqual({ path: 'src/new.txt', added: 3, removed: 0, hunks: 1 });
    expect(write.fileChange?.diff).toBe('--- /dev/null\n+++ b/src/new.txt\n@@ -0,0 +1,3 @@\n+a\n+b\n+c');
    expect(readFileSync(join(p.root, 'src/new.txt'), 'utf8')).toBe('a\nb\nc\n');

    p.env.askPermission = async () => ({ allowed: false, message: 'no' });
    const denied = await writeFileTool.run({ path: 'src/new.txt', content: 'x\n' }, p.env);
    expect(denied).toMatchObject({ isError: true, content: 'Permission denied: no' });
    expect(denied.fileChange).toBeUndefined();
  });
});
