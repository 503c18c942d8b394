// Daemon RSS with 50 idle sessions, each of which has run one turn (so its event log,
// tools and permissions are loaded). Target: ≤ 150 MB. Real sylkd, real CLI, emulator.
// Then the same 50 once unloaded (`sessions.unload_idle_after_seconds` turned from 0 to 1 by a
// config reload): `rss_mb_50_unloaded`, reported beside the daemon's idle figure.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { round } from './stats.mjs';
import { RSS_SETTLE_MS, loadedSessions, rssMb, sessionClient, settledRssMb } from './lib/sylkd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SESSIONS = 50;

/** Turns unloading on (`reconfigure`, then a config reload) and waits until no session is loaded: the settled RSS then. */
async function unloadAll(pid, socket, reconfigure) {
  const { proto, channel, close } = await sessionClient(socket);
  const daemon = proto.createClient(proto.DaemonService, channel);
  try {
    const heapBefore = Number((await daemon.status({})).heapUsedBytes);
    reconfigure();
    await daemon.reloadConfig({});
    for (let i = 0; (await loadedSessions(daemon)).loaded > 0; i++) {
      if (i > 600) throw new Error('the idle sessions were not unloaded within 60 s');
      await new Promise((r) => setTimeout(r, 100));
    }
    const rss = await settledRssMb(pid);
    const heapAfter = Number((await daemon.status({})).heapUsedBytes);
    return { rss, heapBefore: heapBefore / 2 ** 20, heapAfter: heapAfter / 2 ** 20 };
  } finally {
    close();
  }
}

export default async function run() {
  const { startEmulator } = await import(pathToFileURL(join(root, 'packages/emulator/dist/index.js')).href);
  const emulator = await startEmulator({
    scenario: {
      name: 'rss',
      apiKey: 'bench-key',
      steps: [{ reply: { text: 'Hello from the bench.', usage: { input: 50, output: 10 } } }],
    },
  });
  const home = mkdtempSync(join(tmpdir(), 'sylk-bench-'));
  const env = {
    PATH: process.env.PATH,
    HOME: home,
    SYLK_HOME: home,
    SYLK_SOCKET: join(home, 'run', 'sylkd.sock'),
    ANTHROPIC_API_KEY: 'bench-key',
    NO_COLOR: '1',
  };
  mkdirSync(join(home, 'config'), { recursive: true });
  const config = (unloadAfter) =>
    writeFileSync(
      join(home, 'config', 'config.yaml'),
      `llm:\n  providers:\n    anthropic:\n      base_url: ${emulator.url}\n` +
        `sessions:\n  unload_idle_after_seconds: ${unloadAfter}\n`,
    );
  config(0);
  const daemon = spawn(process.execPath, [join(root, 'daemon/dist/main.js'), '--foreground'], { env, stdio: 'ignore' });
  const cli = (args) =>
    spawnSync(process.execPath, [join(root, 'cli/bin/sylk.cjs'), ...args], { env, encoding: 'utf8' });
  try {
    for (let i = 0; i < 200 && !existsSync(env.SYLK_SOCKET); i++) await new Promise((r) => setTimeout(r, 50));
    const baseline = rssMb(daemon.pid);
    for (let i = 0; i < SESSIONS; i++) {
      const project = join(home, `p${i}`);
      mkdirSync(project);
      const r = cli(['run', '-d', '--json', '-C', project, 'say hello']);
      if (r.status !== 0) throw new Error(`sylk run failed: ${r.stderr}`);
    }
    for (let i = 0; i < 600; i++) {
      const ls = JSON.parse(cli(['ls', '--json']).stdout);
      if (ls.sessions.length === SESSIONS && ls.sessions.every((s) => s.state === 'idle')) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const rss = await settledRssMb(daemon.pid);
    const { rss: unloaded, heapBefore, heapAfter } = await unloadAll(daemon.pid, env.SYLK_SOCKET, () => config(1));
    return {
      summary:
        `sylkd RSS with ${SESSIONS} idle sessions (each ran one turn) ${round(rss, 1)} MB loaded, ` +
        `${round(unloaded, 1)} MB once unloaded (V8 heap in use ${round(heapBefore, 1)} → ${round(heapAfter, 1)} MB) ` +
        `(median after ${RSS_SETTLE_MS / 1000} s of quiet; ` +
        `idle daemon before the sessions: ${round(baseline, 1)} MB; target ≤ 150 MB loaded)`,
      metrics: {
        rss_mb_50_idle: round(rss, 2),
        rss_mb_50_unloaded: round(unloaded, 2),
        rss_mb_before: round(baseline, 2),
        heap_used_mb_50_idle: round(heapBefore, 2),
        heap_used_mb_50_unloaded: round(heapAfter, 2),
      },
      targets: { rss_mb_50_idle: '<= 150' },
      met: rss <= 150,
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    await emulator.close();
    rmSync(home, { recursive: true, force: true });
  }
}
