import { ErrorTier, SylkError, tierForNodeCode } from '@sylk/core';

/** Operations the filesystem boundary knows about (also the audit `op`). */
export type FsOp = 'write' | 'delete' | 'rename' | 'mkdir';

export function nodeCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Wraps a Node fs error so it crosses the package boundary as a SylkError with a stable code. */
export function fsError(err: unknown, op: string, path: string): SylkError {
  if (err instanceof SylkError) return err;
  const code = nodeCode(err) ?? 'EUNKNOWN';
  return new SylkError(`${op} ${path} failed: ${code}`, {
    code: `tools.fs_${code.toLowerCase()}`,
    tier: tierForNodeCode(code) ?? ErrorTier.Permanent,
    cause: err,
    details: { op, path, errno: code },
  });
}

export function outsideRoots(details: {
  requested: string;
  resolved: string;
  boundary: string;
  via?: string;
}): SylkError {
  const via = details.via === undefined ? '' : ` (crossed at symlink "${details.via}")`;
  return new SylkError(
    `Path "${details.requested}" resolves to "${details.resolved}", outside the allowed roots; crosses ${details.boundary}${via}`,
    {
      code: 'tools.path_outside_roots',
      tier: ErrorTier.Permanent,
      hint: 'Only paths inside the project, staging, temp or configured extra roots can be written.',
      details: { ...details },
    },
  );
}
