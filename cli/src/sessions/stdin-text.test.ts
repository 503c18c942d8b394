import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../exit-codes.js';
import { textArgument } from './stdin-text.js';

const stream = (text: string) => Readable.from([Buffer.from(text)]);

describe('textArgument', () => {
  it('joins the words when they are not a lone "-"', async () => {
    expect(await textArgument(['fix', 'the', 'tests'], stream('unused'), 'usage')).toBe('fix the tests');
    expect(await textArgument(['-', 'x'], stream('unused'), 'usage')).toBe('- x');
  });

  it('reads "-" from the stream, dropping the one line break echo adds', async () => {
    expect(await textArgument(['-'], stream('line one\nline two\n'), 'usage')).toBe('line one\nline two');
  });

  it('refuses empty input with a usage error and the hint', async () => {
    const err = await textArgument(['-'], stream(' \n'), 'pipe it in').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CliError);
    expect(err).toMatchObject({ exitCode: EXIT.usage, hint: 'pipe it in' });
  });
});
