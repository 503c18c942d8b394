/**
 * Judging a shell line: every simple command in it must pass, and its redirections (and `tee`
 * targets) are judged as path reads and writes.
 */
import nodePath from 'node:path';
import { decide, strictest } from './decision.js';
import { indirectReason, matchesCommandPattern, normalizeArgv } from './commands.js';
import type { Judge } from './judge.js';
import { protectedReason, resolvePath } from './paths.js';
import { expandBraces, expandGlob } from './expand.js';
import { matchSafeCommand, type SafeCommand, type SafeUse } from './safe-list.js';
import { parseShellLine, type ShellCommand, type ShellWord } from './shell.js';
import type { PermissionDecision } from './types.js';

/** Variables that cannot change which program runs or what it loads; any other assignment asks. */
const HARMLESS_ENV =
  /^(CI|NODE_ENV|FORCE_COLOR|NO_COLOR|TERM|COLUMNS|LINES|DEBUG|TZ|LANG|LANGUAGE|LC_[A-Z]+|RUST_BACKTRACE|RUST_LOG|CGO_ENABLED|GOOS|GOARCH|VERBOSE)$/;
const variableName = (assignment: string): string => assignment.slice(0, assignment.indexOf('=')).replace(/\+$/, '');
const DEVICES = new Set(['/dev/null', '/dev/stdout', '/dev/stderr', '/dev/tty']);
/** Commands whose path arguments are removed, so directories holding protected files count. */
const DELETING = new Set(['rm', 'rmdir', 'mv', 'unlink', 'shred', 'rsync']);

export function checkCommandLine(judge: Judge, line: string, cwd: string): PermissionDecision {
  const parsed = parseShellLine(line);
  if (!parsed.ok) {
    return judge.can('command')
      ? decide('ask', 'default', `cannot judge the shell line safely (${parsed.reason})`)
      : decide(
          'deny',
          'role',
          `role ${judge.role} may only run safe commands, and this line cannot be judged (${parsed.reason})`,
        );
  }
  const parts = parsed.commands.map((command) => ({ ...checkSimple(judge, command, cwd), command: command.text }));
  const worst = strictest(parts);
  if (worst === undefined) return { ...decide('allow', 'safe_list', 'the line runs no command'), parts };
  if (parts.length === 1) return { ...worst, parts };
  const reason =
    worst.verdict === 'allow' ? `all ${parts.length} commands are allowed` : `${worst.command}: ${worst.reason}`;
  const { command: _command, ...rest } = worst;
  return { ...rest, reason, parts };
}

type Where = { cwds: string[] } | { unknown: string };

/** A word whose value we cannot know: an expansion, or `~user`. */
function unknowable(word: ShellWord): boolean {
  return word.dynamic || unknownValue(word);
}

/** Like `unknowable`, but a glob is knowable: the file system says what it becomes. */
function unknownValue(word: ShellWord): boolean {
  return (
    word.expands === true ||
    (word.dynamic && word.glob !== true) ||
    (word.tilde && word.value !== '~' && !word.value.startsWith('~/'))
  );
}

/** Where relative paths point: the given cwd and, after `cd`s, that directory too (either may be right). */
function workingDirs(judge: Judge, command: ShellCommand, cwd: string): Where {
  if (command.cdTrail.length === 0) return { cwds: [cwd] };
  const unknown = command.cdTrail.find(unknowable);
  if (unknown !== undefined) return { unknown: `the working directory after "cd ${unknown.value}" is unknown` };
  const after = command.cdTrail.reduce((dir, w) => pathOf(judge, w, dir), cwd);
  return { cwds: after === cwd ? [cwd] : [cwd, after] };
}

function pathOf(judge: Judge, word: ShellWord, cwd: string): string {
  const value = word.tilde ? word.value : word.value.replace(/^~/, './~');
  return resolvePath(value, cwd, judge.ctx.homeDir);
}

/**
 * Every value a word may have when it runs: bash expands braces and then `~` in each result
 * (`{~,x}/.ssh` names the home directory's), while sh without brace expansion (dash) and commands
 * run without a shell keep the word as written, so both readings are judged. A string says why
 * the word cannot be judged.
 */
function readings(judge: Judge, word: ShellWord): string[] | string {
  const expanded = word.value.includes('{') ? expandBraces(word.value) : [];
  if (expanded === undefined) return `"${word.value}" expands to too many words`;
  const out = new Set<string>();
  for (const [i, value] of [word.value, ...expanded].entries()) {
    if (!value.startsWith('~') || (i === 0 && !word.tilde)) {
      out.add(value);
      continue;
    }
    if (value !== '~' && !value.startsWith('~/')) return `cannot tell which directory "${value}" is`;
    out.add(pathOf(judge, { value, dynamic: false, tilde: true }, '/'));
  }
  return [...out];
}

function fileEffects(judge: Judge, command: ShellCommand, where: Where): PermissionDecision[] {
  const targets = command.redirects.map((r) => ({ mode: r.mode, word: r.target }));
  return targets.flatMap(({ mode, word }) => {
    if (DEVICES.has(word.value)) return [];
    if (unknowable(word)) {
      return [decide('ask', 'default', `cannot tell which file "${word.value}" is`)];
    }
    if ('unknown' in where && !nodePath.isAbsolute(word.value) && !word.tilde)
      return [decide('ask', 'default', where.unknown)];
    const cwds = 'cwds' in where ? where.cwds : [judge.ctx.projectRoot];
    return cwds.map((dir) => judge.checkPath(mode, pathOf(judge, word, dir)));
  });
}

/** Arguments naming a protected place make any non-read-only command ask (`cp x .git/hooks/pre-commit`). */
function protectedArgument(
  judge: Judge,
  command: ShellCommand,
  argv: readonly string[],
  where: Where,
): PermissionDecision | undefined {
  if (!('cwds' in where)) return undefined;
  const op = DELETING.has(argv[0] ?? '') ? 'delete' : 'write';
  for (const word of command.words.slice(1)) {
    if (word.expands === true || (unknowable(word) && word.glob !== true)) continue;
    const values = readings(judge, { ...word, value: word.value.replace(/^--?[A-Za-z][\w-]*=/, '') });
    if (typeof values === 'string') return decide('ask', 'default', values);
    for (const value of values) {
      for (const dir of where.cwds) {
        const reason = protectedReason(
          pathOf(judge, { ...word, value, tilde: value.startsWith('~') && word.tilde }, dir),
          judge.ctx,
          op,
        );
        if (reason !== undefined) return decide('ask', 'protected', `"${word.value}" is a protected path: ${reason}`);
      }
    }
  }
  return undefined;
}

function commandDecision(
  judge: Judge,
  command: ShellCommand,
  argv: readonly string[],
  where: Where,
): PermissionDecision {
  const name = argv.join(' ');
  const safe = matchSafeCommand(argv, judge.customSafe);
  const readOnly = safe !== undefined && 'safe' in safe && safe.safe.readOnly;
  if (!judge.can('command') && !readOnly) {
    return decide('deny', 'role', `role ${judge.role} may only run read-only safe commands, not "${name}"`);
  }
  if (command.words[0]?.dynamic)
    return decide('ask', 'default', `the program name "${command.words[0].value}" is computed at run time`);
  const indirect = indirectReason(argv);
  if (indirect !== undefined) return decide('ask', 'default', `${indirect}; approve it each time`);
  const unsafeEnv = command.assignments.map(variableName).find((n) => !HARMLESS_ENV.test(n));
  if (unsafeEnv !== undefined) return decide('ask', 'default', `setting ${unsafeEnv} can change what runs`);
  if (!readOnly) {
    const guarded = protectedArgument(judge, command, argv, where);
    if (guarded !== undefined) return guarded;
  }
  if (safe !== undefined && 'safe' in safe) {
    const touched = strictest(safeOperands(judge, command, argv, safe.safe, safe.use, where));
    if (touched !== undefined && touched.verdict !== 'allow') return touched;
    return decide('allow', 'safe_list', `"${safe.safe.tokens.join(' ')}" is in the safe list`);
  }
  const refused = safe === undefined ? '' : ` (safe list: ${safe.refused})`;
  return (
    judge.findRule('command', (r) => matchesCommandPattern(argv, r.pattern)) ??
    decide('ask', 'default', `"${name}" is not in the safe list or the project allowlist${refused}`)
  );
}

/**
 * What a safe command's arguments touch, judged like `read_file`/`write_file` would be: every
 * path operand (and path-valued option) as a read (tee's as writes) from every possible working
 * directory, every file a glob matches, and for git the repository it will use. Arguments whose
 * value is unknown ($VAR, $(…)) ask: they could be options the allow-list never saw.
 */
function safeOperands(
  judge: Judge,
  command: ShellCommand,
  argv: readonly string[],
  entry: SafeCommand,
  use: SafeUse,
  where: Where,
): PermissionDecision[] {
  if (entry.freeText === true || entry.custom === true) return [];
  const words = command.words.slice(command.words.length - argv.length + 1);
  const out: PermissionDecision[] = [];
  const cwds = 'cwds' in where ? where.cwds : undefined;
  // Without operands most of them read the working directory (`ls`, `grep -r x`, `du`).
  for (const dir of cwds ?? []) out.push(judge.checkPath('read', dir));
  for (const word of words) {
    if (unknownValue(word)) return [decide('ask', 'default', `cannot tell what "${word.value}" will be when it runs`)];
    if (word.glob !== true) continue;
    const patterns = readings(judge, word);
    if (typeof patterns === 'string') return [decide('ask', 'default', patterns)];
    for (const dir of cwds ?? [judge.ctx.projectRoot]) {
      for (const pattern of patterns) {
        if (cwds === undefined && !pattern.startsWith('/'))
          return [decide('ask', 'default', (where as { unknown: string }).unknown)];
        const matches = expandGlob(pattern, dir);
        if (matches === undefined) return [decide('ask', 'default', `"${word.value}" matches too many files`)];
        const option = matches.find((m) => m.literal !== true && m.word.startsWith('-'));
        if (option !== undefined)
          return [
            decide(
              'ask',
              'default',
              `"${word.value}" matches "${option.word}", which the command would take as an option`,
            ),
          ];
        for (const m of matches) out.push(judge.checkPath('read', m.path));
      }
    }
  }
  for (const operand of use.operands) {
    if (operand.kind === 'text' || operand.value === '-' || operand.value === '') continue;
    const op = operand.kind === 'write' ? 'write' : 'read';
    // `tee {a,.git/hooks/x}` writes both files under bash: each reading gets the operand's check.
    const values = readings(judge, { value: operand.value, dynamic: false, tilde: operand.value.startsWith('~') });
    if (typeof values === 'string') return [decide('ask', 'default', values)];
    for (const value of values) {
      if (op === 'write' && DEVICES.has(value)) continue;
      const relative = !nodePath.isAbsolute(value) && !value.startsWith('~');
      if (cwds === undefined && relative) return [decide('ask', 'default', (where as { unknown: string }).unknown)];
      for (const dir of cwds ?? [judge.ctx.projectRoot]) {
        const base =
          operand.base === undefined
            ? dir
            : pathOf(judge, { value: operand.base, dynamic: false, tilde: operand.base.startsWith('~') }, dir);
        out.push(judge.checkPath(op, pathOf(judge, { value, dynamic: false, tilde: value.startsWith('~') }, base)));
      }
    }
  }
  if (use.repo !== undefined) {
    if (cwds === undefined && !use.repo.startsWith('/'))
      return [decide('ask', 'default', (where as { unknown: string }).unknown)];
    for (const dir of cwds ?? [judge.ctx.projectRoot]) {
      const reason = judge.repositoryOutside(
        pathOf(judge, { value: use.repo, dynamic: false, tilde: use.repo.startsWith('~') }, dir),
      );
      if (reason !== undefined) out.push(decide('ask', 'default', reason));
    }
  }
  return out;
}

function checkSimple(judge: Judge, command: ShellCommand, cwd: string): PermissionDecision {
  const where = workingDirs(judge, command, cwd);
  const argv = normalizeArgv(command.words.map((w) => w.value));
  const effects = fileEffects(judge, command, where);
  if (argv.length === 0) {
    const unsafeEnv = command.assignments.map(variableName).find((n) => !HARMLESS_ENV.test(n));
    if (unsafeEnv !== undefined)
      effects.push(decide('ask', 'default', `setting ${unsafeEnv} can change what later commands run`));
    return strictest(effects) ?? decide('allow', 'safe_list', 'only sets harmless shell variables');
  }
  return strictest([commandDecision(judge, command, argv, where), ...effects]) as PermissionDecision;
}
