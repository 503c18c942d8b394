/**
 * Git settings that name programs (or hooks) git would run. A repository's config, or a config
 * reached through `.git/commondir` or an include, is writable by the agent, so every child gets
 * these overrides through GIT_CONFIG_COUNT/KEY/VALUE (git ≥ 2.31; older git ignores them).
 * Command-line config outranks every file, so git never runs a program the agent named through
 * these keys. Keys that cannot be neutralised without breaking git (`diff.external`: an empty
 * value makes `git diff` fail; per-driver `filter.*`, `diff.*.textconv`, `merge.*.driver`) are
 * contained by the sandbox instead, which mounts the whole `.git` read-only.
 * @internal exported for tests
 */
export const GIT_HARDENING: ReadonlyArray<readonly [string, string]> = [
  ['core.fsmonitor', 'false'],
  ['core.hooksPath', '/dev/null'],
  ['core.sshCommand', 'ssh'],
  ['core.pager', 'cat'],
  ['core.editor', 'true'],
  ['sequence.editor', 'true'],
  ['core.askPass', ''],
  ['credential.helper', ''],
  ['gpg.program', 'gpg'],
  ['protocol.ext.allow', 'never'],
];

/** The child's environment plus the git hardening (appended after any GIT_CONFIG_* it already has). */
export function withGitHardening(env: Readonly<Record<string, string>>): Record<string, string> {
  const out = { ...env };
  const existing = Number.parseInt(env.GIT_CONFIG_COUNT ?? '0', 10);
  let n = Number.isInteger(existing) && existing > 0 ? existing : 0;
  for (const [key, value] of GIT_HARDENING) {
    out[`GIT_CONFIG_KEY_${n}`] = key;
    out[`GIT_CONFIG_VALUE_${n}`] = value;
    n++;
  }
  out.GIT_CONFIG_COUNT = String(n);
  // Never prompt for credentials or open an editor from an unattended child.
  out.GIT_TERMINAL_PROMPT = '0';
  return out;
}
