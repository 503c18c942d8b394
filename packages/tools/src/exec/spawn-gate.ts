import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';

/**
 * A command whose process group must be on record before it runs (so a daemon killed at any
 * moment leaves nothing unrecorded) starts as `/bin/sh` waiting on fd 3: the daemon writes the
 * record, then one line to fd 3, and the shell execs the command in place (same pid, same start
 * time, same group). If the daemon dies first, fd 3 reads end-of-file and the shell exits 125
 * without running anything.
 */
const GATE_SCRIPT = 'IFS= read -r go <&3 || exit 125; exec "$@" 3<&-';

/** The argv that runs `spawn` once released through fd 3. */
export function gatedSpawn(spawn: { file: string; args: readonly string[] }): { file: string; args: string[] } {
  return { file: '/bin/sh', args: ['-c', GATE_SCRIPT, 'sylk-gate', spawn.file, ...spawn.args] };
}

/**
 * Whether `file` would start (found and executable), looked up the way spawn does: a name with a
 * slash relative to `cwd`, otherwise on the child's PATH. A command that would not start is
 * spawned ungated, so its failure stays a plain spawn error ("command not found: x").
 */
export function canStart(file: string, cwd: string, path: string | undefined): boolean {
  if (file.includes('/')) return isExecutableFile(isAbsolute(file) ? file : resolve(cwd, file));
  for (const dir of (path ?? '').split(delimiter)) {
    if (dir !== '' && isExecutableFile(join(isAbsolute(dir) ? dir : resolve(cwd, dir), file))) return true;
  }
  return false;
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
