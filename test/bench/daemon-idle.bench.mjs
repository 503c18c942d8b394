// Idle sylkd resident memory after start-up settles. Target: under 80 MB.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { round } from './stats.mjs';
import { RSS_SETTLE_MS, settledRssMb } from './lib/sylkd.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

export default async function run() {
  const home = mkdtempSync(join(tmpdir(), 'sylk-bench-'));
  const env = { PATH: process.env.PATH, HOME: home, SYLK_HOME: home, SYLK_SOCKET: join(home, 'run', 'sylkd.sock') };
  const daemon = spawn(process.execPath, [join(root, 'daemon/dist/main.js'), '--foreground'], { env, stdio: 'ignore' });
  try {
    for (let i = 0; i < 200 && !existsSync(env.SYLK_SOCKET); i++) await new Promise((r) => setTimeout(r, 50));
    const rss = await settledRssMb(daemon.pid);
    return {
      summary: `idle sylkd RSS ${round(rss, 1)} MB (median of 10 samples after ${RSS_SETTLE_MS / 1000} s of quiet; target < 80 MB)`,
      metrics: { rss_mb: round(rss, 2) },
      targets: { rss_mb: '< 80' },
      met: rss < 80,
    };
  } finally {
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(home, { recursive: true, force: true });
  }
}
