import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { sha256Hex } from './format.js';

const PRIVATE_KEY_FILE = 'audit-ed25519.key';
const PUBLIC_KEY_FILE = 'audit-ed25519.pub';

export interface AuditSigner {
  keyId: string;
  sign(text: string): string;
}

/** sha256 of the public key's SPKI DER, first 16 hex: names the key in each signature record. */
function keyIdOf(pub: KeyObject): string {
  return sha256Hex(pub.export({ type: 'spki', format: 'der' }).toString('base64')).slice(0, 16);
}

/**
 * The log's Ed25519 key pair under `keyDir` (0700): made on first use, private key 0600, public
 * key beside it (what verify reads). An existing key is reused, so signatures stay verifiable
 * across restarts.
 */
export function loadOrCreateSigner(keyDir: string): AuditSigner {
  mkdirSync(keyDir, { recursive: true, mode: 0o700 });
  chmodSync(keyDir, 0o700);
  const privPath = join(keyDir, PRIVATE_KEY_FILE);
  const pubPath = join(keyDir, PUBLIC_KEY_FILE);
  let priv: KeyObject;
  if (existsSync(privPath)) {
    priv = createPrivateKey(readFileSync(privPath));
  } else {
    const pair = generateKeyPairSync('ed25519');
    priv = pair.privateKey;
    // flag 'wx': never overwrite a key another process made in the meantime.
    writeFileSync(privPath, priv.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(privPath, 0o600);
  const pub = createPublicKey(priv);
  const pubPem = pub.export({ type: 'spki', format: 'pem' });
  if (!existsSync(pubPath) || readFileSync(pubPath, 'utf8') !== pubPem) writeFileSync(pubPath, pubPem, { mode: 0o644 });
  return { keyId: keyIdOf(pub), sign: (text) => sign(null, Buffer.from(text), priv).toString('base64') };
}

export interface AuditVerifier {
  keyId: string;
  /** On libuv's thread pool, so checking many signatures overlaps with hashing the entries. */
  verify(text: string, signatureBase64: string): Promise<boolean>;
}

/** The public key beside the private one, or undefined when there is none. */
export function loadVerifier(keyDir: string): AuditVerifier | undefined {
  const pubPath = join(keyDir, PUBLIC_KEY_FILE);
  if (!existsSync(pubPath)) return undefined;
  const pub = createPublicKey(readFileSync(pubPath));
  return {
    keyId: keyIdOf(pub),
    verify: (text, signature) => {
      // Node's base64 decoder ignores stray characters and unused bits: require the exact encoding.
      const bytes = Buffer.from(signature, 'base64');
      if (bytes.toString('base64') !== signature) return Promise.resolve(false);
      return new Promise((resolve) => {
        try {
          verify(null, Buffer.from(text), pub, bytes, (err, ok) => resolve(err === null && ok));
        } catch {
          resolve(false);
        }
      });
    },
  };
}
