/**
 * The instruction files a session follows (the AGENTS.md convention): a user-wide file in Sylk's
 * config dir, AGENTS.md in the project's parent directories and at its root, and nested ones in
 * subdirectories. The file nearest to the code takes precedence: the system prompt carries the
 * user-wide file, the parents (outermost first) and the root file, in that order, so the later,
 * more specific ones win; nested files are listed with their paths so the model reads them when it
 * works in their directory (including every one could fill the context window in a monorepo).
 * Where a directory has no AGENTS.md, its CLAUDE.md is used instead.
 */
import { constants } from 'node:fs';
import { open, realpath } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { walk } from './tools/walk.js';

/** @internal exported for tests */
export const INSTRUCTION_LIMITS = {
  /** Characters of one file in the prompt (the rest: read_file). */
  fileChars: 16_000,
  /** Characters of every included file together. */
  totalChars: 32_000,
  /** Nested files listed at most. */
  nestedListed: 50,
  /** Project entries looked at when finding nested files. */
  walkEntries: 10_000,
} as const;

type InstructionScope = 'user' | 'parent' | 'project' | 'nested';

export interface InstructionFile {
  /** Absolute path. */
  path: string;
  scope: InstructionScope;
  sizeBytes: number;
  /** Characters of it in the system prompt (0 for nested files, which are listed). */
  includedChars: number;
  /** Cut at the per-file or total cap (the prompt says so). */
  truncated: boolean;
  /** In the system prompt; nested files are listed instead. */
  included: boolean;
}

export interface InstructionDirs {
  /** Sylk's config dir: `{config}/AGENTS.md` applies to every project. */
  user: string;
  /** Parent directories are searched up to this one (inclusive), else to the filesystem root. */
  home: string;
}

export interface Instructions {
  files: InstructionFile[];
  /** The system prompt's instructions section; '' when there are none. */
  prompt: string;
  /** The nested search stopped at its entry limit: there may be more nested files. */
  nestedCapped: boolean;
}

const INSTRUCTION_NAMES = ['AGENTS.md', 'CLAUDE.md'] as const;

interface Candidate {
  path: string;
  scope: InstructionScope;
}

/** Reads at most `maxChars` characters (a huge file is never read whole); undefined when unreadable or binary. */
async function readCapped(
  path: string,
  maxChars: number,
): Promise<{ text: string; sizeBytes: number; truncated: boolean } | undefined> {
  let handle;
  try {
    // Non-blocking: a FIFO planted as AGENTS.md must not hang the turn (regular files read as usual).
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    const info = await handle.stat();
    if (!info.isFile()) return undefined;
    // UTF-8 takes at most 4 bytes per character.
    const want = Math.min(info.size, maxChars * 4);
    const buffer = Buffer.alloc(want);
    const { bytesRead } = await handle.read(buffer, 0, want, 0);
    const data = buffer.subarray(0, bytesRead);
    if (data.subarray(0, 8192).includes(0)) return undefined;
    const text = data.toString('utf8');
    const truncated = text.length > maxChars || bytesRead < info.size;
    return { text: text.slice(0, maxChars), sizeBytes: info.size, truncated };
  } catch {
    return undefined;
  } finally {
    await handle?.close();
  }
}

/** The instruction file of one directory: AGENTS.md, else CLAUDE.md; must be a file inside `within` (real paths) when given. */
async function fileIn(dir: string, within?: string): Promise<string | undefined> {
  for (const name of INSTRUCTION_NAMES) {
    const path = join(dir, name);
    let real: string;
    try {
      real = await realpath(path);
    } catch {
      continue;
    }
    // A repository's AGENTS.md that links out of the project (to ~/.ssh/id_rsa) is not read.
    if (within !== undefined && real !== within && !real.startsWith(within + sep)) continue;
    return path;
  }
  return undefined;
}

/** Parent directories of `projectRoot`, nearest first, up to `home` (inclusive) or the filesystem root. */
function parentsOf(projectRoot: string, home: string): string[] {
  const out: string[] = [];
  const stop = resolve(home);
  const insideHome = projectRoot.startsWith(stop + sep);
  for (let dir = dirname(projectRoot); ; dir = dirname(dir)) {
    if (dir === projectRoot) break;
    out.push(dir);
    if ((insideHome && dir === stop) || dirname(dir) === dir) break;
  }
  return out;
}

async function nestedFiles(realRoot: string): Promise<{ paths: string[]; capped: boolean }> {
  const byDir = new Map<string, string[]>();
  const summary = await walk(
    { projectRoot: realRoot, start: realRoot, maxVisited: INSTRUCTION_LIMITS.walkEntries, recursive: true },
    (entry) => {
      const slash = entry.path.lastIndexOf('/');
      const name = entry.path.slice(slash + 1);
      // Symlinks are never followed out of the project; the root's own file is not nested.
      if (entry.directory || entry.symlink || slash === -1 || !(INSTRUCTION_NAMES as readonly string[]).includes(name))
        return true;
      const dir = entry.path.slice(0, slash);
      byDir.set(dir, [...(byDir.get(dir) ?? []), name]);
      return true;
    },
  );
  const paths: string[] = [];
  for (const [dir, names] of byDir) {
    const name = names.includes('AGENTS.md') ? 'AGENTS.md' : 'CLAUDE.md';
    paths.push(join(realRoot, ...dir.split('/'), name));
  }
  return { paths: paths.sort(), capped: summary.capped };
}

function kb(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KB`;
}

/**
 * Finds and reads the instruction files of a project. Without `dirs` only the project's own files
 * count (root and nested): the daemon passes them, tests pass temp directories.
 */
export async function loadInstructions(projectRoot: string, dirs?: InstructionDirs): Promise<Instructions> {
  const root = resolve(projectRoot);
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    return { files: [], prompt: '', nestedCapped: false };
  }
  // Most specific first: the budget goes to the project's file before the parents' and the user's.
  const candidates: Candidate[] = [];
  const own = await fileIn(root, realRoot);
  if (own !== undefined) candidates.push({ path: own, scope: 'project' });
  if (dirs !== undefined) {
    for (const dir of parentsOf(root, dirs.home)) {
      const path = await fileIn(dir);
      if (path !== undefined) candidates.push({ path, scope: 'parent' });
    }
    const user = join(dirs.user, 'AGENTS.md');
    if ((await fileIn(dirs.user)) === user) candidates.push({ path: user, scope: 'user' });
  }

  let budget: number = INSTRUCTION_LIMITS.totalChars;
  const included: Array<{ file: InstructionFile; text: string }> = [];
  for (const c of candidates) {
    const read = await readCapped(c.path, Math.min(INSTRUCTION_LIMITS.fileChars, Math.max(budget, 0)));
    if (read === undefined) continue;
    const text = read.text.trim();
    budget -= text.length;
    included.push({
      file: {
        path: c.path,
        scope: c.scope,
        sizeBytes: read.sizeBytes,
        includedChars: text.length,
        truncated: read.truncated,
        included: text.length > 0,
      },
      text,
    });
  }
  const nested = await nestedFiles(realRoot);
  const nestedInfo: InstructionFile[] = [];
  for (const path of nested.paths.slice(0, INSTRUCTION_LIMITS.nestedListed)) {
    const read = await readCapped(path, 1);
    if (read !== undefined)
      nestedInfo.push({
        path,
        scope: 'nested',
        sizeBytes: read.sizeBytes,
        includedChars: 0,
        truncated: false,
        included: false,
      });
  }

  // In the prompt the general ones come first and the most specific last.
  const ordered = [...included].reverse();
  const shown = (path: string) => {
    const rel = relative(realRoot, path);
    return rel !== '' && !rel.startsWith('..') ? rel.split(sep).join('/') : path;
  };
  const sections = ordered
    .filter((i) => i.file.sizeBytes > 0)
    .map(({ file, text }) => {
      const where = file.scope === 'user' ? 'user-wide' : file.scope === 'parent' ? 'parent directory' : 'project root';
      const note = !file.truncated
        ? ''
        : text === ''
          ? `[left out: instructions are capped at ${INSTRUCTION_LIMITS.totalChars} characters in all; read_file ${shown(file.path)}]`
          : `\n[cut at ${file.includedChars} characters of ${kb(file.sizeBytes)}; read_file ${shown(file.path)} for the rest]`;
      return `--- ${shown(file.path)} (${where})\n${text}${note}`;
    });
  if (nestedInfo.length > 0) {
    const more =
      nested.paths.length > nestedInfo.length || nested.capped ? '\n(there may be more in deeper directories)' : '';
    sections.push(
      `Subdirectories have their own instructions, which take precedence for files under them. ` +
        `Read the one nearest a file (read_file) before you change it:\n` +
        `${nestedInfo.map((f) => `- ${shown(f.path)} (${kb(f.sizeBytes)})`).join('\n')}${more}`,
    );
  }
  return {
    files: [...ordered.map((i) => i.file), ...nestedInfo],
    prompt: sections.join('\n\n'),
    nestedCapped: nested.capped,
  };
}
