/** Temp-dir layout shared by the config tests; never touches the real home. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { resolveDirs, type SylkDirs } from '../paths.js';

export interface Fixture {
  root: string;
  dirs: SylkDirs;
  project: string;
  userFile: string;
  projectFile: string;
  localFile: string;
  write(path: string, text: string): string;
  cleanup(): void;
}

export function makeFixture(): Fixture {
  const root = mkdtempSync(join(tmpdir(), 'sylk-config-'));
  const dirs = resolveDirs({ SYLK_HOME: join(root, 'home') }, { platform: 'linux', homedir: root });
  const project = join(root, 'proj');
  mkdirSync(project);
  return {
    root,
    dirs,
    project,
    userFile: join(dirs.config, 'config.yaml'),
    projectFile: join(project, '.sylk', 'config.yaml'),
    localFile: join(project, '.sylk', 'local', 'config.yaml'),
    write(path, text) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, text);
      return path;
    },
    cleanup: () => rmSync(root, { recursive: true, force: true }),
  };
}
