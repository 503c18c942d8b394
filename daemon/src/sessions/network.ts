/**
 * One network allowlist proxy per loaded session. Sandboxed commands reach it through
 * the sandbox's socat bridge; every connection is decided by the session's permission manager
 * (package registries, project domain rules, session grants), then `security.network.allowed_domains`,
 * and otherwise by an approval through the session's usual flow ("connect to <domain>").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage, type Logger } from '@sylk/core';
import type { NetworkConfig } from '@sylk/config';
import {
  NetworkProxy,
  SAFE_DOMAINS,
  domainAllowed,
  nullAuditSink,
  socketPathFits,
  type AuditSink,
  type HostResolver,
  type PermissionManager,
  type ProxyCounters,
  type ProxyOutcome,
  type ProxyRequest,
  type ProxyTimeouts,
  type ProxyVerdict,
} from '@sylk/security';
import { decidePermission, type ApprovalBridge } from './permissions.js';

export interface SessionNetworksOptions {
  /** Sylk's runtime directory; sockets go to `{runtime}/proxy/<session>.sock`. */
  runtimeDir: string;
  /** A short directory (the system temp dir) for sockets when the runtime dir makes the path too long. */
  fallbackDir: string;
  /** Read for every request, so allowed_domains and host_overrides reload without a restart. */
  config: () => NetworkConfig;
  logger: Logger;
  audit?: AuditSink;
  resolve?: HostResolver;
  timeouts?: Partial<ProxyTimeouts>;
}

/** How the proxy of one session decides: that session's permission manager and approvals. */
export interface SessionNetworkAccess {
  sessionId: string;
  projectRoot: string;
  permissions: () => PermissionManager;
  /** Undefined until the session's runtime exists (no one to ask yet: ask-verdicts are refused). */
  bridge: () => ApprovalBridge | undefined;
  /** The session's audit sink (records carry its ids); else the daemon-wide one. */
  audit?: AuditSink;
}

export type NetworkCounters = Pick<ProxyCounters, 'allowed' | 'blocked' | 'asked'>;

/** What `sylk sandbox status` shows about the proxy. */
export interface ProxyStatus {
  /** `security.network.proxy`. */
  enabled: boolean;
  /** The session's socket, or a summary of every session's when no session was named. */
  endpoint: string;
  /** Reachable without asking: the built-in registries plus `security.network.allowed_domains`. */
  allowedDomains: string[];
  /** The named session's, or every proxy's since the daemon started (closed sessions included). */
  counters: NetworkCounters;
  sessions: Array<{ sessionId: string; socketPath: string; counters: ProxyCounters }>;
}

interface Asking {
  /** Aborts approvals still waiting when the session's proxy closes. */
  closing: AbortController;
  /** One approval per domain at a time: parallel connections to a new domain wait for the same answer. */
  byDomain: Map<string, Promise<ProxyVerdict>>;
}

interface Running {
  proxy: NetworkProxy;
  socketPath: string;
  projectRoot: string;
  asking: Asking;
}

/**
 * Distinct domains a session's proxy may have waiting for an answer at once.
 * @internal exported for tests
 */
export const MAX_PENDING_QUESTIONS = 4;

function sentence(text: string): string {
  return text.replace(/[.\s]+$/, '');
}

function raced<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** Implements the sandbox service's ProxyStatusSource (daemon/src/services/sandbox-service.ts) structurally. */
export class SessionNetworks {
  readonly #running = new Map<string, Running>();
  readonly #closedTotals: NetworkCounters = { allowed: 0, blocked: 0, asked: 0 };
  #fallback: string | undefined;

  constructor(private readonly opts: SessionNetworksOptions) {}

  /** `security.network.proxy`. */
  enabled(): boolean {
    return this.opts.config().proxy;
  }

  /** Reachable without asking: the built-in registries plus `security.network.allowed_domains`. */
  allowedDomains(): string[] {
    return [...SAFE_DOMAINS, ...this.opts.config().allowed_domains];
  }

  /** One session's counters, or every proxy's since the daemon started (closed sessions included). */
  counters(sessionId?: string): NetworkCounters {
    return this.status(sessionId).counters;
  }

  /**
   * Start the session's proxy (idempotent). Undefined when `security.network.proxy` is off or the
   * proxy cannot start: sandboxed commands then have no network at all.
   */
  async open(access: SessionNetworkAccess): Promise<string | undefined> {
    const existing = this.#running.get(access.sessionId);
    if (existing !== undefined) return existing.socketPath;
    if (!this.enabled()) return undefined;
    const socketPath = this.#socketPathFor(access.sessionId);
    const asking: Asking = { closing: new AbortController(), byDomain: new Map() };
    const proxy = new NetworkProxy({
      authorize: (req, signal) => this.#authorize(access, asking, req, signal),
      hostOverrides: () => this.opts.config().host_overrides,
      onOutcome: (o) => this.#audit(access, o),
      logger: this.opts.logger.child({ session: access.sessionId, component: 'proxy' }),
      ...(this.opts.resolve ? { resolve: this.opts.resolve } : {}),
      ...(this.opts.timeouts ? { timeouts: this.opts.timeouts } : {}),
    });
    try {
      await proxy.listen(socketPath);
    } catch (err) {
      this.opts.logger.error(
        { err: errorMessage(err), session: access.sessionId, socketPath },
        'the network proxy could not start: sandboxed commands get no network',
      );
      return undefined;
    }
    this.#running.set(access.sessionId, { proxy, socketPath, projectRoot: access.projectRoot, asking });
    return socketPath;
  }

  /** The socket of a running session proxy (what the sandbox binds per command); none while the proxy is off. */
  socketFor(sessionId: string): string | undefined {
    return this.enabled() ? this.#running.get(sessionId)?.socketPath : undefined;
  }

  /** The socket of a loaded session of this project, for the sandbox report. */
  socketPath(projectRoot: string): string | undefined {
    if (!this.enabled()) return undefined;
    return [...this.#running.values()].find((r) => r.projectRoot === projectRoot)?.socketPath;
  }

  async close(sessionId: string): Promise<void> {
    const running = this.#running.get(sessionId);
    if (running === undefined) return;
    this.#running.delete(sessionId);
    running.asking.closing.abort(new Error('the session closed'));
    await running.proxy.close();
    // After closing: requests cut short by it are counted too.
    const c = running.proxy.counters();
    this.#closedTotals.allowed += c.allowed;
    this.#closedTotals.blocked += c.blocked;
    this.#closedTotals.asked += c.asked;
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.#running.keys()].map((id) => this.close(id)));
    if (this.#fallback !== undefined) rmSync(this.#fallback, { recursive: true, force: true });
    this.#fallback = undefined;
  }

  status(sessionId?: string): ProxyStatus {
    const cfg = this.opts.config();
    const sessions = [...this.#running.entries()]
      .filter(([id]) => sessionId === undefined || id === sessionId)
      .map(([id, r]) => ({ sessionId: id, socketPath: r.socketPath, counters: r.proxy.counters() }));
    const counters: NetworkCounters =
      sessionId === undefined ? { ...this.#closedTotals } : { allowed: 0, blocked: 0, asked: 0 };
    for (const s of sessions) {
      counters.allowed += s.counters.allowed;
      counters.blocked += s.counters.blocked;
      counters.asked += s.counters.asked;
    }
    const endpoint =
      sessions.length === 1
        ? (sessions[0]?.socketPath ?? '')
        : sessions.length === 0
          ? ''
          : `${sessions.length} session proxies (one Unix socket each, under ${this.#socketDir()})`;
    return { enabled: cfg.proxy, endpoint, allowedDomains: this.allowedDomains(), counters, sessions };
  }

  #socketDir(): string {
    return this.#fallback ?? join(this.opts.runtimeDir, 'proxy');
  }

  #socketPathFor(sessionId: string): string {
    const preferred = join(this.opts.runtimeDir, 'proxy', `${sessionId}.sock`);
    if (socketPathFits(preferred)) return preferred;
    this.#fallback ??= mkdtempSync(join(this.opts.fallbackDir, 'sylk-px-'));
    return join(this.#fallback, `${sessionId}.sock`);
  }

  async #authorize(
    access: SessionNetworkAccess,
    asking: Asking,
    req: ProxyRequest,
    signal: AbortSignal,
  ): Promise<ProxyVerdict> {
    const domain = req.host;
    const pm = access.permissions();
    const decision = pm.check({ kind: 'network', domain });
    if (decision.verdict === 'deny') return { allow: false, reason: sentence(decision.reason) };
    if (decision.verdict === 'allow') return { allow: true, reason: decision.reason };
    if (domainAllowed(domain, this.opts.config().allowed_domains))
      return { allow: true, reason: 'listed in security.network.allowed_domains' };
    const bridge = access.bridge();
    if (bridge === undefined)
      return { allow: false, reason: `${domain} needs approval and the session is not running` };
    let shared = asking.byDomain.get(domain);
    if (shared === undefined && asking.byDomain.size >= MAX_PENDING_QUESTIONS) {
      // A command trying domain after domain must not flood the user with questions.
      return {
        allow: false,
        reason: `${domain} needs approval and ${MAX_PENDING_QUESTIONS} network questions are already waiting for an answer`,
      };
    }
    if (shared === undefined) {
      // Not tied to this client: others may wait for the same answer, and the question stays
      // with the user until answered, expired or the session's proxy closes.
      shared = decidePermission(pm, bridge, { action: 'network', target: domain }, asking.closing.signal)
        .then((o): ProxyVerdict =>
          o.allowed ? { allow: true, asked: true } : { allow: false, asked: true, reason: sentence(o.message) },
        )
        .finally(() => asking.byDomain.delete(domain));
      asking.byDomain.set(domain, shared);
    }
    return raced(shared, signal);
  }

  #audit(access: SessionNetworkAccess, o: ProxyOutcome): void {
    const outcome = o.outcome === 'allowed' ? 'allow' : o.outcome === 'blocked' ? 'blocked' : 'error';
    (access.audit ?? this.opts.audit ?? nullAuditSink).record({
      category: 'network',
      action: 'connect',
      target: `${o.host}:${o.port}`,
      outcome,
      severity: o.outcome === 'blocked' ? 'warning' : 'info',
      sessionId: access.sessionId,
      details: {
        scheme: o.scheme,
        asked: o.asked,
        ...(o.reason ? { reason: o.reason } : {}),
        ...(o.address ? { address: o.address } : {}),
      },
    });
  }
}
