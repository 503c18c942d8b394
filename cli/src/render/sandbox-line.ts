import type { Style } from '../output.js';

/** The OS sandbox in brief (DaemonService.Status carries it; SandboxService has the whole report). */
export interface SandboxBrief {
  mode: string;
  backend: string;
  reason: string;
  fix: string;
  networkViaProxy: boolean;
}

/** The brief of SandboxService's whole report (for a daemon whose Status does not carry it). */
export function briefOf(report: Omit<SandboxBrief, 'networkViaProxy'> & { proxyBridge: string }): SandboxBrief {
  const { mode, backend, reason, fix } = report;
  return { mode, backend, reason, fix, networkViaProxy: report.proxyBridge !== '' };
}

/** The `sandbox` line of `sylk status` (and the head of `sylk sandbox status`). */
export function sandboxLine(s: SandboxBrief, st: Style): string {
  if (s.mode === 'enforced')
    return `  sandbox   ${st.green('enforced')} (${s.backend}${s.networkViaProxy ? `, network via proxy` : ', no network'})`;
  if (s.mode === 'disabled')
    return `  sandbox   ${st.yellow('disabled')} (security.sandbox.enabled: false; commands run unsandboxed)`;
  const head =
    s.mode === 'refusing'
      ? st.red('unavailable — commands are refused')
      : st.yellow('unavailable — commands run unsandboxed');
  return `  sandbox   ${head}: ${s.reason}\n            fix: ${s.fix}`;
}
