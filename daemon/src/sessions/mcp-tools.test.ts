import { describe, expect, it } from 'vitest';
import { safeParameters } from './mcp-tools.js';

const info = (inputSchema: Record<string, unknown>) => ({ server: 's', name: 't', description: '', inputSchema });

describe('safeParameters', () => {
  it("keeps a server's object schema the loop's validator accepts (without $schema)", () => {
    const schema = {
      $schema: 'http://json-schema.org/draft-07/schema#',
      type: 'object',
      properties: { q: { type: 'string' } },
      required: ['q'],
    };
    expect(safeParameters(info(schema))).toEqual({
      parameters: { type: 'object', properties: { q: { type: 'string' } }, required: ['q'] },
      checked: true,
    });
  });

  it('falls back to any object for schemas the strict validator rejects or that are not objects', () => {
    const permissive = { parameters: { type: 'object', additionalProperties: true }, checked: false };
    expect(safeParameters(info({ type: 'object', properties: { q: { type: 'string', 'x-vendor': 1 } } }))).toEqual(
      permissive,
    );
    expect(safeParameters(info({ type: 'object', properties: { q: { type: 'nonsense' } } }))).toEqual(permissive);
    expect(safeParameters(info({ type: 'string' }))).toEqual(permissive);
    expect(safeParameters(info({}))).toEqual(permissive);
  });
});
