/**
 * The encrypted credentials file: AES-256-GCM under a key derived with scrypt from a
 * machine-bound secret (machine id + OS user) and a random salt kept in the file's header.
 * A copy of the file taken to another machine or user cannot be decrypted. It does not protect
 * against code running as the same user on the same machine (that code can derive the key too);
 * the sandbox hides the file from the commands agents run.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ErrorTier, SylkError } from '@sylk/core';

/** What the key is bound to; injected so tests never depend on the host. */
export interface MachineIdentity {
  machineId: string;
  user: string;
}

interface StoredSecret {
  key: string;
  storedAt: number;
}

/** `<profile>/<provider>` → secret. */
export type SecretMap = Record<string, StoredSecret>;

interface Envelope {
  format: 'sylk-credentials';
  version: 1;
  kdf: { name: 'scrypt'; N: number; r: number; p: number; salt: string };
  nonce: string;
  tag: string;
  data: string;
}

const KDF = { N: 1 << 15, r: 8, p: 1 } as const;
const SCRYPT_OPTS: ScryptOptions = { ...KDF, maxmem: 64 * 1024 * 1024 };

function scrypt(secret: string, salt: Buffer, opts: ScryptOptions): Promise<Buffer> {
  // The callback form runs in libuv's thread pool: the slow derivation never blocks the event loop.
  return new Promise((resolve, reject) =>
    scryptCb(secret, salt, 32, opts, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

const secretOf = (id: MachineIdentity) => `sylk-credentials-v1\0${id.machineId}\0${id.user}`;

export interface EncryptedFileOptions {
  path: string;
  identity: () => MachineIdentity;
  clock: { now(): number };
}

/**
 * Reads and writes the whole map at once (a handful of entries). Writes are atomic (temp +
 * rename) and 0600 with a fresh salt-bound key cache and a fresh 96-bit nonce every time.
 */
export class EncryptedCredentialFile {
  private derived: { salt: string; secret: string; key: Buffer } | undefined;

  constructor(private readonly opts: EncryptedFileOptions) {}

  get path(): string {
    return this.opts.path;
  }

  /** Empty when the file does not exist; throws `credentials.file_unreadable` / `credentials.file_corrupt`. */
  async read(): Promise<SecretMap> {
    let text: string;
    try {
      text = readFileSync(this.opts.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
      throw this.problem(
        'credentials.file_unreadable',
        `cannot read ${this.opts.path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`,
        `check the file's owner and permissions (it should be yours, mode 0600), or remove it and run \`sylk auth login <provider>\` again`,
      );
    }
    const env = this.parse(text);
    const key = await this.keyFor(Buffer.from(env.kdf.salt, 'base64'), env.kdf);
    let plain: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(env.nonce, 'base64'));
      decipher.setAAD(Buffer.from(aad(env)));
      decipher.setAuthTag(Buffer.from(env.tag, 'base64'));
      plain = Buffer.concat([decipher.update(Buffer.from(env.data, 'base64')), decipher.final()]).toString('utf8');
    } catch {
      throw this.problem(
        'credentials.file_undecryptable',
        `cannot decrypt ${this.opts.path}: it was written on another machine or by another user, or it was altered`,
        `run \`sylk auth login <provider>\` again for each provider you use: the unreadable file is then moved aside (${this.opts.path}.unreadable-<time>)`,
      );
    }
    return this.entries(plain);
  }

  /** Replace the file's contents (0600, atomic). */
  async write(entries: SecretMap): Promise<void> {
    mkdirSync(dirname(this.opts.path), { recursive: true, mode: 0o700 });
    const salt =
      this.derived !== undefined && this.derived.secret === secretOf(this.opts.identity())
        ? Buffer.from(this.derived.salt, 'base64')
        : randomBytes(16);
    const head = {
      format: 'sylk-credentials',
      version: 1,
      kdf: { name: 'scrypt', ...KDF, salt: salt.toString('base64') },
    } as const;
    const key = await this.keyFor(salt, KDF);
    const nonce = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, nonce);
    cipher.setAAD(Buffer.from(aad(head)));
    const data = Buffer.concat([cipher.update(JSON.stringify({ version: 1, entries }), 'utf8'), cipher.final()]);
    const env: Envelope = {
      ...head,
      nonce: nonce.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
    const tmp = `${this.opts.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(env)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.opts.path);
  }

  /** Move an unreadable file out of the way (kept, never deleted); returns where it went. */
  moveAside(): string {
    const to = `${this.opts.path}.unreadable-${new Date(this.opts.clock.now()).toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.opts.path, to);
    this.derived = undefined;
    return to;
  }

  private parse(text: string): Envelope {
    let v: unknown;
    try {
      v = JSON.parse(text);
    } catch {
      v = undefined;
    }
    const e = v as Partial<Envelope> | undefined;
    const ok =
      e !== undefined &&
      e !== null &&
      e.format === 'sylk-credentials' &&
      e.version === 1 &&
      e.kdf?.name === 'scrypt' &&
      [e.kdf.N, e.kdf.r, e.kdf.p].every((n) => Number.isInteger(n) && (n as number) > 0) &&
      (e.kdf.N as number) <= 1 << 20 &&
      [e.kdf.salt, e.nonce, e.tag, e.data].every((s) => typeof s === 'string');
    if (!ok) {
      throw this.problem(
        'credentials.file_corrupt',
        `${this.opts.path} is not a Sylk credentials file (corrupt or truncated)`,
        `run \`sylk auth login <provider>\` again for each provider you use: the corrupt file is then moved aside (${this.opts.path}.unreadable-<time>)`,
      );
    }
    return e as Envelope;
  }

  private entries(plain: string): SecretMap {
    const v = JSON.parse(plain) as { entries?: unknown };
    const out: SecretMap = {};
    if (typeof v.entries !== 'object' || v.entries === null) return out;
    for (const [name, s] of Object.entries(v.entries as Record<string, Partial<StoredSecret>>)) {
      if (typeof s?.key === 'string')
        out[name] = { key: s.key, storedAt: typeof s.storedAt === 'number' ? s.storedAt : 0 };
    }
    return out;
  }

  private async keyFor(salt: Buffer, kdf: { N: number; r: number; p: number }): Promise<Buffer> {
    const secret = secretOf(this.opts.identity());
    const saltText = salt.toString('base64');
    if (this.derived?.salt === saltText && this.derived.secret === secret) return this.derived.key;
    const key = await scrypt(secret, salt, { ...SCRYPT_OPTS, N: kdf.N, r: kdf.r, p: kdf.p });
    this.derived = { salt: saltText, secret, key };
    return key;
  }

  private problem(code: string, message: string, hint: string): SylkError {
    return new SylkError(message, { code, tier: ErrorTier.UserFixable, hint, details: { path: this.opts.path } });
  }
}

/** The header is authenticated too: changing the salt or parameters fails decryption. */
function aad(e: Pick<Envelope, 'format' | 'version' | 'kdf'>): string {
  return JSON.stringify([e.format, e.version, e.kdf.name, e.kdf.N, e.kdf.r, e.kdf.p, e.kdf.salt]);
}
