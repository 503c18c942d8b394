import { fstatSync } from 'node:fs';

/** The identity of a file descriptor, as systemd writes it into JOURNAL_STREAM. */
export interface FdIdentity {
  dev: number | bigint;
  ino: number | bigint;
}

function stdoutIdentity(): FdIdentity | undefined {
  try {
    return fstatSync(1);
  } catch {
    return undefined;
  }
}

/**
 * Whether sylkd's stdout is the journal: systemd sets JOURNAL_STREAM to `<dev>:<ino>` of the
 * stream it connected (StandardOutput=journal). Comparing it with stdout is the check systemd
 * documents: the variable is inherited by everything a service starts (a terminal emulator run as
 * a user service passes it to every shell), and a detached sylkd's stdout is its sylkd.out file.
 * INVOCATION_ID alone says "a systemd unit" but not where stdout goes, so it is not enough.
 */
export function stdoutIsJournal(
  env: Readonly<Record<string, string | undefined>>,
  stdout: FdIdentity | undefined = stdoutIdentity(),
): boolean {
  const m = /^(\d+):(\d+)$/.exec(env.JOURNAL_STREAM ?? '');
  if (m === null || stdout === undefined) return false;
  return BigInt(m[1] as string) === BigInt(stdout.dev) && BigInt(m[2] as string) === BigInt(stdout.ino);
}
