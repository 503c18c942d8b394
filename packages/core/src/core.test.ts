import { describe, expect, it } from 'vitest';
import { Writable } from 'node:stream';
import {
  ErrorTier,
  REDACTED,
  SylkError,
  createLogger,
  filterEnv,
  newId,
  scrubSecrets,
  sleep,
  tierOf,
} from './index.js';
import { redactSecretFields } from './secrets.js';

describe('errors', () => {
  it('defaults to permanent and keeps the tier through wrapping', () => {
    expect(new SylkError('x').tier).toBe(ErrorTier.Permanent);
    const inner = new SylkError('busy', { tier: ErrorTier.ExternalRateLimit });
    const outer = new SylkError('call failed', { cause: new Error('wrapped', { cause: inner }) });
    expect(outer.tier).toBe(ErrorTier.ExternalRateLimit);
    expect(tierOf(new Error('plain'))).toBeUndefined();
  });
});

describe('secrets', () => {
  it('scrubs keys from free text', () => {
    const text = 'bad key sk-ant-api03-abcdefghijklmnopqrstuvwxyz012345 and Bearer abcdefghijklmnop1234';
    const out = scrubSecrets(text);
    expect(out).not.toContain('abcdefghijklmnopqrstuvwxyz');
    expect(out).toContain('Bearer [REDACTED]');
  });

  it('filters blocked variables out of an environment', () => {
    const env = filterEnv({
      PATH: '/bin',
      ANTHROPIC_API_KEY: 'k',
      GITHUB_TOKEN: 't',
      AWS_SECRET_ACCESS_KEY: 's',
      db_password: 'p',
    });
    expect(env).toEqual({ PATH: '/bin' });
  });

  it('redacts secret fields and scrubs messages in logs', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger(sink);
    log.info(
      { provider: { apiKey: 'super-secret-value' }, headers: { authorization: 'Bearer x' } },
      'failed with sk-proj-abcdefghijklmnopqrstuvwx',
    );
    const record = lines.join('');
    expect(record).not.toContain('super-secret-value');
    expect(record).not.toContain('sk-proj-abcdefghijklmnopqrstuvwx');
    expect(record).toContain('[REDACTED]');
    // Bindings, an error's own fields and a scrubbed free-text field, without touching the caller's objects.
    const fields = { err: Object.assign(new Error('bad key sk-ant-abcdefghijklmnopqrstuv'), { token: 'tok-value' }) };
    log.child({ component: 'x', credentials: 'bound-secret' }).error(fields, 'failed');
    const last = lines.at(-1) ?? '';
    expect(last).not.toMatch(/bound-secret|tok-value|sk-ant-abcdefghijklmnopqrstuv/);
    expect(JSON.parse(last)).toMatchObject({ component: 'x', credentials: '[REDACTED]', err: { type: 'Error' } });
    expect(fields.err.token).toBe('tok-value');
  });
});

describe('redactSecretFields', () => {
  it('redacts secret-named fields in the top four levels, arrays included, and leaves deeper ones', () => {
    const input = {
      token: 't0',
      provider: { apiKey: 'k1', name: 'anthropic' },
      request: { headers: { authorization: 'Bearer a2', 'x-api-key': 'k2' } },
      calls: [{ args: { password: 'p3' } }],
      a: { b: { c: { d: { secret: 'too deep' } } } },
    };
    expect(redactSecretFields(input)).toEqual({
      token: REDACTED,
      provider: { apiKey: REDACTED, name: 'anthropic' },
      request: { headers: { authorization: REDACTED, 'x-api-key': REDACTED } },
      calls: [{ args: { password: REDACTED } }],
      a: { b: { c: { d: { secret: 'too deep' } } } },
    });
  });

  it('never changes the caller’s objects, returns what has nothing to redact as it is, keeps an Error an Error', () => {
    const clean = { sessionId: 's1', nested: { list: [1, { name: 'x' }] }, chunk: Buffer.alloc(1 << 20) };
    expect(redactSecretFields(clean)).toBe(clean);
    const input = { nested: { token: 'abc', keep: 1 }, other: { x: 1 } };
    const out = redactSecretFields(input);
    expect(input.nested.token).toBe('abc');
    expect(out.other).toBe(input.other);
    const err = Object.assign(new Error('upstream failed'), { credentials: 'c' });
    const redacted = redactSecretFields({ err }).err;
    expect(redacted).toBeInstanceOf(Error);
    expect(redacted.message).toBe('upstream failed');
    expect(redacted.credentials).toBe(REDACTED);
    expect(err.credentials).toBe('c');
  });
});

describe('ids and time', () => {
  it('makes sortable ids from injected time and randomness', () => {
    const zero = () => new Uint8Array(16);
    const a = newId('s', 1000, zero);
    const b = newId('s', 2000, zero);
    expect(a < b).toBe(true);
    expect(a).toMatch(/^s_[0-9a-z]{26}$/);
  });

  it('sleep rejects on abort', async () => {
    const ac = new AbortController();
    const p = sleep(10_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(p).rejects.toThrow('stop');
  });
});

import { isProcessAlive, isSameProcess, processStartTime } from './index.js';
import { spawn } from 'node:child_process';

describe('process identity', () => {
  it('tells a live process from a dead one and from a recycled pid', async () => {
    const child = spawn('sleep', ['5']);
    const pid = child.pid as number;
    const start = processStartTime(pid);
    expect(start).toBeDefined();
    expect(isProcessAlive(pid)).toBe(true);
    expect(isSameProcess(pid, start)).toBe(true);
    expect(isSameProcess(pid, 'not-the-start-time')).toBe(false);
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    expect(isProcessAlive(pid)).toBe(false);
    expect(processStartTime(pid)).toBeUndefined();
  });
});

describe('zombies', () => {
  it('counts an exited but unreaped child as dead', async () => {
    // A child that exits while its parent (this test, which never waits on it) keeps running.
    const { spawn: spawnChild } = await import('node:child_process');
    const parent = spawnChild('sh', ['-c', 'sleep 0.1 & echo $!; exec sleep 5'], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const pid = await new Promise<number>((resolve) =>
      parent.stdout?.once('data', (d: Buffer) => resolve(Number(String(d).trim()))),
    );
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && isProcessAlive(pid)) await new Promise((r) => setTimeout(r, 20));
    expect(isProcessAlive(pid)).toBe(false);
    parent.kill('SIGKILL');
  });
});
