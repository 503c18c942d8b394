import { describe, expect, it } from 'vitest';
import { TextPieces } from './text-pieces.js';

describe('TextPieces', () => {
  it('reads back exactly what was appended, across the joins, and counts its characters', () => {
    const pieces = new TextPieces();
    let expected = '';
    for (let i = 0; i < 1000; i++) {
      const piece = i % 7 === 0 ? '' : `${i}é😀`.slice(0, 1 + (i % 5));
      pieces.append(piece);
      expected += piece;
      if (i % 300 === 0) expect(pieces.toString()).toBe(expected); // reading mid-way changes nothing
    }
    expect(pieces.toString()).toBe(expected);
    expect(pieces.length).toBe(expected.length);
    expect(new TextPieces().toString()).toBe('');
  });
});
