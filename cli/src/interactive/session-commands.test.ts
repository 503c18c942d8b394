import { create } from '@bufbuild/protobuf';
import { SessionSchema, SessionState } from '@sylk/proto/session';
import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import { pickerLabel } from './pick-session.js';
import { costSummary, diffLines } from './session-commands.js';

const st = style(false);

describe('session facts for slash commands', () => {
  it('/cost adds up the usage events', () => {
    const usage = (i: number, o: number, cached: number, usd: number) => ({
      kind: 'usage',
      data: { usage: { inputTokens: i, outputTokens: o, cacheReadTokens: cached }, costUsd: usd },
    });
    expect(
      costSummary([usage(1000, 50, 0, 0.01), { kind: 'tool_finished', data: {} }, usage(2000, 25, 800, 0.02)]),
    ).toBe('3,000 in / 75 out tokens (800 cached) in 2 requests · $0.03');
    expect(costSummary([])).toBe('0 in / 0 out tokens in 0 requests · $0.00');
  });

  it('/diff shows every file change in full, or says there is none', () => {
    const diff = '--- a/x.js\n+++ b/x.js\n@@ -1 +1 @@\n-a\n+b';
    const lines = diffLines(
      [{ kind: 'tool_finished', data: { diff, diffStat: { path: 'x.js', added: 1, removed: 1 } } }],
      st,
    );
    expect(lines[0]).toBe('x.js  +1 \u22121');
    expect(lines).toContain('  -a');
    expect(lines).toContain('  +b');
    expect(diffLines([{ kind: 'tool_finished', data: {} }], st)).toEqual(['no file changes in this session yet']);
  });

  it('a picker row has name, state, age and the last message cut to the width', () => {
    const s = create(SessionSchema, { name: 'brave-otter', state: SessionState.IDLE, lastActivityUnixMs: 0n });
    expect(pickerLabel(s, 'fixed the tests', 120_000, 80)).toBe('brave-otter  idle  2m 0s ago  fixed the tests');
    const long = pickerLabel(s, 'x'.repeat(200), 120_000, 60);
    expect(long.endsWith('…')).toBe(true);
    expect(long.length).toBeLessThanOrEqual(60);
  });
});
