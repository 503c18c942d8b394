import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import { PermissionManager } from './manager.js';
import { options, parseArgs } from './options.js';
import { Role } from './roles.js';
import { SAFE_COMMANDS } from './safe-list.js';

let dir: string;
let pm: PermissionManager;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-safe-'));
  const project = join(dir, 'project');
  mkdirSync(join(project, '.git'), { recursive: true });
  mkdirSync(join(project, 'src'));
  for (const f of ['a.txt', 'b.txt', 'src/x.ts', 'data.json', 'pats']) writeFileSync(join(project, f), 'x\n');
  mkdirSync(join(dir, 'home'));
  pm = new PermissionManager({
    projectRoot: project,
    homeDir: join(dir, 'home'),
    role: Role.Worker,
    clock: new ManualClock(0),
    allowlistFile: join(dir, 'state', 'permissions', 'p.yaml'),
  });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const verdict = (line: string) => pm.check({ kind: 'command', command: line });

/**
 * Every safe entry: forms it allows silently, and options (or operands) that make it ask.
 * The known holes from issue 13 are among the refused forms.
 */
const TABLE: Record<string, { allowed: string[]; refused: string[] }> = {
  echo: { allowed: ['echo hello $HOME', 'echo -n x'], refused: [] },
  printf: { allowed: ["printf '%s\\n' x"], refused: [] },
  true: { allowed: ['true'], refused: [] },
  false: { allowed: ['false x'], refused: [] },
  ls: {
    allowed: ['ls -la src', 'ls --color=auto -R', 'ls -1 --sort=time'],
    refused: ['ls -L -R', 'ls --dereference', 'ls /'],
  },
  cat: { allowed: ['cat -n a.txt b.txt', 'cat --number a.txt'], refused: ['cat --unknown a.txt', 'cat /etc/passwd'] },
  head: {
    allowed: ['head -5 a.txt', 'head -n 3 a.txt', 'head --lines=2 a.txt'],
    refused: ['head --follow a.txt', 'head ../../secret'],
  },
  tail: { allowed: ['tail -20 a.txt', 'tail -n +3 a.txt'], refused: ['tail -f a.txt', 'tail --pid=1 a.txt'] },
  wc: { allowed: ['wc -l a.txt', 'wc -lw a.txt b.txt'], refused: ['wc --files0-from=pats', 'wc -X a.txt'] },
  grep: {
    allowed: [
      'grep -rn foo src',
      'grep -e x -e y a.txt',
      'grep -f pats a.txt',
      'grep --include=*.ts -r x .',
      'grep -C3 x a.txt',
    ],
    refused: ['grep -R x .', 'grep -f /etc/passwd a.txt', 'grep --exclude-from=/etc/x -r x .', 'grep -r x /'],
  },
  egrep: { allowed: ['egrep -i x a.txt'], refused: ['egrep x /etc/shadow'] },
  fgrep: { allowed: ['fgrep -x x a.txt'], refused: ['fgrep --file=/etc/passwd a.txt'] },
  rg: {
    allowed: ['rg -n foo src', 'rg --files', 'rg -g *.ts x', 'rg -tts -e x'],
    refused: ['rg --pre sh x', 'rg --pre=sh x', 'rg -z x', 'rg -L x', 'rg --ignore-file /etc/x y', 'rg x ~'],
  },
  pwd: { allowed: ['pwd', 'pwd -P'], refused: ['pwd --bogus'] },
  cd: { allowed: ['cd src', 'cd -P src'], refused: ['cd /etc', 'cd /etc && cat passwd'] },
  which: { allowed: ['which -a node'], refused: ['which --skip-alias node'] },
  whoami: { allowed: ['whoami'], refused: ['whoami root'] },
  id: { allowed: ['id -u'], refused: ['id --bogus'] },
  uname: { allowed: ['uname -a'], refused: ['uname -X'] },
  stat: { allowed: ['stat -c %s a.txt'], refused: ['stat /etc/shadow', 'stat --bogus a.txt'] },
  file: {
    allowed: ['file -b a.txt', 'file -m pats a.txt'],
    refused: ['file -C -m pats', 'file -z a.txt', 'file -m /etc/magic a.txt', 'file -f pats', 'file --files-from=pats'],
  },
  du: { allowed: ['du -sh src', 'du -d 1 .'], refused: ['du -L src', 'du -sh ~', 'du --files0-from=pats'] },
  df: { allowed: ['df -h', 'df -h .'], refused: ['df /', 'df --sync'] },
  tree: {
    allowed: ['tree -L 2 src', 'tree -a -I node_modules'],
    refused: ['tree -o out.txt', 'tree -R', 'tree -H x', 'tree -l'],
  },
  basename: { allowed: ['basename -s .ts src/x.ts'], refused: ['basename --bogus x'] },
  dirname: { allowed: ['dirname src/x.ts'], refused: ['dirname -q x'] },
  realpath: { allowed: ['realpath src'], refused: ['realpath /etc/passwd', 'realpath --relative-to=/etc src'] },
  readlink: { allowed: ['readlink -f src'], refused: ['readlink /proc/1/exe'] },
  diff: {
    allowed: ['diff -u a.txt b.txt', 'diff --label x a.txt b.txt'],
    refused: ['diff a.txt /etc/shadow', 'diff -r src src', 'diff -l a.txt b.txt', 'diff --to-file=/etc/x a.txt'],
  },
  cmp: { allowed: ['cmp a.txt b.txt 1 2'], refused: ['cmp a.txt /etc/passwd'] },
  cut: { allowed: ['cut -d, -f1 a.txt'], refused: ['cut -f1 /etc/passwd'] },
  tr: { allowed: ['tr a-z A-Z'], refused: ['tr --bogus a b'] },
  jq: {
    allowed: [
      'jq . data.json',
      "jq -r '.a' data.json",
      'jq --arg k v .x data.json',
      "jq -n --args '$ARGS.positional' a b",
    ],
    refused: [
      'jq --rawfile k /etc/passwd .',
      'jq --slurpfile k ~/.ssh/id_rsa .',
      'jq -f /etc/x data.json',
      'jq -L /tmp .',
      'jq \'import "a" as a; .\' data.json',
    ],
  },
  nl: { allowed: ['nl -ba a.txt'], refused: ['nl /etc/passwd'] },
  tac: { allowed: ['tac a.txt'], refused: ['tac --bogus a.txt'] },
  sha256sum: { allowed: ['sha256sum a.txt'], refused: ['sha256sum -c sums'] },
  md5sum: { allowed: ['md5sum --tag a.txt'], refused: ['md5sum --check sums'] },
  sort: {
    allowed: ['sort -u a.txt', 'sort -k2,2n -t, a.txt', 'sort --debug a.txt'],
    refused: [
      'sort --compress-program=sh a.txt',
      'sort --compress-prog=sh a.txt',
      'sort -o out a.txt',
      'sort -uo out a.txt',
      'sort -T /tmp a.txt',
      'sort --files0-from=pats',
    ],
  },
  date: {
    allowed: ['date', 'date +%s', 'date -u -d yesterday +%F', 'date -Iseconds'],
    refused: ['date -s 2020-01-01', 'date --set=x', 'date 010100002020', 'date -f /etc/x'],
  },
  tee: { allowed: ['tee out.log', 'tee -a out.log'], refused: ['tee /etc/out', 'tee .git/config', 'tee --bogus x'] },
  find: {
    allowed: [
      'find . -name *.ts -type f',
      'find src -maxdepth 2 -newer a.txt',
      'find . \\( -name a -o -name b \\) -print0',
    ],
    refused: [
      'find / -name x',
      'find . -delete',
      'find . -exec rm {} ;',
      'find . -fprint out',
      'find . -fls out',
      'find -L .',
      'find . -follow',
      'find . -newer /etc/passwd',
      'find -files0-from pats',
    ],
  },
  'git status': {
    allowed: ['git status', 'git status -sb', 'git --no-pager status --porcelain=v1'],
    refused: ['git -c core.fsmonitor=x status', 'git --git-dir=/x status', 'git status --bogus'],
  },
  'git diff': {
    allowed: ['git diff', 'git diff --stat HEAD~1', 'git diff -U5 --cached -- src', 'git -C src diff'],
    refused: [
      'git diff --ext-diff',
      'git diff --textconv',
      'git diff --output=x',
      'git diff a.txt /etc/shadow',
      'git diff --no-index /etc/passwd a.txt',
    ],
  },
  'git log': {
    allowed: ['git log --oneline -5', 'git log -n 3 --stat', 'git log -p -- src', 'git log --format=%H%n%s main'],
    refused: [
      'git log --output=x',
      'git log --show-signature',
      'git log --format=%G?',
      'git log --pretty=format:%GS',
      'git -C /elsewhere log',
      'git --exec-path=/x log',
      'git log --work-tree=/x',
    ],
  },
  'git show': {
    allowed: ['git show HEAD', 'git show --stat HEAD~2', 'git show HEAD:src/x.ts'],
    refused: ['git show --textconv HEAD', 'git show HEAD:../../x', 'git show $REV'],
  },
  'git branch': {
    allowed: ['git branch', 'git branch -a -v', 'git branch --show-current'],
    refused: ['git branch -D main', 'git branch newname', 'git branch -m x'],
  },
  'git rev-parse': {
    allowed: ['git rev-parse HEAD', 'git rev-parse --show-toplevel'],
    refused: ['git rev-parse --resolve-git-dir /elsewhere'],
  },
  'git ls-files': { allowed: ['git ls-files -m src'], refused: ['git ls-files -X /etc/x', 'git ls-files --with-tree'] },
  'git blame': {
    allowed: ['git blame -L 1,2 a.txt'],
    refused: ['git blame --contents /etc/passwd a.txt', 'git blame --textconv a.txt'],
  },
  'node --version': { allowed: ['node --version'], refused: ['node --version x'] },
  'node -v': { allowed: ['node -v'], refused: ['node -v -e 1'] },
  'npm --version': { allowed: ['npm --version'], refused: ['npm --version x'] },
  'npm -v': { allowed: ['npm -v'], refused: ['npm -v x'] },
  'go version': { allowed: ['go version'], refused: ['go version -m x'] },
  'cargo --version': { allowed: ['cargo --version'], refused: ['cargo --version x'] },
  'python --version': { allowed: ['python --version'], refused: ['python --version x'] },
  'python3 --version': { allowed: ['python3 --version'], refused: ['python3 --version x'] },
  'tsc --version': { allowed: ['tsc --version'], refused: ['tsc --version x'] },
};

const BUILD: Record<string, { allowed: string[]; refused: string[] }> = {
  npm: {
    allowed: ['npm test', 'npm t', 'npm run test -- --coverage', 'npm run build', 'npm run lint', 'npm run typecheck'],
    refused: [
      'npm test --script-shell=sh',
      'npm test --node-options=--require=/tmp/x.js',
      'npm --prefix /elsewhere test',
      'npm run test -- --outputFile=/etc/x',
    ],
  },
  pnpm: {
    allowed: ['pnpm test', 'pnpm run test', 'pnpm run build', 'pnpm run lint', 'pnpm run typecheck'],
    refused: ['pnpm test --userconfig=/x'],
  },
  yarn: {
    allowed: ['yarn test', 'yarn run test', 'yarn run build', 'yarn run lint', 'yarn run typecheck'],
    refused: ['yarn test --globalconfig /x'],
  },
  npx: {
    allowed: ['npx tsc -p .', 'npx vitest run src', 'npx eslint --fix src'],
    refused: ['npx vitest --config /elsewhere/v.ts', 'npx tsc --outDir ../out', 'npx eslint -r ./evil.js'],
  },
  bare: {
    allowed: ['tsc --noEmit', 'vitest run', 'eslint .'],
    refused: ['vitest --root=/elsewhere', 'eslint -o /tmp/x .', 'tsc --import x'],
  },
  go: {
    allowed: ['go build ./...', 'go test -run TestX ./...', 'go vet ./...'],
    refused: ["go test -exec 'bash -c evil' ./...", 'go build -toolexec=x', 'go vet --exec=x'],
  },
  cargo: {
    allowed: ['cargo build --release', 'cargo test --all', 'cargo check', 'cargo clippy -- -D warnings'],
    refused: ['cargo test --config x', 'cargo build -Zunstable', 'cargo test --manifest-path ../x/Cargo.toml'],
  },
  pytest: {
    allowed: ['pytest -x tests', 'python -m pytest -k parse', 'python3 -m pytest'],
    refused: ['pytest -p evil', 'pytest --rootdir=/x', 'pytest --basetemp=/home'],
  },
  make: {
    allowed: ['make test', 'make test -j4'],
    refused: ['make test -f /x/Makefile', 'make test -C ..', 'make test --eval=x'],
  },
};

describe('every safe entry has an allowed form and refused options', () => {
  it('the table covers every entry of the safe list', () => {
    const named = new Set(Object.keys(TABLE));
    const buildLines = Object.values(BUILD).flatMap((t) => t.allowed);
    for (const entry of SAFE_COMMANDS) {
      const name = entry.tokens.join(' ');
      if (entry.readOnly) expect(named.has(name), `no test row for "${name}"`).toBe(true);
      else
        expect(
          buildLines.some((l) => l === name || l.startsWith(`${name} `)),
          `no build row for "${name}"`,
        ).toBe(true);
    }
  });

  it.each(Object.entries(TABLE))('%s', (_name, { allowed, refused }) => {
    for (const line of allowed) expect(verdict(line), line).toMatchObject({ verdict: 'allow', source: 'safe_list' });
    for (const line of refused) expect(verdict(line).verdict, line).toBe('ask');
  });

  it.each(Object.entries(BUILD))('build and test: %s', (_name, { allowed, refused }) => {
    for (const line of allowed) expect(verdict(line), line).toMatchObject({ verdict: 'allow', source: 'safe_list' });
    for (const line of refused) expect(verdict(line).verdict, line).toBe('ask');
  });
});

describe('option tables', () => {
  const table = options('-a -n= -M? --all --lines= --color? --rawfile=text+path');
  it('bundles short options, takes attached and separate values, refuses what is not listed', () => {
    expect(parseArgs(['-an5', 'x'], table)).toMatchObject({
      ok: true,
      positionals: ['x'],
      options: [{ name: '-a' }, { name: '-n', values: ['5'] }],
    });
    expect(parseArgs(['-n', '5', '--lines=3', '--lines', '4'], table)).toMatchObject({ ok: true, positionals: [] });
    expect(parseArgs(['-M50%', '-M', 'x'], table)).toMatchObject({ ok: true, positionals: ['x'] });
    expect(parseArgs(['--color', 'always'], table)).toMatchObject({ ok: true, positionals: ['always'] });
    expect(parseArgs(['--rawfile', 'k', 'f'], table)).toMatchObject({
      ok: true,
      options: [{ values: ['k', 'f'], kinds: ['text', 'path'] }],
    });
    expect(parseArgs(['--', '-x'], table)).toMatchObject({ ok: true, positionals: ['-x'] });
    for (const bad of [['-x'], ['-ax'], ['--al'], ['--all=1'], ['-n'], ['--lines']])
      expect(parseArgs(bad, table).ok, bad.join(' ')).toBe(false);
  });
});
