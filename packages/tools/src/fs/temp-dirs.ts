import { promises as fsp } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Logger } from '@sylk/core';

const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

export function checkId(kind: string, id: string): string {
  if (!SAFE_ID.test(id) || id.includes('..')) {
    throw new SylkError(`Invalid ${kind} id ${JSON.stringify(id)}`, { code: 'tools.invalid_id', tier: ErrorTier.Permanent });
  }
  return id;
}

/**
 * Temp hierarchy `{root}/<session>/pipeline-<id>/` and `{root}/<session>/standalone/`, created
 * lazily with mode 0700 and removed when the pipeline or session ends.
 */
export class TempDirs {
  private readonly logger: Logger;

  constructor(
    readonly root: string,
    options: { logger?: Logger; osTemp?: string } = {},
  ) {
    this.logger = options.logger ?? silentLogger();
    this.osTemp = options.osTemp ?? tmpdir();
  }

  private readonly osTemp: string;

  async pipelineDir(sessionId: string, pipelineId: string): Promise<string> {
    return this.ensure(join(this.root, checkId('session', sessionId), `pipeline-${checkId('pipeline', pipelineId)}`));
  }

  async standaloneDir(sessionId: string): Promise<string> {
    return this.ensure(join(this.root, checkId('session', sessionId), 'standalone'));
  }

  /** `$TMPDIR/sylk-<session>/` for tools that insist on the OS temp dir. */
  async osTempDir(sessionId: string): Promise<string> {
    return this.ensure(join(this.osTemp, `sylk-${checkId('session', sessionId)}`));
  }

  async cleanupPipeline(sessionId: string, pipelineId: string): Promise<void> {
    await fsp.rm(join(this.root, checkId('session', sessionId), `pipeline-${checkId('pipeline', pipelineId)}`), { recursive: true, force: true });
  }

  async cleanupSession(sessionId: string): Promise<void> {
    await fsp.rm(join(this.root, checkId('session', sessionId)), { recursive: true, force: true });
    await fsp.rm(join(this.osTemp, `sylk-${sessionId}`), { recursive: true, force: true });
  }

  /**
   * Removes session dirs of sessions not in `live`; returns the removed ids. OS-temp dirs are
   * not swept (other components use the same `sylk-` prefix there).
   */
  async sweepOrphans(liveSessionIds: Iterable<string>): Promise<string[]> {
    const live = new Set(liveSessionIds);
    const removed: string[] = [];
    for (const name of await listDir(this.root)) {
      if (live.has(name)) continue;
      await fsp.rm(join(this.root, name), { recursive: true, force: true });
      removed.push(name);
    }
    if (removed.length > 0) this.logger.info({ removed }, 'swept orphaned temp dirs');
    return removed;
  }

  private async ensure(dir: string): Promise<string> {
    await fsp.mkdir(dir, { recursive: true, mode: 0o700 });
    // mkdir's mode is masked by umask and ignored for existing dirs; make 0700 explicit.
    await fsp.chmod(dir, 0o700);
    return dir;
  }
}

async function listDir(dir: string): Promise<string[]> {
  try {
    return await fsp.readdir(dir);
  } catch (err) {
    if ((err as { code?: string }).code === 'ENOENT') return [];
    throw err;
  }
}
