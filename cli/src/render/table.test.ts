import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import stringWidth from 'string-width';
import { displayWidth, hardWrap, outputWidth, renderTable, truncate, type Column } from './table.js';

const SESSIONS: Column[] = [
  { header: 'NAME', shrink: 2, min: 8 },
  { header: 'STATE', shrink: 1, min: 7 },
  { header: 'COST', align: 'right' },
  { header: 'PROJECT', shrink: 0, min: 10, keep: 'end' },
  { header: 'ID', drop: 0 },
];

describe('display width', () => {
  it('counts CJK and emoji as two columns and escape codes as none', () => {
    expect(displayWidth('abc')).toBe(3);
    // The narrow fast path agrees with string-width over every character it covers.
    for (const [from, to] of [
      [0x20, 0x7e],
      [0xa0, 0x2ff],
      [0x2010, 0x2027],
    ] as const)
      for (let c = from; c <= to; c++)
        expect(displayWidth(String.fromCodePoint(c)), c.toString(16)).toBe(stringWidth(String.fromCodePoint(c)));
    expect(displayWidth('sylkd 0.1.0 — ready · ok…')).toBe(25);
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('🚀 go')).toBe(5);
    expect(displayWidth(style(true).red('red'))).toBe(3);
  });

  it('cuts by columns with …, keeping whole wide characters and the chosen end', () => {
    expect(truncate('日本語のテキスト', 7)).toBe('日本語…');
    expect(displayWidth(truncate('日本語のテキスト', 7))).toBeLessThanOrEqual(7);
    expect(truncate('/home/user/projects/app', 12, 'end')).toBe('…rojects/app');
    expect(truncate('👨‍👩‍👧 family', 4)).toBe('👨‍👩‍👧…');
    expect(truncate('short', 10)).toBe('short');
  });

  it('closes a style it cuts, so nothing after it is coloured', () => {
    const cut = truncate(style(true).red('a long red text'), 6);
    expect(cut).toBe('\u001b[31ma lon\u001b[39m\u001b[0m…');
  });

  it('wraps long lines by columns and reopens the style on the next piece', () => {
    const st = style(true);
    const pieces = hardWrap(st.green('x'.repeat(25)), 10);
    expect(pieces).toHaveLength(3);
    for (const p of pieces) expect(displayWidth(p)).toBeLessThanOrEqual(10);
    expect(pieces[1]?.startsWith('\u001b[32m')).toBe(true);
    expect(hardWrap('漢字'.repeat(6), 5).map(displayWidth)).toEqual([4, 4, 4, 4, 4, 4]);
  });
});

describe('renderTable', () => {
  const rows = [
    ['brave-otter', 'idle', '$0.12', '/home/user/projects/a-rather-long-project-name', 's_01jf3k5x8y9z0a1b2c3d4e5f6g'],
    ['日本語のセッション', 'running', '$1.50', '/srv/work/🚀-launch', 's_01jf3k5x8y9z0a1b2c3d4e5f6h'],
  ];

  it('shows everything when it fits, aligned by display width', () => {
    const lines = renderTable(SESSIONS, rows, { width: Number.POSITIVE_INFINITY });
    expect(lines[0]?.startsWith('NAME')).toBe(true);
    expect(lines[1]).toContain('s_01jf3k5x8y9z0a1b2c3d4e5f6g');
    // Every column starts at the same display column in every row.
    const at = (line: string, cell: string) => displayWidth(line.slice(0, line.indexOf(cell)));
    expect(at(lines[1] ?? '', 'idle')).toBe(at(lines[2] ?? '', 'running'));
    expect(at(lines[0] ?? '', 'PROJECT')).toBe(at(lines[2] ?? '', '/srv'));
  });

  it('fits 60 columns: the id goes, the path is cut from its start, names stay whole', () => {
    const lines = renderTable(SESSIONS, rows, { width: 60 });
    for (const line of lines) expect(displayWidth(line)).toBeLessThanOrEqual(60);
    expect(lines.join('\n')).not.toContain('s_01');
    expect(lines[1]).toContain('brave-otter');
    expect(lines[2]).toContain('日本語のセッション');
    expect(lines[1]).toMatch(/…[-a-z]*name$/);
  });

  it('still fits when even the shrinkable columns are at their minimum', () => {
    const lines = renderTable(SESSIONS, rows, { width: 40 });
    expect(lines[1]).toContain('…');
    expect(lines.filter((l) => displayWidth(l) > 40)).toEqual([]);
  });

  it('right-aligns numbers and styles the header after fitting', () => {
    const lines = renderTable(
      [{ header: 'model' }, { header: 'cost', align: 'right' }],
      [
        ['a', '$1.00'],
        ['b', '$10.00'],
      ],
      { width: 80, header: (h) => `<${h}>` },
    );
    expect(lines).toEqual(['<model    cost>', 'a       $1.00', 'b      $10.00']);
  });
});

describe('outputWidth', () => {
  it('is the terminal width, else COLUMNS, else unlimited', () => {
    expect(outputWidth({ isTTY: true, columns: 72 }, { COLUMNS: '60' })).toBe(72);
    expect(outputWidth({ isTTY: false }, { COLUMNS: '60' })).toBe(60);
    expect(outputWidth({ isTTY: false }, {})).toBe(Number.POSITIVE_INFINITY);
    expect(outputWidth({ isTTY: false }, { COLUMNS: 'wide' })).toBe(Number.POSITIVE_INFINITY);
  });
});
