// Daemon RSS with 50 idle sessions, each of which has run one turn (so its event log,
// tools and permissions are loaded). Target: ≤ 150 MB. Real sylkd, real CLI, emulator.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { round } from './stats.mjs';
import { RSS_SETTLE_MS, rssMb, settledRssMb } from './lib/sylkd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SESSIONS = 50;

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
  writeFileSync(
    join(home, 'config', 'config.yaml'),
    `llm:\n  providers:\n    anthropic:\n      base_url: ${emulator.url}\n`,
  );
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
    return {
      summary:
        `sylkd RSS with ${SESSIONS} idle sessions (each ran one turn) ${round(rss, 1)} MB ` +
        `(median after ${RSS_SETTLE_MS / 1000} s of quiet; ` +
        `idle daemon before the sessions: ${round(baseline, 1)} MB; target ≤ 150 MB)`,
      metrics: { rss_mb_50_idle: round(rss, 2) },
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
