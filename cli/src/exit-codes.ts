/** Exit codes of `sylk` (documented in docs/cli.md). */
export const EXIT = {
  ok: 0,
  failure: 1,
  usage: 2,
  /** The daemon is not running / could not be reached or started. */
  daemonUnavailable: 3,
  /** Client and daemon speak different protocol versions. */
  versionMismatch: 4,
  interrupted: 130,
} as const;

/** An error that carries the exit code the CLI should end with. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly hint?: string,
    readonly code = 'cli.error',
  ) {
    super(message);
    this.name = 'CliError';
  }
}
