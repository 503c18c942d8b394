import { Ajv } from 'ajv';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { defineTool, toolError } from './tools/tool.js';
import { ArgumentValidator } from './validate.js';

function tool(name: string) {
  return defineTool<{ path: string }>({
    name,
    description: 'test tool',
    readOnly: true,
    // A fresh schema object per tool: nothing compiled for it yet.
    parameters: {
      type: 'object',
      properties: { path: { type: 'string', minLength: 1 } },
      required: ['path'],
      additionalProperties: false,
    },
    describe: (args) => args.path,
    run: async () => toolError('not run here'),
  });
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ArgumentValidator', () => {
  it('compiles a schema on its first checked call, once for every turn after', () => {
    const compile = vi.spyOn(Ajv.prototype, 'compile');
    const read = tool('read_it');
    const turns = [new ArgumentValidator([read, tool('unused')]), new ArgumentValidator([read])];
    expect(compile).not.toHaveBeenCalled();
    for (const v of turns) expect(v.validate(read, { path: 'a.txt' })).toEqual({ ok: true });
    expect(compile).toHaveBeenCalledTimes(1);
  });

  it('reports every problem and the schema to follow', () => {
    const read = tool('read_that');
    const result = new ArgumentValidator([read]).validate(read, { path: '', extra: 1 });
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.message;
    expect(message).toContain('Invalid arguments for read_that');
    expect(message).toContain('"path" must NOT have fewer than 1 characters');
    expect(message).toContain('unknown property "extra"');
    expect(message).toContain('"required":["path"]');
  });

  it('passes calls of tools it was not given', () => {
    expect(new ArgumentValidator([]).validate(tool('other'), {})).toEqual({ ok: true });
  });
});
