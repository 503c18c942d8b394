/** What Sylk remembers about each stored key, never the key: where it is, when stored and verified. */
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Logger } from '@sylk/core';

export interface CredentialMeta {
  storedIn: 'keychain' | 'file';
  storedAt: number;
  /** Unix ms of the last successful verification call; 0 = stored with --skip-verify. */
  verifiedAt: number;
}

export class CredentialMetaFile {
  constructor(
    readonly path: string,
    private readonly logger: Logger,
  ) {}

  /** `<profile>/<provider>` → metadata; an unreadable file counts as empty (it holds no secret). */
  read(): Record<string, CredentialMeta> {
    try {
      const v = JSON.parse(readFileSync(this.path, 'utf8')) as { entries?: Record<string, CredentialMeta> };
      return typeof v.entries === 'object' && v.entries !== null ? v.entries : {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.logger.warn(
          { path: this.path, err: (err as Error).message },
          'credential metadata unreadable; treated as empty',
        );
      return {};
    }
  }

  update(account: string, meta: CredentialMeta | undefined): void {
    const entries = this.read();
    if (meta === undefined) delete entries[account];
    else entries[account] = meta;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const tmp = `${this.path}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify({ version: 1, entries }, null, 2)}\n`, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.path);
  }
}
