import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isSylkError, type SylkError } from '@sylk/core';
import { readRaw } from '../output/spool.js';
import { alive, sandbox, testExecutor, type Sandbox } from './test-support.js';

let box: Sandbox;
beforeEach(() => {
  box = sandbox();
});
afterEach(() => box.dispose());

function lines(result: { output: { head: Array<{ text: string }> } }): string[] {
  return result.output.head.map((l) => l.text);
}

async function rejection(promise: Promise<unknown>): Promise<SylkError> {
  try {
    await promise;
  } catch (err) {
    if (isSylkError(err)) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('ToolExecutor.run', () => {
  it('runs a direct command with quoted arguments in its own process group', async () => {
    // The child reports its argv and whether it leads its own process group (pgrp field of /proc/self/stat).
    writeFileSync(
      join(box.project, 'probe.js'),
      `const s = require('fs').readFileSync('/proc/self/stat', 'utf8');
       const pgrp = Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[2]);
       console.log(process.argv[2], pgrp === process.pid);`,
    );
    const result = await testExecutor(box).run('node probe.js "a b"', { cwd: box.project });
    expect(result.exitCode).toBe(0);
    expect(lines(result)).toEqual(['a b true']);
    expect(result.pgid).toBe(result.pid);
  });

  it('runs shell syntax through sh -c', async () => {
    const result = await testExecutor(box).run('echo a | tr a b && echo "$0"', { cwd: box.project });
    expect(lines(result)).toEqual(['b', 'sh']);
  });

  it('reports exit codes and stderr lines', async () => {
    const streams: string[] = [];
    const result = await testExecutor(box).run('echo oops >&2; exit 3', {
      cwd: box.project,
      onLine: (line, stream) => streams.push(`${stream}:${line}`),
    });
    expect(result.exitCode).toBe(3);
    expect(streams).toEqual(['stderr:oops']);
    expect(result.partial).toBe(false);
  });

  it('gives the child /dev/null as stdin', async () => {
    const result = await testExecutor(box).run('cat', { cwd: box.project });
    expect(result.exitCode).toBe(0);
    expect(result.output.totalLines).toBe(0);
  });

  it('keeps credentials out of the child environment, keeps per-call additions', async () => {
    const exec = testExecutor(box, {
      baseEnv: {
        PATH: process.env.PATH,
        ANTHROPIC_API_KEY: 'sk-ant-secret',
        GITHUB_TOKEN: 'ghp_secret',
        AWS_SECRET_ACCESS_KEY: 'aws-secret',
        KEEP_ME: 'yes',
      },
    });
    const result = await exec.run('env', { cwd: box.project, env: { EXTRA_SETTING: 'visible' } });
    const env = lines(result).join('\n');
    expect(env).toContain('KEEP_ME=yes');
    expect(env).toContain('EXTRA_SETTING=visible');
    expect(env).not.toMatch(/ANTHROPIC_API_KEY|GITHUB_TOKEN|AWS_SECRET_ACCESS_KEY|secret/);
  });

  it('honours a custom blocklist', async () => {
    const exec = testExecutor(box, {
      baseEnv: { PATH: process.env.PATH, INTERNAL_URL: 'x' },
      envBlocklist: ['INTERNAL_*'],
    });
    expect(lines(await exec.run('env', { cwd: box.project })).join('\n')).not.toContain('INTERNAL_URL');
  });

  it('runs in a subdirectory reached through a symlink inside the root', async () => {
    mkdirSync(join(box.project, 'src'));
    symlinkSync(join(box.project, 'src'), join(box.project, 'link'));
    const result = await testExecutor(box).run('pwd', { cwd: join(box.project, 'link') });
    expect(lines(result)).toEqual([join(box.project, 'src')]);
  });

  it('refuses working directories outside the roots', async () => {
    const exec = testExecutor(box);
    symlinkSync(box.outside, join(box.project, 'escape'));
    const dotdot = await rejection(exec.run('true', { cwd: join(box.project, '..', 'outside') }));
    expect(dotdot.code).toBe('tools.cwd_outside_roots');
    expect(dotdot.details).toMatchObject({ resolved: box.outside, roots: [box.project] });
    const viaLink = await rejection(exec.run('true', { cwd: join(box.project, 'escape') }));
    expect(viaLink.code).toBe('tools.cwd_outside_roots');
    expect(viaLink.message).toContain(join(box.project, 'escape'));
    expect(viaLink.message).toContain(box.outside);
    expect((await rejection(exec.run('true', { cwd: 'project' }))).code).toBe('tools.cwd_not_absolute');
    expect((await rejection(exec.run('true', { cwd: join(box.project, 'nope') }))).code).toBe('tools.cwd_not_found');
    // A sibling whose name merely starts with the root's name is outside too.
    mkdirSync(`${box.project}-evil`);
    expect((await rejection(exec.run('true', { cwd: `${box.project}-evil` }))).code).toBe('tools.cwd_outside_roots');
  });

  it('reports a missing program as exit 127 without throwing', async () => {
    const result = await testExecutor(box).run('definitely-not-a-program-xyz --flag', { cwd: box.project });
    expect(result.exitCode).toBe(127);
    expect(result.message).toBe('command not found: definitely-not-a-program-xyz');
  });

  it('kills background grandchildren left behind when the command exits', async () => {
    const result = await testExecutor(box).run('sleep 30 & echo $!', { cwd: box.project });
    const grandchild = Number(lines(result)[0]);
    expect(grandchild).toBeGreaterThan(0);
    expect(alive(grandchild)).toBe(false);
  });

  it('spools the raw output and reads it back', async () => {
    const result = await testExecutor(box).run('printf "one\\ntwo"', { cwd: box.project });
    expect(result.output.rawPath).not.toBeNull();
    expect((await readRaw(result.output)).text).toBe('one\ntwo');
    expect(lines(result)).toEqual(['one', 'two']);
    const silent = await testExecutor(box).run('true', { cwd: box.project });
    expect(silent.output.rawPath).toBeNull();
  });
});
