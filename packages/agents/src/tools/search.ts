import { readFile, stat } from 'node:fs/promises';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { errorMessage } from '@sylk/core';
import { globMatcher, type GlobMatcher } from './glob.js';
import { displayPath, projectRealRoot, resolveForRead } from './paths.js';
import { defineTool, toolError } from './tool.js';
import { compileUntrusted, UNTRUSTED_REGEX_LIMITS } from './untrusted-regex.js';
import { walk } from './walk.js';

export interface SearchArgs {
  pattern: string;
  path?: string;
  glob?: string;
  max_results?: number;
  ignore_case?: boolean;
}

/** Bounds that keep one search cheap: files looked at, bytes per file, characters per line. */
const SEARCH_LIMITS = {
  defaultResults: 100,
  maxResults: 1000,
  maxVisited: 50_000,
  maxFileBytes: 1024 * 1024,
  maxLineChars: 4096,
  shownLineChars: 300,
};

/** Matching work (characters × program size) between yields to the event loop, so other sessions and RPCs interleave. */
const WORK_PER_YIELD = 1 << 20;

export const searchTool = defineTool<SearchArgs>({
  name: 'search',
  description:
    'Search file contents with a regular expression (RE2 syntax: like JavaScript, but no lookaround or backreferences); ' +
    'prints path:line: text per match. ' +
    "Skips .git, node_modules, .gitignore'd paths, binary files and files over 1 MiB. " +
    'glob filters files like list_files ("*.ts" at any depth, "src/**/*.ts" relative to `path`).',
  parameters: {
    type: 'object',
    properties: {
      pattern: {
        type: 'string',
        minLength: 1,
        maxLength: UNTRUSTED_REGEX_LIMITS.maxPatternChars,
        description:
          'Regular expression (RE2 syntax: \\d \\w \\b [a-z] (a|b) a{2,5} (?i) work; lookaround and backreferences do not)',
      },
      path: {
        type: 'string',
        description: 'File or directory to search, relative to the project root (default: the root)',
      },
      glob: { type: 'string', minLength: 1, description: 'Only files matching this glob' },
      max_results: {
        type: 'integer',
        minimum: 1,
        maximum: SEARCH_LIMITS.maxResults,
        description: `Most matches to return (default ${SEARCH_LIMITS.defaultResults})`,
      },
      ignore_case: { type: 'boolean', description: 'Case-insensitive matching' },
    },
    required: ['pattern'],
    additionalProperties: false,
  },
  readOnly: true,
  describe: (args) => `/${args.pattern}/ in ${args.path ?? '.'}${args.glob ? ` (${args.glob})` : ''}`,
  async run(args, env) {
    // The model's pattern never reaches RegExp: a backtracking engine lets one pattern freeze the daemon.
    const compiled = compileUntrusted(args.pattern, { ignoreCase: args.ignore_case === true });
    if (!compiled.ok) return toolError(compiled.message);
    const regex = compiled.regex;
    let match: GlobMatcher | undefined;
    try {
      match = args.glob === undefined ? undefined : globMatcher(args.glob);
    } catch (err) {
      return toolError(errorMessage(err));
    }
    const root = await projectRealRoot(env.fs);
    const start = await resolveForRead(env.fs, args.path ?? '.');
    const info = await stat(start).catch(() => undefined);
    if (info === undefined) return toolError(`Not found: ${displayPath(root, start)}`);
    const max = args.max_results ?? SEARCH_LIMITS.defaultResults;
    const prefix = start === root ? '' : `${displayPath(root, start)}/`;
    const hits: string[] = [];
    let files = 0;
    let more = false;
    let work = 0;
    const searchFile = async (absolute: string, path: string): Promise<boolean> => {
      const lines = await readTextLines(absolute);
      if (lines === undefined) return true;
      files++;
      for (let i = 0; i < lines.length; i++) {
        const line = lines[i] as string;
        const subject = line.length > SEARCH_LIMITS.maxLineChars ? line.slice(0, SEARCH_LIMITS.maxLineChars) : line;
        work += (subject.length + 1) * regex.costPerChar;
        if (work >= WORK_PER_YIELD) {
          work = 0;
          await yieldToEventLoop();
          if (env.signal.aborted) return false;
        }
        if (!regex.test(subject)) continue;
        if (hits.length >= max) {
          more = true;
          return false;
        }
        const text =
          line.length > SEARCH_LIMITS.shownLineChars ? `${line.slice(0, SEARCH_LIMITS.shownLineChars)}…` : line;
        hits.push(`${path}:${i + 1}: ${text}`);
      }
      return true;
    };
    let capped = false;
    if (info.isFile()) await searchFile(start, displayPath(root, start));
    else {
      const summary = await walk(
        { projectRoot: root, start, maxVisited: SEARCH_LIMITS.maxVisited, recursive: true, signal: env.signal },
        (entry) => {
          if (entry.directory || entry.symlink || (match !== undefined && !match(entry.path.slice(prefix.length))))
            return true;
          return searchFile(entry.absolute, entry.path);
        },
      );
      capped = summary.capped;
    }
    const notes: string[] = [];
    if (more) notes.push(`[stopped at ${max} matches; narrow the pattern, path or glob, or raise max_results]`);
    if (capped) notes.push(`[walk stopped after ${SEARCH_LIMITS.maxVisited} entries; results may be incomplete]`);
    if (hits.length === 0)
      return {
        content: [`No matches for /${args.pattern}/ in ${files} files.`, ...notes].join('\n'),
        isError: false,
        summary: `0 matches in ${files} files`,
      };
    return {
      content: [...hits, ...notes].join('\n'),
      isError: false,
      summary: `${hits.length}${more ? '+' : ''} matches`,
    };
  },
});

/** The file's lines, or undefined for binary, oversized or unreadable files. */
async function readTextLines(absolute: string): Promise<string[] | undefined> {
  try {
    const info = await stat(absolute);
    if (!info.isFile() || info.size > SEARCH_LIMITS.maxFileBytes) return undefined;
    const data = await readFile(absolute);
    if (data.subarray(0, 8192).includes(0)) return undefined;
    return data.toString('utf8').split(/\r?\n/);
  } catch {
    return undefined;
  }
}
