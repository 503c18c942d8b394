import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { editConfigFile } from './edit.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-edit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('editConfigFile', () => {
  it('sets a value keeping comments and other keys, then deletes it', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, '# my settings\nsessions:\n  max_turns: 7 # keep\n', { mode: 0o640 });
    expect(editConfigFile(file, ['mcp', 'servers', 'docs'], { command: 'npx', args: ['-y', 'docs'] })).toEqual({
      existed: false,
    });
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('# my settings');
    expect(text).toContain('max_turns: 7 # keep');
    expect(parse(text).mcp.servers.docs).toEqual({ command: 'npx', args: ['-y', 'docs'] });
    expect(statSync(file).mode & 0o777).toBe(0o640);
    expect(editConfigFile(file, ['mcp', 'servers', 'docs'], undefined)).toEqual({ existed: true });
    expect(parse(readFileSync(file, 'utf8')).mcp.servers).toEqual({});
  });

  it('creates a missing file and directory', () => {
    const file = join(dir, 'a', '.sylk', 'config.yaml');
    editConfigFile(file, ['mcp', 'servers', 'x'], { url: 'https://example.com/mcp' });
    expect(parse(readFileSync(file, 'utf8'))).toEqual({ mcp: { servers: { x: { url: 'https://example.com/mcp' } } } });
  });

  it('refuses an invalid value and a file that does not parse, writing nothing', () => {
    const file = join(dir, 'config.yaml');
    writeFileSync(file, 'sessions: {max_turns: 3}\n');
    expect(() => editConfigFile(file, ['mcp', 'servers', 'bad name!'], { command: 'x' })).toThrow(
      expect.objectContaining({ code: 'config.invalid_value' }),
    );
    expect(readFileSync(file, 'utf8')).toBe('sessions: {max_turns: 3}\n');
    writeFileSync(file, 'sessions: [unclosed\n');
    expect(() => editConfigFile(file, ['mcp', 'servers', 'x'], { command: 'x' })).toThrow(
      expect.objectContaining({ code: 'config.file_invalid' }),
    );
    expect(readFileSync(file, 'utf8')).toBe('sessions: [unclosed\n');
  });
});
