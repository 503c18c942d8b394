import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FileHistory, historyFile } from './history.js';

let dirs: string[] = [];
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'sylk-history-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

describe('FileHistory', () => {
  it('persists prompts (multi-line ones whole) and reads them back in order, without repeats', () => {
    const file = join(temp(), 'history', 'p.jsonl');
    const h = new FileHistory(file);
    h.add('first');
    h.add('two\nlines');
    h.add('two\nlines');
    expect(new FileHistory(file).entries()).toEqual(['first', 'two\nlines']);
  });

  it('skips a torn line and keeps only the newest 1000 entries', () => {
    const file = join(temp(), 'h.jsonl');
    const lines = Array.from({ length: 1005 }, (_, i) => JSON.stringify(`p${i}`));
    writeFileSync(file, `${lines.join('\n')}\n"torn`);
    const h = new FileHistory(file);
    expect(h.entries()).toHaveLength(1000);
    expect(h.entries()[0]).toBe('p5');
    expect(readFileSync(file, 'utf8').split('\n').filter(Boolean)).toHaveLength(1000);
  });

  it('lives under the state directory, keyed by project, one file per project', () => {
    const home = temp();
    const [projectA, projectB] = [temp(), temp()];
    const a = historyFile({ SYLK_HOME: home }, projectA);
    expect(a?.startsWith(join(home, 'state', 'history'))).toBe(true);
    expect(historyFile({ SYLK_HOME: home }, projectB)).not.toBe(a);
    expect(historyFile({ SYLK_HOME: home }, projectA)).toBe(a);
    expect(historyFile({ SYLK_HOME: home }, join(projectA, 'gone'))).toBeUndefined();
  });
});
