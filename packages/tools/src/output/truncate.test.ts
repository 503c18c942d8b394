import { describe, expect, it } from 'vitest';
import { OutputCapture } from './capture.js';
import { truncateForModel } from './truncate.js';

async function captured(lines: string[]) {
  const capture = new OutputCapture({ id: 't' });
  capture.push(Buffer.from(lines.join('\n') + '\n'), 'stdout');
  return capture.finish();
}

describe('truncateForModel', () => {
  it('returns short output unchanged', async () => {
    const view = truncateForModel(await captured(['a', 'b', 'error: x']));
    expect(view).toMatchObject({
      text: 'a\nb\nerror: x',
      truncated: false,
      omittedLines: 0,
      summary: '1 errors, 0 warnings in 3 lines',
    });
  });

  it('keeps head, tail and every important middle line with omission markers and a summary', async () => {
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`);
    lines[299] = 'src/app.ts:12:3 error: boom';
    lines[599] = 'Warning: slow';
    lines[600] = '    at main (app.js:3:1)';
    lines[979] = 'FAIL tests/x.test.ts';
    const view = truncateForModel(await captured(lines), { head: 5, tail: 10 });
    expect(view.text.split('\n')).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'line 5',
      '… 294 lines omitted …',
      'src/app.ts:12:3 error: boom',
      '… 299 lines omitted …',
      'Warning: slow',
      '    at main (app.js:3:1)',
      '… 378 lines omitted …',
      'FAIL tests/x.test.ts',
      '… 10 lines omitted …',
      ...lines.slice(990),
      '[2 errors, 1 warnings in 1000 lines; 981 lines omitted; full output available on request]',
    ]);
    expect(view).toMatchObject({ truncated: true, totalLines: 1000, shownLines: 19, errorCount: 2, warningCount: 1 });
  });

  it('caps important lines shown and says how many more there were', async () => {
    const lines = Array.from({ length: 500 }, (_, i) => (i % 2 === 0 ? `error ${i}` : `ok ${i}`));
    const view = truncateForModel(await captured(lines), { head: 1, tail: 1, maxImportant: 3 });
    expect(view.errorCount).toBe(250);
    expect(view.text).toContain('including 246 more important lines');
    expect(view.shownLines).toBe(5);
  });
});
