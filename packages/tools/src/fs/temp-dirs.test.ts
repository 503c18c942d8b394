import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TempDirs } from './index.js';

let base: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), 'sylk-temp-'));
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

describe('TempDirs', () => {
  it('creates the per-session, per-pipeline layout lazily with mode 0700', async () => {
    const root = join(base, 'temp');
    const dirs = new TempDirs(root, { osTemp: join(base, 'os') });
    expect(existsSync(root)).toBe(false);
    const p = await dirs.pipelineDir('s1', 'p1');
    const s = await dirs.standaloneDir('s1');
    expect(p).toBe(join(root, 's1', 'pipeline-p1'));
    expect(s).toBe(join(root, 's1', 'standalone'));
    expect(statSync(p).mode & 0o777).toBe(0o700);
    expect(statSync(join(root, 's1')).mode & 0o777).toBe(0o700);
    expect(await dirs.osTempDir('s1')).toBe(join(base, 'os', 'sylk-s1'));
  });

  it('cleans pipelines and sessions, and sweeps sessions that are not live', async () => {
    const dirs = new TempDirs(join(base, 'temp'), { osTemp: join(base, 'os') });
    const p1 = await dirs.pipelineDir('s1', 'p1');
    writeFileSync(join(p1, 'f'), 'x');
    await dirs.pipelineDir('s1', 'p2');
    await dirs.standaloneDir('s2');
    await dirs.standaloneDir('dead');
    await dirs.cleanupPipeline('s1', 'p1');
    expect(readdirSync(join(base, 'temp', 's1'))).toEqual(['pipeline-p2']);
    await dirs.cleanupSession('s2');
    expect(existsSync(join(base, 'temp', 's2'))).toBe(false);
    expect(await dirs.sweepOrphans(['s1'])).toEqual(['dead']);
    expect(readdirSync(join(base, 'temp'))).toEqual(['s1']);
  });

  it('rejects ids that could escape the hierarchy', async () => {
    const dirs = new TempDirs(join(base, 'temp'));
    await expect(dirs.pipelineDir('..', 'p')).rejects.toMatchObject({ code: 'tools.invalid_id' });
    await expect(dirs.pipelineDir('s', '../../x')).rejects.toMatchObject({ code: 'tools.invalid_id' });
  });
});
