/**
 * Which arguments and option values complete from the running daemon. Everything else
 * (subcommands, options, an option's or argument's choices) comes from the command tree itself.
 */
export type ValueKind =
  /** Open sessions: names (ids once a prefix is typed). */
  | 'session'
  /** Sessions including closed ones (`logs`, `rm`, `status`, filters). */
  | 'any-session'
  | 'approval'
  | 'config-key'
  | 'provider'
  | 'model'
  | 'process';

/**
 * Command path → the kind of each positional argument (a unit test checks them against the
 * registered commands).
 * @internal exported for tests
 */
export const ARGUMENT_KINDS: Readonly<Record<string, readonly ValueKind[]>> = {
  attach: ['session'],
  send: ['session'],
  pause: ['session'],
  resume: ['session'],
  close: ['session'],
  cancel: ['session'],
  rm: ['any-session'],
  logs: ['any-session'],
  status: ['any-session'],
  approvals: ['session'],
  undo: ['session'],
  rollback: ['session'],
  compact: ['session'],
  approve: ['approval'],
  deny: ['approval'],
  ps: ['session'],
  'ps logs': ['process'],
  'ps stop': ['process'],
  'config get': ['config-key'],
  'config set': ['config-key'],
  'config unset': ['config-key'],
  'providers reset-breaker': ['provider'],
  'auth login': ['provider'],
  'auth logout': ['provider'],
};

/**
 * Value options that mean the same on every command that has them.
 */
export const OPTION_KINDS: Readonly<Record<string, ValueKind>> = {
  '--provider': 'provider',
  '--model': 'model',
  '--session': 'any-session',
};

/** The kind of positional argument `index` (0-based) of the command at `path`, if it has one. */
export function argumentKind(path: readonly string[], index: number): ValueKind | undefined {
  return ARGUMENT_KINDS[path.join(' ')]?.[index];
}
