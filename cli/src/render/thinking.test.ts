import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import { SessionView, type ViewEvent } from './session-view.js';

const DIM = '\u001b[2m';

function render(
  events: Array<Omit<ViewEvent, 'seq' | 'ts'>>,
  options: { showThinking?: boolean; color?: boolean } = {},
) {
  const lines: string[] = [];
  const status: string[] = [];
  const view = new SessionView(
    style(options.color === true),
    { lines: (l) => lines.push(...l), status: (s) => status.push(s) },
    () => 80,
    { showThinking: options.showThinking === true },
  );
  events.forEach((e, i) => view.onEvent({ seq: i + 1, ts: 1000 * i, ...e }));
  return { lines, status };
}

const THINKING: Array<Omit<ViewEvent, 'seq' | 'ts'>> = [
  { kind: 'user_input', data: { text: 'fix it' } },
  { kind: 'thinking_delta', data: { text: '\nThe test expects a trailing ' } },
  { kind: 'thinking_delta', data: { text: 'newline.\nThe formatter drops it.\n\nFix the formatter.' } },
  { kind: 'assistant_delta', data: { text: 'Fixing the formatter.\n' } },
  { kind: 'assistant_message', data: { text: 'Fixing the formatter.', toolCalls: [] } },
];

describe('thinking in the session view', () => {
  it('by default: one dim line per block, with its length and how it began, before the reply', () => {
    const { lines, status } = render(THINKING, { color: true });
    const thought = lines.filter((l) => l.includes('thought'));
    expect(thought).toHaveLength(1);
    expect(thought[0]?.startsWith(DIM)).toBe(true);
    expect(thought[0]).toContain('✻ thought (81 chars): The test expects a trailing newline.');
    expect(lines.indexOf(thought[0] ?? '')).toBeLessThan(lines.findIndex((l) => l.includes('Fixing the formatter.')));
    expect(status.some((s) => s.includes('thinking… 29 chars'))).toBe(true);
  });

  it('with --show-thinking: the whole text, dimmed, line by line as it streams', () => {
    const { lines } = render(THINKING, { showThinking: true });
    expect(lines.slice(lines.indexOf('┊'))).toEqual([
      '┊',
      '┊ The test expects a trailing newline.',
      '┊ The formatter drops it.',
      '┊',
      '┊ Fix the formatter.',
      'Fixing the formatter.',
    ]);
    const coloured = render(THINKING, { showThinking: true, color: true }).lines.filter((l) => l.includes('┊'));
    expect(coloured.every((l) => l.startsWith(DIM))).toBe(true);
  });

  it('a long first line is cut to the width; a block before a tool call ends at the tool', () => {
    const { lines } = render([
      { kind: 'thinking_delta', data: { text: 'word '.repeat(60) } },
      { kind: 'tool_started', data: { callId: 'c1', name: 'read_file', summary: 'a.ts' } },
    ]);
    expect(lines[0]?.length).toBeLessThanOrEqual(80);
    expect(lines[0]?.endsWith('…')).toBe(true);
    expect(lines[1]).toContain('read_file');
  });
});
