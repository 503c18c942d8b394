import { describe, expect, it } from 'vitest';
import { commandPrefix, indirectReason, matchesCommandPattern, normalizeArgv } from './commands.js';
import { ruleForAction } from './propose.js';

const argv = (line: string) => normalizeArgv(line.split(' '));
const ctx = { projectRoot: '/p', homeDir: '/h' };

describe('command prefixes', () => {
  it.each([
    ['git push origin main', 'git push'],
    ['git stash drop', 'git stash drop'],
    ['npm run test -- --watch', 'npm run test'],
    ['npm publish', 'npm publish'],
    ['npm -s run test', 'npm'],
    ['cargo build --release', 'cargo build'],
    ['python -m pytest -x', 'python -m pytest'],
    ['docker compose up -d', 'docker compose up'],
    ['./node_modules/.bin/tsc -p .', 'tsc'],
    ['time nohup make test', 'make test'],
    ['mytool --flag arg', 'mytool'],
  ])('%s → %s', (line, prefix) => {
    expect(commandPrefix(argv(line)).join(' ')).toBe(prefix);
  });

  it('a rule matches only commands whose prefix it covers', () => {
    expect(matchesCommandPattern(argv('npm run test -- --coverage'), 'npm run test')).toBe(true);
    expect(matchesCommandPattern(argv('npm run test:e2e'), 'npm run test')).toBe(false);
    expect(matchesCommandPattern(argv('npm publish'), 'npm run test')).toBe(false);
    expect(matchesCommandPattern(argv('git push'), 'git status')).toBe(false);
    // A bare executable does not stand for its subcommands.
    expect(matchesCommandPattern(argv('npm publish'), 'npm')).toBe(false);
    expect(matchesCommandPattern(argv('git push --force'), 'git')).toBe(false);
    expect(matchesCommandPattern(argv('npm'), 'npm')).toBe(true);
    // A path-qualified program is not the one on PATH.
    expect(matchesCommandPattern(argv('./git status'), 'git status')).toBe(false);
  });

  it('flags commands that run other commands', () => {
    expect(indirectReason(argv("sh -c 'rm -rf /'"))).toContain('inline script');
    expect(indirectReason(argv('bash -lc x'))).toContain('inline script');
    expect(indirectReason(argv('sudo make install'))).toContain('runs another command');
    expect(indirectReason(argv('find . -exec rm {} ;'))).toContain('find -exec');
    expect(indirectReason(argv('git --no-pager -c core.pager=evil log'))).toContain('git -c');
    expect(indirectReason(argv('node -e process.exit()'))).toContain('inline code');
    expect(indirectReason(argv('bash scripts/build.sh'))).toBeUndefined();
    expect(indirectReason(argv('git log -c'))).toBeUndefined();
  });
});

describe('ruleForAction', () => {
  it('proposes the arity-correct prefix of each unlisted command', () => {
    expect(ruleForAction({ kind: 'command', command: 'npm run deploy -- --prod' }, ctx)).toEqual([
      { kind: 'command', pattern: 'npm run deploy' },
    ]);
    expect(ruleForAction({ kind: 'command', command: 'git push origin main && npm test' }, ctx)).toEqual([
      { kind: 'command', pattern: 'git push' },
    ]);
    expect(ruleForAction({ kind: 'command', command: 'FOO=1 ./node_modules/.bin/prettier --write .' }, ctx)).toEqual([
      { kind: 'command', pattern: 'prettier' },
    ]);
  });

  it('notes when an unknown executable makes the rule cover every invocation', () => {
    const [proposal] = ruleForAction({ kind: 'command', command: 'terraformer apply --all' }, ctx);
    expect(proposal?.pattern).toBe('terraformer');
    expect(proposal?.note).toContain('not in the arity table');
  });

  it('proposes nothing for indirect or unparseable commands', () => {
    expect(ruleForAction({ kind: 'command', command: "bash -c 'make'" }, ctx)).toEqual([]);
    expect(ruleForAction({ kind: 'command', command: 'echo "unbalanced' }, ctx)).toEqual([]);
  });

  it('proposes exact paths and normalized domains', () => {
    expect(ruleForAction({ kind: 'path', op: 'write', path: 'src/../dist/a*.js' }, ctx)).toEqual([
      { kind: 'path', op: 'write', pattern: 'dist/a\\*.js' },
    ]);
    expect(ruleForAction({ kind: 'path', op: 'read', path: '~/notes.md' }, ctx)).toEqual([
      { kind: 'path', op: 'read', pattern: '/h/notes.md' },
    ]);
    expect(ruleForAction({ kind: 'network', domain: 'https://API.Example.com:443/v1' }, ctx)).toEqual([
      { kind: 'domain', pattern: 'api.example.com' },
    ]);
  });
});

describe('node rules', () => {
  it('names `node --test` and `node --run <script>` by their flag, never as bare node', async () => {
    const { commandPrefix, matchesCommandPattern } = await import('./commands.js');
    expect(commandPrefix(['node', '--test'])).toEqual(['node', '--test']);
    expect(commandPrefix(['node', '--run', 'build', '--x'])).toEqual(['node', '--run', 'build']);
    expect(commandPrefix(['node', 'script.js', '--flag'])).toEqual(['node', 'script.js']);
    expect(matchesCommandPattern(['node', 'evil.js'], 'node --test')).toBe(false);
    expect(matchesCommandPattern(['node', '--test', 'src/'], 'node --test')).toBe(true);
  });
});
