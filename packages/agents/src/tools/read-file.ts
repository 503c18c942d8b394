import { readFile, stat } from 'node:fs/promises';
import { defineTool, toolError } from './tool.js';
import { displayPath, projectRealRoot, resolveForRead } from './paths.js';

export interface ReadFileArgs {
  path: string;
  start_line?: number;
  end_line?: number;
}

/**
 * Lines and characters shown per call; the note tells the model how to read on.
 * @internal exported for tests
 */
export const READ_LIMITS = { maxLines: 2000, maxChars: 100_000, maxFileBytes: 10 * 1024 * 1024 };

export const readFileTool = defineTool<ReadFileArgs>({
  name: 'read_file',
  description:
    'Read a text file of the project with numbered lines. Use start_line/end_line (1-based, inclusive) for large files; ' +
    `at most ${READ_LIMITS.maxLines} lines are shown per call.`,
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1, description: 'File path, relative to the project root' },
      start_line: { type: 'integer', minimum: 1, description: 'First line to show (1-based)' },
      end_line: { type: 'integer', minimum: 1, description: 'Last line to show (inclusive)' },
    },
    required: ['path'],
    additionalProperties: false,
  },
  readOnly: true,
  describe: (args) => args.path,
  async run(args, env) {
    const target = await resolveForRead(env.fs, args.path);
    const shown = displayPath(await projectRealRoot(env.fs), target);
    const info = await stat(target).catch(() => undefined);
    if (info === undefined) return toolError(`File not found: ${shown}`);
    if (info.isDirectory()) return toolError(`${shown} is a directory; use list_files to see its entries.`);
    if (info.size > READ_LIMITS.maxFileBytes)
      return toolError(
        `${shown} is ${info.size} bytes, too large to read (limit ${READ_LIMITS.maxFileBytes}); use search to find the relevant lines.`,
      );
    const data = await readFile(target);
    if (data.subarray(0, 8192).includes(0)) return toolError(`${shown} looks like a binary file; not shown.`);
    const lines = data.toString('utf8').split('\n');
    if (lines.length > 1 && lines[lines.length - 1] === '') lines.pop();
    const total = lines.length;
    if (total === 0 || (total === 1 && lines[0] === ''))
      return { content: `${shown} is empty.`, isError: false, summary: 'empty file' };
    const start = args.start_line ?? 1;
    if (start > total) return toolError(`${shown} has ${total} lines; start_line ${start} is past the end.`);
    const requestedEnd = Math.min(args.end_line ?? total, total);
    if (requestedEnd < start) return toolError(`end_line (${requestedEnd}) is before start_line (${start}).`);
    const out: string[] = [];
    let chars = 0;
    let end = start - 1;
    for (let n = start; n <= requestedEnd && n - start < READ_LIMITS.maxLines; n++) {
      const line = `${String(n).padStart(6)}\t${lines[n - 1] ?? ''}`;
      if (chars + line.length > READ_LIMITS.maxChars && out.length > 0) break;
      out.push(line);
      chars += line.length + 1;
      end = n;
    }
    if (end < requestedEnd || (args.end_line === undefined && end < total)) {
      out.push(`[showing lines ${start}-${end} of ${total}; read on with start_line=${end + 1}]`);
    }
    return { content: out.join('\n'), isError: false, summary: `${shown}: lines ${start}-${end} of ${total}` };
  },
});
