import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { headOf, projectGit, undoTurnCommits, type RunGit } from './undo-commits.js';

let base: string;
let project: string;
let git: RunGit;
const env = { PATH: process.env.PATH, HOME: '/nonexistent' };
const sh = (args: string[], cwd = project) =>
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
    cwd,
    env: { ...env, GIT_CONFIG_GLOBAL: '/dev/null' },
    encoding: 'utf8',
  }).trim();
const commit = (file: string, text: string) => {
  writeFileSync(join(project, file), text);
  sh(['add', file]);
  sh(['commit', '-q', '-m', `edit ${file}`]);
  return sh(['rev-parse', 'HEAD']);
};

beforeEach(() => {
  base = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-undo-commits-')));
  project = join(base, 'project');
  sh(['init', '-q', '-b', 'main', project], base);
  git = projectGit(project, env);
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('commits the rewound turns made', () => {
  it('are undone with reset --soft when local, their changes left staged', async () => {
    const before = commit('a.txt', 'one\n');
    commit('a.txt', 'two\n');
    const after = commit('b.txt', 'new\n');
    expect(await undoTurnCommits(git, before, after)).toMatch(/^undid 2 local commit\(s\) with git reset --soft/);
    expect(await headOf(git)).toBe(before);
    expect(sh(['diff', '--cached', '--name-only']).split('\n').sort()).toEqual(['a.txt', 'b.txt']);
  });

  it('are never undone once pushed', async () => {
    const before = commit('a.txt', 'one\n');
    const after = commit('a.txt', 'two\n');
    sh(['update-ref', 'refs/remotes/origin/main', after]);
    expect(await undoTurnCommits(git, before, after)).toMatch(
      /1 of the 1 commit\(s\) the turns made were pushed: not undone/,
    );
    expect(await headOf(git)).toBe(after);
  });

  it('are left alone when the user committed since the turn, and say nothing when there were none', async () => {
    const before = commit('a.txt', 'one\n');
    const after = commit('a.txt', 'two\n');
    const user = commit('c.txt', 'mine\n');
    expect(await undoTurnCommits(git, before, after)).toMatch(/^HEAD moved since the turn/);
    expect(await headOf(git)).toBe(user);
    expect(await undoTurnCommits(git, user, user)).toBe('');
    expect(await undoTurnCommits(git, undefined, user)).toBe('');
  });
});
