import type { Command } from 'commander';
import { useColor, type GlobalOptions } from './output.js';

/** What every command gets: the environment, an interrupt signal and the global flags. */
export interface Runtime {
  env: NodeJS.ProcessEnv;
  cwd: string;
  signal: AbortSignal;
  exitCode: number;
  globals(cmd: Command): GlobalOptions;
  color(opts: GlobalOptions): boolean;
}

export function createRuntime(env: NodeJS.ProcessEnv, cwd: string, signal: AbortSignal): Runtime {
  return {
    env,
    cwd,
    signal,
    exitCode: 0,
    globals(cmd) {
      const o = cmd.optsWithGlobals<{
        json?: boolean;
        socket?: string;
        color?: boolean;
        verbose?: boolean;
        profile?: string;
        autostart?: boolean;
      }>();
      return {
        json: o.json === true,
        ...(o.socket !== undefined ? { socket: o.socket } : {}),
        color: o.color !== false,
        verbose: o.verbose === true,
        ...((o.profile ?? env.SYLK_PROFILE) ? { profile: o.profile ?? env.SYLK_PROFILE } : {}),
        autostart: o.autostart !== false && env.SYLK_NO_AUTOSTART !== '1',
      };
    },
    color(opts) {
      return !opts.json && useColor(opts, env, process.stdout.isTTY === true);
    },
  };
}
