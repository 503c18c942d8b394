import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REDACTED, SecretValues } from '@sylk/core';
import { OutputCapture } from './capture.js';
import { LINE_CUT_MARKER, LineSplitter } from './line-splitter.js';

const texts = (lines: Array<{ text: string }>) => lines.map((l) => l.text);

describe('LineSplitter', () => {
  it('joins lines split across chunks and UTF-8 sequences split across chunks', () => {
    const s = new LineSplitter(100);
    const euro = Buffer.from('€'); // 3 bytes
    expect(s.push(Buffer.from('ab'))).toBe('');
    expect(s.push(Buffer.concat([Buffer.from('c\nd'), euro.subarray(0, 1)]))).toBe('abc\n');
    expect(s.push(Buffer.concat([euro.subarray(1), Buffer.from('\ne')]))).toBe('d€\n');
    expect(s.end()).toBe('e\n');
  });

  it('caps an endless line and skips the rest of it', () => {
    const s = new LineSplitter(10);
    const first = s.push(Buffer.from('x'.repeat(25)));
    expect(s.capped(first.slice(0, -1))).toBe(`${'x'.repeat(10)}${LINE_CUT_MARKER}`);
    expect(s.push(Buffer.from('y'.repeat(25)))).toBe('');
    expect(s.push(Buffer.from('yy\nok\n'))).toBe('ok\n');
    expect(s.cut).toBe(1);
  });
});

describe('OutputCapture', () => {
  it('streams every line in order across streams and keeps head, tail and important lines', async () => {
    const seen: string[] = [];
    const capture = new OutputCapture({
      id: 't',
      headLines: 3,
      tailLines: 3,
      onLine: (line, stream) => seen.push(`${stream[3]}${line}`),
    });
    const lines = Array.from({ length: 20 }, (_, i) => `line ${i + 1}`);
    lines[9] = 'src/a.ts:10:5 - error TS2322: nope';
    lines[11] = 'warning: deprecated thing';
    lines[12] = '    at run (file.js:1:2)';
    capture.push(Buffer.from(lines.slice(0, 10).join('\n') + '\n'), 'stdout');
    capture.push(Buffer.from('err1\n'), 'stderr');
    capture.push(Buffer.from(lines.slice(10).join('\n')), 'stdout');
    const out = await capture.finish();
    expect(seen).toHaveLength(21);
    expect(seen[10]).toBe('eerr1');
    expect(out.totalLines).toBe(21);
    expect(texts(out.head)).toEqual(['line 1', 'line 2', 'line 3']);
    expect(texts(out.tail)).toEqual(['line 18', 'line 19', 'line 20']);
    expect(out.tail.map((l) => l.no)).toEqual([19, 20, 21]);
    expect(out.important.map((l) => [l.no, l.kind])).toEqual([
      [10, 'error'],
      [13, 'warning'],
      [14, 'important'],
    ]);
    expect(out).toMatchObject({ errorCount: 1, warningCount: 1, rawPath: null });
  });

  it('counts errors and warnings over every line while keeping memory bounded', async () => {
    const capture = new OutputCapture({ id: 't', maxImportantLines: 5, maxBufferBytes: 64 * 1024 });
    for (let i = 0; i < 1000; i++) capture.push(Buffer.from(`ok ${i}\nerror: bad ${i}\nwarning: meh ${i}\n`), 'stdout');
    const out = await capture.finish();
    expect(out).toMatchObject({ totalLines: 3000, errorCount: 1000, warningCount: 1000 });
    expect(out.important).toHaveLength(5);
    expect(out.important.length + out.importantDropped).toBe(2000);
    const kept = [...out.head, ...out.tail, ...out.important].reduce((n, l) => n + l.text.length, 0);
    expect(kept).toBeLessThanOrEqual(64 * 1024);
  });

  it('shows what a terminal would for carriage-return progress and handles CRLF', async () => {
    const capture = new OutputCapture({ id: 't' });
    capture.push(Buffer.from('10%\r50%\r100% done\r\nnext\r\n'), 'stdout');
    expect(texts((await capture.finish()).head)).toEqual(['100% done', 'next']);
  });

  it('cuts very long lines in memory', async () => {
    const capture = new OutputCapture({ id: 't', maxLineChars: 1000 });
    capture.push(Buffer.from('a'.repeat(5000) + '\nshort\n' + 'b'.repeat(3000)), 'stdout');
    const out = await capture.finish();
    expect(out.head.map((l) => l.text.length)).toEqual([
      1000 + LINE_CUT_MARKER.length,
      5,
      1000 + LINE_CUT_MARKER.length,
    ]);
    expect(out.longLinesCut).toBe(2);
    expect(out.totalBytes).toBe(5000 + 7 + 3000);
  });

  it('keeps reporting lines when a consumer throws', async () => {
    const capture = new OutputCapture({
      id: 't',
      onLine: () => {
        throw new Error('consumer bug');
      },
    });
    capture.push(Buffer.from('a\nb\n'), 'stdout');
    expect((await capture.finish()).totalLines).toBe(2);
  });
});

describe('tail across large and small blocks', () => {
  it('keeps the last lines with consecutive numbers when a block holds more lines than the tail', async () => {
    const capture = new OutputCapture({ id: 'tail', tailLines: 100 });
    const big = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`).join('\n') + '\n';
    capture.push(Buffer.from(big), 'stdout');
    capture.push(Buffer.from('line 1001\nline 1002\nline 1003\n'), 'stdout');
    const out = await capture.finish();
    expect(out.totalLines).toBe(1003);
    expect(out.tail.map((l) => l.no)).toEqual(Array.from({ length: 100 }, (_, i) => 904 + i));
    expect(out.tail.map((l) => l.text)).toEqual(Array.from({ length: 100 }, (_, i) => `line ${904 + i}`));
  });
});

describe('OutputCapture with known-secret redaction', () => {
  it('redacts lines, summaries, onChunk and the spool, a secret split across chunks included', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sylk-capture-'));
    try {
      const secrets = new SecretValues();
      const key = 'LEAK-key-0123456789abcdef';
      secrets.add(key);
      const lines: string[] = [];
      const chunks: Buffer[] = [];
      const capture = new OutputCapture({
        id: 'r',
        spoolDir: dir,
        redact: secrets,
        onLine: (l) => lines.push(l),
        onChunk: (c) => chunks.push(c),
      });
      const text = `start\nkey=${key}\nerror: bad ${key}!\nend`;
      for (const piece of [text.slice(0, 12), text.slice(12, 20), text.slice(20, 40), text.slice(40)])
        capture.push(Buffer.from(piece), 'stdout');
      const out = await capture.finish();
      const expected = text.split(key).join(REDACTED);
      expect(lines).toEqual(expected.split('\n'));
      expect(Buffer.concat(chunks).toString()).toBe(expected);
      expect(readFileSync(out.rawPath as string, 'utf8')).toBe(expected);
      expect(JSON.stringify(out)).not.toContain('LEAK-key');
      expect(out.totalBytes).toBe(Buffer.byteLength(text));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
