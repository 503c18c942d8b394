import { lineCount, loadTarget, writeWithPermission } from './file-change.js';
import { defineTool, toolError } from './tool.js';

export interface WriteFileArgs {
  path: string;
  content: string;
}

export const writeFileTool = defineTool<WriteFileArgs>({
  name: 'write_file',
  description:
    'Create a file or replace its whole content (parent directories are created). ' +
    'To change part of an existing file prefer edit_file.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1, description: 'File path, relative to the project root' },
      content: { type: 'string', description: 'The complete new content' },
    },
    required: ['path', 'content'],
    additionalProperties: false,
  },
  readOnly: false,
  describe: (args) => args.path,
  async run(args, env) {
    const target = await loadTarget(env, args.path);
    if (target.isDirectory) return toolError(`${target.shown} is a directory; give a file path.`);
    const written = await writeWithPermission(env, args.path, target, args.content);
    if ('denied' in written) return written.denied;
    const verb = target.before === undefined ? 'Created' : 'Overwrote';
    const summary = `${verb} ${target.shown} (${lineCount(args.content)} lines, ${Buffer.byteLength(args.content)} bytes)`;
    return { content: summary, isError: false, summary, fileChange: written.change };
  },
});
