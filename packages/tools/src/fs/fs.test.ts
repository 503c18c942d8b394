import {
  mkdtempSync,
  promises as fsp,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
  mkdirSync,
  existsSync,
  readdirSync,
  rmSync,
  statSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, SylkError } from '@sylk/core';
import { FileSystemManager, type FsAuditEntry } from './index.js';

let base: string;
let project: string;
let outside: string;
let audit: FsAuditEntry[];

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-fs-')));
  project = join(base, 'project');
  outside = join(base, 'outside');
  mkdirSync(join(project, 'src'), { recursive: true });
  mkdirSync(outside);
  writeFileSync(join(outside, 'secret.txt'), 'SECRET');
  audit = [];
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

function manager(extra: Partial<ConstructorParameters<typeof FileSystemManager>[0]> = {}): FileSystemManager {
  return new FileSystemManager({
    roots: { project },
    clock: new ManualClock(1000),
    audit: (e) => audit.push(e),
    ...extra,
  });
}

async function refusal(p: Promise<unknown>): Promise<SylkError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SylkError);
  return err as SylkError;
}

describe('FileSystemManager boundary', () => {
  it('writes inside the project atomically and audits op, size and sha256', async () => {
    const fsm = manager();
    await fsm.writeFile('src/a.txt', 'hello');
    expect(readFileSync(join(project, 'src/a.txt'), 'utf8')).toBe('hello');
    expect(audit).toEqual([
      expect.objectContaining({
        op: 'write',
        path: join(project, 'src/a.txt'),
        size: 5,
        outcome: 'ok',
        staged: false,
        at: 1000,
        sha256: '2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824',
      }),
    ]);
    expect(readdirSync(join(project, 'src'))).toEqual(['a.txt']); // no temp sibling left behind
  });

  it('refuses ../ escapes, naming requested path, resolved target and boundary', async () => {
    const err = await refusal(manager().writeFile('../outside/secret.txt', 'x'));
    expect(err.code).toBe('tools.path_outside_roots');
    expect(err.message).toContain('../outside/secret.txt');
    expect(err.message).toContain(join(outside, 'secret.txt'));
    expect(err.message).toContain(`project root "${project}"`);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
    expect(audit[0]).toMatchObject({ outcome: 'refused', errorCode: 'tools.path_outside_roots' });
  });

  it('refuses absolute paths outside every root and deletes through ../', async () => {
    expect((await refusal(manager().writeFile(join(outside, 'new.txt'), 'x'))).code).toBe('tools.path_outside_roots');
    expect((await refusal(manager().deleteFile('src/../../outside/secret.txt'))).code).toBe('tools.path_outside_roots');
    expect(existsSync(join(outside, 'new.txt'))).toBe(false);
    expect(existsSync(join(outside, 'secret.txt'))).toBe(true);
  });

  it('refuses a project link to /etc and a chain of links ending outside', async () => {
    symlinkSync('/etc', join(project, 'etc-link'));
    const viaDir = await refusal(manager().writeFile('etc-link/passwd', 'x'));
    expect(viaDir.code).toBe('tools.path_outside_roots');
    expect(viaDir.details).toMatchObject({ via: join(project, 'etc-link'), resolved: '/etc/passwd' });

    symlinkSync(join(outside, 'secret.txt'), join(project, 'hop2'));
    symlinkSync(join(project, 'hop2'), join(project, 'hop1'));
    const chain = await refusal(manager().writeFile('hop1', 'pwned'));
    expect(chain.code).toBe('tools.path_outside_roots');
    expect(chain.message).toContain(join(outside, 'secret.txt'));
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
  });

  it('refuses linked parent directories, including when creating missing parents below them', async () => {
    symlinkSync(outside, join(project, 'linked'));
    expect((await refusal(manager().writeFile('linked/deep/new.txt', 'x'))).code).toBe('tools.path_outside_roots');
    expect(existsSync(join(outside, 'deep'))).toBe(false);
    expect((await refusal(manager().mkdir('linked/made', { recursive: true }))).code).toBe('tools.path_outside_roots');
    expect(existsSync(join(outside, 'made'))).toBe(false);
  });

  it('refuses dangling links (inside and outside)', async () => {
    symlinkSync(join(outside, 'nope.txt'), join(project, 'dangling-out'));
    symlinkSync(join(project, 'nope.txt'), join(project, 'dangling-in'));
    expect((await refusal(manager().writeFile('dangling-out', 'x'))).code).toBe('tools.dangling_symlink');
    expect((await refusal(manager().writeFile('dangling-in', 'x'))).code).toBe('tools.dangling_symlink');
    expect(existsSync(join(outside, 'nope.txt'))).toBe(false);
  });

  it('follows a link that stays inside the roots and writes the real target', async () => {
    writeFileSync(join(project, 'src/real.txt'), 'old');
    symlinkSync(join(project, 'src/real.txt'), join(project, 'alias'));
    await manager().writeFile('alias', 'new');
    expect(readFileSync(join(project, 'src/real.txt'), 'utf8')).toBe('new');
    expect(audit[0]?.path).toBe(join(project, 'src/real.txt'));
  });

  it('a leaf swapped for a symlink after the check cannot redirect the write outside', async () => {
    writeFileSync(join(project, 'src/victim.txt'), 'orig');
    const fsm = manager({
      afterCheck: async (r) => {
        await fsp.rm(r.target);
        await fsp.symlink(join(outside, 'secret.txt'), r.target);
      },
    });
    await fsm.writeFile('src/victim.txt', 'pwned');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
    // rename replaced the planted link with a regular file
    expect(statSync(join(project, 'src/victim.txt')).isFile()).toBe(true);
    expect(readFileSync(join(project, 'src/victim.txt'), 'utf8')).toBe('pwned');
  });

  it('a parent swapped for a symlink after the check is detected before the rename', async () => {
    const fsm = manager({
      afterCheck: async () => {
        await fsp.rename(join(project, 'src'), join(project, 'src-moved'));
        await fsp.symlink(outside, join(project, 'src'));
      },
    });
    const err = await refusal(fsm.writeFile('src/x.txt', 'pwned'));
    expect(err.code).toBe('tools.path_changed');
    expect(readdirSync(outside)).toEqual(['secret.txt']);
  });

  it('deleting a symlink removes the link, never its outside target', async () => {
    symlinkSync(join(outside, 'secret.txt'), join(project, 'link'));
    await manager().deleteFile('link');
    expect(existsSync(join(project, 'link'))).toBe(false);
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
  });

  it('a hard link to an outside file is replaced, not written through', async () => {
    await fsp.link(join(outside, 'secret.txt'), join(project, 'hard.txt'));
    await manager().writeFile('hard.txt', 'pwned');
    expect(readFileSync(join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
  });

  it('permission pre-check sees the resolved path and can deny', async () => {
    const seen: string[] = [];
    const fsm = manager({
      permissionCheck: async (op, p) => (seen.push(`${op}:${p}`), p.endsWith('.env') ? 'deny' : 'allow'),
    });
    await fsm.writeFile('ok.txt', '1');
    const err = await refusal(fsm.writeFile('.env', 'K=V'));
    expect(err.code).toBe('tools.permission_denied');
    expect(existsSync(join(project, '.env'))).toBe(false);
    expect(seen).toEqual([`write:${join(project, 'ok.txt')}`, `write:${join(project, '.env')}`]);
  });

  it('renames, mkdirs and allows extra and temp roots', async () => {
    const temp = join(base, 'temp');
    mkdirSync(temp);
    const fsm = manager({ roots: { project, temp, extras: [outside] } });
    await fsm.writeFile(join(temp, 't.txt'), 't');
    await fsm.mkdir('src/sub/deeper', { recursive: true });
    await fsm.writeFile('src/sub/a.txt', 'a');
    await fsm.rename('src/sub/a.txt', join(outside, 'moved.txt'));
    expect(readFileSync(join(outside, 'moved.txt'), 'utf8')).toBe('a');
    expect(existsSync(join(project, 'src/sub/deeper'))).toBe(true);
    expect(existsSync(join(temp, 't.txt'))).toBe(true);
  });

  it('surfaces real fs errors as SylkErrors with stable codes', async () => {
    const err = await refusal(manager().deleteFile('missing.txt'));
    expect(err.code).toBe('tools.fs_enoent');
    const dir = await refusal(manager().writeFile('src', 'x'));
    expect(dir.code).toBe('tools.fs_eisdir');
  });
});
