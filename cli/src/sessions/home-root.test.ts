import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { CliError, EXIT } from '../exit-codes.js';
import { style } from '../output.js';
import { askLine, confirmHomeRoot, type HomeRootCheck } from './home-root.js';

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function setup(over: Partial<HomeRootCheck> = {}, answer = '') {
  dir = mkdtempSync(join(tmpdir(), 'sylk-cli-home-'));
  const home = join(dir, 'home');
  mkdirSync(join(home, 'project'), { recursive: true });
  const asked: string[] = [];
  const check: HomeRootCheck = {
    root: home,
    home,
    allowHome: false,
    yes: false,
    interactive: true,
    ask: async (q) => (asked.push(q), answer),
    style: style(false),
    ...over,
  };
  return { home, check, asked };
}

async function refusal(p: Promise<unknown>): Promise<CliError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CliError);
  return err as CliError;
}

describe('confirmHomeRoot', () => {
  it('lets a project directory through without asking', async () => {
    const { home, check, asked } = setup();
    expect(await confirmHomeRoot({ ...check, root: join(home, 'project') })).toBe(false);
    expect(asked).toEqual([]);
  });

  it('asks on a terminal and confirms only on yes', async () => {
    const yes = setup({}, 'y');
    expect(await confirmHomeRoot(yes.check)).toBe(true);
    expect(yes.asked).toEqual([
      `! ${yes.home} is your home directory: a session there lets the agent see every file you own.\n  Start it there anyway? [y/N] `,
    ]);
    rmSync(dir as string, { recursive: true, force: true });
    for (const answer of ['', 'n', 'nope']) {
      const no = setup({}, answer);
      const err = await refusal(confirmHomeRoot(no.check));
      expect([err.message, err.exitCode]).toEqual(['no session started', EXIT.failure]);
      rmSync(dir as string, { recursive: true, force: true });
    }
    expect(await confirmHomeRoot(setup({ root: '/' }, 'yes').check)).toBe(true);
  });

  it('refuses with --yes or without a terminal, unless --allow-home', async () => {
    const a = setup({ yes: true });
    const withYes = await refusal(confirmHomeRoot(a.check));
    expect(withYes.message).toBe(
      `refusing to start a session: ${a.home} is your home directory: a session there lets the agent see every file you own (--yes does not confirm this)`,
    );
    expect(withYes.exitCode).toBe(EXIT.usage);
    expect(withYes.hint).toContain('--allow-home');
    expect(a.asked).toEqual([]);
    const piped = await refusal(confirmHomeRoot({ ...a.check, yes: false, interactive: false, root: '/' }));
    expect(piped.message).toContain('/ is the filesystem root');
    expect(await confirmHomeRoot({ ...a.check, allowHome: true })).toBe(true);
    expect(a.asked).toEqual([]);
  });
});

describe('askLine', () => {
  it('reads one answer, and gives up with an empty one at end of input', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const answer = askLine('Start? ', input, output);
    input.write('yes\n');
    expect(await answer).toBe('yes');
    const ended = new PassThrough();
    const none = askLine('Start? ', ended, new PassThrough());
    ended.end();
    expect(await none).toBe('');
  });
});
