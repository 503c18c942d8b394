import { describe, expect, it } from 'vitest';
import { ARG_LIMITS, MAX_INPUT_BYTES, boundedArg, boundedInput, echoArg } from './args.js';

describe('RPC argument bounds', () => {
  it('passes ids within the limit through unchanged', () => {
    expect(boundedArg('s_01abc', 'session id or name')).toBe('s_01abc');
    expect(boundedArg('/p'.repeat(ARG_LIMITS.path / 2), 'project root', 'path')).toHaveLength(ARG_LIMITS.path);
  });

  it('refuses an oversized id with a short message that echoes it truncated', () => {
    const id = 'a'.repeat(100 * 1024);
    expect(() => boundedArg(id, 'session id or name')).toThrow(
      expect.objectContaining({
        code: 'invalid_argument',
        message: `session id or name '${'a'.repeat(64)}… (102400 characters)' is too long: at most 256 characters`,
      }),
    );
    expect(echoArg(id).length).toBeLessThan(100);
  });

  it('measures input as the JSON its event stores', () => {
    expect(boundedInput('x'.repeat(MAX_INPUT_BYTES - 2), 'prompt')).toHaveLength(MAX_INPUT_BYTES - 2);
    // Control characters are stored as \u escapes (6 bytes each): 4 MiB of them is over 16 MiB.
    expect(() => boundedInput('\u0001'.repeat(4 * 1024 * 1024), 'prompt')).toThrow(
      /prompt is 24\.0 MiB; the limit is 16\.0 MiB/,
    );
  });
});
