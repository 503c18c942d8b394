import { existsSync, mkdirSync, openSync, closeSync, statSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { connectivityState, type Client } from '@grpc/grpc-js';
import { PROTOCOL_MAJOR, VERSION, compareVersions, errorMessage, isSylkError, startDetachedDaemon } from '@sylk/core';
import { resolveDirs, resolveSocketPath, type SylkDirs } from '@sylk/config/paths';
import { connect, createClient, unixTarget, type TypedClient } from '@sylk/proto/client';
import { DaemonService, type HelloResponse } from '@sylk/proto/daemon';
import { versionStamp, type PeerVersion } from '@sylk/proto/handshake';
import { CliError, EXIT } from './exit-codes.js';
import { packageBin } from './installed.js';
import type { GlobalOptions } from './output.js';

type Methods<S> = S extends { method: infer M } ? M : never;

/**
 * The CLI's view of a connected daemon: one channel, typed clients per service. Every call on
 * the channel carries the version handshake (@sylk/proto/handshake): a daemon of another
 * protocol refuses it with `version_mismatch` (exit 4), an older one gets a warning.
 */
export interface DaemonConnection {
  socket: string;
  /** Ask the daemon who it is (pid, version): one round trip, for the commands that show it. */
  hello(): Promise<HelloResponse>;
  daemon: TypedClient<Methods<typeof DaemonService>>;
  metadata: Record<string, string>;
  /** The shared channel, for typed clients of other services (`createClient(Service, channel)`). */
  channel: Client;
  close(): void;
}

export interface Locations {
  dirs: SylkDirs;
  socket: string;
}

export function locate(opts: Pick<GlobalOptions, 'socket'>, env: NodeJS.ProcessEnv): Locations {
  const dirs = resolveDirs(env);
  const socket = opts.socket ?? resolveSocketPath(env, dirs);
  return { dirs, socket };
}

function unavailable(socket: string, why: string): CliError {
  return new CliError(
    `cannot reach sylkd at ${socket}: ${why}`,
    EXIT.daemonUnavailable,
    'start it with `sylk daemon start` (or drop --no-autostart); `sylk daemon logs` shows why it stopped',
    'cli.daemon_unavailable',
  );
}

function warnIfOlder(daemon: PeerVersion): void {
  if (compareVersions(VERSION, daemon.version) > 0) {
    process.stderr.write(
      `sylk: warning: sylk ${VERSION} is newer than the running sylkd ${daemon.version}; run \`sylk daemon restart\` to upgrade it\n`,
    );
  }
}

/** Resolves once the channel is connected, or false as soon as connecting fails (no retry loop). */
function connected(channel: Client, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  const inner = channel.getChannel();
  return new Promise((resolve) => {
    const check = (): void => {
      const state = inner.getConnectivityState(true);
      if (state === connectivityState.READY) return resolve(true);
      if (state === connectivityState.TRANSIENT_FAILURE || state === connectivityState.SHUTDOWN) return resolve(false);
      inner.watchConnectivityState(state, deadline, (err) => (err ? resolve(false) : check()));
    };
    check();
  });
}

async function tryConnect(
  socket: string,
  profile: string | undefined,
  timeoutMs = 3_000,
): Promise<DaemonConnection | undefined> {
  if (!existsSync(socket)) return undefined;
  const channel = connect(unixTarget(socket), { interceptors: [versionStamp('sylk', warnIfOlder)] });
  if (!(await connected(channel, timeoutMs))) {
    channel.close();
    return undefined;
  }
  const metadata: Record<string, string> = profile ? { 'sylk-profile': profile } : {};
  const daemon = createClient(DaemonService, channel);
  return {
    socket,
    hello: () =>
      daemon.hello(
        { clientVersion: VERSION, protocolMajor: PROTOCOL_MAJOR, clientName: 'sylk' },
        { timeoutMs: 3_000, metadata },
      ),
    daemon,
    metadata,
    channel,
    close: () => channel.close(),
  };
}

/**
 * The daemon's program: SYLKD_BIN, else the `sylkd` of the @sylk/daemon package that module
 * resolution finds from the CLI (installed beside it, or the workspace's link in a clone).
 */
export function sylkdEntry(env: NodeJS.ProcessEnv): string {
  if (env.SYLKD_BIN) return env.SYLKD_BIN;
  const entry = packageBin('@sylk/daemon', 'sylkd');
  if (entry !== undefined && existsSync(entry)) return entry;
  throw new CliError(
    'cannot find sylkd: the @sylk/daemon package is not installed beside the CLI',
    EXIT.daemonUnavailable,
    'install Sylk again with its daemon (see "Install" in the README), set SYLKD_BIN to the path of sylkd, or in a clone run `npm run build`',
    'cli.sylkd_missing',
  );
}

/**
 * Start `sylkd --foreground` in the background and wait until it serves (the daemon's own
 * launcher would cost one more Node start). Another sylkd winning the race is fine.
 */
async function launchDaemon(entry: string, env: NodeJS.ProcessEnv, logsDir: string): Promise<void> {
  try {
    await startDetachedDaemon({ entry, env, logsDir });
  } catch (err) {
    if (isSylkError(err) && err.code === 'daemon.already_running') return;
    throw new CliError(
      `sylkd failed to start: ${errorMessage(err)}`,
      EXIT.daemonUnavailable,
      (isSylkError(err) ? err.hint : undefined) ?? 'see `sylk daemon logs` and `sylk config validate`',
      'cli.daemon_start_failed',
    );
  }
}

/**
 * Start the daemon unless it answers. Concurrent CLIs serialize on an autostart
 * lock so exactly one of them launches sylkd; the others wait for its socket.
 */
export async function startDaemon(loc: Locations, env: NodeJS.ProcessEnv): Promise<void> {
  const lock = join(loc.dirs.state, 'autostart.lock');
  const daemonEnv = { ...env, SYLK_SOCKET: loc.socket };
  mkdirSync(loc.dirs.state, { recursive: true, mode: 0o700 });
  let fd: number | undefined;
  try {
    fd = openSync(lock, 'wx', 0o600);
  } catch {
    // Someone else is starting it (or a crashed starter left the lock: expire it).
    try {
      if (Date.now() - statSync(lock).mtimeMs > 20_000) unlinkSync(lock);
    } catch {
      // gone already
    }
  }
  if (fd === undefined) {
    for (let waited = 0; waited < 15_000; waited += 100) {
      await new Promise((r) => setTimeout(r, 100));
      if (!existsSync(lock)) break;
    }
    return;
  }
  try {
    await launchDaemon(sylkdEntry(env), daemonEnv, loc.dirs.logs);
  } finally {
    closeSync(fd);
    try {
      unlinkSync(lock);
    } catch {
      // ignore
    }
  }
}

/** Connect to the daemon, starting it first when allowed and nothing answers. */
export async function connectDaemon(
  opts: GlobalOptions,
  env: NodeJS.ProcessEnv,
  autostart = opts.autostart,
): Promise<DaemonConnection> {
  const loc = locate(opts, env);
  const first = await tryConnect(loc.socket, opts.profile);
  if (first) return first;
  if (!autostart) throw unavailable(loc.socket, 'sylkd is not running');
  if (opts.verbose) process.stderr.write(`sylk: starting sylkd (socket ${loc.socket})\n`);
  await startDaemon(loc, env);
  const second = await tryConnect(loc.socket, opts.profile);
  if (second) return second;
  throw unavailable(loc.socket, 'sylkd was started but does not answer');
}

/** Connect without starting anything; undefined when no daemon answers within `timeoutMs`. */
export async function probeDaemon(
  opts: Pick<GlobalOptions, 'socket' | 'profile'>,
  env: NodeJS.ProcessEnv,
  timeoutMs?: number,
): Promise<DaemonConnection | undefined> {
  const loc = locate(opts, env);
  return tryConnect(loc.socket, opts.profile, timeoutMs);
}
