import type { DaemonConnection } from '../connection.js';
import type { CompletionCache } from './cache.js';
import type { DaemonData, ProcessEntry, ProviderEntry, SessionEntry, ApprovalEntry } from './words.js';

/** Connecting to a local socket takes a millisecond; a daemon that does not answer at once is not waited for. */
const CONNECT_TIMEOUT_MS = 500;
const CALL_TIMEOUT_MS = 1_000;
/** Long enough for repeated Tab presses, short enough that a new session shows up at once. */
const ANSWER_TTL_MS = 5_000;

export interface DaemonDataOptions {
  socket: string;
  profile?: string;
  /** The project whose `.sylk` layers config keys include. */
  projectDir: string;
  env: NodeJS.ProcessEnv;
  cache: CompletionCache;
}

/** Every dotted key of a config tree down to its leaves (an empty map or a list is a leaf). */
function leafKeys(tree: unknown, prefix = ''): string[] {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree) || Object.keys(tree).length === 0)
    return prefix === '' ? [] : [prefix];
  return Object.entries(tree as Record<string, unknown>).flatMap(([k, v]) =>
    leafKeys(v, prefix ? `${prefix}.${k}` : k),
  );
}

/**
 * The daemon's answers for completion, each cached for a few seconds. It connects on the first
 * question the cache cannot answer and never starts a daemon; without one every answer is
 * undefined, as is any answer that failed or took too long.
 */
export function daemonData(o: DaemonDataOptions): DaemonData & { close(): void } {
  let conn: Promise<DaemonConnection | undefined> | undefined;
  // gRPC and the API's descriptors load only when the cache cannot answer.
  const connection = () =>
    (conn ??= import('../connection.js').then(({ probeDaemon }) =>
      probeDaemon({ socket: o.socket, ...(o.profile ? { profile: o.profile } : {}) }, o.env, CONNECT_TIMEOUT_MS),
    ));
  const client = () => import('@sylk/proto/client').then((m) => m.createClient);
  const call = (c: DaemonConnection) => ({ timeoutMs: CALL_TIMEOUT_MS, metadata: c.metadata });

  async function cached<T>(key: string, fetch: (c: DaemonConnection) => Promise<T>): Promise<T | undefined> {
    const cacheKey = `${o.socket}\n${key}`;
    const hit = o.cache.get(cacheKey);
    if (hit !== undefined) return hit as T;
    try {
      const c = await connection();
      if (c === undefined) return undefined;
      const value = await fetch(c);
      o.cache.set(cacheKey, value, ANSWER_TTL_MS);
      return value;
    } catch {
      return undefined;
    }
  }

  return {
    sessions: () =>
      cached('sessions', async (c): Promise<SessionEntry[]> => {
        const { SessionService, SessionState } = await import('@sylk/proto/session');
        const createClient = await client();
        const res = await createClient(SessionService, c.channel).listSessions({ all: true }, call(c));
        return res.sessions.map((s) => ({
          id: s.id,
          name: s.name,
          state: (SessionState[s.state] ?? '').toLowerCase(),
          project: s.projectRoot.split('/').pop() ?? '',
        }));
      }),
    approvals: () =>
      cached('approvals', async (c): Promise<ApprovalEntry[]> => {
        const { ApprovalService } = await import('@sylk/proto/session');
        const createClient = await client();
        const res = await createClient(ApprovalService, c.channel).listApprovals({}, call(c));
        return res.approvals.map((a) => ({ id: a.id, summary: a.summary }));
      }),
    configKeys: () =>
      cached(`config-keys\n${o.projectDir}`, async (c): Promise<string[]> => {
        const { ConfigService } = await import('@sylk/proto/config');
        const createClient = await client();
        const res = await createClient(ConfigService, c.channel).getConfig(
          { key: '', projectDir: o.projectDir },
          call(c),
        );
        return leafKeys(JSON.parse(res.valueJson));
      }),
    providers: () =>
      cached('providers', async (c): Promise<ProviderEntry[]> => {
        const { UsageService } = await import('@sylk/proto/usage');
        const createClient = await client();
        const res = await createClient(UsageService, c.channel).providers({}, call(c));
        return res.providers.map((p) => ({ name: p.name, state: p.state, models: p.models }));
      }),
    processes: () =>
      cached('processes', async (c): Promise<ProcessEntry[]> => {
        const { ProcessService } = await import('@sylk/proto/process');
        const createClient = await client();
        const res = await createClient(ProcessService, c.channel).listProcesses({}, call(c));
        return res.processes.map((p) => ({ id: p.id, command: p.command, state: p.state }));
      }),
    close() {
      void conn?.then((c) => c?.close());
    },
  };
}
