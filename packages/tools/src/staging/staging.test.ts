import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, SylkError } from '@sylk/core';
import { FileSystemManager } from '../fs/index.js';
import { StagingArea, sweepStagingOrphans, type MergeStep, type StagingOptions } from './index.js';

let base: string;
let project: string;
let stagingRoot: string;
let clock: ManualClock;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-staging-')));
  project = join(base, 'project');
  stagingRoot = join(base, 'staging');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'src/a.ts'), 'export const a = 1;\n');
  writeFileSync(join(project, 'src/b.ts'), 'export const b = 2;\n');
  writeFileSync(join(project, 'README.md'), '# readme\n');
  clock = new ManualClock(1_000_000);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function open(pipelineId: string, extra: Partial<StagingOptions> = {}): Promise<StagingArea> {
  return StagingArea.open({ stagingRoot, pipelineId, projectRoot: project, clock, ...extra });
}

/** Every entry under a dir: type, mode and content or link target. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string, prefix: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const st = lstatSync(p);
      const key = `${prefix}${name}`;
      if (st.isSymbolicLink()) out[key] = `link:${readlinkSync(p)}`;
      else if (st.isDirectory()) {
        out[key] = `dir:${(st.mode & 0o777).toString(8)}`;
        walk(p, `${key}/`);
      } else out[key] = `file:${(st.mode & 0o777).toString(8)}:${readFileSync(p, 'base64')}`;
    }
  };
  walk(dir, '');
  return out;
}

function failAt(step: MergeStep, rel: string): StagingOptions['faultInjector'] {
  return (s, r) => {
    if (s === step && r === rel) throw new Error(`injected failure at ${s} ${r}`);
  };
}

async function stageTypicalEdits(area: StagingArea): Promise<void> {
  await area.write(join(project, 'src/a.ts'), 'export const a = 10;\n');
  await area.write('src/new/deep/c.ts', 'export const c = 3;\n');
  await area.delete('README.md');
  await area.write(join(project, 'src/b.ts'), 'export const b = 20;\n');
}

describe('StagingArea', () => {
  it('isolates writes, prefers staged reads, tombstones deletes and lists modifications', async () => {
    const area = await open('p1');
    await stageTypicalEdits(area);
    expect(readFileSync(join(project, 'src/a.ts'), 'utf8')).toBe('export const a = 1;\n');
    expect(existsSync(join(project, 'README.md'))).toBe(true);
    expect((await area.read('src/a.ts')).toString()).toBe('export const a = 10;\n');
    expect((await area.read('src/b.ts')).toString()).toBe('export const b = 20;\n');
    await expect(area.read('README.md')).rejects.toMatchObject({ code: 'tools.fs_enoent' });
    expect(area.listModified()).toEqual({
      modified: ['src/a.ts', 'src/b.ts'],
      created: ['src/new/deep/c.ts'],
      deleted: ['README.md'],
    });
    // manifest survives a reopen
    expect((await open('p1')).listModified().created).toEqual(['src/new/deep/c.ts']);
  });

  it('is where FileSystemManager writes go inside a pipeline', async () => {
    const area = await open('p1');
    const fsm = new FileSystemManager({ roots: { project, staging: stagingRoot }, staging: area, clock });
    await fsm.writeFile('src/a.ts', 'staged');
    await fsm.deleteFile('src/b.ts');
    await fsm.rename('README.md', 'docs/README.md');
    await fsm.mkdir('empty/dir', { recursive: true });
    expect(existsSync(join(project, 'docs'))).toBe(false); // no live parent dirs while staged
    expect(existsSync(join(project, 'empty'))).toBe(false);
    expect(snapshot(project)['src/a.ts']).toContain(Buffer.from('export const a = 1;\n').toString('base64'));
    expect((await fsm.readFile('src/a.ts')).toString()).toBe('staged');
    expect((await fsm.readFile('docs/README.md')).toString()).toBe('# readme\n');
    expect(area.listModified()).toEqual({
      modified: ['src/a.ts'],
      created: ['docs/README.md'],
      deleted: ['README.md', 'src/b.ts'],
    });
    await area.merge();
    expect(readFileSync(join(project, 'docs/README.md'), 'utf8')).toBe('# readme\n');
    expect(existsSync(join(project, 'empty/dir'))).toBe(true);
    expect(existsSync(join(project, 'src/b.ts'))).toBe(false);
  });

  it('merges all changes, creates directories and removes the staging dir', async () => {
    const area = await open('p1');
    await stageTypicalEdits(area);
    const report = await area.merge();
    expect(report.written.sort()).toEqual(['src/a.ts', 'src/b.ts', 'src/new/deep/c.ts']);
    expect(readFileSync(join(project, 'src/new/deep/c.ts'), 'utf8')).toBe('export const c = 3;\n');
    expect(readFileSync(join(project, 'src/a.ts'), 'utf8')).toBe('export const a = 10;\n');
    expect(existsSync(join(project, 'README.md'))).toBe(false);
    expect(existsSync(area.dir)).toBe(false);
  });

  it('two pipelines editing the same file: the second merge is refused and lists the conflict', async () => {
    const one = await open('p1');
    const two = await open('p2');
    await one.write('src/a.ts', 'from p1');
    await two.write('src/a.ts', 'from p2');
    await two.write('src/b.ts', 'p2 b');
    expect(await two.conflicts()).toEqual([]);
    await one.merge();
    expect(await two.conflicts()).toEqual([{ path: 'src/a.ts', reason: 'changed' }]);
    const err = (await two.merge().catch((e: unknown) => e)) as SylkError;
    expect(err).toBeInstanceOf(SylkError);
    expect(err.code).toBe('tools.staging_conflict');
    expect(err.message).toContain('src/a.ts');
    expect(readFileSync(join(project, 'src/a.ts'), 'utf8')).toBe('from p1');
    expect(readFileSync(join(project, 'src/b.ts'), 'utf8')).toBe('export const b = 2;\n'); // nothing applied
  });

  it('detects created-but-now-exists and deleted-live conflicts', async () => {
    const area = await open('p1');
    await area.write('src/new.ts', 'mine');
    await area.write('src/a.ts', 'edit');
    writeFileSync(join(project, 'src/new.ts'), 'someone else');
    rmSync(join(project, 'src/a.ts'));
    expect(await area.conflicts()).toEqual([
      { path: 'src/a.ts', reason: 'deleted_live' },
      { path: 'src/new.ts', reason: 'created_exists' },
    ]);
  });

  it('refuses to merge through a live parent swapped for a symlink to outside', async () => {
    const outside = join(base, 'outside');
    mkdirSync(outside);
    const area = await open('p1');
    await area.write('src/a.ts', 'pwned');
    rmSync(join(project, 'src'), { recursive: true });
    symlinkSync(outside, join(project, 'src'));
    await expect(area.merge()).rejects.toMatchObject({ code: 'tools.staging_conflict' });
    expect(readdirSync(outside)).toEqual([]);
  });

  it.each<[MergeStep, string]>([
    ['apply', 'src/b.ts'],
    ['apply', 'src/new/deep/c.ts'],
    ['backup', 'src/b.ts'],
  ])('a failure at %s %s leaves the live tree byte-identical and staging intact', async (step, rel) => {
    const before = snapshot(project);
    const area = await open('p1', { faultInjector: failAt(step, rel) });
    await stageTypicalEdits(area);
    await expect(area.merge()).rejects.toMatchObject({ code: 'tools.staging_merge_failed' });
    expect(snapshot(project)).toEqual(before);
    // The pipeline's work is still there and merges once the fault is gone.
    const retry = await open('p1');
    expect(retry.listModified().modified).toEqual(['src/a.ts', 'src/b.ts']);
    await retry.merge();
    expect(readFileSync(join(project, 'src/b.ts'), 'utf8')).toBe('export const b = 20;\n');
  });

  it('a merge whose rollback also fails keeps its journal; recover() restores the tree', async () => {
    const before = snapshot(project);
    const area = await open('p1', {
      faultInjector: (s, r) => {
        if ((s === 'apply' && r === 'src/b.ts') || s === 'rollback') throw new Error(`crash at ${s} ${r}`);
      },
    });
    await stageTypicalEdits(area);
    await expect(area.merge()).rejects.toMatchObject({ code: 'tools.staging_rollback_failed' });
    expect(snapshot(project)).not.toEqual(before); // half-applied: a.ts, c.ts and the delete are live
    await expect((await open('p1')).merge()).rejects.toMatchObject({ code: 'tools.staging_recovery_needed' });
    expect(await (await open('p1')).recover()).toBe('rolled_back');
    expect(snapshot(project)).toEqual(before);
  });

  it('recover({ prefer: complete }) finishes an interrupted merge when nothing else changed', async () => {
    const area = await open('p1', {
      faultInjector: (s, r) => {
        if ((s === 'apply' && r === 'src/b.ts') || s === 'rollback') throw new Error('crash');
      },
    });
    await stageTypicalEdits(area);
    await area.merge().catch(() => undefined);
    const again = await open('p1');
    expect(await again.recover({ prefer: 'complete' })).toBe('completed');
    expect(readFileSync(join(project, 'src/b.ts'), 'utf8')).toBe('export const b = 20;\n');
    expect(existsSync(join(project, 'README.md'))).toBe(false);
    expect(existsSync(again.dir)).toBe(false);
  });

  it('abort discards; orphan sweep removes only stale, non-live staging dirs', async () => {
    const a = await open('aborted');
    await a.write('src/a.ts', 'x');
    await a.abort();
    expect(existsSync(a.dir)).toBe(false);
    await (await open('old')).write('src/a.ts', 'old');
    await (await open('live-old')).write('src/a.ts', 'old');
    clock.advance(25 * 60 * 60 * 1000);
    await (await open('fresh')).write('src/a.ts', 'fresh');
    expect(await sweepStagingOrphans(stagingRoot, { clock, live: ['live-old'] })).toEqual(['old']);
    expect(readdirSync(stagingRoot).sort()).toEqual(['fresh', 'live-old']);
    expect(readFileSync(join(project, 'src/a.ts'), 'utf8')).toBe('export const a = 1;\n');
  });

  it('rejects paths outside the project and unsafe pipeline ids', async () => {
    const area = await open('p1');
    await expect(area.write('../escape.txt', 'x')).rejects.toMatchObject({ code: 'tools.path_outside_roots' });
    await expect(open('../evil')).rejects.toMatchObject({ code: 'tools.invalid_id' });
  });
});
