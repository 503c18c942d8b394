import { describe, expect, it } from 'vitest';
import type { Daemon } from '../daemon.js';
import { sandboxBrief } from './daemon-service.js';

/** A daemon whose sandbox report does what `report` does; nothing else is read. */
const daemonWith = (report: () => Promise<unknown>) =>
  ({ sandbox: { report, proxyStatus: undefined } }) as unknown as Daemon;

describe('Status and the sandbox line', () => {
  it('answers without the sandbox when its report fails or hangs', async () => {
    expect(await sandboxBrief(daemonWith(() => Promise.reject(new Error('probe failed'))))).toBeUndefined();
    const t0 = Date.now();
    expect(await sandboxBrief(daemonWith(() => new Promise(() => {})))).toBeUndefined();
    expect(Date.now() - t0).toBeLessThan(5_000);
  });

  it('carries the sandbox in brief when the report is there', async () => {
    const report = {
      mode: 'unsandboxed',
      backend: 'none',
      available: false,
      reason: 'bwrap is not installed',
      fix: 'apt-get install bubblewrap',
      required: false,
      mounts: [],
      limits: {},
      proxyEndpoint: '',
      networkNote: '',
      proxyBridge: '',
      socatAvailable: false,
    };
    expect(await sandboxBrief(daemonWith(() => Promise.resolve(report)))).toEqual({
      mode: 'unsandboxed',
      backend: 'none',
      reason: 'bwrap is not installed',
      fix: 'apt-get install bubblewrap',
      networkViaProxy: false,
    });
  });
});
