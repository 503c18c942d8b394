import { describe, expect, it } from 'vitest';
import { PromptArea, rowsOf } from './prompt-area.js';
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

  it('counts the rows a prompt line takes, colours excluded', () => {
    expect(rowsOf('\u001b[1m›\u001b[22m abc', 80)).toBe(1);
    expect(rowsOf('x'.repeat(81), 80)).toBe(2);
    expect(rowsOf('', 80)).toBe(1);
  });
});

describe('PromptArea', () => {
  it('erases exactly the rows it drew (wrapped lines included) before drawing again', () => {
    let out = '';
    const area = new PromptArea({ write: (t: string) => (out += t) }, () => 10);
    area.clear();
    expect(out).toBe(''); // nothing drawn yet: nothing to erase
    area.draw(['status', '› ' + 'x'.repeat(12)]); // 1 + 2 rows
    expect(out).toBe(`status\n› ${'x'.repeat(12)}`);
    out = '';
    area.draw(['› y']);
    expect(out).toBe('\u001b[2A\r\u001b[J› y');
    out = '';
    area.clear();
    expect(out).toBe('\r\u001b[J');
  });
});
