import {
  chmodSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SnapshotStore } from './index.js';

let base: string;
let project: string;
let outside: string;
let store: SnapshotStore;

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-snapshots-')));
  project = join(base, 'project');
  outside = join(base, 'outside');
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(project, 'src/a.ts'), 'a1\n');
  writeFileSync(join(project, 'README.md'), '# readme\n');
  writeFileSync(join(project, '.gitignore'), 'build/\n');
  store = new SnapshotStore({ storeRoot: join(base, 'data/snapshots'), projectRoot: project, maxFileBytes: 1024 });
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const read = (p: string) => readFileSync(join(project, p), 'utf8');

/** One agent turn: snapshot, change files, snapshot. */
async function turn(change: () => void) {
  const before = await store.track();
  change();
  const after = await store.track();
  return { before: before.tree, after: after.tree, snapshot: before };
}

describe('SnapshotStore', () => {
  it('keeps its store outside the project and gives the same tree when nothing changed', async () => {
    const a = await store.track();
    const b = await store.track();
    expect(b.tree).toBe(a.tree);
    expect(store.gitDir.startsWith(join(base, 'data/snapshots'))).toBe(true);
    expect(existsSync(join(project, '.git'))).toBe(false);
    writeFileSync(join(project, 'src/a.ts'), 'a2\n');
    expect((await store.track()).tree).not.toBe(a.tree);
  });

  it('starts a new store when its directory was deleted', async () => {
    const a = await store.track();
    rmSync(store.gitDir, { recursive: true });
    const b = await store.track();
    expect(b.tree).toBe(a.tree);
    expect(existsSync(join(store.gitDir, 'HEAD'))).toBe(true);
  });

  it('removes an index.lock left by a git that died long ago, and respects a fresh one', async () => {
    let now = Date.now();
    const clocked = new SnapshotStore({
      storeRoot: join(base, 'data/snapshots'),
      projectRoot: project,
      now: () => now,
    });
    await clocked.track();
    writeFileSync(join(clocked.gitDir, 'index.lock'), '');
    writeFileSync(join(project, 'src/a.ts'), 'a2\n');
    await expect(clocked.track()).rejects.toMatchObject({ code: 'snapshot.git_failed' });
    now += 4 * 60_000;
    await expect(clocked.track()).resolves.toMatchObject({ skipped: [] });
  });

  it('respects .gitignore and skips files over the size limit', async () => {
    mkdirSync(join(project, 'build'));
    writeFileSync(join(project, 'build/out.js'), 'x');
    writeFileSync(join(project, 'big.bin'), Buffer.alloc(2048));
    const snap = await store.track();
    expect(snap.skipped).toEqual(['big.bin']);
    const paths = await store.changedPaths('4b825dc642cb6eb9a060e54bf8d69288fbee4904', snap.tree);
    expect(paths.sort()).toEqual(['.gitignore', 'README.md', 'src/a.ts']);
  });

  it('reverts edits, deletions and created files (binary included)', async () => {
    const bin = Buffer.from([0, 1, 2, 255, 0, 10, 13]);
    writeFileSync(join(project, 'logo.png'), bin);
    chmodSync(join(project, 'README.md'), 0o755);
    const t = await turn(() => {
      writeFileSync(join(project, 'src/a.ts'), 'a2\n');
      unlinkSync(join(project, 'README.md'));
      writeFileSync(join(project, 'logo.png'), Buffer.from([9, 9]));
      mkdirSync(join(project, 'src/new/deep'), { recursive: true });
      writeFileSync(join(project, 'src/new/deep/c.ts'), 'c\n');
    });
    const receipt = await store.revert(t.snapshot, [t]);
    expect(receipt.kept).toEqual([]);
    expect(receipt.restored).toEqual(
      expect.arrayContaining([
        { path: 'src/a.ts', action: 'restored' },
        { path: 'README.md', action: 'restored' },
        { path: 'logo.png', action: 'restored' },
        { path: 'src/new/deep/c.ts', action: 'deleted' },
      ]),
    );
    expect(read('src/a.ts')).toBe('a1\n');
    expect(read('README.md')).toBe('# readme\n');
    expect(statSync(join(project, 'README.md')).mode & 0o111).not.toBe(0);
    expect(readFileSync(join(project, 'logo.png'))).toEqual(bin);
    expect(existsSync(join(project, 'src/new'))).toBe(false);
    // Again: nothing left to do.
    const again = await store.revert(t.snapshot, [t]);
    expect(again.restored).toEqual([]);
    expect(again.unchanged.sort()).toEqual(['README.md', 'logo.png', 'src/a.ts', 'src/new/deep/c.ts']);
  });

  it("restores bytes exactly, whatever the project's .gitattributes say", async () => {
    writeFileSync(join(project, '.gitattributes'), '* text eol=crlf ident\n');
    const mixed = 'line one\nline two\r\n$Id$\n';
    writeFileSync(join(project, 'mixed.txt'), mixed);
    const t = await turn(() => writeFileSync(join(project, 'mixed.txt'), 'changed\n'));
    await store.revert(t.snapshot, [t]);
    expect(read('mixed.txt')).toBe(mixed);
  });

  it('keeps a file the user changed since the turn, and overwrites it with force', async () => {
    const t = await turn(() => {
      writeFileSync(join(project, 'src/a.ts'), 'agent\n');
      writeFileSync(join(project, 'README.md'), 'agent readme\n');
    });
    writeFileSync(join(project, 'src/a.ts'), 'user\n');
    const receipt = await store.revert(t.snapshot, [t]);
    expect(receipt.kept).toEqual([{ path: 'src/a.ts', reason: 'changed since the turn' }]);
    expect(receipt.restored).toEqual([{ path: 'README.md', action: 'restored' }]);
    expect(read('src/a.ts')).toBe('user\n');
    const forced = await store.revert(t.snapshot, [t], { force: true });
    expect(forced.restored).toEqual([{ path: 'src/a.ts', action: 'restored' }]);
    expect(read('src/a.ts')).toBe('a1\n');
  });

  it('rolls back several turns to before the first, expecting each file as its last turn left it', async () => {
    const t1 = await turn(() => writeFileSync(join(project, 'src/a.ts'), 'turn1\n'));
    writeFileSync(join(project, 'README.md'), 'user between turns\n'); // not an agent change
    const t2 = await turn(() => {
      writeFileSync(join(project, 'src/a.ts'), 'turn2\n');
      writeFileSync(join(project, 'src/b.ts'), 'b\n');
    });
    const receipt = await store.revert(t1.snapshot, [t1, t2]);
    expect(receipt.kept).toEqual([]);
    expect(read('src/a.ts')).toBe('a1\n');
    expect(existsSync(join(project, 'src/b.ts'))).toBe(false);
    expect(read('README.md')).toBe('user between turns\n');
  });

  it('records a symlink pointing outside as a link, never follows it, and restores it as a link', async () => {
    writeFileSync(join(outside, 'secret.txt'), 'outside\n');
    symlinkSync(outside, join(project, 'out'));
    symlinkSync(join(outside, 'secret.txt'), join(project, 'link.txt'));
    const t = await turn(() => {
      unlinkSync(join(project, 'link.txt'));
      writeFileSync(join(project, 'link.txt'), 'replaced by a file\n');
      unlinkSync(join(project, 'out'));
      mkdirSync(join(project, 'out'));
      writeFileSync(join(project, 'out/secret.txt'), 'inside\n');
    });
    const tree = await store.changedPaths(t.before, t.after);
    expect(tree.sort()).toEqual(['link.txt', 'out', 'out/secret.txt']);
    await store.revert(t.snapshot, [t]);
    expect(lstatSync(join(project, 'link.txt')).isSymbolicLink()).toBe(true);
    expect(readlinkSync(join(project, 'link.txt'))).toBe(join(outside, 'secret.txt'));
    expect(lstatSync(join(project, 'out')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('outside\n');
  });

  it('never writes through a symlinked directory the user put where the turn wrote files', async () => {
    const t = await turn(() => {
      mkdirSync(join(project, 'gen'));
      writeFileSync(join(project, 'gen/x.ts'), 'x\n');
    });
    writeFileSync(join(outside, 'x.ts'), 'x\n');
    rmSync(join(project, 'gen'), { recursive: true });
    symlinkSync(outside, join(project, 'gen'));
    const receipt = await store.revert(t.snapshot, [t], { force: true });
    expect(receipt.restored).toEqual([]);
    expect(receipt.unchanged).toEqual(['gen/x.ts']); // no such file in the project now (gen is a link)
    expect(readFileSync(join(outside, 'x.ts'), 'utf8')).toBe('x\n');
  });
});
