/** What `sylk status <session>` shows about a session's context: instructions, environment, config files. */
import type { InstructionDirs, InstructionFile } from '@sylk/agents';
import { formatWarning, type LoadedConfig } from '@sylk/config';
import { describeEnv, loadClientEnv, sessionBaseEnv } from './client-env.js';

export interface SessionContext {
  instructions: InstructionFile[];
  envSource: 'client' | 'daemon';
  envNames: string[];
  envPath: string;
  configFiles: Array<{ layer: string; path: string; present: boolean }>;
  configWarnings: string[];
}

export interface SessionContextInput {
  projectRoot: string;
  sessionDir: string;
  daemonEnv: Readonly<Record<string, string | undefined>>;
  /** The session's effective config (its project's layers). */
  loaded: LoadedConfig;
  /** The blocklist its commands' environment goes through. */
  envBlocklist: readonly string[];
  instructionDirs: InstructionDirs;
}

export async function sessionContext(input: SessionContextInput): Promise<SessionContext> {
  // The agent layer loads with the first session (see SessionHost.runtime), not with the daemon.
  const { loadInstructions } = await import('@sylk/agents');
  const instructions = await loadInstructions(input.projectRoot, input.instructionDirs);
  const clientEnv = loadClientEnv(input.sessionDir);
  const env = describeEnv(sessionBaseEnv(input.daemonEnv, clientEnv), input.envBlocklist);
  const fileLayers = new Set(['project', 'user', 'project_local']);
  const configFiles = input.loaded.sources
    .filter((s) => fileLayers.has(s.layer))
    .map((s) => ({ layer: s.layer, path: s.path, present: s.present }));
  const files = new Set(configFiles.map((f) => f.path));
  return {
    instructions: instructions.files,
    envSource: clientEnv === undefined ? 'daemon' : 'client',
    envNames: env.names,
    envPath: env.path,
    configFiles,
    configWarnings: input.loaded.warnings.filter((w) => files.has(w.file)).map(formatWarning),
  };
}
