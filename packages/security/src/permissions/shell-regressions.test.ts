/**
 * Holes the differential test against tree-sitter-bash (and a look at sh = dash) found in the
 * shell-line parser and in how words are judged, one test each.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import { PermissionManager } from './manager.js';
import { Role } from './roles.js';
import { parseShellLine } from './shell.js';

const argv = (line: string) => {
  const parsed = parseShellLine(line);
  if (!parsed.ok) throw new Error(`unexpected failure: ${parsed.reason}`);
  return parsed.commands.map((c) => c.words.map((w) => w.value));
};
const refused = (line: string) => parseShellLine(line).ok === false;
const word = (line: string, index: number) => {
  const parsed = parseShellLine(line);
  return parsed.ok ? parsed.commands[0]?.words[index] : undefined;
};

describe('parser fixes', () => {
  it("inside double quotes \"$'\" is a dollar and a quote, not the start of $'…'", () => {
    expect(argv(`echo "$'" ; id ; echo "'"`)).toEqual([['echo', "$'"], ['id'], ['echo', "'"]]);
  });

  it("refuses \\' inside $'…', which sh (dash) ends at that quote", () => {
    expect(refused("echo $'\\' ; id\necho '")).toBe(true);
    expect(argv("printf $'a\\tb\\n'")).toEqual([['printf', "$'a\\tb\\n'"]]);
  });

  it('refuses ${…} forms that evaluate arithmetic, follow indirection or assign', () => {
    for (const line of [
      'echo ${!x}',
      'echo ${HOME:CI}',
      'echo ${x:0:1}',
      'echo ${a[i]}',
      'echo ${CDPATH:=/}',
      'echo ${x=1}',
      'echo $[CI]',
      'echo "$[1]"',
    ]) {
      expect(refused(line), line).toBe(true);
    }
    expect(argv('echo ${x:-d} ${#x} ${x%.*} ${x/a/b} ${a[@]} ${a[0]} ${x^^} ${x@Q}')[0]).toHaveLength(9);
  });

  it('reads a word starting with "#" as a comment, also after ")"; refuses it as a redirection target', () => {
    expect(argv("npm test # it's the main suite")).toEqual([['npm', 'test']]);
    expect(argv('(cd src && ls)# list')).toEqual([['cd', 'src'], ['ls']]);
    expect(argv('echo a#b')).toEqual([['echo', 'a#b']]);
    expect(refused('echo >#x')).toBe(true);
  });

  it('refuses operators without the command bash needs around them', () => {
    for (const line of ['a |', '| a', 'a && && b', 'a || ; b', '( )', '; a', 'a &&', 'a ;& b'])
      expect(refused(line), line).toBe(true);
    expect(argv('a &&\n  b; c &\nd')).toEqual([['a'], ['b'], ['c'], ['d']]);
  });

  it('refuses words after "&>", which sh (dash) runs as a command of their own', () => {
    expect(refused('echo &>/dev/null rm -rf ~')).toBe(true);
    expect(refused('echo a 2&>x')).toBe(true);
    expect(argv('npm test &> log.txt')).toEqual([['npm', 'test']]);
  });

  it('marks words whose glob characters are partly quoted, and NAME=~ arguments, as unknown', () => {
    expect(word("cat '*'*", 1)).toMatchObject({ value: '**', expands: true });
    expect(word("cat {a,'b}'", 1)).toMatchObject({ value: '{a,b}', expands: true });
    expect(word('cat *.ts', 1)).toMatchObject({ glob: true, expands: false });
    expect(word('make X=~/y', 1)).toMatchObject({ expands: true });
    expect(word('echo --x=~/y', 1)).toMatchObject({ expands: false });
  });
});

describe('brace words are judged the way bash and sh read them', () => {
  let dir: string;
  let project: string;
  let m: PermissionManager;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sylk-braces-'));
    project = join(dir, 'project');
    mkdirSync(join(project, '.git', 'hooks'), { recursive: true });
    writeFileSync(join(project, 'a.txt'), 'a');
    mkdirSync(join(dir, 'home', '.ssh'), { recursive: true });
    writeFileSync(join(dir, 'home', '.ssh', 'id_rsa'), 'secret');
    m = new PermissionManager({
      projectRoot: project,
      homeDir: join(dir, 'home'),
      role: Role.Worker,
      clock: new ManualClock(0),
      allowlistFile: join(dir, 'state', 'p.yaml'),
    });
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const check = (command: string) => m.check({ kind: 'command', command });

  it('expands "~" in each brace result, as bash does', () => {
    expect(check('cat {~,x}/.ssh/id_rsa').verdict).toBe('ask');
    expect(check('cat {~root,x}').verdict).toBe('ask');
    expect(check('cat {a,x}.txt').verdict).toBe('allow');
  });

  it('judges the word as written too, which sh (dash) and direct execution read', () => {
    symlinkSync(join(dir, 'home', '.ssh', 'id_rsa'), join(project, '{x,y}'));
    expect(check('cat {x,y}').verdict).toBe('ask');
  });

  it('gives every brace result the check of its operand (a tee target is a write)', () => {
    expect(check('tee {x,.git/hooks/pre-commit}')).toMatchObject({ verdict: 'ask', source: 'protected' });
    m.persist({ kind: 'command', pattern: 'cp' });
    expect(check('cp a.txt {b,.git/config}')).toMatchObject({ verdict: 'ask', source: 'protected' });
    expect(check('cp a.txt {b,c}').verdict).toBe('allow');
  });

  it("asks for arithmetic that runs a variable's value as code", () => {
    expect(check("CI='a[$(id)]'; echo ${HOME:CI}").verdict).toBe('ask');
    expect(check("CI='a[$(id)]'; echo $[CI]").verdict).toBe('ask');
  });
});
