import { broadProjectRoot } from '@sylk/config';
import { ErrorTier, SylkError } from '@sylk/core';

/**
 * Error code of a session refused because its project root is `/` or the user's home.
 * @internal exported for tests
 */
export const HOME_ROOT_REFUSED = 'session.home_root_refused';

/**
 * Refuses a session rooted at `/` or the home directory unless the request says the user
 * confirmed it. The CLI asks first; this is the same rule for every other client of the API.
 */
export function refuseHomeRoot(projectRoot: string, homeDir: string, confirmed: boolean): void {
  const what = broadProjectRoot(projectRoot, homeDir);
  if (what === undefined || confirmed) return;
  throw new SylkError(
    `refusing to start a session in ${projectRoot} (${what}): the agent would see every file you own`,
    {
      code: HOME_ROOT_REFUSED,
      tier: ErrorTier.UserFixable,
      hint: 'start it in a project directory (sylk run -C <dir>), or confirm with sylk run --allow-home (API: CreateSessionRequest.allow_home_root)',
    },
  );
}
