import type { ConfigStore, SandboxConfig, SylkDirs } from '@sylk/config';
import { ErrorTier, SylkError, type Logger } from '@sylk/core';
import type { MessageInitShape } from '@bufbuild/protobuf';
import type { SandboxService, SandboxStatusResponseSchema, SandboxSummarySchema, ServiceImpl } from '@sylk/proto';
import {
  CachedProbe,
  CommandSandbox,
  PidsCgroups,
  SANDBOX_PROXY_PORT,
  SANDBOX_PROXY_SOCKET,
  systemProbeDeps,
  type SandboxNetwork,
  type SandboxPolicy,
  type SandboxReport,
} from '@sylk/security';

type Methods = typeof SandboxService extends { method: infer M } ? M : never;

/**
 * What the network proxy reports for `sylk sandbox status` (filled in by the proxy module:
 * daemon/src/sessions/network.ts sets DaemonSandbox.proxyStatus).
 */
export interface ProxyStatusSource {
  /** Whether the allowlist proxy runs for sessions. */
  enabled(): boolean;
  allowedDomains(): string[];
  counters(): { allowed: number; blocked: number; asked: number };
  /** The proxy socket sessions of this project get (host path), if any. */
  socketPath?(projectRoot: string): string | undefined;
}

function sandboxPolicy(config: SandboxConfig): SandboxPolicy {
  return {
    enabled: config.enabled,
    required: config.required,
    readOnlyPaths: config.read_only_paths,
    writablePaths: config.writable_paths,
    limits: {
      cpuSeconds: config.limits.cpu_seconds,
      memoryMb: config.limits.memory_mb,
      openFiles: config.limits.open_files,
      processes: config.limits.processes,
    },
  };
}

export interface DaemonSandboxOptions {
  config: ConfigStore;
  dirs: SylkDirs;
  env: Readonly<Record<string, string | undefined>>;
  homeDir: string;
  logger: Logger;
}

/** Per-daemon sandbox state: one probe (cached), the pids cgroups, and a sandbox per session. */
export class DaemonSandbox {
  readonly probe: CachedProbe;
  /** Set by the network proxy module; absent until it runs. */
  proxyStatus: ProxyStatusSource | undefined;
  private cgroups: PidsCgroups | undefined;

  constructor(private readonly options: DaemonSandboxOptions) {
    this.probe = new CachedProbe(systemProbeDeps(options.env));
  }

  /** Probe once at start (off the request path) and log what commands will get. */
  warm(): void {
    void this.probe.get().then(
      (probe) => {
        const policy = this.policy();
        if (!policy.enabled)
          this.options.logger.warn('the OS sandbox is disabled in config (security.sandbox.enabled: false)');
        else if (probe.available)
          this.options.logger.info(
            { backend: probe.backend, socat: probe.socatPath !== undefined },
            'OS sandbox available',
          );
        else
          this.options.logger.warn(
            { reason: probe.reason, fix: probe.fix, required: policy.required },
            'OS sandbox unavailable',
          );
      },
      (err: unknown) => this.options.logger.error({ err }, 'sandbox probe failed'),
    );
  }

  /** Daemon shutdown: remove the per-command cgroups kept for reuse. */
  close(): void {
    this.cgroups?.close();
  }

  policy(): SandboxPolicy {
    return sandboxPolicy(this.options.config.current().config.security.sandbox);
  }

  /** Sylk's own directories: never visible inside a sandbox (keys, audit, other sessions). */
  hiddenPaths(): string[] {
    const d = this.options.dirs;
    return [d.config, d.data, d.state, d.cache, d.runtime];
  }

  /** The sandbox for one session's commands (its executor's wrapper). */
  forSession(input: {
    writableRoots: string[];
    network?: () => SandboxNetwork;
    logger: Logger;
    onUnsandboxed?: (info: { reason: string; fix: string }) => void;
  }): CommandSandbox {
    // Per-command pids cgroups only bound root's commands (see PidsCgroups); others never pay for them.
    this.cgroups ??= process.getuid?.() === 0 ? PidsCgroups.detect() : new PidsCgroups(undefined);
    return new CommandSandbox({
      policy: () => this.policy(),
      probe: () => this.probe.get(),
      homeDir: this.options.homeDir,
      writableRoots: input.writableRoots,
      hiddenPaths: this.hiddenPaths(),
      cgroups: this.cgroups,
      logger: input.logger,
      ...(input.network ? { network: input.network } : {}),
      ...(input.onUnsandboxed ? { onUnsandboxed: input.onUnsandboxed } : {}),
    });
  }

  /** The report for a project (mounts as its commands would see them); no project: system view. */
  async report(projectRoot: string): Promise<SandboxReport> {
    const socket = this.proxyStatus?.socketPath?.(projectRoot);
    const network = socket === undefined ? undefined : () => ({ proxySocketPath: socket });
    const sandbox = this.forSession({
      writableRoots: projectRoot === '' ? [] : [projectRoot],
      logger: this.options.logger,
      ...(network ? { network } : {}),
    });
    return sandbox.report(projectRoot === '' ? undefined : projectRoot);
  }
}

/** What `sylk sandbox status` shows for a project ('' : the system view). */
async function sandboxStatus(
  sandbox: DaemonSandbox,
  projectRoot: string,
): Promise<MessageInitShape<typeof SandboxStatusResponseSchema>> {
  const report = await sandbox.report(projectRoot);
  const proxy = sandbox.proxyStatus;
  const counters = proxy?.counters() ?? { allowed: 0, blocked: 0, asked: 0 };
  let endpoint = report.proxyEndpoint || report.networkNote;
  let bridge = report.proxyBridge;
  // No session of this project is loaded, so no socket yet: say what its commands will get.
  if (bridge === '' && report.mode === 'enforced' && report.backend === 'bubblewrap' && proxy?.enabled() === true) {
    endpoint = report.socatAvailable
      ? `per session: the proxy's socket → ${SANDBOX_PROXY_SOCKET} → http://127.0.0.1:${SANDBOX_PROXY_PORT} (socat)`
      : 'no network: socat is not installed (apt-get install socat), so commands cannot reach the proxy';
    bridge = report.socatAvailable ? 'socat' : '';
  }
  return {
    mode: report.mode,
    backend: report.backend,
    available: report.available,
    reason: report.reason,
    fix: report.fix,
    required: report.required,
    mounts: report.mounts.map((m) => ({ mode: m.mode, path: m.path, note: m.note ?? '' })),
    limits: report.limits,
    proxyEnabled: proxy?.enabled() ?? false,
    proxyEndpoint: endpoint,
    allowedDomains: proxy?.allowedDomains() ?? [],
    proxyCounters: {
      allowed: BigInt(counters.allowed),
      blocked: BigInt(counters.blocked),
      asked: BigInt(counters.asked),
    },
    proxyBridge: bridge,
  };
}

/** The sandbox line of `sylk status` (DaemonService.Status carries it: one call, not two). */
export async function sandboxSummary(sandbox: DaemonSandbox): Promise<MessageInitShape<typeof SandboxSummarySchema>> {
  const s = await sandboxStatus(sandbox, '');
  return {
    mode: s.mode,
    backend: s.backend,
    reason: s.reason,
    fix: s.fix,
    networkViaProxy: (s.proxyBridge ?? '') !== '',
  };
}

export function sandboxServiceImpl(sandbox: DaemonSandbox): ServiceImpl<Methods> {
  return {
    async sandboxStatus(req) {
      if (req.projectRoot !== '' && !req.projectRoot.startsWith('/')) {
        throw new SylkError(`project_root must be absolute, got '${req.projectRoot}'`, {
          code: 'invalid_argument',
          tier: ErrorTier.UserFixable,
        });
      }
      return sandboxStatus(sandbox, req.projectRoot);
    },
  };
}
