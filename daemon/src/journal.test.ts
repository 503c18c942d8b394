import { describe, expect, it } from 'vitest';
import { stdoutIsJournal } from './journal.js';

describe('stdoutIsJournal', () => {
  const stdout = { dev: 64769, ino: 123456 };
  it('is the journal only when JOURNAL_STREAM names stdout itself', () => {
    expect(stdoutIsJournal({ JOURNAL_STREAM: '64769:123456' }, stdout)).toBe(true);
    expect(stdoutIsJournal({ JOURNAL_STREAM: '64769:123456' }, { dev: 64769n, ino: 123456n })).toBe(true);
  });
  it('is not when the variable was inherited by a process whose stdout is elsewhere', () => {
    expect(stdoutIsJournal({ JOURNAL_STREAM: '64769:999', INVOCATION_ID: 'abc' }, stdout)).toBe(false);
    expect(stdoutIsJournal({ INVOCATION_ID: 'abc' }, stdout)).toBe(false);
    expect(stdoutIsJournal({ JOURNAL_STREAM: 'garbage' }, stdout)).toBe(false);
    expect(stdoutIsJournal({ JOURNAL_STREAM: '64769:123456' }, undefined)).toBe(false);
  });
});
