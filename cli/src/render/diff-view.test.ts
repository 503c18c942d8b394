import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import { COLLAPSED_DIFF_LINES, approvalDetailLines, fileChangeLines } from './diff-view.js';
import { SessionView, type ViewEvent } from './session-view.js';

const plain = style(false);
const colour = style(true);
const GREEN = (s: string) => `\u001b[32m${s}\u001b[39m`;
const RED = (s: string) => `\u001b[31m${s}\u001b[39m`;
const CYAN = (s: string) => `\u001b[36m${s}\u001b[39m`;

const TWO_HUNKS = [
  '--- a/src/cfg.ts',
  '+++ b/src/cfg.ts',
  '@@ -2,7 +2,7 @@',
  ' a',
  ' b',
  ' c',
  '-timeout = 10',
  '+timeout = 30',
  ' d',
  ' e',
  ' f',
  '@@ -52,7 +52,7 @@',
  ' w',
  ' x',
  ' y',
  '-retries = 1',
  '+retries = 3',
  ' z',
  ' zz',
  ' zzz',
].join('\n');

function render(events: Omit<ViewEvent, 'seq' | 'ts'>[], st = plain, width = 80) {
  const lines: string[] = [];
  const view = new SessionView(st, { lines: (l) => lines.push(...l), status: () => undefined }, () => width);
  events.forEach((e, i) => view.onEvent({ seq: i + 1, ts: 1000 * i, ...e }));
  return lines;
}

describe('diffs in the session view', () => {
  it('shows a file change approval as the whole unified diff, every hunk', () => {
    const lines = render([
      {
        kind: 'approval_requested',
        data: {
          approvalId: 'ap_1',
          kind: 'path',
          summary: 'write /p/src/cfg.ts',
          detail: TWO_HUNKS,
          reason: 'writes ask',
        },
      },
    ]);
    expect(lines).toEqual([
      '',
      '? Approval needed [ap_1] write /p/src/cfg.ts',
      '  writes ask',
      ...TWO_HUNKS.split('\n').map((l) => `  ${l}`),
    ]);
  });

  it('colours it on a terminal: additions green, removals red, hunk headers cyan', () => {
    const lines = approvalDetailLines('path', TWO_HUNKS, colour);
    expect(lines).toContain(GREEN('+timeout = 30'));
    expect(lines).toContain(RED('-retries = 1'));
    expect(lines).toContain(CYAN('@@ -52,7 +52,7 @@'));
    expect(lines).toContain(' d');
    // A command stays one cyan line.
    expect(approvalDetailLines('command', 'npm test', colour)).toEqual([CYAN('npm test')]);
  });

  it("never lets a file's control characters reach the terminal", () => {
    const hostile = '--- a/x\n+++ b/x\n@@ -1 +1 @@\n-old\r\n+\u001b[2J\u001b]0;owned\u0007new';
    const lines = approvalDetailLines('path', hostile, plain);
    expect(lines.slice(3)).toEqual(['-old\u240d', '+\u241b[2J\u241b]0;owned\u2407new']);
    expect(lines.join('')).not.toMatch(/[\u0000-\u0008\u000b-\u001f]/);
  });

  it('collapses a file change in the transcript: counts and path, the first diff lines, how much more', () => {
    const lines = render([
      { kind: 'tool_started', data: { callId: 'c1', name: 'edit_file', summary: 'src/cfg.ts' } },
      {
        kind: 'tool_finished',
        data: {
          callId: 'c1',
          name: 'edit_file',
          ok: true,
          durationMs: 20,
          summary: 'Edited src/cfg.ts (2 replacements)',
          diff: TWO_HUNKS,
          diffStat: { path: 'src/cfg.ts', added: 2, removed: 2, hunks: 2 },
        },
      },
    ]);
    const body = TWO_HUNKS.split('\n').slice(2);
    expect(lines).toEqual([
      '● edit_file src/cfg.ts',
      '✓ edit_file (0.0s) — Edited src/cfg.ts (2 replacements)',
      '  +2 \u22122 src/cfg.ts',
      ...body.slice(0, COLLAPSED_DIFF_LINES).map((l) => `    ${l}`),
      `    … ${body.length - COLLAPSED_DIFF_LINES} more diff lines (sylk logs --json has the whole diff)`,
    ]);
  });

  it('cuts long diff lines to the width and shows nothing extra for other tools', () => {
    const long = `+${'x'.repeat(300)}`;
    const lines = fileChangeLines(
      {
        diff: `--- /dev/null\n+++ b/min.js\n@@ -0,0 +1 @@\n${long}`,
        diffStat: { path: 'min.js', added: 1, removed: 0, hunks: 1 },
      },
      plain,
      60,
    );
    expect(lines).toEqual(['  +1 \u22120 min.js', '    @@ -0,0 +1 @@', `    ${long.slice(0, 55)}…`]);
    expect(fileChangeLines({ summary: '3 passed' }, plain, 80)).toEqual([]);
    expect(fileChangeLines({ diffStat: 'bogus' }, plain, 80)).toEqual([]);
  });
});
