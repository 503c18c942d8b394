import { afterEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareSocketDir, removeStaleSocket } from './socket-dir.js';

const dirs: string[] = [];
function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'sylk-sock-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('socket directory safety', () => {
  it('creates a missing directory 0700', () => {
    const dir = join(tmp(), 'a', 'run');
    prepareSocketDir(join(dir, 'sylkd.sock'));
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('accepts an existing private directory', () => {
    const dir = join(tmp(), 'run');
    mkdirSync(dir, { mode: 0o700 });
    expect(prepareSocketDir(join(dir, 'sylkd.sock'))).toBe(dir);
  });

  it.each([
    [0o770, /writable by group \(mode 770\)/],
    [0o707, /writable by others \(mode 707\)/],
    [0o777, /writable by group and others/],
  ])('refuses mode %s', (mode, message) => {
    const dir = join(tmp(), 'run');
    mkdirSync(dir);
    chmodSync(dir, mode);
    expect(() => prepareSocketDir(join(dir, 'sylkd.sock'))).toThrow(message);
  });

  it('refuses a symlinked directory', () => {
    const base = tmp();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'link'));
    expect(() => prepareSocketDir(join(base, 'link', 'sylkd.sock'))).toThrow(/not a directory \(or is a symlink\)/);
  });

  it('refuses a path too long for a Unix socket', () => {
    expect(() => prepareSocketDir(`/tmp/${'x'.repeat(120)}/sylkd.sock`)).toThrow(/too long/);
  });

  it('never removes a regular file in place of a stale socket', () => {
    const file = join(tmp(), 'sylkd.sock');
    writeFileSync(file, 'not a socket');
    expect(() => removeStaleSocket(file)).toThrow(/is not a socket/);
    removeStaleSocket(join(tmp(), 'missing.sock'));
  });
});
