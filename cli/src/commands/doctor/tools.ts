/** Programs agents' commands rely on: socat (the sandbox's network bridge) and git. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { result, type Check, type DoctorContext } from './types.js';

export function onPath(name: string, env: NodeJS.ProcessEnv): string | undefined {
  for (const dir of [...(env.PATH ?? '').split(delimiter), '/usr/bin', '/bin']) {
    if (!dir.startsWith('/')) continue;
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {
      // next
    }
  }
  return undefined;
}

/** "git version 2.39.5" → [2, 39, 5]. */
function parseGitVersion(text: string): [number, number, number] | undefined {
  const m = /git version (\d+)\.(\d+)(?:\.(\d+))?/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined;
}

/** The install command for a package on this platform. */
const installCommand = (ctx: Pick<DoctorContext, 'platform'>, pkg: string): string =>
  ctx.platform === 'darwin' ? `brew install ${pkg}` : `sudo apt-get install ${pkg}  (or your distribution's package)`;

export const socatCheck: Check = async (ctx) => {
  const path = onPath('socat', ctx.env);
  return path
    ? result('socat', 'ok', `${path}: sandboxed commands reach the network proxy`)
    : result('socat', 'warn', 'not installed: sandboxed commands get no network at all', installCommand(ctx, 'socat'));
};

export const gitCheck: Check = async (ctx) => {
  const git = onPath('git', ctx.env);
  if (git === undefined) return result('git', 'warn', 'not installed', installCommand(ctx, 'git'));
  const v = parseGitVersion((await ctx.exec(git, ['--version'], 5_000)).stdout);
  if (v === undefined) return result('git', 'warn', `cannot read the version of ${git}`, `${git} --version`);
  const ok = v[0] > 2 || (v[0] === 2 && v[1] >= 31);
  return ok
    ? result('git', 'ok', `${v.join('.')}: config hardening through GIT_CONFIG_* applies`)
    : result(
        'git',
        'warn',
        `${v.join('.')} ignores GIT_CONFIG_COUNT, so repository config could name programs git runs outside the sandbox`,
        `${installCommand(ctx, 'git')} (2.31 or newer)`,
      );
};
