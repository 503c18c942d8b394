import { resolve } from 'node:path';
import type { Command } from 'commander';
import { findProjectRoot } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { SandboxService, type SandboxStatusResponse } from '@sylk/proto/sandbox';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { emit, style, type Style } from '../output.js';
import { briefOf, sandboxLine } from '../render/sandbox-line.js';
import type { Runtime } from '../runtime.js';

/** Ask the daemon how commands of `projectRoot` are contained ('' = no project). */
export function fetchSandboxStatus(
  conn: DaemonConnection,
  projectRoot: string,
  timeoutMs = 5_000,
): Promise<SandboxStatusResponse> {
  return createClient(SandboxService, conn.channel).sandboxStatus(
    { projectRoot },
    { timeoutMs, metadata: conn.metadata },
  );
}

export function sandboxJson(s: SandboxStatusResponse) {
  return {
    mode: s.mode,
    backend: s.backend,
    available: s.available,
    reason: s.reason || null,
    fix: s.fix || null,
    required: s.required,
    mounts: s.mounts.map((m) => ({ mode: m.mode, path: m.path, note: m.note || null })),
    limits: Object.fromEntries(Object.entries(s.limits).map(([k, v]) => [k, Number(v)])),
    proxy: {
      enabled: s.proxyEnabled,
      endpoint: s.proxyEndpoint || null,
      bridge: s.proxyBridge || null,
      allowedDomains: s.allowedDomains,
      counters: {
        allowed: Number(s.proxyCounters?.allowed ?? 0n),
        blocked: Number(s.proxyCounters?.blocked ?? 0n),
        asked: Number(s.proxyCounters?.asked ?? 0n),
      },
    },
  };
}

/** One line for `sylk status`. */
function renderSandbox(s: SandboxStatusResponse, st: Style): string {
  const lines = [
    `${st.bold('sandbox')} ${sandboxLine(briefOf(s), st)
      .trimStart()
      .replace(/^sandbox\s+/, '')}`,
    `  required  ${s.required ? 'yes (security.sandbox.required)' : 'no'}`,
  ];
  if (s.mounts.length > 0) {
    lines.push('  mounts:');
    for (const m of s.mounts) lines.push(`    ${m.mode.padEnd(8)} ${m.path}${m.note ? st.dim(`  ${m.note}`) : ''}`);
  }
  lines.push(
    `  limits    ${Object.entries(s.limits)
      .map(([k, v]) => `${k}=${v === '0' ? 'none' : v}`)
      .join(' ')}`,
  );
  const c = s.proxyCounters;
  lines.push(
    `  network   ${s.proxyEndpoint || 'no network'}${s.proxyBridge ? st.dim(` (bridge: ${s.proxyBridge})`) : ''}`,
  );
  lines.push(
    `  proxy     ${s.proxyEnabled ? 'on' : 'off'}; allowed ${c?.allowed ?? 0n}, blocked ${c?.blocked ?? 0n}, asked ${c?.asked ?? 0n}`,
  );
  if (s.allowedDomains.length > 0) lines.push(`  domains   ${s.allowedDomains.join(', ')}`);
  return lines.join('\n');
}

export function registerSandboxCommands(program: Command, rt: Runtime): void {
  const sandbox = program.command('sandbox').description('the OS sandbox every agent command runs in');
  sandbox
    .command('status')
    .description('mode, backend, what is mounted how, limits and the network proxy (for this project)')
    .option(
      '--project <dir>',
      'report mounts as commands of this project see them (default: the project of the current directory)',
    )
    .action(async (o: { project?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const dir = resolve(rt.cwd, o.project ?? '.');
      const projectRoot = findProjectRoot(dir) ?? dir;
      const conn = await connectDaemon(opts, rt.env);
      try {
        const s = await fetchSandboxStatus(conn, projectRoot);
        emit(
          opts,
          () => ({ projectRoot, ...sandboxJson(s) }),
          () => renderSandbox(s, style(rt.color(opts))),
        );
      } finally {
        conn.close();
      }
    });
}
