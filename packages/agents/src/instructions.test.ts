import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INSTRUCTION_LIMITS, loadInstructions } from './instructions.js';

let base: string | undefined;
afterEach(() => {
  if (base !== undefined) rmSync(base, { recursive: true, force: true });
  base = undefined;
});

/** base/home/work/proj with files written relative to base. */
function layout(files: Record<string, string>): { base: string; home: string; user: string; project: string } {
  base = mkdtempSync(join(tmpdir(), 'sylk-instr-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), text);
  }
  mkdirSync(join(base, 'home/work/proj'), { recursive: true });
  mkdirSync(join(base, 'config'), { recursive: true });
  return { base, home: join(base, 'home'), user: join(base, 'config'), project: join(base, 'home/work/proj') };
}

describe('loadInstructions', () => {
  it('includes the user-wide file, the parents up to home and the root, general first; lists nested files', async () => {
    const l = layout({
      'AGENTS.md': 'above home: never read',
      'config/AGENTS.md': 'user-wide rule',
      'home/AGENTS.md': 'home rule',
      'home/work/CLAUDE.md': 'work rule (claude fallback)',
      'home/work/proj/AGENTS.md': 'project rule',
      'home/work/proj/CLAUDE.md': 'shadowed by AGENTS.md',
      'home/work/proj/pkg/a/AGENTS.md': 'nested a',
      'home/work/proj/pkg/b/CLAUDE.md': 'nested b',
      'home/work/proj/node_modules/x/AGENTS.md': 'skipped',
    });
    const r = await loadInstructions(l.project, { user: l.user, home: l.home });
    expect(r.files.map((f) => [f.path.slice(l.base.length + 1), f.scope, f.included])).toEqual([
      ['config/AGENTS.md', 'user', true],
      ['home/AGENTS.md', 'parent', true],
      ['home/work/CLAUDE.md', 'parent', true],
      ['home/work/proj/AGENTS.md', 'project', true],
      ['home/work/proj/pkg/a/AGENTS.md', 'nested', false],
      ['home/work/proj/pkg/b/CLAUDE.md', 'nested', false],
    ]);
    const order = [
      'user-wide rule',
      'home rule',
      'work rule',
      'project rule',
      'pkg/a/AGENTS.md (8 B)',
      'pkg/b/CLAUDE.md (8 B)',
    ].map((t) => r.prompt.indexOf(t));
    expect(order.every((i, n) => i >= 0 && (n === 0 || i > (order[n - 1] as number)))).toBe(true);
    expect(r.prompt).not.toContain('never read');
    expect(r.prompt).not.toContain('shadowed');
    expect(r.prompt).not.toContain('nested a');
    expect(r.files.find((f) => f.scope === 'project')?.sizeBytes).toBe(12);
  });

  it('without dirs reads only the project', async () => {
    const l = layout({
      'home/AGENTS.md': 'home rule',
      'config/AGENTS.md': 'user',
      'home/work/proj/AGENTS.md': 'project rule',
    });
    const r = await loadInstructions(l.project);
    expect(r.files.map((f) => f.scope)).toEqual(['project']);
    expect(r.prompt).toContain('--- AGENTS.md (project root)\nproject rule');
  });

  it('cuts a file at the per-file cap and leaves out what passes the total, with notes', async () => {
    const big = 'x'.repeat(INSTRUCTION_LIMITS.fileChars + 10);
    const l = layout({ 'home/work/proj/AGENTS.md': big, 'home/work/AGENTS.md': big, 'home/AGENTS.md': big });
    const r = await loadInstructions(l.project, { user: l.user, home: l.home });
    const [home, work, project] = r.files;
    expect(project).toMatchObject({
      scope: 'project',
      includedChars: INSTRUCTION_LIMITS.fileChars,
      truncated: true,
      included: true,
    });
    expect(work).toMatchObject({
      includedChars: INSTRUCTION_LIMITS.totalChars - INSTRUCTION_LIMITS.fileChars,
      truncated: true,
    });
    expect(home).toMatchObject({ includedChars: 0, truncated: true, included: false });
    expect(r.prompt).toContain(
      `[cut at ${INSTRUCTION_LIMITS.fileChars} characters of 15.6 KB; read_file AGENTS.md for the rest]`,
    );
    expect(r.prompt).toContain(
      `[left out: instructions are capped at ${INSTRUCTION_LIMITS.totalChars} characters in all; read_file ${join(l.home, 'AGENTS.md')}]`,
    );
  });

  it('does not follow a project AGENTS.md that links out of the project', async () => {
    const l = layout({ 'secret.txt': 'outside secret' });
    symlinkSync(join(l.base, 'secret.txt'), join(l.project, 'AGENTS.md'));
    writeFileSync(join(l.project, 'CLAUDE.md'), 'the fallback');
    const r = await loadInstructions(l.project);
    expect(r.prompt).not.toContain('outside secret');
    expect(r.prompt).toContain('the fallback');
  });
});

describe('loadInstructions on hostile files', () => {
  it('skips a FIFO named AGENTS.md instead of blocking on it', async () => {
    const l = layout({ 'home/work/proj/pkg/CLAUDE.md': 'nested' });
    execFileSync('mkfifo', [join(l.project, 'AGENTS.md')]);
    writeFileSync(join(l.project, 'CLAUDE.md'), 'root fallback not used: AGENTS.md exists');
    const r = await loadInstructions(l.project);
    expect(r.files.map((f) => f.scope)).toEqual(['nested']);
  });
});
