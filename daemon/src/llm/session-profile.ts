/**
 * The credential profile of a session, chosen when it is created and kept for its whole life
 * (also across daemon restarts): `--profile` / SYLK_PROFILE of the creating client, else the
 * project's `security.credentials.profile_name`, else the daemon's.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, type SylkDirs } from '@sylk/config';
import { checkProfile } from '@sylk/security';
import type { CallContext } from '@sylk/proto';

const FILE = 'credential-profile';

/** The `sylk-profile` header a client sends for `--profile` or SYLK_PROFILE; '' when none. */
export function requestedProfile(ctx: CallContext | undefined): string {
  const v = ctx?.metadata.get('sylk-profile')[0];
  return typeof v === 'string' ? checkProfile(v) : '';
}

export interface ProfileSources {
  dirs: SylkDirs;
  env: Readonly<Record<string, string | undefined>>;
  daemonDefault: () => string;
}

/** The profile for a new session of `projectRoot`. */
export function profileForNewSession(requested: string, projectRoot: string, s: ProfileSources): string {
  if (requested !== '') return checkProfile(requested);
  const project = loadConfig({ dirs: s.dirs, env: s.env, projectRoot }).config.security.credentials.profile_name;
  return checkProfile(project || s.daemonDefault());
}

export function saveSessionProfile(sessionDir: string, profile: string): void {
  mkdirSync(sessionDir, { recursive: true, mode: 0o700 });
  writeFileSync(join(sessionDir, FILE), `${profile}\n`, { mode: 0o600 });
}

/** The profile a session was created with; `fallback` for sessions older than profiles. */
export function loadSessionProfile(sessionDir: string, fallback: () => string): string {
  try {
    return checkProfile(readFileSync(join(sessionDir, FILE), 'utf8').trim());
  } catch {
    return fallback();
  }
}
