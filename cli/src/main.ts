import { Command, CommanderError, Option } from 'commander';
import { VERSION } from '@sylk/core';
import { EXIT } from './exit-codes.js';
import { reportError, style } from './output.js';
import { createRuntime } from './runtime.js';
import { registerDaemonCommands } from './commands/daemon.js';
import { registerConfigCommands } from './commands/config.js';
import { registerStatusCommands } from './commands/status.js';
import { registerCompletionCommand } from './commands/completion.js';
import { registerUsageCommands } from './commands/usage.js';
import { registerSessionCommands } from './commands/sessions.js';
import { registerDemoCommand } from './commands/demo.js';

export function buildProgram(rt: ReturnType<typeof createRuntime>): Command {
  const program = new Command('sylk')
    .description('Sylk: run LLM coding agents across your projects, through the sylkd daemon')
    .version(VERSION, '-V, --version', 'print the sylk version')
    .addOption(new Option('--json', 'machine-readable output (stable shapes, see docs/cli.md)'))
    .addOption(new Option('--socket <path>', 'daemon socket (default: $SYLK_SOCKET or $XDG_RUNTIME_DIR/sylk/sylkd.sock)'))
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
  sylk status                 start the daemon if needed and show its health
  sylk daemon logs -f         follow the daemon's log
  sylk config get llm.timeout show one effective setting
  source <(sylk completion bash)

Exit codes: 0 ok, 1 failure, 2 usage, 3 daemon unavailable, 4 version mismatch, 130 interrupted.`,
  );
  registerSessionCommands(program, rt);
  registerDemoCommand(program, rt);
  registerStatusCommands(program, rt);
  registerDaemonCommands(program, rt);
  registerConfigCommands(program, rt);
  registerUsageCommands(program, rt);
  registerCompletionCommand(program);
  // Every subcommand inherits error handling and help-on-error.
  for (const cmd of program.commands) cmd.exitOverride().showHelpAfterError('(add --help for usage)');
  return program;
}

export async function run(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const interrupt = new AbortController();
  const onSigint = () => interrupt.abort();
  process.once('SIGINT', onSigint);
  const rt = createRuntime(env, process.cwd(), interrupt.signal);
  const program = buildProgram(rt);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return interrupt.signal.aborted ? EXIT.interrupted : rt.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are "errors" to commander; they already printed.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return EXIT.ok;
      return EXIT.usage;
    }
    const json = argv.includes('--json');
    return reportError(err, { json }, style(!json && process.stderr.isTTY === true && env.NO_COLOR === undefined && !argv.includes('--no-color')));
  } finally {
    process.off('SIGINT', onSigint);
  }
}
