import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '@sylk/core';
import { EXIT } from './exit-codes.js';
import { reportError, style } from './output.js';
import { createRuntime, type Runtime } from './runtime.js';

type Register = (program: Command, rt: Runtime) => void;

/**
 * Command groups, each loaded only when one of its commands runs (or for help, which needs them
 * all). Start-up cost is mostly module initialisation, and the session, usage
 * and demo commands bring the larger part of the API's descriptors and the terminal UI.
 * Order = order in `sylk --help`.
 * @internal exported for tests
 */
export const COMMAND_GROUPS = {
  sessions: async (): Promise<Register> => (await import('./commands/sessions.js')).registerSessionCommands,
  undo: async (): Promise<Register> => (await import('./commands/undo.js')).registerUndoCommands,
  compact: async (): Promise<Register> => (await import('./commands/compact.js')).registerCompactCommand,
  demo: async (): Promise<Register> => (await import('./commands/demo.js')).registerDemoCommand,
  status: async (): Promise<Register> => (await import('./commands/status.js')).registerStatusCommands,
  daemon: async (): Promise<Register> => (await import('./commands/daemon.js')).registerDaemonCommands,
  config: async (): Promise<Register> => (await import('./commands/config.js')).registerConfigCommands,
  usage: async (): Promise<Register> => (await import('./commands/usage.js')).registerUsageCommands,
  auth: async (): Promise<Register> => (await import('./commands/auth.js')).registerAuthCommands,
  completion: async (): Promise<Register> => (await import('./commands/completion.js')).registerCompletionCommand,
  sandbox: async (): Promise<Register> => (await import('./commands/sandbox.js')).registerSandboxCommands,
  doctor: async (): Promise<Register> => (await import('./commands/doctor.js')).registerDoctorCommand,
  audit: async (): Promise<Register> => (await import('./commands/audit.js')).registerAuditCommands,
  backup: async (): Promise<Register> => (await import('./commands/backup.js')).registerBackupCommands,
  mcp: async (): Promise<Register> => (await import('./commands/mcp.js')).registerMcpCommands,
  ps: async (): Promise<Register> => (await import('./commands/ps.js')).registerPsCommands,
  top: async (): Promise<Register> => (await import('./commands/top.js')).registerTopCommand,
  metrics: async (): Promise<Register> => (await import('./commands/metrics.js')).registerMetricsCommand,
  web: async (): Promise<Register> => (await import('./commands/web.js')).registerWebCommand,
} as const;
export type CommandGroup = keyof typeof COMMAND_GROUPS;

/**
 * Top-level command → its group (a unit test checks it against what the groups register).
 * @internal exported for tests
 */
export const COMMAND_GROUP: Readonly<Record<string, CommandGroup>> = {
  run: 'sessions',
  new: 'sessions',
  ls: 'sessions',
  attach: 'sessions',
  send: 'sessions',
  pause: 'sessions',
  resume: 'sessions',
  close: 'sessions',
  cancel: 'sessions',
  rm: 'sessions',
  logs: 'sessions',
  approve: 'sessions',
  deny: 'sessions',
  approvals: 'sessions',
  permissions: 'sessions',
  demo: 'demo',
  status: 'status',
  version: 'status',
  daemon: 'daemon',
  config: 'config',
  usage: 'usage',
  providers: 'usage',
  auth: 'auth',
  sandbox: 'sandbox',
  doctor: 'doctor',
  audit: 'audit',
  backup: 'backup',
  restore: 'backup',
  undo: 'undo',
  rollback: 'undo',
  compact: 'compact',
  mcp: 'mcp',
  ps: 'ps',
  top: 'top',
  metrics: 'metrics',
  web: 'web',
  completion: 'completion',
};

/** Global options that take a value as the next argument. */
const VALUE_OPTIONS = new Set(['--socket', '--profile']);

/**
 * The groups argv needs: the named command's; none for a bare `--version` (it prints the CLI's
 * own version, so it should not pay for the daemon API); all of them otherwise (help, a typo).
 * @internal exported for tests
 */
export function groupsFor(argv: readonly string[]): CommandGroup[] {
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) {
      const group = COMMAND_GROUP[arg];
      return group === undefined ? allGroups() : [group];
    } else flags.add(arg);
  }
  const version = flags.has('-V') || flags.has('--version');
  return version && !flags.has('-h') && !flags.has('--help') ? [] : allGroups();
}

/**
 * Bare `sylk` in a terminal opens the prompt in this project, and `sylk -c` continues its latest
 * session: both are `sylk run`. Without a terminal bare `sylk` still prints help (scripts).
 * @internal exported for tests
 */
export function withDefaultCommand(argv: readonly string[], terminal: () => boolean): string[] {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') break;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return [...argv];
  }
  if (argv.some((a) => ['-h', '--help', '-V', '--version'].includes(a))) return [...argv];
  return (!argv.includes('--json') && terminal()) || argv.includes('-c') || argv.includes('--continue')
    ? ['run', ...argv]
    : [...argv];
}

const allGroups = (): CommandGroup[] => Object.keys(COMMAND_GROUPS) as CommandGroup[];

/** @internal exported for tests */
export async function buildProgram(rt: Runtime, groups: readonly CommandGroup[] = allGroups()): Promise<Command> {
  const program = new Command('sylk')
    .description('Sylk: run LLM coding agents across your projects, through the sylkd daemon')
    .version(VERSION, '-V, --version', 'print the sylk version')
    .addOption(new Option('--json', 'machine-readable output (stable shapes, see docs/cli.md)'))
    .addOption(
      new Option('--socket <path>', 'daemon socket (default: $SYLK_SOCKET or $XDG_RUNTIME_DIR/sylk/sylkd.sock)'),
    )
    .addOption(new Option('--no-color', 'no colours (also NO_COLOR)'))
    .addOption(new Option('-v, --verbose', 'say more about what happens'))
    .addOption(new Option('--profile <name>', 'credential profile to use (also SYLK_PROFILE)'))
    .addOption(new Option('--no-autostart', 'never start sylkd; fail when it is not running'))
    .showSuggestionAfterError(true)
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: false, showGlobalOptions: true })
    .exitOverride();
  program.addHelpText(
    'after',
    `
Examples:
  sylk                        open the prompt in this project (sylk -c: continue its latest session)
  sylk status                 start the daemon if needed and show its health
  sylk daemon logs -f         follow the daemon's log
  sylk config get llm.timeout show one effective setting
  source <(sylk completion bash)

Exit codes: 0 ok, 1 failure, 2 usage, 3 daemon unavailable, 4 version mismatch, 130 interrupted.`,
  );
  const registers = await Promise.all(groups.map((g) => COMMAND_GROUPS[g]()));
  for (const register of registers) register(program, rt);
  // Every subcommand inherits error handling and help-on-error.
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

/** The completion scripts' hidden command: only the typed command's group is loaded (see completion/run.ts). */
async function complete(args: string[], rt: Runtime): Promise<number> {
  const { runComplete } = await import('./completion/run.js');
  return runComplete<CommandGroup>(args, {
    env: rt.env,
    cwd: rt.cwd,
    now: Date.now,
    build: (groups) => buildProgram(rt, groups),
    groupOf: (command) => COMMAND_GROUP[command],
    commands: Object.keys(COMMAND_GROUP),
    write: (text) => process.stdout.write(text),
  });
}

export async function run(given: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  // Asked only without a command: creating process.stdin costs a few ms of every start.
  const argv = withDefaultCommand(given, () => process.stdin.isTTY === true && process.stdout.isTTY === true);
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const rt = createRuntime(env, process.cwd(), interrupt.signal);
  try {
    if (argv[0] === '__complete') return await complete(argv.slice(1), rt);
    const program = await buildProgram(rt, groupsFor(argv));
    await program.parseAsync(argv, { from: 'user' });
    return interrupt.signal.aborted ? EXIT.interrupted : rt.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; they already printed.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help')
        return EXIT.ok;
      return EXIT.usage;
    }
    const json = argv.includes('--json');
    return reportError(
      err,
      { json },
      style(!json && process.stderr.isTTY === true && env.NO_COLOR === undefined && !argv.includes('--no-color')),
    );
  } finally {
    process.off('SIGINT', onSigint);
  }
}
