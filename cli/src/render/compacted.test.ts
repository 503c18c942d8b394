import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import { SessionView } from './session-view.js';

describe('session view: compacted', () => {
  it('shows a compaction as one dimmed line with tokens before and after', () => {
    const lines: string[] = [];
    const view = new SessionView(style(false), { lines: (l) => lines.push(...l), status: () => undefined }, () => 80);
    view.onEvent({
      seq: 1,
      ts: 0,
      kind: 'compacted',
      data: {
        tokensBefore: 152_340,
        tokensAfter: 9_120,
        messagesSummarized: 212,
        model: 'claude-haiku-4-5',
        manual: false,
        contextWindow: 200_000,
      },
    });
    view.onEvent({
      seq: 2,
      ts: 1,
      kind: 'compacted',
      data: {
        tokensBefore: 4_000,
        tokensAfter: 900,
        messagesSummarized: 12,
        model: 'm',
        manual: true,
        contextWindow: 8_000,
      },
    });
    expect(lines).toEqual([
      '⇣ conversation compacted (near the context window): ~152,340 → ~9,120 tokens, 212 messages summarised by claude-haiku-4-5',
      '⇣ conversation compacted on request: ~4,000 → ~900 tokens, 12 messages summarised by m',
    ]);
  });
});
