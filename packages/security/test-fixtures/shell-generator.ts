/**
 * A seeded generator of shell lines for the parser's differential test: a small grammar over
 * lists, pipelines, subshells, groups, words in every kind of quoting, expansions, redirections
 * (here-docs and descriptor duplication too), comments, assignments and odd characters, plus
 * random mutations that break the syntax. The same seed always gives the same lines.
 */

/** mulberry32: small, fast and good enough to spread the grammar's choices. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = [
  'ls',
  'cat',
  'git',
  'grep',
  'rm',
  'echo',
  'npm',
  'find',
  'sed',
  'cd',
  'tee',
  'x',
  'printf',
  'eval',
  'sh',
  'env',
  'time',
  'export',
];
const PLAIN = [
  'a',
  'src',
  'a.ts',
  '-n',
  '--opt=v',
  '-rf',
  '.',
  '..',
  '/etc/passwd',
  'dir/file',
  'é',
  '日本',
  'x=y',
  '0',
  '42',
  'HEAD~1',
  '@{u}',
  '%s',
  '+%F',
  'a:b',
  ',',
  '^x$',
];
const ODD = [
  '*',
  '?',
  '[ab]',
  '{a,b}',
  '{1..3}',
  '{',
  '}',
  '~',
  '~/x',
  '~root',
  '#',
  '=',
  ':',
  '!',
  '\u0007',
  '\t',
  '\\\n',
  '%',
  '^',
  '@',
  '-',
];
const VARS = [
  '$x',
  '$1',
  '$@',
  '$?',
  '$$',
  '$#',
  '${x}',
  '${x:-d}',
  '${#x}',
  '${x/a/b}',
  '${x%.*}',
  '$HOME',
  '${!x}',
  '$_',
];
const ESCAPES = [
  '\\ ',
  '\\;',
  '\\&',
  '\\|',
  '\\"',
  "\\'",
  '\\$',
  '\\`',
  '\\\\',
  '\\(',
  '\\)',
  '\\<',
  '\\>',
  '\\*',
  '\\#',
  '\\n',
  '\\{',
  '\\~',
];
const REDIRECTS = ['>', '>>', '<', '2>', '&>', '&>>', '>|', '<>', '>&', '<&', '2>>', '1>'];
const DUPS = ['2>&1', '>&2', '1>&2', '<&0', '2>&-', '>&-', '3<&0'];
const SEPARATORS = [' && ', ' || ', '; ', ' & ', '\n', ' | ', ' |& ', ';', '&&', '|'];
const MUTATIONS = [
  '"',
  "'",
  '`',
  '(',
  ')',
  '$(',
  '{',
  '}',
  '\\',
  ';',
  '&',
  '|',
  '<',
  '>',
  '<<',
  '$((',
  '#',
  '\n',
  ';;',
  '${',
];

export class ShellLineGenerator {
  private depth = 0;
  private heredocs: string[] = [];

  constructor(private readonly random: () => number) {}

  line(): string {
    this.depth = 0;
    this.heredocs = [];
    let out = this.list();
    if (this.chance(0.08)) out += ` # ${this.pick(["it's", 'a && b', '$(x)', '`y`', 'plain'])}`;
    if (this.heredocs.length > 0) out += `\n${this.heredocs.join('\n')}`;
    return this.chance(0.12) ? this.mutate(out) : out;
  }

  private list(): string {
    let out = this.pipeline();
    const more = this.chance(0.5) ? this.int(3) : 0;
    for (let i = 0; i < more; i++) out += this.pick(SEPARATORS) + this.pipeline();
    if (this.chance(0.05)) out += this.pick([' &', ';', '\n']);
    return out;
  }

  private pipeline(): string {
    const negate = this.chance(0.03) ? '! ' : '';
    let out = negate + this.command();
    while (this.chance(0.15)) out += this.pick([' | ', '|', ' |& ']) + this.command();
    return out;
  }

  private command(): string {
    if (this.depth > 2) return this.simple();
    const r = this.random();
    this.depth++;
    try {
      if (r < 0.07) return `(${this.list()})${this.redirections(0.3)}`;
      if (r < 0.09) return `{ ${this.list()}; }${this.redirections(0.2)}`;
      if (r < 0.1) return `f() { ${this.list()}; }`;
      if (r < 0.11) return `if ${this.simple()}; then ${this.list()}; fi`;
      if (r < 0.12) return `for i in ${this.word()}; do ${this.list()}; done`;
      if (r < 0.125) return `while ${this.simple()}; do ${this.simple()}; done`;
      if (r < 0.13) return `case ${this.word()} in a) ${this.simple()};; esac`;
      if (r < 0.135) return `[[ ${this.word()} == ${this.word()} ]]`;
      if (r < 0.14) return `((i++))`;
      return this.simple();
    } finally {
      this.depth--;
    }
  }

  private simple(): string {
    const parts: string[] = [];
    while (this.chance(0.15))
      parts.push(
        `${this.pick(['FOO', 'PATH', 'CI', 'LD_PRELOAD', 'a', 'x'])}${this.pick(['=', '+='])}${this.wordPart(false) || 'v'}`,
      );
    if (this.chance(0.05)) parts.push(this.redirect());
    parts.push(this.chance(0.8) ? this.pick(NAMES) : this.word().replace(/^\[/, 'w['));
    const args = this.int(3);
    for (let i = 0; i < args; i++) parts.push(this.chance(0.12) ? this.redirect() : this.word());
    return parts.join(this.chance(0.9) ? ' ' : '  ') + this.redirections(0.15);
  }

  private redirections(p: number): string {
    let out = '';
    while (this.chance(p)) out += ` ${this.redirect()}`;
    return out;
  }

  private redirect(): string {
    const r = this.random();
    if (r < 0.25) return this.pick(DUPS);
    if (r < 0.3) {
      const tag = this.pick(['EOF', "'EOF'", '"END"', 'X']);
      const dash = this.chance(0.3) ? '-' : '';
      this.heredocs.push(`${this.pick(['hello $(id)', 'plain text', '`x`', '$HOME'])}\n${tag.replace(/['"]/g, '')}`);
      return `<<${dash}${tag}`;
    }
    if (r < 0.35) return `<<< ${this.word()}`;
    if (r < 0.4) return `${this.pick(['<', '>'])}(${this.list()})`;
    const op = this.pick(REDIRECTS);
    return `${op}${this.chance(0.7) || op.endsWith('&') ? ' ' : ''}${this.word(false)}`;
  }

  /**
   * Backticks and escapes make up whole words here (escapes are also kept out of redirection
   * targets): next to other parts tree-sitter-bash misreads them more often than the differential
   * test can document (see its list of deviations).
   */
  word(escapes = true): string {
    const parts = this.chance(0.25) ? 2 + this.int(2) : 1;
    if (parts === 1) return this.wordPart(escapes) || 'w';
    let out = '';
    for (let i = 0; i < parts; i++) out += this.wordPart(false);
    return out === '' ? 'w' : out;
  }

  private wordPart(alone: boolean): string {
    const r = this.random();
    if (r < 0.35) return this.pick(PLAIN);
    if (r < 0.45) return this.pick(ODD);
    if (r < 0.5) return alone ? this.pick(ESCAPES) : this.pick(PLAIN);
    if (r < 0.58) return `'${this.quotedText("'")}'`;
    if (r < 0.7) return `"${this.doubleQuoted()}"`;
    if (r < 0.73) return `$'${this.pick(['a\\tb', "\\'", 'x\\n', "it\\'s ; id", '\\x41'])}'`;
    if (r < 0.74) return `$"${this.quotedText('"')}"`;
    if (r < 0.82) return this.pick(VARS);
    if (r < 0.89) return this.depth > 2 ? '$x' : this.nested(() => `$(${this.list()})`);
    if (r < 0.93)
      return this.depth > 2 || !alone ? '$x' : this.nested(() => `\`${this.simple().replace(/[`\\]/g, '')}\``);
    if (r < 0.95) return `$((${this.pick(['1+2', 'x*3', 'a[$(id)]'])}))`;
    if (r < 0.96) return this.depth > 2 ? '$x' : this.nested(() => `<(${this.simple()})`);
    if (r < 0.97) return `${this.pick(['a=(1 2)', '@(x|y)', '$[1+2]'])}`;
    return this.pick(['\u00e9t\u00e9', '\u{1F600}', '\u0000'.slice(1), '\u001b[0m', 'a\u200bb']);
  }

  private doubleQuoted(): string {
    let out = '';
    const parts = this.int(4);
    for (let i = 0; i < parts; i++) {
      const r = this.random();
      if (r < 0.4) out += this.quotedText('"');
      else if (r < 0.55) out += this.pick(VARS);
      else if (r < 0.7) out += this.pick(['\\"', '\\$', '\\`', '\\\\', '\\n', '\\\n', "'", '*', '{a,b}', '~']);
      else if (r < 0.85 && this.depth <= 2) out += this.nested(() => `$(${this.list()})`);
      else out += this.pick(['x', ' ', '-']);
    }
    return out;
  }

  private quotedText(quote: string): string {
    const text = this.pick([
      'a && b',
      'c | d',
      'x; rm -rf ~',
      '$(id)',
      '`id`',
      '$HOME',
      '*.ts',
      'it is',
      '\\',
      '\n',
      '#',
      '"',
      "'",
      '',
      '{a,b}',
    ]);
    return text.split(quote).join('');
  }

  private nested(make: () => string): string {
    this.depth++;
    try {
      return make();
    } finally {
      this.depth--;
    }
  }

  private mutate(line: string): string {
    const at = this.int(line.length + 1);
    if (this.chance(0.5)) return line.slice(0, at) + this.pick(MUTATIONS) + line.slice(at);
    return line.slice(0, at) + line.slice(at + 1);
  }

  private chance(p: number): boolean {
    return this.random() < p;
  }

  private int(n: number): number {
    return Math.floor(this.random() * n);
  }

  private pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
}
