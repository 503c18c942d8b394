/**
 * A conservative reader for shell command lines: it finds every simple command the line would run
 * (through `&&`, `||`, `;`, `|`, `&`, newlines, `( … )`, `$( … )` and backticks) and the files it
 * redirects to. Anything it does not understand well enough to judge — here-docs, process
 * substitution, arithmetic, control-flow keywords, unbalanced quotes, syntax errors, and forms that
 * bash and sh (dash) read differently — makes the whole line unparseable, which the permission
 * manager turns into "ask". It never throws. Tested against tree-sitter-bash in
 * shell.differential.test.ts.
 */
import { ErrorTier, SylkError } from '@sylk/core';

export interface ShellWord {
  /** The word with quotes removed and escapes applied; expansions are left as written. */
  value: string;
  /** Contains an expansion whose result we cannot know ($VAR, $( … ), backticks, globs, braces). */
  dynamic: boolean;
  /** Contains a parameter, command or backtick expansion (its value cannot be known in advance). */
  expands?: boolean;
  /** Contains unquoted glob or brace characters (`*`, `?`, `[`, `{`): the file system decides what it becomes. */
  glob?: boolean;
  /** Starts with an unquoted `~` (tilde expansion). */
  tilde: boolean;
}

export interface ShellRedirect {
  /** `read` for `<`, `write` for `>`, `>>`, `>|`, `&>`, `&>>`, `>& file`. */
  mode: 'read' | 'write';
  target: ShellWord;
}

export interface ShellCommand {
  /** The source text of this simple command. */
  text: string;
  /** Leading `NAME=value` words. */
  assignments: string[];
  words: ShellWord[];
  redirects: ShellRedirect[];
  /** `cd` arguments run earlier in the same (sub)shell, oldest first; relative paths follow them. */
  cdTrail: ShellWord[];
}

export type ShellParse = { ok: true; commands: ShellCommand[] } | { ok: false; reason: string };

const MAX_LENGTH = 100_000;
const MAX_DEPTH = 16;
const BLANK = new Set([' ', '\t']);
const WORD_END = new Set([' ', '\t', '\n', ';', '&', '|', '(', ')', '<', '>']);
const KEYWORDS = new Set([
  'if',
  'then',
  'else',
  'elif',
  'fi',
  'for',
  'while',
  'until',
  'do',
  'done',
  'case',
  'esac',
  'select',
  'function',
  '{',
  '}',
  '[[',
  ']]',
  '!',
  'coproc',
]);
const ASSIGNMENT = /^[A-Za-z_][A-Za-z0-9_]*\+?=/;
const PATTERN = /[*?[\]{},]/;
/**
 * The `${…}` forms accepted: a parameter, optionally with `#` (length) before it and a
 * default/alternative/error, pattern removal, substitution, case or `@` transformation after it;
 * subscripts `[@]`, `[*]` and digits. Refused: `!` (indirection), other subscripts and `:offset`
 * (arithmetic, which can run commands through a variable's value) and `=`/`:=` (assignment, e.g.
 * CDPATH). Quotes, escapes and nested expansions are refused before this is tried.
 */
const PARAMETER = String.raw`[A-Za-z_][A-Za-z0-9_]*(?:\[(?:[@*]|[0-9]+)\])?|[0-9]+|[@*#?$!-]`;
const OPERATOR = String.raw`:?[-+?]|##?|%%?|\/[/#%]?|\^\^?|,,?|@[QEPAKaUuL]$`;
const SAFE_BRACE_EXPANSION = new RegExp(`^#?(?:${PARAMETER})(?:(?:${OPERATOR})[^]*)?$`);

class Unparseable extends Error {}

function fail(reason: string): never {
  throw new Unparseable(reason);
}

interface Scope {
  cdTrail: ShellWord[];
}

class Parser {
  private i = 0;
  private groups = 0;
  constructor(
    private readonly s: string,
    private readonly out: ShellCommand[],
    private readonly depth: number,
  ) {
    if (depth > MAX_DEPTH) fail('commands are nested too deeply');
  }

  /**
   * A list of pipelines up to `)` (consumed) when `closing`, else to the end. An operator without
   * a command where bash needs one (`| a`, `a && && b`, `a ;; b`, `( )`, `a |`) is a syntax error
   * for bash, and so is refused here rather than guessed at.
   */
  list(scope: Scope, closing: boolean): void {
    let any = false;
    /** A command since the last `;`, `&` or newline. */
    let command = false;
    /** `|`, `|&`, `&&` or `||` waiting for the command after it. */
    let pending: string | undefined;
    for (;;) {
      this.skipBlanks();
      const c = this.s[this.i];
      if (c === undefined || c === ')') {
        if (pending !== undefined) fail(`"${pending}" without a command after it`);
        if (c === undefined) {
          if (closing) fail('unclosed "("');
          return;
        }
        if (!closing) fail('unexpected ")"');
        if (!any) fail('empty "( )"');
        this.i++;
        return;
      }
      if (c === '#') {
        this.skipComment();
      } else if (c === '\n') {
        this.i++;
        command = false;
      } else if (c === ';' || c === '&' || c === '|') {
        const op = /^(?:&&|\|\||\|&|;;)/.exec(this.s.slice(this.i, this.i + 2))?.[0] ?? c;
        if (op === ';;') fail('";;" (case syntax) is not supported');
        if (!command || pending !== undefined) fail(`unexpected "${op}"`);
        this.i += op.length;
        if (op === ';' || op === '&') command = false;
        else pending = op;
      } else {
        if (c === '(') this.subshell(scope);
        else this.simple(scope);
        any = command = true;
        pending = undefined;
      }
    }
  }

  private subshell(scope: Scope): void {
    const start = this.i;
    if (this.s[this.i + 1] === '(') fail('arithmetic "((" is not supported');
    if (++this.groups > MAX_DEPTH) fail('commands are nested too deeply');
    this.i++;
    this.list({ cdTrail: [...scope.cdTrail] }, true);
    this.groups--;
    const redirects: ShellRedirect[] = [];
    for (;;) {
      this.skipBlanks();
      if (!this.redirect(redirects, scope)) break;
    }
    if (this.s[this.i] === '#') this.skipComment();
    const next = this.s[this.i];
    if (next !== undefined && !';&|\n)'.includes(next)) fail('unexpected text after ")"');
    if (redirects.length > 0) {
      this.out.push({
        text: this.s.slice(start, this.i).trim(),
        assignments: [],
        words: [],
        redirects,
        cdTrail: [...scope.cdTrail],
      });
    }
  }

  private simple(scope: Scope): void {
    const start = this.i;
    const assignments: string[] = [];
    const words: ShellWord[] = [];
    const redirects: ShellRedirect[] = [];
    /** An `&>` was read: sh without it (dash) reads `a &>x b` as `a &` and then `>x b`. */
    let backgroundInSh = false;
    for (;;) {
      this.skipBlanks();
      const c = this.s[this.i];
      if (c === undefined || c === '\n' || c === ';' || c === '|' || c === ')') break;
      if (c === '&' && this.s[this.i + 1] !== '>') break;
      if (c === '#') {
        this.skipComment();
        break;
      }
      if (c === '(') fail('"(" inside a command (function definition or process substitution) is not supported');
      if (this.redirect(redirects, scope)) {
        backgroundInSh ||= c === '&';
        continue;
      }
      if (backgroundInSh) fail('words after "&>" run as a separate command in sh (dash)');
      const wordStart = this.i;
      const word = this.word(scope);
      const raw = this.s.slice(wordStart, this.i);
      if (words.length === 0 && ASSIGNMENT.test(raw)) {
        assignments.push(raw);
        continue;
      }
      if (words.length === 0 && raw === word.value && KEYWORDS.has(raw))
        fail(`shell keyword "${raw}" is not supported`);
      words.push(word);
    }
    const command: ShellCommand = {
      text: this.s.slice(start, this.i).trim(),
      assignments,
      words,
      redirects,
      cdTrail: [...scope.cdTrail],
    };
    // Commands from $( … ) inside this one were pushed while reading its words: they run first.
    this.out.push(command);
    this.trackCd(scope, words);
  }

  private trackCd(scope: Scope, words: ShellWord[]): void {
    const name = words[0];
    if (name === undefined || name.dynamic) return;
    if (name.value === 'pushd' || name.value === 'popd') {
      scope.cdTrail.push({ value: name.value, dynamic: true, tilde: false });
    } else if (name.value === 'cd') {
      const target = words.slice(1).find((w) => !/^-[LPe@]+$/.test(w.value));
      if (target === undefined) scope.cdTrail.push({ value: '~', dynamic: false, tilde: true });
      else scope.cdTrail.push(target.value === '-' ? { ...target, dynamic: true } : target);
    }
  }

  /** Reads one redirection if there is one here. */
  private redirect(redirects: ShellRedirect[], scope: Scope): boolean {
    const m = /^(\d*)(&>>|&>|>>|>\||>&|>|<<<|<<|<>|<&|<)/.exec(this.s.slice(this.i, this.i + 16));
    if (m === null) return false;
    const op = m[2] as string;
    if (m[1] !== '' && op.startsWith('&')) fail(`"${m[0]}" is read differently by bash and sh`);
    this.i += m[0].length;
    if (op === '<<' || op === '<<<') fail('here-documents and here-strings are not supported');
    if (op === '<>') fail('"<>" redirection is not supported');
    if (this.s[this.i] === '(') fail('process substitution is not supported');
    this.skipBlanks();
    const c = this.s[this.i];
    // A word starting with `#` is a comment, even right after a redirection operator.
    if (c === undefined || c === '#' || WORD_END.has(c)) fail(`redirection "${op}" without a target`);
    const target = this.word(scope);
    if (op === '>&' || op === '<&') {
      // Duplicating or closing a descriptor names no file.
      if (/^(\d+|-)$/.test(target.value) && !target.dynamic) return true;
      if (op === '<&') fail('"<&" with a file name is not supported');
    }
    redirects.push({ mode: op === '<' ? 'read' : 'write', target });
    return true;
  }

  private word(scope: Scope): ShellWord {
    let value = '';
    let expands = false;
    let glob = false;
    /** Glob or brace characters that quoting made literal. */
    let quotedPattern = false;
    const start = this.i;
    const tilde = this.s[this.i] === '~';
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined || WORD_END.has(c)) break;
      if (c === '\\') {
        const next = this.s[this.i + 1];
        if (next === undefined) value += '\\';
        else if (next !== '\n') value += next;
        quotedPattern ||= next !== undefined && PATTERN.test(next);
        this.i += 2;
      } else if (c === "'") {
        const end = this.s.indexOf("'", this.i + 1);
        if (end === -1) fail('unbalanced single quote');
        const text = this.s.slice(this.i + 1, end);
        value += text;
        quotedPattern ||= PATTERN.test(text);
        this.i = end + 1;
      } else if (c === '"') {
        this.i++;
        const inner = this.doubleQuoted(scope);
        value += inner.value;
        quotedPattern ||= PATTERN.test(inner.value);
        expands ||= inner.dynamic;
      } else if (c === '$') {
        value += this.dollar(scope);
        expands = true;
      } else if (c === '`') {
        value += this.backticks(scope);
        expands = true;
      } else {
        if ('*?[{'.includes(c)) glob = true;
        value += c;
        this.i++;
      }
    }
    // `'*'*` or `{a,'b}'`: the value no longer says which characters the shell expands.
    if (glob && quotedPattern) expands = true;
    // bash expands `~` after `=` and `:` in an argument shaped like an assignment (`a=~/x:~/y`); sh does not.
    if (ASSIGNMENT.test(this.s.slice(start, this.i)) && /[=:]~/.test(this.s.slice(start, this.i))) expands = true;
    return { value, dynamic: expands || glob, expands, glob, tilde };
  }

  private doubleQuoted(scope: Scope): ShellWord {
    let value = '';
    let dynamic = false;
    for (;;) {
      const c = this.s[this.i];
      if (c === undefined) fail('unbalanced double quote');
      if (c === '"') {
        this.i++;
        return { value, dynamic, tilde: false };
      }
      if (c === '\\') {
        const next = this.s[this.i + 1];
        if (next !== undefined && '$`"\\'.includes(next)) value += next;
        else if (next !== '\n') value += c + (next ?? '');
        this.i += 2;
      } else if (c === '$') {
        value += this.dollar(scope, true);
        dynamic = true;
      } else if (c === '`') {
        value += this.backticks(scope);
        dynamic = true;
      } else {
        value += c;
        this.i++;
      }
    }
  }

  /**
   * `$…` at the cursor: command substitution is parsed, other expansions are kept as text. Inside
   * double quotes `$'` is a `$` and a quote character, not ANSI-C quoting.
   */
  private dollar(scope: Scope, quoted = false): string {
    const start = this.i;
    const next = this.s[this.i + 1];
    if (quoted && next === "'") {
      this.i++;
      return '$';
    }
    if (next === '(') {
      if (this.s[this.i + 2] === '(') fail('arithmetic "$((" is not supported');
      this.i += 2;
      this.nested(() => new Parser(this.s, this.out, this.depth + 1), scope);
    } else if (next === '{') {
      const end = this.s.indexOf('}', this.i);
      if (end === -1) fail('unbalanced "${"');
      const body = this.s.slice(this.i + 2, end);
      if (/[`$"'(\\]/.test(body)) fail('nested expansion, quoting or escapes inside "${…}" are not supported');
      if (!SAFE_BRACE_EXPANSION.test(body))
        fail(`"\${${body}}" is not supported (indirection, arithmetic or assignment)`);
      this.i = end + 1;
    } else if (next === "'") {
      let j = this.i + 2;
      while (j < this.s.length && this.s[j] !== "'") j += this.s[j] === '\\' ? 2 : 1;
      if (j >= this.s.length) fail("unbalanced $'…' quote");
      // sh without $'…' (dash) ends the quote at the first `'`: both readings must agree.
      if (this.s.indexOf("'", this.i + 2) !== j) fail("\\' inside $'…' is read differently by sh and bash");
      this.i = j + 1;
    } else if (next === '[') {
      fail('arithmetic "$[" is not supported');
    } else if (next !== undefined && /[A-Za-z_]/.test(next)) {
      this.i++;
      while (this.i < this.s.length && /[A-Za-z0-9_]/.test(this.s[this.i] as string)) this.i++;
    } else if (next !== undefined && /[0-9?@#$!*-]/.test(next)) {
      this.i += 2;
    } else {
      this.i++;
    }
    return this.s.slice(start, this.i);
  }

  private nested(make: () => Parser, scope: Scope): void {
    const inner = make();
    inner.i = this.i;
    inner.list({ cdTrail: [...scope.cdTrail] }, true);
    this.i = inner.i;
  }

  private backticks(scope: Scope): string {
    const start = this.i;
    let body = '';
    let j = this.i + 1;
    for (;;) {
      const c = this.s[j];
      if (c === undefined) fail('unbalanced backtick');
      if (c === '`') break;
      if (c === '\\' && (this.s[j + 1] === '`' || this.s[j + 1] === '\\' || this.s[j + 1] === '$')) {
        body += this.s[j + 1];
        j += 2;
      } else {
        body += c;
        j++;
      }
    }
    this.i = j + 1;
    const inner = new Parser(body, this.out, this.depth + 1);
    inner.list({ cdTrail: [...scope.cdTrail] }, false);
    return this.s.slice(start, this.i);
  }

  /** A word starting with `#` starts a comment, up to the end of the line. */
  private skipComment(): void {
    while (this.i < this.s.length && this.s[this.i] !== '\n') this.i++;
  }

  private skipBlanks(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c !== undefined && BLANK.has(c)) this.i++;
      else if (c === '\\' && this.s[this.i + 1] === '\n') this.i += 2;
      else return;
    }
  }
}

/** Parse a shell line into its simple commands; `ok: false` says why it cannot be judged. */
export function parseShellLine(line: string): ShellParse {
  if (typeof line !== 'string') return { ok: false, reason: 'not a string' };
  if (line.length > MAX_LENGTH) return { ok: false, reason: `longer than ${MAX_LENGTH} characters` };
  if (line.includes('\0')) return { ok: false, reason: 'contains a NUL character' };
  const commands: ShellCommand[] = [];
  try {
    new Parser(line, commands, 0).list({ cdTrail: [] }, false);
  } catch (err) {
    // Fail closed: an unexpected error is still only "cannot judge this line".
    return { ok: false, reason: err instanceof Unparseable ? err.message : `parser error: ${String(err)}` };
  }
  return {
    ok: true,
    commands: commands.filter((c) => c.words.length > 0 || c.redirects.length > 0 || c.assignments.length > 0),
  };
}

/**
 * The simple commands of a shell line, as source text; throws `permissions.shell_unparseable`.
 * @internal exported for tests
 */
export function splitShellCommand(line: string): string[] {
  const parsed = parseShellLine(line);
  if (!parsed.ok) {
    throw new SylkError(`Cannot split the shell command safely: ${parsed.reason}`, {
      tier: ErrorTier.Permanent,
      code: 'permissions.shell_unparseable',
      details: { reason: parsed.reason },
    });
  }
  return parsed.commands.map((c) => c.text);
}
