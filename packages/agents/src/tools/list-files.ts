import { stat } from 'node:fs/promises';
import { globMatcher } from './glob.js';
import { displayPath, projectRealRoot, resolveForRead } from './paths.js';
import { defineTool, toolError } from './tool.js';
import { walk } from './walk.js';

export interface ListFilesArgs {
  path?: string;
  glob?: string;
  max?: number;
}

const LIST_LIMITS = { defaultMax: 500, maxMax: 5000, maxVisited: 100_000 };

export const listFilesTool = defineTool<ListFilesArgs>({
  name: 'list_files',
  description:
    'List a directory of the project (directories end with "/"). With glob, list matching files recursively: ' +
    'a pattern without "/" matches names at any depth ("*.ts"), one with "/" matches paths relative to `path` ("src/**/*.test.ts"). ' +
    ".git, node_modules and .gitignore'd paths are skipped.",
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', description: 'Directory relative to the project root (default: the root)' },
      glob: { type: 'string', minLength: 1, description: 'Glob pattern for a recursive listing' },
      max: {
        type: 'integer',
        minimum: 1,
        maximum: LIST_LIMITS.maxMax,
        description: `Most entries to return (default ${LIST_LIMITS.defaultMax})`,
      },
    },
    additionalProperties: false,
  },
  readOnly: true,
  describe: (args) => [args.path ?? '.', args.glob].filter(Boolean).join(' '),
  async run(args, env) {
    const root = await projectRealRoot(env.fs);
    const start = await resolveForRead(env.fs, args.path ?? '.');
    const shown = displayPath(root, start);
    const info = await stat(start).catch(() => undefined);
    if (info === undefined) return toolError(`Directory not found: ${shown}`);
    if (!info.isDirectory()) return toolError(`${shown} is a file; use read_file to read it.`);
    const max = args.max ?? LIST_LIMITS.defaultMax;
    const prefix = start === root ? '' : `${displayPath(root, start)}/`;
    const match = args.glob === undefined ? undefined : globMatcher(args.glob);
    const found: string[] = [];
    let more = false;
    const summary = await walk(
      {
        projectRoot: root,
        start,
        maxVisited: LIST_LIMITS.maxVisited,
        recursive: match !== undefined,
        signal: env.signal,
      },
      (entry) => {
        if (match !== undefined && (entry.directory || !match(entry.path.slice(prefix.length)))) return true;
        if (found.length >= max) {
          more = true;
          return false;
        }
        found.push(entry.directory ? `${entry.path}/` : entry.path);
        return true;
      },
    );
    if (found.length === 0) {
      const what =
        match === undefined
          ? `${shown} is empty (or everything in it is ignored)`
          : `No files match ${args.glob} under ${shown}`;
      return { content: `${what}.`, isError: false, summary: '0 entries' };
    }
    const notes: string[] = [];
    if (more) notes.push(`[stopped at ${max} entries; narrow the path or glob, or raise max]`);
    if (summary.capped)
      notes.push(`[walk stopped after ${LIST_LIMITS.maxVisited} entries; the listing may be incomplete]`);
    return {
      content: [...found, ...notes].join('\n'),
      isError: false,
      summary: `${found.length}${more ? '+' : ''} entries`,
    };
  },
});
