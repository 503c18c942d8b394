import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
  copyFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock, REDACTED, SecretValues, createLogger, silentLogger, type Logger } from '@sylk/core';
import type { AuditRecord } from '../audit/types.js';
import { EncryptedCredentialFile, type MachineIdentity } from './file-store.js';
import type { Keychain } from './keychain.js';
import { CredentialStore, checkProfile, maskKey } from './store.js';

const KEY = 'sk-ant-test-credentials-0123456789abcdef';
const HERE: MachineIdentity = { machineId: 'a1b2c3d4e5f6', user: 'alice' };
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-cred-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const clock = () => new ManualClock(1_700_000_000_000);
const fileAt = (path: string, id: MachineIdentity = HERE) =>
  new EncryptedCredentialFile({ path, identity: () => id, clock: clock() });

/** An in-memory keychain that can be switched off like a missing D-Bus session. */
function fakeKeychain(): Keychain & { items: Map<string, string>; down: string | undefined } {
  const items = new Map<string, string>();
  const k = {
    backend: 'fake',
    items,
    down: undefined as string | undefined,
    check() {
      if (k.down !== undefined) throw new Error(k.down);
    },
    get: async (a: string) => (k.check(), items.get(a) ?? null),
    set: async (a: string, s: string) => void (k.check(), items.set(a, s)),
    delete: async (a: string) => (k.check(), items.delete(a)),
  };
  return k;
}

/** A logger whose lines are kept, to check what it says (and that no key is in it). */
function capturingLogger(): { logger: Logger; lines: () => string } {
  const chunks: string[] = [];
  const logger = createLogger({ write: (s: string) => void chunks.push(s) }, { level: 'debug' });
  return { logger, lines: () => chunks.join('') };
}

describe('EncryptedCredentialFile', () => {
  it('round-trips, writes 0600 with a fresh nonce every time, and never holds the key in clear', async () => {
    const path = join(dir, 'credentials.enc');
    const f = fileAt(path);
    expect(await f.read()).toEqual({});
    await f.write({ 'default/anthropic': { key: KEY, storedAt: 1 } });
    const first = JSON.parse(readFileSync(path, 'utf8')) as { nonce: string; data: string };
    await f.write({ 'default/anthropic': { key: KEY, storedAt: 1 } });
    const second = JSON.parse(readFileSync(path, 'utf8')) as { nonce: string; data: string };
    expect(second.nonce).not.toBe(first.nonce);
    expect(Buffer.from(second.nonce, 'base64')).toHaveLength(12);
    expect(second.data).not.toBe(first.data);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readFileSync(path, 'utf8')).not.toContain('sk-ant');
    expect(await fileAt(path).read()).toEqual({ 'default/anthropic': { key: KEY, storedAt: 1 } });
    expect(readdirSync(dir)).toEqual(['credentials.enc']);
  });

  it('a copy taken to another machine or user cannot be decrypted: a clear error naming the file and the fix', async () => {
    const path = join(dir, 'credentials.enc');
    await fileAt(path).write({ 'default/openai': { key: KEY, storedAt: 1 } });
    const copy = join(dir, 'elsewhere', 'credentials.enc');
    mkdirSync(join(dir, 'elsewhere'));
    copyFileSync(path, copy);
    for (const id of [
      { ...HERE, machineId: 'ffffffffffff' },
      { ...HERE, user: 'mallory' },
    ]) {
      const err = await fileAt(copy, id)
        .read()
        .catch((e: unknown) => e as { code: string; message: string; hint: string });
      expect(err).toMatchObject({ code: 'credentials.file_undecryptable', tier: 'user_fixable' });
      expect(err.message).toContain(copy);
      expect(err.hint).toContain('sylk auth login');
      expect(JSON.stringify(err)).not.toContain(KEY);
    }
  });

  it('detects any altered byte of the data, the tag or the header', async () => {
    const path = join(dir, 'credentials.enc');
    await fileAt(path).write({ 'default/openai': { key: KEY, storedAt: 1 } });
    const env = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown> & {
      kdf: { salt: string };
      data: string;
      tag: string;
    };
    const flip = (b64: string) => {
      const b = Buffer.from(b64, 'base64');
      b[0] = (b[0] ?? 0) ^ 1;
      return b.toString('base64');
    };
    for (const altered of [
      { ...env, data: flip(env.data) },
      { ...env, tag: flip(env.tag) },
      { ...env, kdf: { ...env.kdf, salt: flip(env.kdf.salt) } },
    ]) {
      writeFileSync(path, JSON.stringify(altered));
      await expect(fileAt(path).read()).rejects.toMatchObject({ code: 'credentials.file_undecryptable' });
    }
  });

  it('a corrupt or truncated file is a clear error, not a crash', async () => {
    const path = join(dir, 'credentials.enc');
    for (const text of [
      '',
      'not json',
      '{"format":"sylk-credentials","version":1}',
      '[]',
      'null',
      '{"format":"sylk-credentials","version":1,"kdf":{"name":"scrypt","N":1e12,"r":8,"p":1,"salt":"","nonce":"","tag":"","data":""}}',
    ]) {
      writeFileSync(path, text);
      await expect(fileAt(path).read()).rejects.toMatchObject({
        code: 'credentials.file_corrupt',
        tier: 'user_fixable',
        hint: expect.stringContaining('sylk auth login'),
      });
    }
  });
});

describe('CredentialStore', () => {
  function store(
    opts: {
      env?: Record<string, string>;
      keychain?: Keychain;
      logger?: Logger;
      audit?: AuditRecord[];
      keychainOn?: boolean;
      secrets?: SecretValues;
    } = {},
  ) {
    const c = clock();
    const s = new CredentialStore({
      envVars: (p) =>
        p === 'anthropic'
          ? ['ANTHROPIC_API_KEY']
          : p === 'google'
            ? ['GOOGLE_API_KEY', 'GEMINI_API_KEY']
            : ['OPENAI_API_KEY'],
      env: opts.env ?? {},
      file: new EncryptedCredentialFile({ path: join(dir, 'credentials.enc'), identity: () => HERE, clock: c }),
      metaPath: join(dir, 'credentials.meta.json'),
      keychain: opts.keychain,
      keychainEnabled: () => opts.keychainOn ?? true,
      clock: c,
      logger: opts.logger ?? silentLogger(),
      ...(opts.audit ? { audit: { record: (r: AuditRecord) => void opts.audit?.push(r) } } : {}),
      ...(opts.secrets ? { secrets: opts.secrets } : {}),
    });
    return { s, c };
  }

  it('registers every key it resolves or stores for redaction, and forgets a logged-out one', async () => {
    const secrets = new SecretValues();
    const k = fakeKeychain();
    k.items.set('default/anthropic', 'from-keychain-0000000000');
    const { s } = store({ keychain: k, secrets, env: { OPENAI_API_KEY: 'sk-env-key-0000000000000' } });
    await s.resolve('anthropic', 'default');
    await s.resolve('openai', 'default');
    await s.set('google', 'work', 'stored-key-11111111111111', 0);
    expect(secrets.redact('from-keychain-0000000000 stored-key-11111111111111 sk-env-key-0000000000000')).toBe(
      `${REDACTED} ${REDACTED} ${REDACTED}`,
    );
    await s.remove('google', 'work');
    expect(secrets.redact('stored-key-11111111111111')).toBe('stored-key-11111111111111');
    expect(secrets.has('from-keychain-0000000000')).toBe(true);
  });

  it('resolves environment → keychain → file, per profile', async () => {
    const k = fakeKeychain();
    const { s } = store({ keychain: k, env: { GEMINI_API_KEY: 'gem-env-key-123456789' } });
    expect(await s.resolve('anthropic', 'default')).toBeUndefined();
    k.items.set('default/anthropic', 'from-keychain-0000000000');
    expect(await s.resolve('anthropic', 'default')).toBeUndefined(); // cached for 30 s; Sylk's own changes invalidate
    expect(await s.set('anthropic', 'work', 'work-key-11111111111111', 5)).toEqual({ storedIn: 'keychain' });
    expect(await s.resolve('anthropic', 'work')).toEqual({ apiKey: 'work-key-11111111111111', source: 'keychain' });
    expect(await s.status(['anthropic'], 'default')).toEqual([
      { provider: 'anthropic', profile: 'default', source: 'keychain', masked: '…0000', verifiedAt: 0, problem: '' },
    ]);
    expect(await s.resolve('google', 'work')).toEqual({
      apiKey: 'gem-env-key-123456789',
      source: 'env GEMINI_API_KEY',
    });

    // The keychain goes away: the file takes over, said once in the log.
    k.down = 'DBus error: no session bus';
    const cap = capturingLogger();
    const { s: s2 } = store({ keychain: k, logger: cap.logger });
    expect(await s2.set('openai', 'default', 'sk-file-key-abcdefghijklmnop', 0)).toEqual({ storedIn: 'file' });
    expect(await s2.resolve('openai', 'default')).toEqual({ apiKey: 'sk-file-key-abcdefghijklmnop', source: 'file' });
    expect(await s2.resolve('anthropic', 'default')).toBeUndefined();
    expect(cap.lines().match(/system keychain unavailable/g)).toHaveLength(1);
    expect(cap.lines()).not.toContain('sk-file-key');
    expect(s2.keychainDescription()).toBe('unavailable: DBus error: no session bus');
    // The environment beats both, for every profile.
    const { s: s3 } = store({ keychain: k, env: { OPENAI_API_KEY: 'sk-env-wins-0000000000000' } });
    expect(await s3.resolve('openai', 'default')).toEqual({
      apiKey: 'sk-env-wins-0000000000000',
      source: 'env OPENAI_API_KEY',
    });
  });

  it('keeps profiles apart, and logout removes from every store', async () => {
    const k = fakeKeychain();
    const audit: AuditRecord[] = [];
    const { s } = store({ keychain: k, audit });
    await s.set('anthropic', 'default', 'default-key-aaaaaaaaaaaa', 0);
    await s.set('anthropic', 'work', 'work-key-bbbbbbbbbbbbbbbb', 7);
    expect((await s.resolve('anthropic', 'default'))?.apiKey).toBe('default-key-aaaaaaaaaaaa');
    expect((await s.resolve('anthropic', 'work'))?.apiKey).toBe('work-key-bbbbbbbbbbbbbbbb');
    expect(s.metaOf('anthropic', 'work')).toMatchObject({ storedIn: 'keychain', verifiedAt: 7 });
    // Status lines learn where a key is without reading it.
    k.down = 'must not be called';
    expect([s.locate('anthropic', 'work'), s.locate('openai', 'work')]).toEqual(['keychain', undefined]);
    k.down = undefined;
    expect(await s.remove('anthropic', 'work')).toEqual(['keychain']);
    expect(await s.resolve('anthropic', 'work')).toBeUndefined();
    expect((await s.resolve('anthropic', 'default'))?.apiKey).toBe('default-key-aaaaaaaaaaaa');
    expect(await s.remove('anthropic', 'work')).toEqual([]);
    expect(audit.map((a) => [a.category, a.action, a.target, a.outcome])).toEqual([
      ['auth', 'credential_set', 'default/anthropic', 'ok'],
      ['auth', 'credential_set', 'work/anthropic', 'ok'],
      ['auth', 'credential_removed', 'work/anthropic', 'ok'],
      ['auth', 'credential_removed', 'work/anthropic', 'not_found'],
    ]);
    expect(JSON.stringify(audit)).not.toMatch(/key-[ab]{4}/);
    expect(readFileSync(join(dir, 'credentials.meta.json'), 'utf8')).not.toMatch(/key-/);
    await expect(s.resolve('anthropic', '../etc')).rejects.toMatchObject({ code: 'credentials.invalid_profile' });
  });

  it('with the keychain off, uses the file; a corrupt file is reported in status and replaced by the next login', async () => {
    const k = fakeKeychain();
    const { s } = store({ keychain: k, keychainOn: false });
    await s.set('openai', 'default', 'sk-one-1111111111111111', 0);
    expect(k.items.size).toBe(0);
    writeFileSync(join(dir, 'credentials.enc'), '{garbage');
    const [st] = await s.status(['openai'], 'default');
    expect(st).toMatchObject({ source: 'none', problem: expect.stringContaining('not a Sylk credentials file') });
    await expect(s.resolve('openai', 'default')).rejects.toMatchObject({ code: 'credentials.file_corrupt' });
    expect(await s.set('openai', 'default', 'sk-two-2222222222222222', 0)).toEqual({ storedIn: 'file' });
    expect((await s.resolve('openai', 'default'))?.apiKey).toBe('sk-two-2222222222222222');
    expect(readdirSync(dir).filter((n) => n.startsWith('credentials.enc.unreadable-'))).toHaveLength(1);
  });

  it('moving a key into the keychain drops the file copy (one stored copy)', async () => {
    const k = fakeKeychain();
    k.down = 'locked';
    const { s, c } = store({ keychain: k });
    await s.set('openai', 'default', 'sk-old-1111111111111111', 0);
    k.down = undefined;
    c.advance(61_000);
    expect(await s.set('openai', 'default', 'sk-new-2222222222222222', 0)).toEqual({ storedIn: 'keychain' });
    expect(await fileAt(join(dir, 'credentials.enc')).read()).toEqual({});
  });

  it('masks and checks names', () => {
    expect(maskKey(KEY)).toBe('…cdef');
    expect(maskKey('short')).toBe('…');
    expect(checkProfile('work.2')).toBe('work.2');
    expect(() => checkProfile('')).toThrow(/invalid profile/);
    expect(() => checkProfile('a/b')).toThrow(/invalid profile/);
  });
});
