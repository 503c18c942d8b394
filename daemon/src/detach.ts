import { fileURLToPath } from 'node:url';
import { startDetachedDaemon } from '@sylk/core';
import { resolveDirs } from '@sylk/config/paths';

/** `sylkd` without --foreground: this sylkd started in the background, its output in `{logs}/sylkd.out`. */
export function startDetached(env: NodeJS.ProcessEnv): Promise<{ pid: number; socket: string }> {
  const entry = fileURLToPath(new URL('./main.js', import.meta.url));
  return startDetachedDaemon({ entry, env, logsDir: resolveDirs(env).logs });
}
