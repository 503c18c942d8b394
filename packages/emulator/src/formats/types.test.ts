import { describe, expect, it } from 'vitest';
import { deltaFrames, splitText, sse } from './types.js';

describe('deltaFrames', () => {
  const text = 'plain, "quoted", back\\slash, new\nline, tab\t, \u0000, é, 😀, \u2028 and }"{ braces';

  it('gives exactly the frames rendered part by part', () => {
    const frame = (part: string) =>
      sse({ type: 'content_block_delta', index: 3, delta: { type: 'text_delta', text: part } }, 'content_block_delta');
    for (const size of [1, 2, 5, 1000]) {
      expect([...deltaFrames(text, size, frame)]).toEqual([...splitText(text, size)].map(frame));
    }
  });

  it('renders each part itself when the frame does not hold it exactly once', () => {
    const twice = (part: string) => `data: ${JSON.stringify([part, part])}\n\n`;
    const transformed = (part: string) => `data: ${JSON.stringify(part.toUpperCase())}\n\n`;
    for (const frame of [twice, transformed]) {
      expect([...deltaFrames('abcdef', 2, frame)]).toEqual([...splitText('abcdef', 2)].map(frame));
    }
  });

  it('gives nothing for empty text', () => {
    expect([...deltaFrames('', 2, (part) => part)]).toEqual([]);
  });
});
