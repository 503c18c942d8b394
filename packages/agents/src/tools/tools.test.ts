import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempProject, type TempProject } from '../testing/tool-env.js';
import { editFileTool } from './edit-file.js';
import { listFilesTool } from './list-files.js';
import { READ_LIMITS, readFileTool } from './read-file.js';
import { searchTool } from './search.js';
import { writeFileTool } from './write-file.js';

let p: TempProject | undefined;
const outside: string[] = [];
afterEach(() => {
  p?.cleanup();
  p = undefined;
  for (const dir of outside.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function outsideDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'sylk-agents-outside-'));
  outside.push(dir);
  writeFileSync(join(dir, 'secret.txt'), 'TOP SECRET needle\n');
  return dir;
}

describe('read_file', () => {
  it('shows a line range with numbers and says how to read on when capped', async () => {
    const lines = Array.from({ length: READ_LIMITS.maxLines + 10 }, (_, i) => `line ${i + 1}`).join('\n');
    p = tempProject({ 'big.txt': `${lines}\n`, 'small.txt': 'a\nb\nc\nd\n' });
    const range = await readFileTool.run({ path: 'small.txt', start_line: 2, end_line: 3 }, p.env);
    expect(range.content).toBe('     2\tb\n     3\tc');
    const big = await readFileTool.run({ path: 'big.txt' }, p.env);
    expect(big.content.split('\n')).toHaveLength(READ_LIMITS.maxLines + 1);
    expect(big.content).toContain(
      `[showing lines 1-${READ_LIMITS.maxLines} of ${READ_LIMITS.maxLines + 10}; read on with start_line=${READ_LIMITS.maxLines + 1}]`,
    );
    expect((await readFileTool.run({ path: 'small.txt', start_line: 9 }, p.env)).content).toBe(
      'small.txt has 4 lines; start_line 9 is past the end.',
    );
    expect(await readFileTool.run({ path: 'nope.txt' }, p.env)).toMatchObject({
      isError: true,
      content: 'File not found: nope.txt',
    });
  });

  it('refuses paths outside the project, also through a symlink', async () => {
    const dir = outsideDir();
    p = tempProject({ 'a.txt': 'a\n' });
    p.link('escape.txt', join(dir, 'secret.txt'));
    await expect(readFileTool.run({ path: join(dir, 'secret.txt') }, p.env)).rejects.toMatchObject({
      code: 'tools.path_outside_roots',
    });
    await expect(readFileTool.run({ path: 'escape.txt' }, p.env)).rejects.toMatchObject({
      code: 'tools.path_outside_roots',
    });
  });
});

describe('list_files and search', () => {
  it('skip .git, node_modules and .gitignore entries, and never follow symlinks out of the project', async () => {
    const dir = outsideDir();
    p = tempProject({
      '.gitignore': '# build output\ndist/\n*.log\n',
      'src/a.ts': 'const needle = 1;\n',
      'src/b.test.ts': 'needle();\n',
      'dist/a.js': 'needle\n',
      'debug.log': 'needle\n',
      '.git/config': 'needle\n',
      'node_modules/x/index.js': 'needle\n',
    });
    p.link('outside', dir);
    const top = await listFilesTool.run({}, p.env);
    expect(top.content).toBe('.gitignore\noutside\nsrc/');
    const ts = await listFilesTool.run({ glob: '*.ts' }, p.env);
    expect(ts.content).toBe('src/a.ts\nsrc/b.test.ts');
    expect((await listFilesTool.run({ path: 'src', glob: '*.test.ts' }, p.env)).content).toBe('src/b.test.ts');
    const hits = await searchTool.run({ pattern: 'needle' }, p.env);
    expect(hits.content).toBe('src/a.ts:1: const needle = 1;\nsrc/b.test.ts:1: needle();');
    expect((await searchTool.run({ pattern: 'NEEDLE', ignore_case: true, glob: 'src/*.test.ts' }, p.env)).content).toBe(
      'src/b.test.ts:1: needle();',
    );
  });

  it('bounds results and reports a bad regex as a tool error', async () => {
    p = tempProject({ 'many.txt': Array.from({ length: 20 }, () => 'hit').join('\n') });
    const capped = await searchTool.run({ pattern: 'hit', max_results: 5 }, p.env);
    expect(capped.content.split('\n')).toHaveLength(6);
    expect(capped.content).toContain('[stopped at 5 matches');
    expect(await searchTool.run({ pattern: '(' }, p.env)).toMatchObject({
      isError: true,
      content: expect.stringContaining('Invalid regular expression'),
    });
  });
});

describe('write_file and edit_file', () => {
  it('asks with a diff preview and writes only when allowed', async () => {
    p = tempProject({ 'a.txt': 'one\ntwo\nthree\n' }, { allowed: false, message: 'not now' });
    const deniedEdit = await editFileTool.run({ path: 'a.txt', old_string: 'two', new_string: 'TWO' }, p.env);
    expect(deniedEdit).toMatchObject({ isError: true, content: 'Permission denied: not now' });
    expect(readFileSync(join(p.root, 'a.txt'), 'utf8')).toBe('one\ntwo\nthree\n');
    const requests: string[] = [];
    p.env.askPermission = async (req) => {
      requests.push(req.preview ?? '');
      return { allowed: true };
    };
    await writeFileTool.run({ path: 'new/dir/b.txt', content: 'x\ny\n' }, p.env);
    expect(readFileSync(join(p.root, 'new/dir/b.txt'), 'utf8')).toBe('x\ny\n');
    expect(requests[0]).toBe('--- /dev/null\n+++ b/new/dir/b.txt\n@@ -0,0 +1,2 @@\n+x\n+y');
  });

  it('replaces literally ($& is not a pattern) and explains whitespace-only mismatches', async () => {
    p = tempProject({ 'a.js': 'if (x) {\n\treturn 1;\n}\n' });
    await editFileTool.run({ path: 'a.js', old_string: 'return 1;', new_string: "return '$&';" }, p.env);
    expect(readFileSync(join(p.root, 'a.js'), 'utf8')).toBe("if (x) {\n\treturn '$&';\n}\n");
    const ws = await editFileTool.run(
      { path: 'a.js', old_string: "if (x) {\n    return '$&';", new_string: 'y' },
      p.env,
    );
    expect(ws.content).toContain('matches only if whitespace is ignored');
  });
});
