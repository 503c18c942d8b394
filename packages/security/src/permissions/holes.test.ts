/** The permission holes of issue 13 (classes 1–4), with the exploit strings from the issue. */
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import { caughtSylkError as caught } from '@sylk/core/testing';
import { PermissionManager, ignoredAllowlistNotice, type PermissionManagerOptions } from './manager.js';
import { Role } from './roles.js';
import type { PermissionAction } from './types.js';

let dir: string;
let project: string;
let home: string;
const clock = new ManualClock(1_700_000_000_000);
const allowlist = () => join(dir, 'state', 'permissions', 'project.yaml');

function manager(opts: Partial<PermissionManagerOptions> = {}): PermissionManager {
  return new PermissionManager({
    projectRoot: project,
    homeDir: home,
    role: Role.Worker,
    clock,
    allowlistFile: allowlist(),
    ...opts,
  });
}
const cmd = (command: string, cwd?: string): PermissionAction => ({
  kind: 'command',
  command,
  ...(cwd ? { cwd } : {}),
});

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-holes-'));
  project = join(dir, 'project');
  home = join(dir, 'home');
  mkdirSync(join(project, '.git', 'hooks'), { recursive: true });
  mkdirSync(join(project, 'src'));
  writeFileSync(join(project, 'src', 'a.ts'), 'x');
  mkdirSync(join(home, '.ssh'), { recursive: true });
  writeFileSync(join(home, '.ssh', 'id_rsa'), 'secret');
  writeFileSync(join(dir, 'outside.txt'), 'secret');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('1. safe read-only commands read only inside the project', () => {
  it('asks for the exploit strings of the issue', () => {
    symlinkSync(join(dir, 'outside.txt'), join(project, 'some-symlink-to-outside'));
    const m = manager();
    for (const line of [
      'cat /proc/$PPID/environ',
      'cat /proc/1/environ',
      'cat /proc/self/environ',
      'cat ~/.ssh/id_rsa',
      'cat some-symlink-to-outside',
      'grep -r x /',
      'find / -name id_rsa',
      'cd /etc && cat passwd',
      'head ../../secret',
      'diff src/a.ts /etc/shadow',
      'git -C /elsewhere log',
      'cat < /etc/passwd',
      'tail -n 5 "$HOME/.bashrc"',
      'ls ~',
      'wc -l ../outside.txt',
      'cat src/../../outside.txt',
      'stat /sys/kernel',
      'cat /dev/sda',
      'cat $(echo /etc/passwd)',
    ]) {
      expect(m.check(cmd(line)).verdict, line).toBe('ask');
    }
  });

  it('the same lines inside the project stay silent', () => {
    const m = manager();
    for (const line of [
      'cat src/a.ts',
      'grep -rn x src',
      'find . -name "*.ts"',
      'cd src && cat a.ts',
      'head -5 src/a.ts < /dev/null',
      'cat src/*.ts',
    ]) {
      expect(m.check(cmd(line)), line).toMatchObject({ verdict: 'allow' });
    }
    // From a subdirectory, `..` is still the project.
    expect(m.check(cmd('cat ../src/a.ts', join(project, 'src'))).verdict).toBe('allow');
    // Run from outside the project, even operand-less reads (`ls`, `grep -r x`) read outside.
    for (const line of ['ls', 'grep -r x', 'du -sh', 'git status'])
      expect(m.check(cmd(line, dir)).verdict, line).toBe('ask');
  });

  it('globs are judged by what they match: a link to outside, or a file named like an option, asks', () => {
    const m = manager();
    expect(m.check(cmd('cat src/*')).verdict).toBe('allow');
    symlinkSync(join(dir, 'outside.txt'), join(project, 'src', 'link'));
    expect(m.check(cmd('cat src/*')).verdict).toBe('ask');
    expect(m.check(cmd('cat src/{a.ts,link}')).verdict).toBe('ask');
    writeFileSync(join(project, '--pre=sh'), '');
    expect(m.check(cmd('rg x *')).reason).toContain('as an option');
    expect(m.check(cmd('cat /etc/pass*')).verdict).toBe('ask');
    expect(m.check(cmd('cat {..,src}/outside.txt')).verdict).toBe('ask');
  });

  it('/proc, /sys, devices and home secrets ask even when a rule allows them; harmless devices are fine', () => {
    const m = manager();
    m.persist({ kind: 'path', op: 'read', pattern: '/**' });
    for (const path of [
      '/proc/1/environ',
      '/sys/class',
      '/dev/sda',
      '~/.ssh/id_rsa',
      '~/.aws/credentials',
      '~/.config/sylk/x',
    ]) {
      expect(m.check({ kind: 'path', op: 'read', path }), path).toMatchObject({ verdict: 'ask', source: 'protected' });
    }
    expect(m.check({ kind: 'path', op: 'read', path: join(dir, 'outside.txt') })).toMatchObject({
      verdict: 'allow',
      source: 'allowlist',
    });
    expect(m.check(cmd('cat /dev/null'))).toMatchObject({ verdict: 'allow' });
    // A link inside the project into /proc is still /proc.
    symlinkSync('/proc/self/environ', join(project, 'env'));
    expect(manager().check(cmd('cat env'))).toMatchObject({ verdict: 'ask', source: 'protected' });
  });

  it('an observer may read inside the project; outside it asks rather than being silent', () => {
    const m = manager({ role: Role.Observer });
    expect(m.check(cmd('cat src/a.ts')).verdict).toBe('allow');
    expect(m.check(cmd('cat /etc/passwd')).verdict).toBe('ask');
    expect(m.check(cmd('tee out.txt')).verdict).toBe('deny');
  });
});

describe('2. git', () => {
  it('every path under .git/ is protected from direct writes and deletes', () => {
    const m = manager();
    m.persist({ kind: 'path', op: 'write', pattern: '**' });
    for (const path of [
      '.git/commondir',
      '.git/config',
      '.git/hooks/pre-commit',
      '.git/info/attributes',
      '.git/objects/info/alternates',
      '.git/HEAD',
      'sub/.git/config',
    ]) {
      expect(m.check({ kind: 'path', op: 'write', path }), path).toMatchObject({ verdict: 'ask', source: 'protected' });
      expect(m.check({ kind: 'path', op: 'delete', path }), path).toMatchObject({
        verdict: 'ask',
        source: 'protected',
      });
    }
    for (const line of ['echo ../evil > .git/commondir', 'npm test | tee .git/info/exclude', 'cp x .git/config']) {
      expect(m.check(cmd(line)), line).toMatchObject({ verdict: 'ask', source: 'protected' });
    }
  });

  it('a .git file pointing elsewhere protects that directory and its commondir', () => {
    const main = join(dir, 'main.git');
    mkdirSync(join(main, 'worktrees', 'wt'), { recursive: true });
    writeFileSync(join(main, 'worktrees', 'wt', 'commondir'), '../..\n');
    rmSync(join(project, '.git'), { recursive: true });
    writeFileSync(join(project, '.git'), `gitdir: ${join(main, 'worktrees', 'wt')}\n`);
    const m = manager();
    m.persist({ kind: 'path', op: 'write', pattern: `${dir}/**` });
    expect(m.check({ kind: 'path', op: 'write', path: join(main, 'config') })).toMatchObject({
      verdict: 'ask',
      source: 'protected',
    });
    expect(m.check({ kind: 'path', op: 'write', path: join(main, 'worktrees', 'wt', 'HEAD') })).toMatchObject({
      verdict: 'ask',
      source: 'protected',
    });
    expect(m.check({ kind: 'path', op: 'write', path: join(dir, 'other.txt') }).verdict).toBe('allow');
  });

  it('git options that run programs or read configuration from elsewhere ask', () => {
    const m = manager();
    for (const line of [
      'git -c core.fsmonitor=./x status',
      'git --config-env=core.pager=X log',
      'git --exec-path=/x status',
      'git --git-dir=/x log',
      'git --work-tree=/x status',
      'git diff --ext-diff',
      'git diff --textconv',
      'git log --output=x',
      'git show --textconv HEAD',
      'git -C /elsewhere log',
      'git -C .. status',
      'cd $DIR && git log',
    ]) {
      expect(m.check(cmd(line)).verdict, line).toBe('ask');
    }
    expect(m.check(cmd('git -C src log --oneline')).verdict).toBe('allow');
  });

  it('a repository larger than the project (a parent or the home directory under git) makes git ask', () => {
    rmSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(dir, '.git'));
    const m = manager();
    for (const line of ['git status', 'git log -p', 'git show HEAD:secret.txt']) {
      expect(m.check(cmd(line)).reason, line).toContain('larger than the project');
    }
    expect(m.check(cmd('cat src/a.ts')).verdict).toBe('allow');
  });
});

describe('3. options are allow-listed per entry', () => {
  it('asks for the known holes', () => {
    const m = manager();
    for (const line of [
      'sort --compress-program=sh src/a.ts',
      'sort --compress-prog=sh src/a.ts',
      'tree -o FILE',
      'file -C -m src/a.ts',
      'rg --pre sh x',
      'find . -fprint out',
      'find . -exec sh ;',
      'date -s 2020-01-01',
      'sort -o /tmp/x src/a.ts',
      'grep --file=/etc/passwd x',
    ]) {
      expect(m.check(cmd(line)).verdict, line).toBe('ask');
    }
  });

  it('build and test runners keep their arguments unless one runs a program or reaches outside', () => {
    const m = manager();
    expect(m.check(cmd('npx vitest run src --reporter=verbose')).verdict).toBe('allow');
    for (const line of [
      'npx vitest --config /elsewhere/vitest.config.ts',
      'go test -exec ./evil ./...',
      'cargo test --config x=1',
      'npm test -- $ARGS',
    ]) {
      expect(m.check(cmd(line)).verdict, line).toBe('ask');
    }
  });
});

describe('4. a repository cannot pre-authorise anything', () => {
  it('a .sylk/local/permissions.yaml in the project grants nothing and is reported', () => {
    mkdirSync(join(project, '.sylk', 'local'), { recursive: true });
    const planted = join(project, '.sylk', 'local', 'permissions.yaml');
    writeFileSync(planted, 'version: 1\ncommands:\n  - pattern: curl\npaths:\n  - pattern: "/**"\n    op: read\n');
    const m = manager();
    expect(m.check(cmd('curl evil.example')).verdict).toBe('ask');
    expect(m.check({ kind: 'path', op: 'read', path: join(dir, 'outside.txt') }).verdict).toBe('ask');
    expect(m.list()).toEqual([]);
    expect(m.ignoredProjectAllowlist()).toBe(planted);
    const notice = ignoredAllowlistNotice(planted, m.allowlistPath);
    expect(notice).toContain(planted);
    expect(notice).toContain('allow always');
    expect(manager().ignoredProjectAllowlist()).toBe(planted);
    rmSync(planted);
    expect(manager().ignoredProjectAllowlist()).toBeUndefined();
  });

  it('"allow always" rules live in the given state file, never in the project', () => {
    const m = manager();
    m.persist({ kind: 'command', pattern: 'curl' });
    expect(existsSync(allowlist())).toBe(true);
    expect(existsSync(join(project, '.sylk'))).toBe(false);
    expect(manager().check(cmd('curl example.com')).source).toBe('allowlist');
    // The agent cannot write (or read) its own rules.
    expect(m.check({ kind: 'path', op: 'write', path: allowlist() })).toMatchObject({
      verdict: 'ask',
      source: 'protected',
    });
    expect(m.check(cmd(`cat ${allowlist()}`))).toMatchObject({ verdict: 'ask', source: 'protected' });
    expect(caught(() => manager({ allowlistFile: join(project, 'rules.yaml') })).code).toBe(
      'permissions.allowlist_in_project',
    );
  });
});

describe('globs run on a linear-time engine', () => {
  it('matches many-star rules against long model-chosen paths correctly', async () => {
    const { globToRegExp } = await import('./paths.js');
    const rule = globToRegExp('/p/**/a/**/a/**/a/**/a/**/b');
    const long = `/p/${'a/'.repeat(2000)}c`;
    expect(rule.test(long)).toBe(false);
    expect(rule.test(`/p/${'a/'.repeat(10)}b`)).toBe(true);
    expect(globToRegExp('src/*.ts').test('src/x.ts')).toBe(true);
    expect(globToRegExp('src/*.ts').test('src/d/x.ts')).toBe(false);
  });
});
