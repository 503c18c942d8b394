/**
 * What bash would run for a line, read from tree-sitter-bash's syntax tree: the simple commands
 * (with the commands of `$( … )` and backticks in their words), their words as bash sees them
 * after quote removal, leading assignments and file redirections; plus every construct the
 * permission parser must refuse (here-docs, process substitution, arithmetic, compound commands,
 * functions, tests) and whether the tree has syntax errors. The reference for the differential
 * test of `parseShellLine`.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

export interface RefWord {
  /** After quote removal, expansions left as written. */
  value: string;
  /** Parameter, command, arithmetic or ANSI-C/locale expansion: the value is unknown before it runs. */
  expands: boolean;
  /** Unquoted `*`, `?`, `[` or `{`. */
  glob: boolean;
  /** Glob or brace characters both quoted and unquoted: the value alone does not say which ones expand. */
  mixed: boolean;
  /** An unquoted leading `~`. */
  tilde: boolean;
  /** `NAME=…~…` as an argument: bash expands that `~` too. */
  assignmentTilde: boolean;
}

interface RefRedirect {
  mode: 'read' | 'write';
  target: RefWord;
}

export interface RefCommand {
  text: string;
  assignments: string[];
  words: RefWord[];
  redirects: RefRedirect[];
  /** `[ … ]`: tree-sitter reads the test expression, not the words bash passes to the `[` builtin. */
  opaqueWords?: boolean;
}

export interface RefLine {
  /** The tree has ERROR or MISSING nodes. */
  syntaxError: boolean;
  /** Constructs the permission parser refuses, by tree-sitter node type. */
  unsupported: string[];
  commands: RefCommand[];
}

const UNSUPPORTED = new Set([
  'heredoc_redirect',
  'herestring_redirect',
  'process_substitution',
  'arithmetic_expansion',
  'if_statement',
  'for_statement',
  'c_style_for_statement',
  'while_statement',
  'case_statement',
  'function_definition',
  'compound_statement',
  'test_command',
  'negated_command',
  'array',
  'subscript',
  'extglob_pattern',
]);
const GLOB_CHARS = '*?[{';
const SPECIAL_WHEN_QUOTED = '*?[]{},';

export async function loadBash(): Promise<(line: string) => RefLine> {
  await Parser.init();
  const wasm = createRequire(import.meta.url).resolve('tree-sitter-bash/tree-sitter-bash.wasm');
  const parser = new Parser();
  parser.setLanguage(await Language.load(wasm));
  return (line) => {
    const tree = parser.parse(line);
    if (tree === null) throw new Error('tree-sitter returned no tree');
    const out: RefLine = { syntaxError: tree.rootNode.hasError, unsupported: [], commands: [] };
    new Reader(out, line).statements(tree.rootNode);
    tree.delete();
    return out;
  };
}

/** One character of a word and whether quoting protected it. */
interface Char {
  c: string;
  quoted: boolean;
}

interface Built {
  chars: Char[];
  expands: boolean;
}

const kids = (node: Node): Node[] => node.children.filter((c): c is Node => c !== null);

class Reader {
  constructor(
    private readonly out: RefLine,
    private readonly source: string,
  ) {}

  statements(node: Node): void {
    for (const child of kids(node)) this.statement(child);
  }

  private statement(node: Node): void {
    if (node.type === 'test_command' && !node.text.startsWith('[[')) {
      this.nestedCommands(node);
      this.out.commands.push({ text: node.text, assignments: [], words: [], redirects: [], opaqueWords: true });
      return;
    }
    if (UNSUPPORTED.has(node.type)) this.out.unsupported.push(node.type);
    switch (node.type) {
      case 'command':
      case 'declaration_command':
      case 'unset_command':
        this.command(node, []);
        return;
      case 'redirected_statement': {
        const all = kids(node);
        const first = all[0];
        if (first === undefined) return;
        if (first.type.endsWith('_redirect')) {
          // A redirection with no command (`> file`).
          const command: RefCommand = { text: node.text, assignments: [], words: [], redirects: [] };
          for (const r of all) this.redirect(r, command);
          this.out.commands.push(command);
          return;
        }
        const [body, ...redirects] = all;
        if (body === undefined) return;
        if (
          ['command', 'declaration_command', 'unset_command', 'variable_assignment', 'variable_assignments'].includes(
            body.type,
          )
        ) {
          this.command(body, redirects);
          return;
        }
        this.statement(body);
        // tree-sitter hangs `a && b > f` on the whole list; bash gives the redirection to `b`.
        let last = body;
        while ((last.type === 'list' || last.type === 'pipeline') && last.lastNamedChild !== null)
          last = last.lastNamedChild;
        const owner = [
          'command',
          'declaration_command',
          'unset_command',
          'variable_assignment',
          'variable_assignments',
        ].includes(last.type)
          ? this.out.commands.findLast((c) => c.text === last.text)
          : undefined;
        const command: RefCommand = owner ?? { text: node.text, assignments: [], words: [], redirects: [] };
        for (const r of redirects) this.redirect(r, command);
        if (owner === undefined && (command.redirects.length > 0 || command.words.length > 0))
          this.out.commands.push(command);
        return;
      }
      case 'variable_assignment':
      case 'variable_assignments':
        // Assignments alone on a line.
        this.command(node, []);
        return;
      case 'comment':
        return;
      default:
        // Lists, pipelines, subshells, compound commands and anything unexpected: look inside.
        for (const child of kids(node)) {
          if (child.isNamed) this.statement(child);
          else if (child.type === '$' || child.type === '<<' || child.type === '<<<')
            this.out.unsupported.push(child.type);
        }
    }
  }

  private command(node: Node, outerRedirects: Node[]): void {
    const command: RefCommand = { text: node.text, assignments: [], words: [], redirects: [] };
    let prefix = true;
    /** The last argument and where it ends: tree-sitter sometimes splits one word in two (`'a'$1`, `x\(`). */
    let last: { built: Built; end: number } | undefined;
    const parts = node.type === 'variable_assignment' ? [node] : kids(node);
    for (const child of parts) {
      const name = child.type === 'variable_assignment' ? (kids(child)[0]?.text ?? '') : '';
      if (
        prefix &&
        node.type !== 'declaration_command' &&
        node.type !== 'unset_command' &&
        /^[A-Za-z_][A-Za-z0-9_]*\+?$/.test(name)
      ) {
        command.assignments.push(name.replace(/\+$/, ''));
        const value = kids(child)[2];
        if (value !== undefined) this.word(value);
        last = undefined;
        continue;
      }
      if (child.type === 'file_redirect' || child.type === 'heredoc_redirect' || child.type === 'herestring_redirect') {
        this.redirect(child, command);
        last = undefined;
        continue;
      }
      if (child.type === 'comment') continue;
      if (!child.isNamed && child.type !== '$' && node.type === 'command') {
        last = undefined;
        continue;
      }
      prefix = false;
      const inner = child.type === 'command_name' ? (kids(child)[0] ?? child) : child;
      const built =
        child.type === '$'
          ? { chars: [{ c: '$', quoted: true }], expands: true }
          : child.isNamed
            ? this.build(inner)
            : { chars: unescapeBare(child.text), expands: false };
      // Touching tokens are one word for bash, however tree-sitter groups them.
      if (last !== undefined && last.end === child.startIndex) {
        last.built.chars.push(...built.chars);
        last.built.expands ||= built.expands;
        last.end = child.endIndex;
        command.words[command.words.length - 1] = toWord(last.built);
      } else {
        const word = toWord(built);
        // `""~/x` starts with a quote, so its `~` is not expanded.
        word.tilde &&= child.text.startsWith('~');
        command.words.push(word);
        last = { built: { chars: [...built.chars], expands: built.expands }, end: child.endIndex };
      }
    }
    for (const r of outerRedirects) this.redirect(r, command);
    this.out.commands.push(command);
  }

  private redirect(node: Node, command: RefCommand): void {
    if (node.type !== 'file_redirect') {
      this.out.unsupported.push(node.type);
      for (const child of kids(node)) if (child.isNamed) this.statement(child);
      return;
    }
    const parts = kids(node);
    const op = parts.find((p) => !p.isNamed)?.type ?? '';
    // Touching tokens are one word for bash, however tree-sitter groups them.
    const groups: Node[][] = [];
    for (const p of parts.filter((p) => (p.isNamed && p.type !== 'file_descriptor') || p.type === '$')) {
      const group = groups.at(-1);
      const previous = group?.at(-1);
      if (group !== undefined && previous !== undefined && previous.endIndex === p.startIndex) group.push(p);
      else groups.push([p]);
    }
    const asWord = (group: Node[]): RefWord => {
      const built: Built = { chars: [], expands: false };
      for (const p of group) {
        const b = p.type === '$' ? { chars: [{ c: '$', quoted: true }], expands: true } : this.build(p);
        built.chars.push(...b.chars);
        built.expands ||= b.expands;
      }
      const word = toWord(built);
      word.tilde &&= group[0]?.text.startsWith('~') === true;
      return word;
    };
    // `>&-` closes a descriptor and has no target.
    const [target, ...extra]: (Node[] | undefined)[] = op.endsWith('-') ? [undefined, ...groups] : groups;
    // tree-sitter reads `> x y` as one redirection with two targets; bash makes `y` an argument.
    for (const w of extra) if (w !== undefined) command.words.push(asWord(w));
    if (target === undefined) {
      if (op === '<>') this.out.unsupported.push(`redirect ${op}`);
      return;
    }
    const word = asWord(target);
    if (op === '<>' || (op === '<&' && (word.expands || !/^(\d+|-)$/.test(word.value))))
      this.out.unsupported.push(`redirect ${op}`);
    if ((op === '>&' || op === '<&') && !word.expands && /^(\d+|-)$/.test(word.value)) return;
    command.redirects.push({ mode: op === '<' ? 'read' : 'write', target: word });
  }

  /** A word node (or part of one) as bash sees it; commands inside are recorded first. */
  word(node: Node): RefWord {
    return toWord(this.build(node));
  }

  private build(node: Node): Built {
    switch (node.type) {
      case 'word':
      case 'number':
      case 'variable_name':
      case 'file_descriptor':
      case 'regex':
      case 'test_operator':
        return { chars: unescapeBare(node.text), expands: false };
      case 'raw_string':
        return { chars: [...node.text.slice(1, -1)].map((c) => ({ c, quoted: true })), expands: false };
      case 'string':
        return this.doubleQuoted(node);
      case 'simple_expansion':
      case 'expansion':
      case 'ansi_c_string':
      case 'translated_string':
      case 'command_substitution':
      case 'arithmetic_expansion':
      case 'process_substitution':
        if (UNSUPPORTED.has(node.type)) this.out.unsupported.push(node.type);
        if (node.type === 'command_substitution' || node.type === 'process_substitution') this.statements(node);
        else this.nestedCommands(node);
        return { chars: [...node.text].map((c) => ({ c, quoted: true })), expands: true };
      default: {
        // concatenation, brace_expression and anything else: its parts in order.
        if (UNSUPPORTED.has(node.type)) this.out.unsupported.push(node.type);
        const parts = kids(node);
        if (parts.length === 0) return { chars: unescapeBare(node.text), expands: false };
        const built: Built = { chars: [], expands: false };
        let translated = false;
        for (const part of parts) {
          if (!part.isNamed && part.type === '$') {
            translated = true;
            continue;
          }
          const b = part.isNamed ? this.build(part) : { chars: unescapeBare(part.text), expands: false };
          built.chars.push(...b.chars);
          built.expands ||= b.expands || translated;
          translated = false;
        }
        return built;
      }
    }
  }

  /** Text between the expansions is read from the source: tree-sitter leaves some of it out of the tree. */
  private doubleQuoted(node: Node): Built {
    const built: Built = { chars: [], expands: false };
    const source = this.source;
    let at = node.startIndex + 1;
    for (const part of kids(node)) {
      if (!part.isNamed || part.type === 'string_content') continue;
      built.chars.push(...unescapeDouble(source.slice(at, part.startIndex)));
      const b = this.build(part);
      built.chars.push(...b.chars.map((ch) => ({ ...ch, quoted: true })));
      built.expands ||= b.expands;
      at = part.endIndex;
    }
    built.chars.push(...unescapeDouble(source.slice(at, Math.max(at, node.endIndex - 1))));
    return built;
  }

  /** `${x:-$(cmd)}` and the like: commands inside an expansion still run. */
  private nestedCommands(node: Node): void {
    for (const child of kids(node)) {
      if (child.type === 'command_substitution' || child.type === 'process_substitution') this.statements(child);
      else if (child.isNamed) this.nestedCommands(child);
    }
  }
}

function toWord(built: Built): RefWord {
  const chars = built.chars;
  const value = chars.map((ch) => ch.c).join('');
  const glob = chars.some((ch) => !ch.quoted && GLOB_CHARS.includes(ch.c));
  const quotedSpecial = chars.some((ch) => ch.quoted && SPECIAL_WHEN_QUOTED.includes(ch.c));
  const eq = chars.findIndex((ch) => ch.c === '=');
  const name =
    eq > 0 &&
    /^[A-Za-z_][A-Za-z0-9_]*\+?$/.test(value.slice(0, eq)) &&
    chars.slice(0, eq + 1).every((ch) => !ch.quoted);
  const assignmentTilde =
    name &&
    chars.some(
      (ch, i) =>
        i > eq &&
        ch.c === '~' &&
        !ch.quoted &&
        (chars[i - 1]?.c === '=' || chars[i - 1]?.c === ':') &&
        chars[i - 1]?.quoted === false,
    );
  return {
    value,
    expands: built.expands,
    glob,
    mixed: glob && quotedSpecial,
    tilde: chars[0]?.c === '~' && !chars[0].quoted,
    assignmentTilde,
  };
}

function unescapeBare(text: string): Char[] {
  const out: Char[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === '\\' && i + 1 < text.length) {
      const next = text[++i] as string;
      if (next !== '\n') out.push({ c: next, quoted: true });
    } else out.push({ c, quoted: false });
  }
  return out;
}

function unescapeDouble(text: string): Char[] {
  const out: Char[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    const next = text[i + 1];
    if (c === '\\' && next !== undefined && '$`"\\\n'.includes(next)) {
      i++;
      if (next !== '\n') out.push({ c: next, quoted: true });
    } else out.push({ c, quoted: true });
  }
  return out;
}
