import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '@sylk/core';
import { SpawnBroker } from './spawn-broker.js';
import type { RunFileOptions } from './run-file.js';

const options = (more: Partial<RunFileOptions> = {}): RunFileOptions => ({
  cwd: '/',
  env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
  timeoutMs: 10_000,
  maxBuffer: 1024 * 1024,
  ...more,
});

let broker: SpawnBroker | undefined;
afterEach(() => broker?.close());

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 400 && !check(); i++) await new Promise((r) => setTimeout(r, 25));
  expect(check()).toBe(true);
}

describe('SpawnBroker', () => {
  it('runs a command in its own helper process, not this one, and returns its output', async () => {
    broker = new SpawnBroker({ logger: silentLogger() });
    const r = await broker.run('sh', ['-c', 'echo $PPID; echo out-text; echo err-text >&2'], options());
    expect(r.error).toBeUndefined();
    const [parent, out] = r.stdout.toString().trim().split('\n');
    expect(Number(parent)).not.toBe(process.pid);
    expect(out).toBe('out-text');
    expect(r.stderr.toString()).toBe('err-text\n');
    expect(broker.running).toBe(true);
  });

  it('passes the input, the working directory and only the environment it is given', async () => {
    broker = new SpawnBroker({ logger: silentLogger() });
    const r = await broker.run(
      'sh',
      ['-c', 'cat; pwd; env'],
      options({
        input: 'from-stdin\n',
        cwd: '/tmp',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ONLY_THIS: '1' },
      }),
    );
    const lines = r.stdout.toString().split('\n');
    expect(lines.slice(0, 2)).toEqual(['from-stdin', '/tmp']);
    expect(lines).toContain('ONLY_THIS=1');
    expect(lines.some((l) => l.startsWith('HOME='))).toBe(false);
  });

  it('reports an exit code, a timeout and a missing program as the result’s error', async () => {
    broker = new SpawnBroker({ logger: silentLogger() });
    const [failed, slow, missing] = await Promise.all([
      broker.run('sh', ['-c', 'echo why >&2; exit 3'], options()),
      broker.run('sleep', ['5'], options({ timeoutMs: 200 })),
      broker.run('no-such-program-sylk', [], options()),
    ]);
    expect(failed.error?.code).toBe(3);
    expect(failed.stderr.toString()).toBe('why\n');
    expect(slow.error?.killed).toBe(true);
    expect(slow.error?.signal).toBe('SIGTERM');
    expect(missing.error?.code).toBe('ENOENT');
  });

  it('finishes in this process what was in flight when the helper died, and starts a new helper after', async () => {
    broker = new SpawnBroker({ logger: silentLogger() });
    const helper = Number((await broker.run('sh', ['-c', 'echo $PPID'], options())).stdout.toString());
    const slow = broker.run('sh', ['-c', 'sleep 0.3; echo finished'], options());
    process.kill(helper, 'SIGKILL');
    const r = await slow;
    expect(r.stdout.toString()).toBe('finished\n');
    const again = Number((await broker.run('sh', ['-c', 'echo $PPID'], options())).stdout.toString());
    expect(again).not.toBe(helper);
    expect(again).not.toBe(process.pid);
  });

  it('runs commands in this process when no helper can start', async () => {
    broker = new SpawnBroker({ logger: silentLogger(), nodePath: '/nonexistent/node' });
    for (let i = 0; i < 4; i++) {
      const r = await broker.run('sh', ['-c', 'echo $PPID'], options());
      expect(Number(r.stdout.toString())).toBe(process.pid);
    }
    expect(broker.running).toBe(false);
  });

  it('starts a fresh helper for a request that comes while the idle one is still ending', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      broker = new SpawnBroker({ logger: silentLogger(), idleMs: 1_000 });
      const first = Number((await broker.run('sh', ['-c', 'echo $PPID'], options())).stdout.toString());
      vi.advanceTimersByTime(1_000); // idle: the helper is told to end, and has not exited yet
      const second = Number((await broker.run('sh', ['-c', 'echo $PPID'], options())).stdout.toString());
      expect(second).not.toBe(process.pid);
      expect(second).not.toBe(first);
    } finally {
      vi.useRealTimers();
    }
  });

  it('ends the helper once idle, and after close runs in this process', async () => {
    broker = new SpawnBroker({ logger: silentLogger(), idleMs: 50 });
    await broker.run('true', [], options());
    expect(broker.running).toBe(true);
    await until(() => !broker!.running);
    broker.close();
    const r = await broker.run('sh', ['-c', 'echo $PPID'], options());
    expect(Number(r.stdout.toString())).toBe(process.pid);
  });
});
