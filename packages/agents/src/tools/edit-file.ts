import { explainMissing, lineAt, occurrences, replaceAt } from './edit-match.js';
import { loadTarget, writeWithPermission } from './file-change.js';
import { defineTool, toolError } from './tool.js';

export interface EditFileArgs {
  path: string;
  old_string: string;
  new_string: string;
  replace_all?: boolean;
}

export const editFileTool = defineTool<EditFileArgs>({
  name: 'edit_file',
  description:
    'Replace an exact string in a file. old_string must match the file exactly (whitespace included) and be unique ' +
    'unless replace_all is true; include enough surrounding lines to make it unique. Read the file first.',
  parameters: {
    type: 'object',
    properties: {
      path: { type: 'string', minLength: 1, description: 'File path, relative to the project root' },
      old_string: { type: 'string', minLength: 1, description: 'The exact text to replace' },
      new_string: { type: 'string', description: 'The replacement text' },
      replace_all: { type: 'boolean', description: 'Replace every occurrence (default false)' },
    },
    required: ['path', 'old_string', 'new_string'],
    additionalProperties: false,
  },
  readOnly: false,
  describe: (args) => args.path,
  async run(args, env) {
    const target = await loadTarget(env, args.path);
    if (target.isDirectory) return toolError(`${target.shown} is a directory; give a file path.`);
    if (target.before === undefined)
      return toolError(`File not found: ${target.shown}. Use write_file to create a new file.`);
    if (args.old_string === args.new_string)
      return toolError('old_string and new_string are identical; nothing to change.');
    const before = target.before;
    const found = occurrences(before, args.old_string);
    if (found.length === 0) {
      return toolError(
        `old_string was not found in ${target.shown}. ${explainMissing(before, args.old_string)}`,
        `no match in ${target.shown}`,
      );
    }
    if (found.length > 1 && args.replace_all !== true) {
      const lines = found.map((at) => lineAt(before, at));
      return toolError(
        `old_string matches ${found.length} times in ${target.shown} (lines ${lines.join(', ')}). ` +
          'Include more surrounding context to make it unique, or set replace_all to true to change every occurrence.',
        `${found.length} matches in ${target.shown}`,
      );
    }
    const after = replaceAt(before, found, args.old_string.length, args.new_string);
    const written = await writeWithPermission(env, args.path, target, after);
    if ('denied' in written) return written.denied;
    const summary = `Edited ${target.shown} (${found.length} replacement${found.length === 1 ? '' : 's'})`;
    return { content: `${summary}\n${written.preview}`, isError: false, summary, fileChange: written.change };
  },
});
