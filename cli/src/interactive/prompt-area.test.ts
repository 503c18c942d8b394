import { describe, expect, it } from 'vitest';
import { PromptArea, rowsOf } from './prompt-area.js';

const CSI = '\u001b[';

function area(cols: number) {
  let out = '';
  const width = { cols };
  const a = new PromptArea({ write: (t: string) => (out += t) }, () => width.cols);
  return { a, width, take: () => [out, (out = '')][0] };
}

describe('rowsOf', () => {
  it('counts the rows a prompt line takes, colours excluded, wide characters wrapped as a terminal does', () => {
    expect(rowsOf('\u001b[1m›\u001b[22m abc', 80)).toBe(1);
    expect(rowsOf('x'.repeat(81), 80)).toBe(2);
    expect(rowsOf('x'.repeat(80), 80)).toBe(1); // full, the terminal waits to wrap
    expect(rowsOf('', 80)).toBe(1);
    // 9 narrow + a wide one: it does not fit in the 10th column and starts the next row.
    expect(rowsOf(`${'x'.repeat(9)}中`, 10)).toBe(2);
    expect(rowsOf('中'.repeat(5), 10)).toBe(1);
    expect(rowsOf('🎉'.repeat(6), 10)).toBe(2);
  });
});

describe('PromptArea', () => {
  it('erases exactly the rows it drew (wrapped lines included) before drawing again', () => {
    const { a, take } = area(10);
    a.clear();
    expect(take()).toBe(''); // nothing drawn yet: nothing to erase
    a.draw(['status', '› ' + 'x'.repeat(12)]); // 1 + 2 rows, the cursor after the last character
    expect(take()).toBe(`status\n› ${'x'.repeat(12)}`);
    a.draw(['› y']);
    expect(take()).toBe(`${CSI}2A\r${CSI}J› y`);
    a.clear();
    expect(take()).toBe(`\r${CSI}J`);
  });

  it('puts the cursor at the edit point, across wrapped rows and lines, and erases from there', () => {
    const { a, take } = area(10);
    // Line 1 wraps to two rows; the cursor after "› ab" on line 0.
    a.draw(['› ab', '  ' + 'c'.repeat(12)], { line: 0, column: 4 });
    expect(take()).toBe(`› ab\n  ${'c'.repeat(12)}${CSI}2A\r${CSI}4C`);
    a.clear();
    expect(take()).toBe(`\r${CSI}J`); // already on the area's first row
    // The cursor on the second row of a wrapped line, before its 3rd-last character.
    a.draw(['› ' + 'x'.repeat(12)], { line: 0, column: 11 });
    expect(take()).toBe(`› ${'x'.repeat(12)}\r${CSI}1C`);
    a.clear();
    expect(take()).toBe(`${CSI}1A\r${CSI}J`);
  });

  it('counts wide characters as the terminal places them', () => {
    const { a, take } = area(10);
    // "› " + 4 wide (10 columns: a full row), cursor after the 2nd: column 6 of row 0.
    a.draw(['› 中文中文', '  x'], { line: 0, column: 6 });
    expect(take()).toBe(`› 中文中文\n  x${CSI}1A\r${CSI}6C`);
    a.clear();
    take();
    // A wide character that does not fit in the last column starts the next row (the end is there)…
    a.draw(['› abcdefg中']);
    expect(take()).toBe(`› abcdefg中`);
    // …and the cursor before it stays at the end of the first row.
    a.draw(['› abcdefg中'], { line: 0, column: 9 });
    expect(take()).toBe(`${CSI}1A\r${CSI}J› abcdefg中${CSI}1A\r${CSI}9C`);
  });

  it('a full last row: the cursor after it goes to the next row, which is erased with the rest', () => {
    const { a, take } = area(10);
    a.draw(['› ' + 'x'.repeat(8)]);
    expect(take()).toBe(`› ${'x'.repeat(8)}\n\r`);
    a.clear();
    expect(take()).toBe(`${CSI}1A\r${CSI}J`);
  });

  it('erases at the width the terminal has now: after a resize, the reflowed rows', () => {
    const { a, width, take } = area(20);
    a.draw(['status', '› ' + 'x'.repeat(25)]); // 1 + 2 rows at 20 columns
    take();
    width.cols = 10; // narrower: the prompt line reflows to 3 rows
    a.draw(['status', '› ' + 'x'.repeat(25)]);
    expect(take().startsWith(`${CSI}3A\r${CSI}J`)).toBe(true);
    width.cols = 80; // wider: one row each
    a.clear();
    expect(take()).toBe(`${CSI}1A\r${CSI}J`);
  });
});
