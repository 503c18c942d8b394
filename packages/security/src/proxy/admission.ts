/**
 * Whether the proxy may open a connection, and to which address. The order matters: port and IP
 * literal first (nothing to ask the user about), then the policy (which may wait for an
 * approval), and only then DNS, so a refused name is never even looked up. The connection goes
 * to the address checked here, so a name cannot re-resolve (DNS rebinding) to a local service.
 */
import { isIP } from 'node:net';
import { Resolver } from 'node:dns/promises';
import { abortReason, errorMessage } from '@sylk/core';
import { addressProblem } from './addresses.js';
import type { ProxyTarget } from './target.js';
import type { HostResolver, ProxyAuthorize } from './types.js';

export type Admission =
  | { ok: true; address: string; asked: boolean }
  | {
      ok: false;
      status: 403 | 502 | 504;
      outcome: 'blocked' | 'failed';
      reason: string;
      message: string;
      asked: boolean;
      address?: string;
    };

export interface AdmissionPolicy {
  authorize: ProxyAuthorize;
  overrides: () => Readonly<Record<string, string>>;
  allowedPorts: ReadonlySet<number>;
  resolve: HostResolver;
  connectMs: number;
}

/**
 * DNS through c-ares (`dns.Resolver`), not getaddrinfo: a slow lookup must not occupy libuv's
 * small thread pool, which the daemon's file I/O shares. /etc/hosts is therefore not consulted;
 * `security.network.host_overrides` is the way to name an address. IPv4 first.
 */
const dns = new Resolver({ timeout: 3_000, tries: 2 });
export const systemResolver: HostResolver = async (host) => {
  const [v4, v6] = await Promise.allSettled([dns.resolve4(host), dns.resolve6(host)]);
  const addresses = [...(v4.status === 'fulfilled' ? v4.value : []), ...(v6.status === 'fulfilled' ? v6.value : [])];
  if (addresses.length > 0) return addresses;
  throw v4.status === 'rejected' ? v4.reason : new Error(`no address for ${host}`);
};

const HOW_TO_ALLOW = 'add it to security.network.allowed_domains in the Sylk config, or approve it when Sylk asks';
const LOCAL_HINT = 'local and private addresses are reachable only through a name in security.network.host_overrides';

function blocked(reason: string, message: string, asked = false, address?: string): Admission {
  return {
    ok: false,
    status: 403,
    outcome: 'blocked',
    reason,
    message: `Sylk's network proxy blocked ${message}`,
    asked,
    ...(address ? { address } : {}),
  };
}

function withDeadline<T>(work: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    const onAbort = () => reject(abortReason(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    });
  });
}

export async function admit(
  policy: AdmissionPolicy,
  target: ProxyTarget,
  scheme: 'http' | 'https',
  signal: AbortSignal,
): Promise<Admission> {
  const { host, port } = target;
  const override = policy.overrides()[host];
  if (override === undefined && !policy.allowedPorts.has(port)) {
    const ports = [...policy.allowedPorts].join(', ');
    return blocked(
      `port ${port} is not allowed`,
      `${host}:${port}: only ports ${ports} are allowed (a name in security.network.host_overrides may use any port).`,
    );
  }
  if (override === undefined && isIP(host) !== 0) {
    const problem = addressProblem(host);
    if (problem !== undefined)
      return blocked(`${host} is ${problem}`, `${host}: it is ${problem}; ${LOCAL_HINT}.`, false, host);
  }

  let asked = false;
  try {
    const verdict = await policy.authorize({ host, port, scheme }, signal);
    asked = verdict.asked === true;
    if (!verdict.allow)
      return blocked(verdict.reason, `${host}: ${verdict.reason}. To allow it, ${HOW_TO_ALLOW}.`, asked);
  } catch (err) {
    return blocked(
      `could not decide: ${errorMessage(err)}`,
      `${host}: the permission check failed (${errorMessage(err)}).`,
    );
  }

  if (override !== undefined) {
    if (isIP(override) === 0) {
      const reason = `host_overrides maps ${host} to "${override}", which is not an IP address`;
      return {
        ok: false,
        status: 502,
        outcome: 'failed',
        reason,
        message: `Sylk's network proxy: ${reason}; fix security.network.host_overrides.`,
        asked,
      };
    }
    return { ok: true, address: override, asked };
  }
  if (isIP(host) !== 0) return { ok: true, address: host, asked };

  let addresses: string[];
  try {
    addresses = await withDeadline(policy.resolve(host), policy.connectMs, signal);
  } catch (err) {
    const reason = `cannot resolve ${host}: ${errorMessage(err)}`;
    return { ok: false, status: 502, outcome: 'failed', reason, message: `Sylk's network proxy ${reason}.`, asked };
  }
  const address = addresses.find((a) => addressProblem(a) === undefined);
  if (address === undefined) {
    const first = addresses[0] ?? 'nothing';
    const problem = addresses.length === 0 ? 'no address' : (addressProblem(first) ?? 'unusable');
    return blocked(
      `${host} resolves to ${first} (${problem})`,
      `${host}: it resolves to ${first}, ${problem}; ${LOCAL_HINT}.`,
      asked,
      first,
    );
  }
  return { ok: true, address, asked };
}
