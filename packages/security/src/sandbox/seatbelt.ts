import { PROJECT_PROTECTED, STARTUP_FILES } from './paths.js';

export interface SeatbeltInput {
  homeDir: string;
  writableRoots: readonly string[];
  readOnlyPaths: readonly string[];
  writablePaths: readonly string[];
  /** Never readable (credentials, Sylk's own dirs). */
  secrets: readonly string[];
  /** The proxy's localhost port on the host, when the network proxy runs. */
  proxyPort?: number;
}

const quote = (path: string) => `"${path.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;

/**
 * A macOS Seatbelt (sandbox-exec) profile with the Linux sandbox's intent: deny by default,
 * allow exec/fork, system paths readable, writable roots writable except protected paths,
 * secrets unreadable, no network except the proxy's localhost port. Seatbelt cannot replace
 * $HOME with an empty directory, so reads of $HOME are denied except configured paths.
 * Exercised on macOS only; on Linux only the text is tested.
 */
export function seatbeltProfile(input: SeatbeltInput): string {
  const writable = [...input.writableRoots, ...input.writablePaths];
  const lines = [
    '(version 1)',
    '(deny default)',
    '(allow process-exec)',
    '(allow process-fork)',
    '(allow signal (target same-sandbox))',
    '(allow sysctl-read)',
    '(allow mach-lookup)',
    '(allow ipc-posix-shm)',
    '(allow file-read-metadata)',
    '(allow file-read*',
    '  (subpath "/usr") (subpath "/bin") (subpath "/sbin") (subpath "/System") (subpath "/Library")',
    '  (subpath "/opt") (subpath "/private/etc") (subpath "/etc") (subpath "/dev") (subpath "/private/var/db/timezone")',
    '  (subpath "/Applications/Xcode.app") (literal "/"))',
    '(allow file-write* (literal "/dev/null") (literal "/dev/tty") (literal "/dev/zero"))',
    '(allow file-read* file-write* (subpath "/private/tmp") (subpath "/private/var/folders"))',
  ];
  const readable = [...input.readOnlyPaths, ...writable];
  if (readable.length > 0) lines.push(`(allow file-read* ${readable.map((p) => `(subpath ${quote(p)})`).join(' ')})`);
  if (writable.length > 0) lines.push(`(allow file-write* ${writable.map((p) => `(subpath ${quote(p)})`).join(' ')})`);
  const protectedPaths = writable.flatMap((root) =>
    [...PROJECT_PROTECTED, ...STARTUP_FILES].map((name) => `${root.replace(/\/$/, '')}/${name}`),
  );
  if (protectedPaths.length > 0)
    lines.push(`(deny file-write* ${protectedPaths.map((p) => `(subpath ${quote(p)})`).join(' ')})`);
  if (input.secrets.length > 0)
    lines.push(`(deny file-read* file-write* ${input.secrets.map((p) => `(subpath ${quote(p)})`).join(' ')})`);
  if (input.proxyPort !== undefined) lines.push(`(allow network-outbound (remote tcp "localhost:${input.proxyPort}"))`);
  // Everything else on the network stays denied by (deny default).
  return `${lines.join('\n')}\n`;
}
