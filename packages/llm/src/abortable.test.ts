import { getEventListeners } from 'node:events';
import { describe, expect, it } from 'vitest';
import { ABORTED, AbortableReader } from './abortable.js';

describe('AbortableReader', () => {
  it('passes values and rejections through, one listener however many waits', async () => {
    const controller = new AbortController();
    const reader = new AbortableReader(controller.signal);
    for (let i = 0; i < 1000; i++) expect(await reader.wait(Promise.resolve(i))).toBe(i);
    await expect(reader.wait(Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(1);
    reader.close();
    expect(getEventListeners(controller.signal, 'abort')).toHaveLength(0);
  });

  it('settles a pending wait with ABORTED on abort, and later waits at once', async () => {
    const controller = new AbortController();
    const reader = new AbortableReader(controller.signal);
    const stalled = reader.wait(new Promise<never>(() => undefined));
    controller.abort();
    expect(await stalled).toBe(ABORTED);
    // A late rejection of what was waited on is swallowed, not an unhandled rejection.
    expect(await reader.wait(Promise.reject(new Error('late')))).toBe(ABORTED);
  });
});
