import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { globMatcher, type GlobMatcher } from './glob.js';

export interface WalkEntry {
  /** Relative to the project root, `/`-separated. */
  path: string;
  absolute: string;
  directory: boolean;
  /** A symlink (never followed; readers must not follow it out of the project either). */
  symlink: boolean;
}

export interface WalkOptions {
  /** Real path of the project root (for relative paths and .gitignore). */
  projectRoot: string;
  /** Real path of the directory to walk (inside the project). */
  start: string;
  /** Stop after this many entries were looked at (files and directories). */
  maxVisited: number;
  recursive: boolean;
  signal?: AbortSignal;
}

export interface WalkSummary {
  visited: number;
  /** The walk stopped at `maxVisited`; there may be more. */
  capped: boolean;
}

/** Always skipped, whatever .gitignore says. */
const ALWAYS_IGNORED = new Set(['.git', 'node_modules']);

interface IgnoreRule {
  match: GlobMatcher;
  directoryOnly: boolean;
}

/**
 * .gitignore-lite: the project's root .gitignore, one glob per line (`name`, `dir/`, `/anchored`,
 * `**`); negations (`!`) and nested .gitignore files are not supported.
 */
async function loadIgnoreRules(projectRoot: string): Promise<IgnoreRule[]> {
  let text: string;
  try {
    text = await readFile(join(projectRoot, '.gitignore'), 'utf8');
  } catch {
    return [];
  }
  const rules: IgnoreRule[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const directoryOnly = line.endsWith('/');
    try {
      rules.push({ match: globMatcher(directoryOnly ? line.slice(0, -1) : line), directoryOnly });
    } catch {
      // A line this matcher cannot read (too long, bad class) ignores nothing, as git would skip it.
    }
  }
  return rules;
}

function relativeOf(projectRoot: string, absolute: string): string {
  return absolute === projectRoot
    ? ''
    : absolute
        .slice(projectRoot.length + 1)
        .split('\\')
        .join('/');
}

/**
 * Depth-first, name-sorted pre-order walk (so results come out sorted by path) that never
 * follows symlinked directories (no loops, no escaping the project). `visit` returns false to stop.
 */
export async function walk(
  options: WalkOptions,
  visit: (entry: WalkEntry) => boolean | Promise<boolean>,
): Promise<WalkSummary> {
  const rules = await loadIgnoreRules(options.projectRoot);
  const ignored = (path: string, directory: boolean) =>
    rules.some((r) => (directory || !r.directoryOnly) && r.match(path));
  const summary: WalkSummary = { visited: 0, capped: false };
  /** false once the walk must stop. */
  const walkDir = async (dir: string): Promise<boolean> => {
    if (options.signal?.aborted) return false;
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return true; // unreadable directory: skip it, like rg does
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (ALWAYS_IGNORED.has(entry.name)) continue;
      const absolute = join(dir, entry.name);
      const path = relativeOf(options.projectRoot, absolute);
      const directory = entry.isDirectory();
      if (ignored(path, directory)) continue;
      if (summary.visited >= options.maxVisited) {
        summary.capped = true;
        return false;
      }
      summary.visited++;
      if (!(await visit({ path, absolute, directory, symlink: entry.isSymbolicLink() }))) return false;
      if (directory && options.recursive && !(await walkDir(absolute))) return false;
    }
    return true;
  };
  await walkDir(options.start);
  return summary;
}
