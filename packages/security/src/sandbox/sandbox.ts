import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { delimiter, normalize } from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Logger } from '@sylk/core';
import { bridgePrefix, buildBwrapPlan, limitPrefix, proxyEnv, type FsView } from './bwrap.js';
import type { PidsCgroups } from './cgroup.js';
import { expandHome, isWithin, secretPaths } from './paths.js';
import { seatbeltProfile } from './seatbelt.js';
import type { MountEntry, SandboxBackend, SandboxNetwork, SandboxPolicy, SandboxProbe } from './types.js';

/** The command the executor planned (structurally @sylk/tools' CommandWrapInput). */
export interface SandboxCommand {
  file: string;
  args: readonly string[];
  cwd: string;
  env: Readonly<Record<string, string>>;
  background: boolean;
}

export interface SandboxedCommand {
  file: string;
  args: string[];
  env: Record<string, string>;
  release?: () => void;
}

/** enforced: every command contained; unsandboxed: unavailable, commands run with a notice; refusing: unavailable and required; disabled: off in config. */
export type SandboxMode = 'enforced' | 'unsandboxed' | 'refusing' | 'disabled';

export interface SandboxReport {
  mode: SandboxMode;
  backend: SandboxBackend;
  available: boolean;
  reason: string;
  fix: string;
  required: boolean;
  mounts: MountEntry[];
  limits: Record<string, string>;
  /** "socat" when sandboxed commands reach the proxy through the bridge; "" when they have no network. */
  proxyBridge: string;
  proxyEndpoint: string;
  /** Why sandboxed commands have no network, when they have none. */
  networkNote: string;
  /** socat was found (the bridge to the proxy can run). */
  socatAvailable: boolean;
  warnings: string[];
}

export interface CommandSandboxOptions {
  /** Read per command, so a config reload applies to the next command. */
  policy: () => SandboxPolicy;
  /** Cached probe (see CachedProbe). */
  probe: () => Promise<SandboxProbe>;
  homeDir: string;
  /** Project, staging, session temp: writable inside the sandbox. */
  writableRoots: readonly string[];
  /** Sylk's own config/data/state dirs and anything else never mounted. */
  hiddenPaths: readonly string[];
  /** The session's network proxy socket, when the proxy runs (read per command). */
  network?: () => SandboxNetwork;
  cgroups?: PidsCgroups;
  fs?: FsView;
  logger?: Logger;
  /** Called once, the first time a command runs unsandboxed, with the reason and the fix. */
  onUnsandboxed?: (info: { reason: string; fix: string }) => void;
}

const hostFs: FsView = {
  kind(path) {
    try {
      const st = lstatSync(path);
      if (st.isSymbolicLink()) return 'symlink';
      if (st.isDirectory()) return 'dir';
      if (st.isSocket()) return 'socket';
      return 'file';
    } catch {
      return 'missing';
    }
  },
  readlink: (path) => readlinkSync(path),
  realpath: (path) => {
    try {
      return realpathSync(path);
    } catch {
      return path;
    }
  },
};

function sandboxUnavailableError(probe: SandboxProbe): SylkError {
  return new SylkError(
    `the command was not run: the OS sandbox is required (security.sandbox.required) but unavailable: ${probe.reason}`,
    {
      code: 'sandbox.unavailable',
      tier: ErrorTier.UserFixable,
      hint: `${probe.fix}; or set security.sandbox.required: false to run commands unsandboxed`,
      details: { backend: probe.backend },
    },
  );
}

/**
 * Wraps every command an agent runs in the OS sandbox (bubblewrap on Linux, Seatbelt on macOS),
 * implementing @sylk/tools' CommandWrapper structurally.
 */
export class CommandSandbox {
  private readonly fs: FsView;
  private readonly logger: Logger;
  private noticed = false;
  private readonly warned = new Set<string>();

  constructor(private readonly options: CommandSandboxOptions) {
    this.fs = options.fs ?? hostFs;
    this.logger = options.logger ?? silentLogger();
  }

  async mode(): Promise<{ mode: SandboxMode; probe: SandboxProbe }> {
    const policy = this.options.policy();
    const probe = await this.options.probe();
    if (!policy.enabled) return { mode: 'disabled', probe };
    if (probe.available) return { mode: 'enforced', probe };
    return { mode: policy.required ? 'refusing' : 'unsandboxed', probe };
  }

  async wrap(command: SandboxCommand): Promise<SandboxedCommand> {
    const policy = this.options.policy();
    const plain = { file: command.file, args: [...command.args], env: { ...command.env } };
    if (!policy.enabled) return plain;
    const probe = await this.options.probe();
    if (!probe.available) {
      if (policy.required) throw sandboxUnavailableError(probe);
      if (!this.noticed) {
        this.noticed = true;
        this.logger.warn({ reason: probe.reason }, 'commands run unsandboxed');
        this.options.onUnsandboxed?.({ reason: probe.reason, fix: probe.fix });
      }
      return plain;
    }
    return probe.backend === 'seatbelt' ? this.seatbelt(command, policy) : this.bubblewrap(command, policy, probe);
  }

  /** What the sandbox does for commands of this session (SandboxService.SandboxStatus). */
  async report(cwd?: string): Promise<SandboxReport> {
    const policy = this.options.policy();
    const { mode, probe } = await this.mode();
    const limits = {
      cpu_seconds: String(policy.limits.cpuSeconds),
      memory_mb: String(policy.limits.memoryMb),
      open_files: String(policy.limits.openFiles),
      processes: String(policy.limits.processes),
    };
    const base = {
      mode,
      backend: probe.available ? probe.backend : ('none' as const),
      available: probe.available,
      reason: probe.reason,
      fix: probe.fix,
      required: policy.required,
      limits,
      socatAvailable: probe.socatPath !== undefined,
    };
    if (mode !== 'enforced' || probe.backend !== 'bubblewrap') {
      return {
        ...base,
        mounts: [],
        proxyBridge: '',
        proxyEndpoint: '',
        networkNote: mode === 'enforced' ? 'Seatbelt: no network' : 'not sandboxed: commands use the host network',
        warnings: [],
      };
    }
    const plan = this.plan(cwd ?? this.options.writableRoots[0] ?? '/', policy, probe, process.env.PATH ?? '');
    const net = this.network(probe);
    return {
      ...base,
      mounts: plan.mounts,
      proxyBridge: net.bridge ? 'socat' : '',
      proxyEndpoint: net.endpoint,
      networkNote: net.note,
      warnings: plan.warnings,
    };
  }

  private network(probe: SandboxProbe): { bridge: boolean; socket?: string; endpoint: string; note: string } {
    const socket = this.options.network?.().proxySocketPath;
    if (socket === undefined)
      return { bridge: false, endpoint: '', note: 'no network: the network proxy is not running for this session' };
    if (probe.socatPath === undefined)
      return {
        bridge: false,
        socket,
        endpoint: socket,
        note: 'no network: socat is not installed (apt-get install socat), so commands cannot reach the proxy',
      };
    return { bridge: true, socket, endpoint: `${socket} → http://127.0.0.1:3128 (socat)`, note: '' };
  }

  private plan(cwd: string, policy: SandboxPolicy, probe: SandboxProbe, pathValue: string, socket?: string) {
    const home = this.options.homeDir;
    const plan = buildBwrapPlan({
      homeDir: home,
      cwd,
      writableRoots: this.options.writableRoots,
      readOnlyPaths: policy.readOnlyPaths.map((p) => normalize(expandHome(p, home))),
      writablePaths: policy.writablePaths.map((p) => normalize(expandHome(p, home))),
      pathEntries: pathValue.split(delimiter).filter((p) => p.startsWith('/')),
      secrets: secretPaths(home, this.options.hiddenPaths),
      runningAsRoot: probe.runningAsRoot,
      fs: this.fs,
      ...(socket !== undefined ? { proxySocketPath: socket } : {}),
    });
    for (const warning of plan.warnings) {
      if (this.warned.has(warning)) continue;
      this.warned.add(warning);
      this.logger.warn({ warning }, 'sandbox configuration refused');
    }
    return plan;
  }

  private bubblewrap(command: SandboxCommand, policy: SandboxPolicy, probe: SandboxProbe): SandboxedCommand {
    const net = this.network(probe);
    const plan = this.plan(command.cwd, policy, probe, command.env.PATH ?? '', net.bridge ? net.socket : undefined);
    const env = this.env(command.env, net.bridge);
    const inner = [
      ...(net.bridge ? bridgePrefix(probe.socatPath as string) : []),
      ...limitPrefix(policy.limits, probe.prlimitPath),
      command.file,
      ...command.args,
    ];
    const bwrap = [probe.bwrapPath as string, ...plan.args, '--', ...inner];
    // Only root needs the cgroup (RLIMIT_NPROC binds everyone else, per sandbox); joining one costs
    // an RCU grace period on every command.
    const cgroup = probe.runningAsRoot ? this.options.cgroups?.create(policy.limits.processes) : undefined;
    if (cgroup === undefined) return { file: bwrap[0] as string, args: bwrap.slice(1), env };
    // Join the cgroup, then become bwrap: everything inside inherits the pids limit.
    return {
      file: '/bin/sh',
      args: ['-c', 'echo $$ > "$0" && exec "$@"', cgroup.procsFile, ...bwrap],
      env,
      release: cgroup.release,
    };
  }

  private seatbelt(command: SandboxCommand, policy: SandboxPolicy): SandboxedCommand {
    const home = this.options.homeDir;
    const profile = seatbeltProfile({
      homeDir: home,
      writableRoots: this.options.writableRoots,
      readOnlyPaths: policy.readOnlyPaths.map((p) => expandHome(p, home)),
      writablePaths: policy.writablePaths.map((p) => expandHome(p, home)),
      secrets: secretPaths(home, this.options.hiddenPaths),
    });
    const inner = [...limitPrefix(policy.limits, undefined), command.file, ...command.args];
    return { file: '/usr/bin/sandbox-exec', args: ['-p', profile, ...inner], env: this.env(command.env, false) };
  }

  private env(base: Readonly<Record<string, string>>, bridged: boolean): Record<string, string> {
    const env: Record<string, string> = { ...base };
    for (const name of [
      'HTTP_PROXY',
      'HTTPS_PROXY',
      'http_proxy',
      'https_proxy',
      'ALL_PROXY',
      'all_proxy',
      'NO_PROXY',
      'no_proxy',
    ])
      delete env[name];
    if (bridged) Object.assign(env, proxyEnv());
    // The host's TMPDIR may not exist inside; /tmp is private to the sandbox.
    const tmp = env.TMPDIR;
    if (tmp !== undefined && !this.options.writableRoots.some((root) => isWithin(tmp, root))) env.TMPDIR = '/tmp';
    return env;
  }
}
