import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import { StagingArea } from '@sylk/tools';
import { conflictNotice, keepConflictPatch } from './task-patch.js';

let dir: string;
let project: string;
beforeEach(() => {
  dir = realpathSync(mkdtempSync(join(tmpdir(), 'sylk-task-patch-')));
  project = join(dir, 'project');
  mkdirSync(join(project, 'src'), { recursive: true });
  writeFileSync(join(project, 'src/a.ts'), 'one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\n');
  writeFileSync(join(project, 'gone.txt'), 'to delete\n');
  writeFileSync(join(project, 'tail.txt'), 'no newline');
  writeFileSync(join(project, 'logo.bin'), Buffer.from([0, 1, 2]));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function gitApply(cwd: string, patch: string, ...flags: string[]) {
  const run = spawnSync('git', ['apply', ...flags, patch], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_CEILING_DIRECTORIES: dir },
  });
  return { code: run.status, stderr: run.stderr };
}

/** The staging area of one task of session s1 over the test's project. */
function stagingFor(pipelineId: string): Promise<StagingArea> {
  return StagingArea.open({
    stagingRoot: join(dir, 'staging'),
    pipelineId,
    projectRoot: project,
    clock: new ManualClock(1000),
  });
}

describe('a conflicting task’s patch', () => {
  it('carries every staged change against the files as the task first read them, git apply-able', async () => {
    const staging = await stagingFor('s1.t2');
    const base = join(dir, 'base');
    cpSync(project, base, { recursive: true });
    await staging.write('src/a.ts', 'one\ntwo\nTHREE\nfour\nfive\nsix\nseven\nEIGHT\n');
    await staging.write('src/new.ts', 'export {};\n');
    await staging.delete('gone.txt');
    await staging.write('tail.txt', 'no newline, still');
    await staging.write('logo.bin', Buffer.from([0, 9, 9]));
    // The user's edit meanwhile: the patch is against what the task read, not this.
    writeFileSync(join(project, 'src/a.ts'), 'user was here\n');

    const conflicts = [{ path: 'src/a.ts', reason: 'changed in the project since the task read it' }];
    const patch = await keepConflictPatch({
      staging,
      taskId: 't2',
      sessionDir: join(dir, 'session'),
      conflicts,
      logger: silentLogger(),
    });
    expect(patch).toBe(join(dir, 'session', 'patches', 't2.patch'));
    const text = readFileSync(String(patch), 'utf8');
    expect(text).toContain('# Conflict: src/a.ts (changed in the project since the task read it)');
    expect(text).toContain('# Not in this patch: logo.bin (binary)');
    expect(text).toContain(
      'diff --git a/src/new.ts b/src/new.ts\nnew file mode 100644\n--- /dev/null\n+++ b/src/new.ts',
    );
    expect(text).toContain('diff --git a/gone.txt b/gone.txt\ndeleted file mode 100644\n--- a/gone.txt\n+++ /dev/null');

    expect(gitApply(project, String(patch), '--check').code).not.toBe(0);
    const checked = gitApply(base, String(patch), '--check');
    expect(checked.code, checked.stderr).toBe(0);
    expect(gitApply(base, String(patch)).code).toBe(0);
    expect(readFileSync(join(base, 'src/a.ts'), 'utf8')).toBe('one\ntwo\nTHREE\nfour\nfive\nsix\nseven\nEIGHT\n');
    expect(readFileSync(join(base, 'src/new.ts'), 'utf8')).toBe('export {};\n');
    expect(readFileSync(join(base, 'tail.txt'), 'utf8')).toBe('no newline, still');
    expect(existsSync(join(base, 'gone.txt'))).toBe(false);
    // The project itself is never written.
    expect(readFileSync(join(project, 'src/a.ts'), 'utf8')).toBe('user was here\n');

    expect(conflictNotice('t2', conflicts, String(patch))).toContain(`git apply ${String(patch)}`);
  });

  it('a name that would break the patch is left out, said so on one line', async () => {
    const staging = await stagingFor('s1.t3');
    await staging.write('evil\n+++ b/x', 'x\n');
    const patch = await keepConflictPatch({
      staging,
      taskId: 't3',
      sessionDir: join(dir, 'session'),
      conflicts: [],
      logger: silentLogger(),
    });
    const text = readFileSync(String(patch), 'utf8');
    expect(text).toContain('# Not in this patch: "evil\\n+++ b/x" (a name a patch cannot carry)');
    expect(text).not.toContain('diff --git');
  });
});
