import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, createLogger } from '@sylk/core';
import { PermissionManager, type PermissionManagerOptions } from './manager.js';
import { Role } from './roles.js';
import type { PermissionAction } from './types.js';
import { caughtSylkError as caught } from '@sylk/core/testing';

let dir: string;
let project: string;
let home: string;
const clock = new ManualClock(1_700_000_000_000);

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
const allowlist = () => join(dir, 'state', 'permissions', 'project.yaml');
const cmd = (command: string): PermissionAction => ({ kind: 'command', command });
const write = (path: string): PermissionAction => ({ kind: 'path', op: 'write', path });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-security-'));
  project = join(dir, 'project');
  home = join(dir, 'home');
  mkdirSync(join(project, '.git', 'hooks'), { recursive: true });
  mkdirSync(home);
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('roles', () => {
  const actions: Record<string, PermissionAction> = {
    read: { kind: 'path', op: 'read', path: 'src/a.ts' },
    safeRead: cmd('git status'),
    write: write('src/a.ts'),
    delete: { kind: 'path', op: 'delete', path: 'src/a.ts' },
    build: cmd('npm run build'),
    network: { kind: 'network', domain: 'registry.npmjs.org' },
  };
  const allowed: Record<string, readonly string[]> = {
    observer: ['read', 'safeRead'],
    worker: ['read', 'safeRead', 'write', 'delete', 'build', 'network'],
  };
  it.each(Object.values(Role))('%s has exactly its capabilities; the rest are denied by role', (role) => {
    const m = manager({ role });
    for (const [name, action] of Object.entries(actions)) {
      const decision = m.check(action);
      if (allowed[role]?.includes(name)) expect(decision.verdict, `${role} ${name}`).toBe('allow');
      else expect(decision, `${role} ${name}`).toMatchObject({ verdict: 'deny', source: 'role' });
    }
  });

  it('an observer may not redirect into a file even with a safe command', () => {
    expect(manager({ role: Role.Observer }).check(cmd('echo x > notes.txt'))).toMatchObject({
      verdict: 'deny',
      source: 'role',
    });
  });

  it('rejects an unknown role with a typed error', () => {
    expect(caught(() => manager({ role: 'root' as Role })).code).toBe('permissions.unknown_role');
  });
});

describe('commands', () => {
  it('the safe list is silent for read-only and build commands', () => {
    const m = manager();
    for (const line of [
      'git status',
      'npm run test',
      'npx vitest run src',
      'ls -la | grep x',
      'cargo test --all',
      'go vet ./...',
    ]) {
      expect(m.check(cmd(line)), line).toMatchObject({ verdict: 'allow', source: 'safe_list' });
    }
  });

  it('asks for commands that are not listed, and for safe commands with mutating arguments', () => {
    const m = manager();
    for (const line of ['npm publish', 'git push', 'npm', 'git branch -D main', 'find . -delete', 'npm run deploy']) {
      expect(m.check(cmd(line)), line).toMatchObject({ verdict: 'ask', source: 'default' });
    }
  });

  it('an `npm run test` or `git status` rule does not allow `npm publish`, `git push` or bare `npm`', () => {
    const m = manager();
    m.persist({ kind: 'command', pattern: 'npm run test' });
    m.persist({ kind: 'command', pattern: 'git status' });
    m.persist({ kind: 'command', pattern: 'terraform plan' });
    expect(m.check(cmd('terraform plan -out x'))).toMatchObject({
      verdict: 'allow',
      source: 'allowlist',
      rule: { pattern: 'terraform plan' },
    });
    for (const line of ['npm publish', 'git push', 'npm', 'terraform apply'])
      expect(m.check(cmd(line)).verdict, line).toBe('ask');
  });

  it('a compound line passes only when every part does', () => {
    const m = manager();
    const decision = m.check(cmd('npm test && git push'));
    expect(decision).toMatchObject({ verdict: 'ask', source: 'default' });
    expect(decision.reason).toContain('git push');
    expect(decision.parts?.map((p) => [p.command, p.verdict])).toEqual([
      ['npm test', 'allow'],
      ['git push', 'ask'],
    ]);

    const piped = m.check(cmd('(cd x && make test) | tee log'));
    expect(piped.verdict).toBe('allow');
    expect(piped.parts?.map((p) => p.command)).toEqual(['cd x', 'make test', 'tee log']);
    expect(m.check(cmd('npm test; echo $(curl evil.example)')).verdict).toBe('ask');
  });

  it('asks for the whole line when it cannot be parsed safely', () => {
    for (const line of ["npm test && sh -c 'git push'", 'cat <<EOF\nx\nEOF', 'eval "$X"', 'echo "open']) {
      expect(manager().check(cmd(line)), line).toMatchObject({ verdict: 'ask' });
    }
    expect(manager({ role: Role.Observer }).check(cmd('echo "open'))).toMatchObject({
      verdict: 'deny',
      source: 'role',
    });
  });

  it('environment assignments are ignored for matching unless they can change what runs', () => {
    const m = manager();
    expect(m.check(cmd('CI=1 NODE_ENV=test npm test')).verdict).toBe('allow');
    expect(m.check(cmd('PATH=/tmp/evil:$PATH git status')).verdict).toBe('ask');
    expect(m.check(cmd('export GIT_DIR=x; git status')).verdict).toBe('ask');
    expect(m.check(cmd('LD_PRELOAD=x.so; git status')).verdict).toBe('ask');
  });

  it('the custom safe list is taken at its word', () => {
    const m = manager({ customSafeList: ['make', 'just build'] });
    expect(m.check(cmd('make deploy'))).toMatchObject({ verdict: 'allow', source: 'safe_list' });
    expect(m.check(cmd('just build --release')).verdict).toBe('allow');
    expect(m.check(cmd('just clean')).verdict).toBe('ask');
  });

  it('session grants last for the manager only and never reach the file', () => {
    const m = manager();
    const rule = m.grantForSession({ kind: 'command', pattern: 'git  push' });
    expect(rule).toMatchObject({ kind: 'command', pattern: 'git push', createdAt: clock.now() });
    expect(m.check(cmd('git push origin main'))).toMatchObject({ verdict: 'allow', source: 'session', rule });
    expect(m.list()).toEqual([]);
    expect(manager().check(cmd('git push')).verdict).toBe('ask');
  });

  it('proposes rules only for the parts that asked for being unlisted', () => {
    const m = manager();
    expect(m.ruleForAction(cmd('npm test && git push origin && cargo publish'))).toEqual([
      { kind: 'command', pattern: 'git push' },
      { kind: 'command', pattern: 'cargo publish' },
    ]);
    expect(m.ruleForAction(write('.git/hooks/pre-commit'))).toEqual([]);
    expect(m.ruleForAction(cmd('git status'))).toEqual([]);
  });
});

describe('paths', () => {
  it('reads and writes inside the project are allowed, outside they ask until allowed by a rule', () => {
    const m = manager();
    expect(m.check({ kind: 'path', op: 'read', path: 'src/a.ts' })).toMatchObject({
      verdict: 'allow',
      source: 'safe_list',
    });
    expect(m.check({ kind: 'path', op: 'read', path: '~/notes.md' })).toMatchObject({
      verdict: 'ask',
      source: 'default',
    });
    expect(m.check(write('../elsewhere/x')).verdict).toBe('ask');
    m.persist({ kind: 'path', op: 'read', pattern: '~/notes.*' });
    expect(m.check({ kind: 'path', op: 'read', path: '~/notes.md' })).toMatchObject({
      verdict: 'allow',
      source: 'allowlist',
    });
    expect(m.check({ kind: 'path', op: 'write', path: '~/notes.md' }).verdict).toBe('ask');
  });

  it('.env-like files may be edited but not deleted without approval', () => {
    const m = manager();
    for (const name of ['.env', '.env.local', '.gitignore', 'certs/server.pem', 'keys/id_ed25519']) {
      expect(m.check(write(name)).verdict, name).toBe('allow');
      expect(m.check({ kind: 'path', op: 'delete', path: name }), name).toMatchObject({
        verdict: 'ask',
        source: 'protected',
      });
    }
    expect(m.check({ kind: 'path', op: 'delete', path: 'src/old.ts' }).verdict).toBe('allow');
  });

  it('protected places ask whatever the allowlist says', () => {
    const m = manager();
    m.persist({ kind: 'path', op: 'write', pattern: '**' });
    m.persist({ kind: 'path', op: 'write', pattern: `${dir}/**` });
    m.persist({ kind: 'path', op: 'delete', pattern: '**' });
    const paths = [
      '.git/hooks/pre-commit',
      'a/../.git/hooks/x',
      '.git/config',
      '.sylk/local/permissions.yaml',
      '.sylk/config.yaml',
      '~/.bashrc',
      '~/.zshrc',
      '~/.profile',
      '~/.config/fish/config.fish',
      '~/.ssh/authorized_keys',
      '.git',
    ];
    for (const path of paths) expect(m.check(write(path)), path).toMatchObject({ verdict: 'ask', source: 'protected' });
    expect(m.check({ kind: 'path', op: 'delete', path: '.' })).toMatchObject({ verdict: 'ask', source: 'protected' });
    expect(m.check(write('.git/HEAD'))).toMatchObject({ verdict: 'ask', source: 'protected' });
  });

  it('a symlink cannot smuggle a write into a protected place', () => {
    writeFileSync(join(home, '.bashrc'), '');
    symlinkSync(join(home, '.bashrc'), join(project, 'innocent.txt'));
    symlinkSync(join(project, '.git', 'hooks'), join(project, 'hooks'));
    const m = manager();
    expect(m.check(write('innocent.txt'))).toMatchObject({ verdict: 'ask', source: 'protected' });
    expect(m.check(write('hooks/post-checkout'))).toMatchObject({ verdict: 'ask', source: 'protected' });
  });

  it('commands that write protected places ask, even when the command is allowed', () => {
    const m = manager();
    m.persist({ kind: 'command', pattern: 'cp' });
    for (const line of [
      'echo x > ~/.bashrc',
      'echo x >> .git/config',
      'cd .git/hooks && echo x > pre-commit',
      'cp evil.sh .git/hooks/pre-commit',
      'npm test | tee .sylk/local/permissions.yaml',
      'cd $DIR && echo x > y',
      'cd ~bob && echo x > y',
      'git status && rm -rf .',
      'echo x > ~bob/.bashrc',
    ]) {
      expect(m.check(cmd(line)), line).toMatchObject({ verdict: 'ask' });
    }
    expect(m.check(cmd('cp a.txt b.txt'))).toMatchObject({ verdict: 'allow', source: 'allowlist' });
    expect(m.check(cmd('npm test > test.log 2>&1'))).toMatchObject({ verdict: 'allow' });
    expect(m.check(cmd('cat .git/config'))).toMatchObject({ verdict: 'allow' });
  });
});

describe('network', () => {
  it('registries are allowed, other domains ask until listed; domains match exactly', () => {
    const m = manager();
    expect(m.check({ kind: 'network', domain: 'Registry.NPMJS.org' })).toMatchObject({
      verdict: 'allow',
      source: 'safe_list',
    });
    expect(m.check({ kind: 'network', domain: 'evil.example' }).verdict).toBe('ask');
    m.persist({ kind: 'domain', pattern: 'api.example.com' });
    expect(m.check({ kind: 'network', domain: 'api.example.com:443' }).source).toBe('allowlist');
    expect(m.check({ kind: 'network', domain: 'x.api.example.com' }).verdict).toBe('ask');
  });
});

describe('the allowlist file', () => {
  const file = allowlist;

  it('round-trips through the state-dir file with separate lists and mode 0600', () => {
    const m = manager();
    const a = m.persist({ kind: 'command', pattern: 'git push' });
    clock.advance(1000);
    const b = m.persist({ kind: 'domain', pattern: 'API.example.com' });
    const c = m.persist({ kind: 'path', op: 'write', pattern: '/opt/out/**' });
    expect(m.persist({ kind: 'command', pattern: 'git push' })).toEqual(a);
    expect(statSync(file()).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'state', 'permissions')).mode & 0o777).toBe(0o700);
    const text = readFileSync(file(), 'utf8');
    expect(text).toMatch(/commands:\n\s+- id: c-/);
    expect(text).toMatch(/domains:\n\s+- id: d-.*\n\s+pattern: api\.example\.com/);
    expect(text).toMatch(/paths:\n\s+- id: p-.*\n\s+pattern: \/opt\/out\/\*\*\n\s+op: write/);
    expect(manager().list()).toEqual([a, b, c]);
  });

  it('reload picks up changes by others; revoke removes by id or pattern', () => {
    const m = manager();
    const other = manager();
    const push = other.persist({ kind: 'command', pattern: 'git push' });
    other.persist({ kind: 'domain', pattern: 'example.com' });
    expect(m.check(cmd('git push')).verdict).toBe('ask');
    m.reload();
    expect(m.check(cmd('git push')).verdict).toBe('allow');
    expect(m.revoke(push.id)).toEqual(push);
    expect(m.revoke('example.com').kind).toBe('domain');
    expect(m.list()).toEqual([]);
    expect(manager().check(cmd('git push')).verdict).toBe('ask');
    const err = caught(() => m.revoke('git push'));
    expect(err).toMatchObject({ code: 'permissions.not_found', tier: 'user_fixable' });
    expect(err.message).toContain('git push');
  });

  it('an unreadable file is ignored with a warning and never overwritten', () => {
    mkdirSync(join(dir, 'state', 'permissions'), { recursive: true });
    const broken = 'commands:\n  - pattern: git push\n    extra: [\n';
    writeFileSync(file(), broken);
    const lines: string[] = [];
    const m = manager({ logger: createLogger({ write: (line: string) => void lines.push(line) }) });
    expect(lines.join('')).toContain('permission allowlist unreadable');
    expect(m.list()).toEqual([]);
    expect(m.allowlistProblem()).toBeDefined();
    expect(m.check(cmd('git push')).verdict).toBe('ask');
    const err = caught(() => m.persist({ kind: 'command', pattern: 'git push' }));
    expect(err).toMatchObject({ code: 'permissions.file_invalid', tier: 'user_fixable' });
    expect(err.hint).toContain(file());
    expect(caught(() => m.revoke('git push')).code).toBe('permissions.file_invalid');
    expect(readFileSync(file(), 'utf8')).toBe(broken);

    writeFileSync(file(), 'paths:\n  - pattern: "**"\n');
    expect(manager().allowlistProblem()).toContain('op');
    writeFileSync(file(), 'commands:\n  - pattern: make test\n');
    const fixed = manager();
    expect(fixed.list()).toMatchObject([{ kind: 'command', pattern: 'make test', createdAt: 0 }]);
  });

  it('rejects malformed rules with a typed error', () => {
    expect(caught(() => manager().persist({ kind: 'path', pattern: 'x' })).code).toBe('permissions.invalid_rule');
    expect(caught(() => manager().persist({ kind: 'command', pattern: '  ' })).code).toBe('permissions.invalid_rule');
  });
});
