import { createHash } from 'node:crypto';
import { ErrorTier, SylkError } from '@sylk/core';
import type { McpOrigin, McpServerSpec } from './types.js';

/** `mcp.servers.<name>` as the config schema has it (kept structural: @sylk/mcp does not load config). */
export interface McpServerEntry {
  command: string;
  args: readonly string[];
  url: string;
  env: Readonly<Record<string, string>>;
  enabled: boolean;
}

/** A server whose config cannot be used, and why. */
export interface SpecProblem {
  name: string;
  message: string;
}

/**
 * Specs from the effective `mcp.servers`; `origin(name, entry)` says whether the user defined it.
 * An entry with both or neither of command and url is a problem, not a server.
 */
export function serversFromConfig(
  servers: Readonly<Record<string, McpServerEntry>>,
  origin: (name: string, entry: McpServerEntry) => McpOrigin,
): { specs: McpServerSpec[]; problems: SpecProblem[] } {
  const specs: McpServerSpec[] = [];
  const problems: SpecProblem[] = [];
  for (const [name, entry] of Object.entries(servers)) {
    const command = entry.command.trim();
    const url = entry.url.trim();
    if ((command === '') === (url === '')) {
      problems.push({ name, message: `MCP server "${name}" needs exactly one of command (stdio) or url (HTTP)` });
      continue;
    }
    const base = { name, origin: origin(name, entry), enabled: entry.enabled };
    specs.push(
      command !== ''
        ? { ...base, transport: 'stdio', command, args: [...entry.args], env: { ...entry.env } }
        : { ...base, transport: 'http', url },
    );
  }
  return { specs, problems };
}

/** Same definition (what runs and with what), whatever the enabled flag. */
export function sameLaunch(a: McpServerEntry, b: McpServerEntry): boolean {
  return (
    a.command === b.command &&
    a.url === b.url &&
    JSON.stringify(a.args) === JSON.stringify(b.args) &&
    JSON.stringify(Object.entries(a.env).sort()) === JSON.stringify(Object.entries(b.env).sort())
  );
}

function quote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

const SECRET_NAME = /key|token|secret|passw|credential|auth/i;

/** A variable name whose value is treated as a secret (fingerprinted in launch lines, redacted by the daemon). */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** A secret-looking variable's value as a fingerprint: a changed value still changes the line. */
function envWord(name: string, value: string): string {
  return isSecretName(name)
    ? `${name}=<sha256:${createHash('sha256').update(value).digest('hex').slice(0, 12)}>`
    : `${name}=${quote(value)}`;
}

/**
 * Exactly what would run or be connected to, as shown in approvals, allowlist rules and
 * `sylk mcp list`; values of secret-looking variables (…KEY, …TOKEN, …) appear as fingerprints.
 */
export function launchLine(spec: McpServerSpec): string {
  if (spec.transport === 'http') return spec.url;
  const env = Object.entries(spec.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => envWord(k, v));
  return [...env, spec.command, ...spec.args].map((w, i) => (i < env.length ? w : quote(w))).join(' ');
}

/** Whether two specs start the same server (a changed definition stops the old one). */
export function sameSpec(a: McpServerSpec, b: McpServerSpec): boolean {
  return a.transport === b.transport && launchLine(a) === launchLine(b);
}

/** The name the model calls: `mcp__<server>__<tool>`, within provider limits (64 chars of [A-Za-z0-9_-]). */
export function toolName(server: string, tool: string): string {
  const safe = tool.replace(/[^A-Za-z0-9_-]/g, '_');
  return `mcp__${server}__${safe}`.slice(0, 64);
}

export function unknownServer(name: string, known: readonly string[]): SylkError {
  return new SylkError(`no MCP server named "${name}"`, {
    code: 'mcp.unknown_server',
    tier: ErrorTier.UserFixable,
    hint:
      known.length > 0
        ? `Configured servers: ${known.join(', ')}. See \`sylk mcp list\`.`
        : 'Add one with `sylk mcp add <name> -- <command> [args…]` or `sylk mcp add <name> --url <url>`.',
    details: { server: name },
  });
}
