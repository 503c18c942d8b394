import type { Readable } from 'node:stream';
import { CliError, EXIT } from '../exit-codes.js';

/** All of a stream as UTF-8 text, without the one trailing line break `echo … |` adds. */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/**
 * The text of a `text…` argument list; a lone `-` means "read it from standard input" (as
 * `echo task | sylk run -`). Empty input is a usage error: a session would get a blank message.
 */
export async function textArgument(words: string[], stdin: Readable, usage: string): Promise<string> {
  if (words.length !== 1 || words[0] !== '-') return words.join(' ');
  const text = await readAll(stdin);
  if (text.trim() === '')
    throw new CliError('standard input was empty: there is nothing to send', EXIT.usage, usage, 'cli.usage');
  return text;
}
