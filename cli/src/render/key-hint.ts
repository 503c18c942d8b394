import { CliError, EXIT } from '../exit-codes.js';

/** What sylkd's `llm.auth_missing` says: "no API key for anthropic (looked in env ANTHROPIC_API_KEY, …)". */
const MISSING = /^no API key for ([a-z][a-z-]*) \(looked in env ([A-Z0-9_]+(?: or [A-Z0-9_]+)*)/;

/**
 * A provider key sylkd lacks while this shell has it (sylkd was started from another environment,
 * a service manager or an earlier shell): what the user reads instead of "no API key", with the
 * two ways to fix it. Undefined for any other error, or when the shell has no such key either.
 * Only the variable's name is ever shown.
 */
export function keyInShellNote(
  error: { code?: string; message?: string },
  env: Readonly<Record<string, string | undefined>>,
): { message: string; hint: string } | undefined {
  if (error.code !== 'llm.auth_missing') return undefined;
  const m = MISSING.exec(error.message ?? '');
  if (m === null) return undefined;
  const [, provider, vars] = m;
  const name = vars?.split(' or ').find((v) => (env[v] ?? '') !== '');
  if (name === undefined) return undefined;
  return {
    message: `${name} is set in your shell but not in sylkd's environment: sylkd has no ${provider} key`,
    hint:
      `run \`sylk auth login ${provider}\` (stores the key for sylkd, no restart), ` +
      `or restart sylkd from this shell with \`sylk daemon restart\` so it inherits ${name}`,
  };
}

/** `err` as the key-in-shell error when it is one (same code, exit 1), else `err` itself. */
export function withKeyInShellNote(err: unknown, env: Readonly<Record<string, string | undefined>>): unknown {
  const note = keyInShellNote(err as { code?: string; message?: string }, env);
  return note === undefined ? err : new CliError(note.message, EXIT.failure, note.hint, 'llm.auth_missing');
}
