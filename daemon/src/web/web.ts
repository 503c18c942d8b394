/**
 * The web dashboard's lifecycle inside sylkd: `sylk web` (StartWeb) or `web.enabled` starts it,
 * `sylk web --stop` (StopWeb) and the daemon's shutdown stop it. The server (fastify and the
 * routes) is imported on the first start only, so a daemon nobody opens in a browser never
 * loads it.
 */
import { randomBytes } from 'node:crypto';
import type { Logger, SecretValues } from '@sylk/core';
import type { SessionHost } from '../sessions/host.js';
import type { UsageQuery, UsageReport } from '../llm/report.js';
import type { RunningWeb } from './server.js';

export interface WebDeps {
  sessions: SessionHost;
  usage: (q: UsageQuery) => UsageReport;
  /** The Prometheus text of sylkd's metrics registry (daemon/src/metrics), served at /metrics. */
  prometheus: () => string;
  /** What `sylk top` shows (DaemonService.Top), for the sessions page's daemon panel. */
  top: () => object;
  /** Each start's token is registered here, so it is redacted wherever a secret would be. */
  secrets: SecretValues;
  logger: Logger;
  /** A new unguessable token per start (default: 32 random bytes, base64url). */
  randomToken?: () => string;
}

export interface WebAddress {
  url: string;
  port: number;
  alreadyRunning: boolean;
}

export class DaemonWeb {
  private running: Promise<RunningWeb> | undefined;

  constructor(private readonly deps: WebDeps) {}

  /** Starts the server, or returns the running one's address (same port and token). */
  async start(): Promise<WebAddress> {
    const alreadyRunning = this.running !== undefined;
    this.running ??= this.listen();
    try {
      const web = await this.running;
      return { url: web.url, port: web.port, alreadyRunning };
    } catch (err) {
      this.running = undefined;
      throw err;
    }
  }

  /** False when it was not running. */
  async stop(): Promise<boolean> {
    const running = this.running;
    if (running === undefined) return false;
    this.running = undefined;
    const web = await running.catch(() => undefined);
    if (web === undefined) return false;
    await web.close();
    this.deps.secrets.remove(web.token);
    this.deps.logger.info({ port: web.port }, 'web dashboard stopped');
    return true;
  }

  private async listen(): Promise<RunningWeb> {
    const { startWebServer } = await import('./server.js');
    const token = (this.deps.randomToken ?? (() => randomBytes(32).toString('base64url')))();
    this.deps.secrets.add(token);
    try {
      const web = await startWebServer({ ...this.deps, token });
      this.deps.logger.info({ port: web.port }, 'web dashboard listening on 127.0.0.1');
      return web;
    } catch (err) {
      this.deps.secrets.remove(token);
      throw err;
    }
  }
}
