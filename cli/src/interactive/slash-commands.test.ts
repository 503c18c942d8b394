import { describe, expect, it } from 'vitest';
import { parseSlash, slashHelp } from './slash-commands.js';

describe('slash commands', () => {
  it('parses /word and its arguments; a path or plain text is a message', () => {
    expect(parseSlash('/cost')).toEqual({ name: 'cost', args: '' });
    expect(parseSlash('  /model  claude-haiku-4-5 ')).toEqual({ name: 'model', args: 'claude-haiku-4-5' });
    expect(parseSlash('/nope')).toEqual({ name: 'nope', args: '' });
    expect(parseSlash('/usr/lib is missing')).toBeUndefined();
    expect(parseSlash('fix /cost')).toBeUndefined();
  });

  it('lists every command in /help, the view’s own included', () => {
    const help = slashHelp({ cost: { help: 'tokens and cost', run: async () => '' } });
    for (const name of ['/cost', '/help', '/edit', '/detach', '/quit']) expect(help).toContain(name);
  });
});
