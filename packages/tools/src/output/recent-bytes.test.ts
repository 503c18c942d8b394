import { describe, expect, it } from 'vitest';
import { RecentBytes } from './recent-bytes.js';

describe('RecentBytes', () => {
  it('keeps the newest bytes up to its size, and trims further on request', () => {
    const recent = new RecentBytes(10);
    recent.push(Buffer.from('0123456'));
    recent.push(Buffer.from('789abc'));
    expect(recent.heldBytes).toBe(10);
    expect(recent.read()).toEqual({ text: '3456789abc', nextOffset: 13, truncated: true });
    expect(recent.trim(4)).toBe(6);
    expect(recent.heldBytes).toBe(4);
    expect(recent.read(5)).toEqual({ text: '9abc', nextOffset: 13, truncated: true });
    expect(recent.read(11)).toEqual({ text: 'bc', nextOffset: 13, truncated: false });
    expect(recent.trim(100)).toBe(0);
    recent.push(Buffer.from('d'));
    expect(recent.read(12)).toEqual({ text: 'cd', nextOffset: 14, truncated: false });
  });
});
