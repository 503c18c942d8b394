import { parseArgs } from 'node:util';
import { VERSION, isSylkError, errorMessage, type DaemonStartReport } from '@sylk/core';

// Each command imports only what it runs: the launcher that daemonizes (`sylkd`, what `sylk`
// starts), --version and install-service never load the daemon's modules.

/** Exit codes of sylkd (documented in docs/operations.md). */
export const EXIT = { ok: 0, failure: 1, usage: 2, alreadyRunning: 3 } as const;

const USAGE = `sylkd ${VERSION} — the Sylk daemon

Usage:
  sylkd [--foreground]          start the daemon (detached unless --foreground)
  sylkd install-service [--print] [--force]
                                write a systemd user unit (Linux) or launchd agent (macOS)
  sylkd --version | --help

The socket is $SYLK_SOCKET, else $XDG_RUNTIME_DIR/sylk/sylkd.sock, else under the state dir.
Logs go to {state}/logs/ (see \`sylk daemon logs\`).`;

function fail(err: unknown): never {
  const code = isSylkError(err) && err.code === 'daemon.already_running' ? EXIT.alreadyRunning : EXIT.failure;
  process.stderr.write(`sylkd: ${errorMessage(err)}\n`);
  if (isSylkError(err) && err.hint) process.stderr.write(`  hint: ${err.hint}\n`);
  if (process.send) {
    // Deliver the reason to a launching parent before exiting.
    const report: DaemonStartReport = {
      type: 'failed',
      message: errorMessage(err),
      hint: isSylkError(err) ? err.hint : undefined,
      code,
    };
    process.send(report, () => process.exit(code));
    setTimeout(() => process.exit(code), 1000).unref();
  } else {
    process.exit(code);
  }
  return undefined as never;
}

async function runForeground(): Promise<void> {
  // The databases' integrity checks begin first: their worker threads run while the daemon's code loads.
  const integrityChecks = (await import('./early-checks.js')).earlyIntegrityChecks(process.env);
  const [{ Daemon }, { writeStderr }] = await Promise.all([import('./daemon.js'), import('./logging.js')]);
  const daemon = new Daemon({
    env: process.env,
    foreground: true,
    prettyLogs: process.stdout.isTTY === true,
    integrityChecks,
  });
  // Signals are handled from the first moment; one that arrives during start-up
  // is acted on as soon as start-up has finished.
  let ready = false;
  let pendingStop: string | undefined;
  const stop = (signal: string) => {
    if (!ready) {
      pendingStop ??= signal;
      return;
    }
    void daemon.shutdown(`signal ${signal}`).then(
      () => process.exit(EXIT.ok),
      () => process.exit(EXIT.failure),
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGHUP', () => {
    if (ready) daemon.reloadConfig('SIGHUP');
  });
  try {
    await daemon.start();
  } catch (err) {
    fail(err);
  }
  ready = true;
  process.on('uncaughtException', (err) => {
    // stderr too: the log may be what failed (a full disk), and a crash must never be silent.
    writeStderr(`sylkd: uncaught exception; stopping: ${err.stack ?? errorMessage(err)}`);
    try {
      daemon.logger.fatal({ err }, 'uncaught exception; stopping');
    } catch {
      // Logging is guarded (logging.ts); this is the last line of defence for the exit below.
    }
    void daemon.shutdown('uncaught exception').finally(() => process.exit(EXIT.failure));
  });
  if (pendingStop !== undefined) return stop(pendingStop);
  // Tell a launching parent (sylkd without --foreground, or sylk) that we are serving.
  if (process.send) {
    const report: DaemonStartReport = { type: 'ready', pid: process.pid, socket: daemon.socketPath };
    process.send(report);
    process.disconnect();
  }
}

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        foreground: { type: 'boolean', default: false },
        version: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        print: { type: 'boolean', default: false },
        force: { type: 'boolean', default: false },
      },
    });
  } catch (err) {
    process.stderr.write(`sylkd: ${errorMessage(err)}\n\n${USAGE}\n`);
    process.exit(EXIT.usage);
  }
  const { values, positionals } = parsed;
  if (values.help) return void process.stdout.write(`${USAGE}\n`);
  if (values.version) return void process.stdout.write(`${VERSION}\n`);
  const [command, ...rest] = positionals;
  if (command === 'install-service' && rest.length === 0) {
    try {
      const { installService } = await import('./service-install.js');
      process.stdout.write(installService({ env: process.env, print: values.print, force: values.force }));
    } catch (err) {
      fail(err);
    }
    return;
  }
  if (command !== undefined) {
    process.stderr.write(`sylkd: unknown command '${command}'\n\n${USAGE}\n`);
    process.exit(EXIT.usage);
  }
  if (values.foreground) return runForeground();
  try {
    const { startDetached } = await import('./detach.js');
    const ready = await startDetached(process.env);
    process.stdout.write(`sylkd started (pid ${ready.pid}, socket ${ready.socket})\n`);
  } catch (err) {
    fail(err);
  }
}

await main(process.argv.slice(2));
