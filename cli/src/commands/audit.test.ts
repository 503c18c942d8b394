import { describe, expect, it } from 'vitest';
import { create } from '@bufbuild/protobuf';
import { AuditEntrySchema } from '@sylk/proto/security';
import { csvCell, csvRow, entryJson, parseTimeSpec, queryRequest, renderVerify, tableRow } from './audit.js';
import { style } from '../output.js';

const now = Date.parse('2026-12-07T12:00:00Z');

describe('sylk audit helpers', () => {
  it('parses relative and absolute times, and refuses anything else as a usage error', () => {
    expect(parseTimeSpec('24h', now, '--since')).toBe(now - 86_400_000);
    expect(parseTimeSpec('7d', now, '--since')).toBe(now - 7 * 86_400_000);
    expect(parseTimeSpec('30m', now, '--since')).toBe(now - 1_800_000);
    expect(parseTimeSpec('2026-12-01T00:00:00Z', now, '--since')).toBe(Date.parse('2026-12-01T00:00:00Z'));
    expect(() => parseTimeSpec('yesterday', now, '--since')).toThrow(/--since must be a duration/);
    expect(() => parseTimeSpec('5y', now, '--until')).toThrow(/--until/);
  });

  it('builds the request from combined flags and checks categories and limits locally', () => {
    expect(
      queryRequest(
        {
          since: '1h',
          category: ['permission,file', 'llm'],
          session: 's1',
          action: 'verdict',
          outcome: 'deny',
          targetRegex: '^rm',
          limit: '5',
        },
        now,
      ),
    ).toEqual({
      sinceUnixMs: BigInt(now - 3_600_000),
      untilUnixMs: 0n,
      categories: ['permission', 'file', 'llm'],
      sessionId: 's1',
      action: 'verdict',
      targetRegex: '^rm',
      outcome: 'deny',
      limit: 5,
    });
    expect(() => queryRequest({ category: ['perms'] }, now)).toThrow(/--category must be among/);
    expect(() => queryRequest({ limit: '0' }, now)).toThrow(/--limit must be a positive integer/);
  });

  it('renders CSV safely, a table row and verify problems', () => {
    expect(csvCell('plain')).toBe('plain');
    expect(csvCell('a,"b"\nc')).toBe('"a,""b""\nc"');
    expect(csvCell('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    const e = entryJson(
      create(AuditEntrySchema, {
        id: 'au_1',
        timeUnixMs: BigInt(now),
        seq: 7n,
        category: 'process',
        action: 'process_exit',
        target: 'npm test',
        outcome: '0',
        sessionId: 's1',
        projectId: 'p1',
        detailsJson: '{"exitCode":0}',
        prevHash: 'a'.repeat(64),
        hash: 'b'.repeat(64),
        severity: 'info',
      }),
    );
    expect(e).toMatchObject({ seq: 7, time: '2026-12-07T12:00:00.000Z', details: { exitCode: 0 } });
    expect(csvRow(e)).toBe(
      `7,2026-12-07T12:00:00.000Z,process,info,process_exit,npm test,0,s1,p1,"{""exitCode"":0}",${'b'.repeat(64)}`,
    );
    expect(tableRow(e, style(false))).toMatch(/^2026-12-07T12:00:00\.000Z 7 +process +process_exit +0 +s1 +npm test$/);
    const text = renderVerify(
      {
        ok: false,
        entries: 3,
        signatures: 1,
        files: 1,
        problems: [{ file: 'audit-1.jsonl', line: 2, seq: 2, problem: 'entry hash mismatch: the entry was edited' }],
      },
      style(false),
    );
    expect(text).toBe(
      'audit log has 1 problem(s): 3 entries, 1 signatures, 1 file(s)\n  audit-1.jsonl:2 (seq 2): entry hash mismatch: the entry was edited',
    );
  });
});
