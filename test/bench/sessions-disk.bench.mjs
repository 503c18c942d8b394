// Daemon RSS with 500 sessions on disk and none active: each session ran one short turn through a
// real sylkd (emulator as the model), then went idle and was unloaded
// (`sessions.unload_idle_after_seconds`, here 1 s). Compared with the same daemon's idle figure
// before any session existed. Target: within 15 MB of it.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { round } from './stats.mjs';
import {
  RSS_SETTLE_MS,
  createSessionsAndWait,
  emulatorLlmConfig,
  loadedSessions,
  makeHome,
  sessionClient,
  settledRssMb,
  startDaemon,
  startEmulatorProcess,
  until,
  writeConfig,
} from './lib/sylkd.mjs';

const SESSIONS = Number(process.env.SESSIONS_DISK_N ?? 500);
const PROJECTS = 20;
/** Sessions whose turns run at once. */
const BATCH = 10;
const TARGET_EXTRA_MB = 15;

export default async function run() {
  const h = makeHome('sylk-bench-disk-', { ANTHROPIC_API_KEY: 'bench-key' });
  const emulator = await startEmulatorProcess(
    {
      name: 'sessions-disk',
      apiKey: 'bench-key',
      steps: [{ reply: { text: 'Hello from the bench.', usage: { input: 50, output: 10 } } }],
    },
    h.home,
  );
  writeConfig(
    h.home,
    [...emulatorLlmConfig(emulator.url), 'sessions:', '  unload_idle_after_seconds: 1', ''].join('\n'),
  );
  const daemon = await startDaemon(h);
  const { proto, channel, client, close } = await sessionClient(h.env.SYLK_SOCKET);
  const daemonClient = proto.createClient(proto.DaemonService, channel);
  try {
    const idle = await settledRssMb(daemon.pid);
    const idleHeap = Number((await daemonClient.status({})).heapUsedBytes) / 1024 / 1024;
    const started = Date.now();
    for (let done = 0; done < SESSIONS; done += BATCH) {
      const count = Math.min(BATCH, SESSIONS - done);
      await createSessionsAndWait(
        { proto, client },
        Array.from({ length: count }, (_, i) => {
          const projectRoot = join(h.home, 'projects', `p${(done + i) % PROJECTS}`);
          mkdirSync(join(projectRoot, '.sylk'), { recursive: true });
          return { projectRoot, prompt: 'say hello' };
        }),
        `sessions ${done}–${done + count} to finish their turn`,
      );
    }
    const createSeconds = (Date.now() - started) / 1000;
    let last = { loaded: -1, total: -1 };
    await until(
      async () => {
        last = await loadedSessions(daemonClient);
        return last.loaded === 0 && last.total === SESSIONS;
      },
      120_000,
      `every session to be unloaded (last: loaded ${last.loaded} of ${last.total})`,
    );
    const rss = await settledRssMb(daemon.pid);
    const heap = Number((await daemonClient.status({})).heapUsedBytes) / 1024 / 1024;
    const extra = rss - idle;
    return {
      summary:
        `sylkd RSS with ${SESSIONS} sessions on disk (each ran one turn; all unloaded) ${round(rss, 1)} MB vs ` +
        `${round(idle, 1)} MB idle before any session: +${round(extra, 1)} MB ` +
        `(median after ${RSS_SETTLE_MS / 1000} s of quiet; ${round(createSeconds, 1)} s to run the ${SESSIONS} turns; ` +
        `target ≤ idle + ${TARGET_EXTRA_MB} MB)`,
      metrics: {
        rss_mb: round(rss, 2),
        idle_rss_mb: round(idle, 2),
        extra_mb: round(extra, 2),
        heap_used_mb: round(heap, 2),
        idle_heap_used_mb: round(idleHeap, 2),
        sessions: SESSIONS,
      },
      targets: { extra_mb: `<= ${TARGET_EXTRA_MB}` },
      met: extra <= TARGET_EXTRA_MB,
    };
  } finally {
    close();
    await daemon.stop();
    await emulator.close();
    h.cleanup();
  }
}
