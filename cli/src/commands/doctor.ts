import { execFile } from 'node:child_process';
import type { Command } from 'commander';
import { connectDaemon, sylkdEntry, type DaemonConnection } from '../connection.js';
import { EXIT } from '../exit-codes.js';
import { emit, style, type Style } from '../output.js';
import type { Runtime } from '../runtime.js';
import { configCheck } from './doctor/config-check.js';
import {
  daemonCheck,
  diskCheck,
  keyStoreCheck,
  providersCheck,
  sandboxCheck,
  storageCheck,
} from './doctor/daemon-checks.js';
import { nativeCheck, nodeCheck } from './doctor/runtime.js';
import { serviceCheck } from './doctor/service-check.js';
import { gitCheck, socatCheck } from './doctor/tools.js';
import type { CheckResult, CheckStatus, DoctorContext, ExecResult, NamedCheck } from './doctor/types.js';

/** In the order they are shown; each is independent (doctor/*.ts). Named here: the bundle is minified. */
const CHECKS: readonly NamedCheck[] = [
  { name: 'node', run: nodeCheck },
  { name: 'native', run: nativeCheck },
  { name: 'daemon', run: daemonCheck },
  { name: 'config', run: configCheck },
  { name: 'storage', run: storageCheck },
  { name: 'disk', run: diskCheck },
  { name: 'sandbox', run: sandboxCheck },
  { name: 'socat', run: socatCheck },
  { name: 'git', run: gitCheck },
  { name: 'keys', run: keyStoreCheck },
  { name: 'providers', run: providersCheck },
  { name: 'service', run: serviceCheck },
];

/** Runs the checks in order; a check that throws is a failed result. */
export async function runChecks(ctx: DoctorContext, checks: readonly NamedCheck[] = CHECKS): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  for (const check of checks) {
    try {
      const r = await check.run(ctx);
      results.push(...(Array.isArray(r) ? r : [r]));
    } catch (err) {
      results.push({ name: check.name, status: 'fail', detail: (err as Error).message, fix: '' });
    }
  }
  return results;
}

function execNoShell(file: string, args: readonly string[], timeoutMs = 10_000): Promise<ExecResult> {
  return new Promise((resolve) =>
    execFile(file, args, { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 127;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) || (err?.message ?? '') });
    }),
  );
}

function render(results: CheckResult[], st: Style): string {
  const mark: Record<CheckStatus, string> = {
    ok: st.green('✓'),
    warn: st.yellow('!'),
    fail: st.red('✗'),
    skip: st.dim('-'),
  };
  const width = Math.max(9, ...results.map((r) => r.name.length));
  const lines: string[] = [];
  for (const r of results) {
    lines.push(`${mark[r.status]} ${r.name.padEnd(width)} ${r.detail}`);
    if (r.fix) lines.push(`  ${' '.repeat(width)} ${st.dim('fix:')} ${r.fix}`);
  }
  return lines.join('\n');
}

export function registerDoctorCommand(program: Command, rt: Runtime): void {
  program
    .command('doctor')
    .description(
      'check what Sylk needs: Node, native modules, the daemon, config, databases, disk, sandbox, socat, git, keys, providers, the service',
    )
    .option('--check-storage', 'run a full integrity check of every database now')
    .option('--offline', 'do not contact the providers')
    .action(async (o: { checkStorage?: boolean; offline?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      let conn: DaemonConnection | undefined;
      let connectError = '';
      try {
        conn = await connectDaemon(opts, rt.env);
      } catch (err) {
        connectError = (err as Error).message;
      }
      let sylkd: string | undefined;
      try {
        sylkd = sylkdEntry(rt.env);
      } catch {
        sylkd = undefined;
      }
      try {
        const results = await runChecks({
          env: rt.env,
          cwd: rt.cwd,
          platform: process.platform,
          conn,
          connectError,
          checkStorage: o.checkStorage === true,
          offline: o.offline === true,
          profile: opts.profile ?? '',
          node: { version: process.version, execPath: process.execPath },
          cliDir: __dirname,
          sylkd,
          exec: execNoShell,
        });
        const ok = results.every((r) => r.status !== 'fail');
        emit(opts, { ok, checks: results }, () => render(results, style(rt.color(opts))));
        if (!ok) rt.exitCode = EXIT.failure;
      } finally {
        conn?.close();
      }
    });
}
