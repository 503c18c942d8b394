import { describe, expect, it } from 'vitest';
import { style } from '../output.js';
import { mentionLines } from './mentions.js';

describe('mentionLines', () => {
  it('lists attached files with their size and refused ones with the reason', () => {
    const st = style(false);
    expect(
      mentionLines(
        [
          { path: 'src/a.ts', attached: true, sizeBytes: 2048, attachedBytes: 2048, truncated: false },
          { path: 'big.log', attached: true, sizeBytes: 900000, attachedBytes: 262144, truncated: true },
          {
            path: '.env',
            attached: false,
            sizeBytes: 10,
            attachedBytes: 0,
            truncated: false,
            reason: 'it looks like a file of secrets',
          },
        ],
        st,
      ),
    ).toEqual([
      '  @ src/a.ts attached (2.0 KB)',
      '  @ big.log attached (256.0 KB, cut at the size limit)',
      '  @ .env not attached: it looks like a file of secrets',
    ]);
    expect(mentionLines(undefined, st)).toEqual([]);
  });
});
