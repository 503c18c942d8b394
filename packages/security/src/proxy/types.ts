import type { Logger } from '@sylk/core';

/** What the proxy asks before it opens a connection. CONNECT tunnels are `https`. */
export interface ProxyRequest {
  host: string;
  port: number;
  scheme: 'http' | 'https';
}

export type ProxyVerdict =
  | { allow: true; reason?: string; /** An approval was asked for. */ asked?: boolean }
  | { allow: false; reason: string; asked?: boolean };

/**
 * Decides one request; `signal` aborts when the client goes away. It may wait (an approval),
 * the connection waits with it. A throw counts as a denial.
 */
export type ProxyAuthorize = (request: ProxyRequest, signal: AbortSignal) => Promise<ProxyVerdict>;

/** Name → IP addresses (A and AAAA). */
export type HostResolver = (host: string) => Promise<string[]>;

export interface ProxyCounters {
  /** Requests let through (a tunnel or a forwarded request was started). */
  allowed: number;
  /** Refused by policy, port or address. */
  blocked: number;
  /** Requests whose decision went through an approval. */
  asked: number;
  /** Malformed or non-proxy requests (400/405/431/408). */
  malformed: number;
  /** Allowed, but the upstream could not be resolved or reached (502/504). */
  failed: number;
}

export type ProxyOutcomeKind = 'allowed' | 'blocked' | 'failed';

/** One decided request, for logs and the audit log (never headers or bodies). */
export interface ProxyOutcome extends ProxyRequest {
  outcome: ProxyOutcomeKind;
  reason?: string;
  asked: boolean;
  /** The address connected to (allowed) or refused. */
  address?: string;
}

export interface ProxyTimeouts {
  /** The whole request head must arrive within this (slowloris). Default 10 s. */
  headersMs: number;
  /** Resolving and connecting upstream. Default 10 s. */
  connectMs: number;
  /** A tunnel or forwarded exchange with no traffic either way is closed. Default 5 min. */
  idleMs: number;
}

export interface NetworkProxyOptions {
  authorize: ProxyAuthorize;
  /**
   * `security.network.host_overrides`: name → IP used instead of DNS. Such a name may use any
   * port and may resolve to a loopback or private address. Read for every request (hot reload).
   */
  hostOverrides?: () => Readonly<Record<string, string>>;
  /** Ports any allowed name may use. Default 80 and 443. */
  allowedPorts?: readonly number[];
  resolve?: HostResolver;
  timeouts?: Partial<ProxyTimeouts>;
  /** Simultaneous client connections. Default 256. */
  maxConnections?: number;
  /** Request head size limit. Default 16 KiB. */
  maxHeaderBytes?: number;
  onOutcome?: (outcome: ProxyOutcome) => void;
  logger?: Logger;
}
