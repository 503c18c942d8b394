import { describe, expect, it } from 'vitest';
import { style, useColor } from '../output.js';
import { keyInShellNote } from './key-hint.js';
import { MarkdownStream } from './markdown.js';
import { SessionView, type ViewEvent } from './session-view.js';
import { displayWidth } from './table.js';

const plain = style(false);
const colour = style(true);
const ESC = /\u001b\[[0-9;]*m/g;
const strip = (s: string) => s.replace(ESC, '');

function render(text: string, st = plain, width = 80): string[] {
  const md = new MarkdownStream(st, () => width);
  return [...md.push(text), ...md.flush()];
}

describe('markdown', () => {
  it('renders emphasis, strike, code and links inline, in headings, lists and quotes too', () => {
    expect(
      render('# A **bold** `x` title\n- an *item* with [docs](https://example.com/d)\n> _quoted_ ~~old~~'),
    ).toEqual(['A bold x title', '• an item with docs (https://example.com/d)', '│ quoted old']);
    const out = render('some *emphasis* and **bold** and <https://a.dev>', colour).join('\n');
    expect(out).toContain('\u001b[3memphasis\u001b[23m');
    expect(out).toContain('\u001b[1mbold\u001b[22m');
    expect(out).toContain('\u001b[4mhttps://a.dev\u001b[24m');
    // snake_case and arithmetic are not emphasis.
    expect(render('use my_var_name and 2 * 3 * 4')).toEqual(['use my_var_name and 2 * 3 * 4']);
  });

  it('renders a table fitted to the width, CJK included', () => {
    const table =
      '| name | value | note |\n|---|--:|---|\n| 日本語 | 42 | a **long** note that goes on and on and on |\n| b | 7 | short |\n';
    const lines = render(`${table}after`, plain, 40);
    expect(lines[0]).toMatch(/^name\s+value\s+note$/);
    expect(lines[1]).toMatch(/^─+$/);
    expect(lines[2]).toMatch(/^日本語\s+42\s+a long note.*…$/);
    expect(lines[3]).toMatch(/^b\s+7\s+short$/);
    expect(lines.at(-1)).toBe('after');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(40);
    // Right-aligned column: the numbers end at the same column.
    expect(displayWidth(lines[2]?.slice(0, lines[2].indexOf('42') + 2) ?? '')).toBe(
      displayWidth(lines[3]?.slice(0, lines[3].indexOf('7') + 1) ?? ''),
    );
  });

  it('leaves pipes that are not a table as text', () => {
    expect(render('| just | a line |\nnext')).toEqual(['| just | a line |', 'next']);
  });

  it('highlights fenced code by its language when colour is on, and not without', () => {
    const code = '```ts\nconst x: string = "hi"; // note\n```\n';
    const coloured = render(code, colour);
    expect(strip(coloured[1] ?? '')).toBe('│ const x: string = "hi"; // note');
    expect(coloured[1]).toContain('\u001b[35mconst');
    expect(coloured[1]).toContain('\u001b[32m"hi"');
    expect(render(code, plain)).toEqual(['┌─ ts ', '│ const x: string = "hi"; // note', '└─']);
    // NO_COLOR, or no terminal, is the plain rendering; FORCE_COLOR highlights without one.
    const asSylk = (env: NodeJS.ProcessEnv, tty: boolean) => render(code, style(useColor({ color: true }, env, tty)));
    expect(asSylk({ NO_COLOR: '1' }, true)).toEqual(render(code, plain));
    expect(asSylk({}, false)).toEqual(render(code, plain));
    expect(asSylk({ FORCE_COLOR: '1' }, false)).toEqual(coloured);
    // An unknown or hostile language tag: plain code, no lookup.
    expect(render('```../../etc\nx = 1\n```\n', colour).map(strip)).toEqual(['┌─ ../../etc ', '│ x = 1', '└─']);
  });

  it('soft-wraps long code lines, keeping the gutter on every piece', () => {
    const lines = render(`\`\`\`\n${'abcdefghij'.repeat(6)}\n\`\`\`\n`, plain, 24);
    expect(lines.slice(1, -1).every((l) => l.startsWith('│ ') && displayWidth(l) <= 24)).toBe(true);
    expect(
      lines
        .slice(1, -1)
        .map((l) => l.slice(2))
        .join(''),
    ).toBe('abcdefghij'.repeat(6));
  });

  it("makes the model's escape sequences visible and starts every line with a reset", () => {
    const lines = render('\u001b[31mred?\u001b[0m and `\u001b[2J`\n', colour);
    expect(lines[0]?.startsWith('\u001b[0m')).toBe(true);
    expect(lines[0]).not.toContain('\u001b[31m');
    expect(strip(lines[0] ?? '')).toContain('␛[31mred?');
  });
});

describe('session view', () => {
  function view(events: Omit<ViewEvent, 'seq' | 'ts'>[], options = {}) {
    const lines: string[] = [];
    const v = new SessionView(plain, { lines: (l) => lines.push(...l), status: () => undefined }, () => 60, options);
    events.forEach((e, i) => v.onEvent({ seq: i + 1, ts: i, ...e }));
    return { lines, v };
  }
  const output = (n: number) =>
    Array.from({ length: n }, (_v, i) => ({ kind: 'tool_output', data: { callId: 'c', line: `line ${i + 1}` } }));

  it('collapses a failed test run to its summary (once) and first failures; expandable', () => {
    const { lines, v } = view([
      { kind: 'tool_started', data: { callId: 'c', name: 'run_command', summary: 'npm test' } },
      ...output(40),
      {
        kind: 'tool_finished',
        data: {
          callId: 'c',
          name: 'run_command',
          ok: false,
          durationMs: 2100,
          approvalWaitMs: 30_000,
          summary: '[exit code 1] 2 failed, 5 passed',
          failures: ['✗ adds (add.test.js): expected 3, got 4', '✗ subtracts (sub.test.js): boom'],
        },
      },
    ]);
    expect(lines).toEqual([
      '● run_command npm test',
      '✗ run_command (2.1s, 30s awaiting approval) — [exit code 1] 2 failed, 5 passed',
      '  │ ✗ adds (add.test.js): expected 3, got 4',
      '  │ ✗ subtracts (sub.test.js): boom',
      '  │ full output: 40 lines of output in `sylk logs`',
    ]);
    expect(lines.join('\n').match(/2 failed/g)).toHaveLength(1);
    expect(v.expandLastOutput()).toHaveLength(40);
    expect(v.expandLastOutput()[39]).toBe('  │ line 40');
  });

  it('shows short output whole, long output by its tail, and every line in full mode', () => {
    const finished = { kind: 'tool_finished', data: { callId: 'c', name: 'run_command', ok: true, durationMs: 10 } };
    expect(view([...output(3), finished]).lines.slice(1)).toEqual(['  │ line 1', '  │ line 2', '  │ line 3']);
    const long = view([...output(30), finished]).lines.slice(1);
    expect(long[0]).toBe('  │ … 24 earlier lines (30 lines of output in `sylk logs`)');
    // An interactive view names its expand key (wrapped at the width, behind the gutter).
    expect(view([...output(30), finished], { expandKey: 'Ctrl-O' }).lines.slice(1, 3)).toEqual([
      '  │ … 24 earlier lines (30 lines of output in `sylk logs`; C',
      '  │ trl-O shows all)',
    ]);
    expect(long.slice(1)).toEqual([
      '  │ line 25',
      '  │ line 26',
      '  │ line 27',
      '  │ line 28',
      '  │ line 29',
      '  │ line 30',
    ]);
    expect(view([...output(30), finished], { fullOutput: true }).lines).toHaveLength(31);
  });

  it('wraps a long output line behind the gutter', () => {
    const { lines } = view([
      { kind: 'tool_output', data: { callId: 'c', line: 'x'.repeat(130) } },
      { kind: 'tool_finished', data: { callId: 'c', name: 'run_command', ok: true, durationMs: 10 } },
    ]);
    expect(lines.slice(1)).toEqual(['  │ ' + 'x'.repeat(56), '  │ ' + 'x'.repeat(56), '  │ ' + 'x'.repeat(18)]);
  });

  it('--raw prints the text exactly as it came', () => {
    const text = '# Title\n**bold** | a | b |\n```\ncode';
    const { lines } = view(
      [
        { kind: 'assistant_delta', data: { text: text.slice(0, 9) } },
        { kind: 'assistant_delta', data: { text: text.slice(9) } },
        { kind: 'assistant_message', data: {} },
      ],
      { raw: true },
    );
    expect(lines.join('\n')).toBe(text);
  });

  it('says when the missing key is set in this shell but not in sylkd', () => {
    const error = {
      kind: 'error',
      data: {
        code: 'llm.auth_missing',
        message:
          'no API key for google (looked in env GOOGLE_API_KEY or GEMINI_API_KEY, the keychain and /x (profile default))',
        hint: 'run `sylk auth login google`',
      },
    };
    const { lines } = view([error], { env: { GEMINI_API_KEY: 'secret-value' } });
    expect(lines).toEqual([
      "✗ GEMINI_API_KEY is set in your shell but not in sylkd's environment: sylkd has no google key",
      '  → run `sylk auth login google` (stores the key for sylkd, no restart), or restart sylkd from this shell with `sylk daemon restart` so it inherits GEMINI_API_KEY',
    ]);
    expect(lines.join('\n')).not.toContain('secret-value');
    expect(view([error], { env: {} }).lines[0]).toContain('no API key for google');
    expect(
      keyInShellNote({ code: 'llm.auth_failed', message: 'no API key for google (looked in env X)' }, { X: '1' }),
    ).toBe(undefined);
  });
});
