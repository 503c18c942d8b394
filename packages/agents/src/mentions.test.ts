import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SecretValues } from '@sylk/core';
import { attachMentions, findMentions } from './mentions.js';
import { tempProject, type TempProject } from './testing/tool-env.js';

let p: TempProject | undefined;
afterEach(() => {
  p?.cleanup();
  p = undefined;
});

describe('findMentions', () => {
  it('finds @paths at word starts, quoted ones, without trailing punctuation, each once', () => {
    expect(
      findMentions('look at @src/a.ts, then @"docs/my notes.md" and (@b.ts). mail me at x@y.com; @src/a.ts again'),
    ).toEqual(['src/a.ts', 'docs/my notes.md', 'b.ts']);
    expect(findMentions('no mentions here')).toEqual([]);
  });
});

describe('attachMentions', () => {
  it('attaches a project file to the prompt and leaves unknown mentions as plain text', async () => {
    p = tempProject({ 'src/a.ts': 'export const a = 1;\n' });
    const r = await attachMentions('explain @src/a.ts and ask @nobody about @types/node', {
      fs: p.env.fs,
      maxFileBytes: 1024,
    });
    expect(r.files).toEqual([{ path: 'src/a.ts', attached: true, sizeBytes: 20, attachedBytes: 20, truncated: false }]);
    expect(r.prompt.startsWith('explain @src/a.ts and ask @nobody about @types/node\n\n')).toBe(true);
    expect(r.prompt).toContain('<file path="src/a.ts">\nexport const a = 1;\n</file>');
  });

  it('keeps the prompt unchanged when nothing resolves', async () => {
    p = tempProject({});
    expect(await attachMentions('ping @someone', { fs: p.env.fs, maxFileBytes: 1024 })).toEqual({
      prompt: 'ping @someone',
      files: [],
    });
  });

  it('cuts a file at the limit with a note, at a line end', async () => {
    p = tempProject({ 'big.txt': 'line\n'.repeat(1000) });
    const r = await attachMentions('@big.txt', { fs: p.env.fs, maxFileBytes: 102 });
    expect(r.files[0]).toMatchObject({ attached: true, truncated: true, sizeBytes: 5000, attachedBytes: 100 });
    expect(r.prompt).toContain('[cut at 100 B of 4.9 KB; read_file big.txt for the rest]');
  });

  it('refuses .git internals, secret files, binaries and directories with a reason', async () => {
    p = tempProject({ '.git/config': '[core]\n', '.env': 'TOKEN=x\n', 'deploy.pem': 'k', 'src/x.ts': '' });
    writeFileSync(join(p.root, 'img.png'), Buffer.from([0x89, 0x50, 0, 1]));
    const r = await attachMentions('@.git/config @.env @deploy.pem @img.png @src', {
      fs: p.env.fs,
      maxFileBytes: 1024,
    });
    expect(r.files.map((f) => [f.path, f.attached, f.reason])).toEqual([
      ['.git/config', false, ".git internals are git's own state"],
      ['.env', false, 'it looks like a file of secrets'],
      ['deploy.pem', false, 'it looks like a file of secrets'],
      ['img.png', false, 'it is a binary file'],
      ['src', false, 'it is a directory'],
    ]);
    expect(r.prompt).not.toContain('TOKEN=x');
    expect(r.prompt).toContain('[@.env was not attached: it looks like a file of secrets]');
  });

  it('never attaches a file outside the project, also through a symlink', async () => {
    const outside = tempProject({ 'secret.txt': 'outside-data\n' });
    try {
      p = tempProject({});
      p.link('inside.txt', join(outside.root, 'secret.txt'));
      const r = await attachMentions(
        `@inside.txt @../${outside.root.split('/').pop()}/secret.txt @${join(outside.root, 'secret.txt')}`,
        { fs: p.env.fs, maxFileBytes: 1024 },
      );
      expect(r.files).toEqual([]);
      expect(r.prompt).not.toContain('outside-data');
    } finally {
      outside.cleanup();
    }
  });

  it('refuses a symlink to a secret file inside the project, and redacts known secrets', async () => {
    p = tempProject({ '.env': 'X=1\n', 'notes.md': 'the key is sk-ant-abcdefghijklmnopqrstuv\n' });
    p.link('env-link', '.env');
    mkdirSync(join(p.root, 'd'));
    const secrets = new SecretValues();
    secrets.add('sk-ant-abcdefghijklmnopqrstuv');
    const r = await attachMentions('@env-link @notes.md', { fs: p.env.fs, maxFileBytes: 1024, redact: secrets });
    expect(r.files[0]).toMatchObject({ path: '.env', attached: false });
    expect(r.prompt).not.toContain('sk-ant-abcdefghijklmnopqrstuv');
    expect(r.prompt).toContain('<file path="notes.md">');
  });
});
