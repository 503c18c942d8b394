import type { DaemonConnection } from '../../connection.js';

export type CheckStatus = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  detail: string;
  /** The exact command or edit that fixes it; empty when nothing is to be done. */
  fix: string;
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Everything a check reads from the world, injected so each can be tested on its own. */
export interface DoctorContext {
  env: NodeJS.ProcessEnv;
  cwd: string;
  platform: NodeJS.Platform;
  /** Undefined when the daemon could not be reached. */
  conn: DaemonConnection | undefined;
  connectError: string;
  /** `--check-storage`: run a full integrity check now instead of reporting the last one. */
  checkStorage: boolean;
  /** `--offline`: no network (provider checks are skipped). */
  offline: boolean;
  /** `--profile` / SYLK_PROFILE; empty = the daemon's default profile. */
  profile: string;
  /** The Node running sylk (and the one the service and sylk's own daemon launches run). */
  node: { version: string; execPath: string };
  /** Where sylk is installed: its engines are read from the nearest package.json up from here. */
  cliDir: string;
  /** The sylkd entry point sylk starts; undefined when it cannot be found. */
  sylkd: string | undefined;
  /** Runs a program without a shell; never rejects (a missing program is code 127). */
  exec(file: string, args: readonly string[], timeoutMs?: number): Promise<ExecResult>;
}

/** One check; each is independent, and runChecks turns a throw into a failed result. */
export type Check = (ctx: DoctorContext) => Promise<CheckResult | CheckResult[]>;

export interface NamedCheck {
  /** The result's name when the check throws. */
  name: string;
  run: Check;
}

export const result = (name: string, status: CheckStatus, detail: string, fix = ''): CheckResult => ({
  name,
  status,
  detail,
  fix,
});
