import { cliRequire } from '../installed.js';

/**
 * Syntax highlighting of fenced code in replies, by highlight.js. Its core and the one grammar a
 * block names are loaded on the first block that needs them (a few ms), never at start-up: most
 * commands print no code. A language it does not know, or a missing highlight.js, leaves the code
 * plain. The fence's language tag comes from the model: only a plain name is looked up.
 */
interface HighlightJs {
  getLanguage(name: string): unknown;
  registerLanguage(name: string, grammar: unknown): void;
  highlight(code: string, options: { language: string; ignoreIllegals: boolean }): { value: string };
}

/** Fence tags that name a grammar under another name. */
const ALIASES: Record<string, string> = {
  ts: 'typescript',
  tsx: 'typescript',
  js: 'javascript',
  jsx: 'javascript',
  mjs: 'javascript',
  cjs: 'javascript',
  py: 'python',
  sh: 'bash',
  shell: 'bash',
  zsh: 'bash',
  console: 'bash',
  yml: 'yaml',
  rs: 'rust',
  golang: 'go',
  'c++': 'cpp',
  cc: 'cpp',
  h: 'c',
  rb: 'ruby',
  md: 'markdown',
  html: 'xml',
  patch: 'diff',
  kt: 'kotlin',
  cs: 'csharp',
  jsonc: 'json',
};

let hljs: HighlightJs | null | undefined;

function core(): HighlightJs | null {
  if (hljs === undefined) {
    try {
      hljs = cliRequire('highlight.js/lib/core') as HighlightJs;
    } catch {
      hljs = null;
    }
  }
  return hljs;
}

/** The grammar's name when highlight.js has it (registered on first use), else undefined. */
function grammar(tag: string): string | undefined {
  const name = ALIASES[tag.toLowerCase()] ?? tag.toLowerCase();
  if (!/^[a-z0-9-]{1,24}$/.test(name)) return undefined;
  const h = core();
  if (h === null) return undefined;
  if (h.getLanguage(name) === undefined) {
    try {
      h.registerLanguage(name, cliRequire(`highlight.js/lib/languages/${name}`));
    } catch {
      return undefined;
    }
  }
  return name;
}

/** Token classes → SGR colour. Anything else keeps the terminal's colour. */
const COLOURS: Array<[RegExp, string]> = [
  [/^(keyword|built_in|literal|meta|selector-tag|doctag|type)$/, '35'],
  [/^(string|regexp|addition|symbol|char|template-tag|template-variable)$/, '32'],
  [/^(number|attr|attribute|variable|params)$/, '33'],
  [/^(comment|quote)$/, '2'],
  [/^(title|section|name|selector-id|selector-class)$/, '34'],
  [/^deletion$/, '31'],
];

const ENTITIES: Record<string, string> = { '&lt;': '<', '&gt;': '>', '&amp;': '&', '&quot;': '"', '&#x27;': "'" };

/** highlight.js's HTML as ANSI: each span's colour, nested spans restoring their parent's. */
function toAnsi(html: string): string {
  const stack: string[] = [];
  const open = (code: string | undefined) =>
    code === undefined || code === '' ? '\u001b[0m' : `\u001b[0m\u001b[${code}m`;
  return html.replace(/<span class="([^"]*)">|<\/span>|&(?:lt|gt|amp|quot|#x27);/g, (m, classes?: string) => {
    if (m.startsWith('&')) return ENTITIES[m] ?? m;
    if (m === '</span>') {
      stack.pop();
      return open(stack.at(-1));
    }
    const cls = /(?:^|\s)hljs-([\w-]+)/.exec(classes ?? '')?.[1] ?? '';
    const code = COLOURS.find(([re]) => re.test(cls))?.[1] ?? stack.at(-1) ?? '';
    stack.push(code);
    return code === '' ? '' : open(code);
  });
}

/**
 * `code` (a whole fenced block) highlighted as `tag`, one string per line with every style
 * closed at its end; undefined when there is no grammar for it.
 */
export function highlightCode(code: string, tag: string): string[] | undefined {
  const name = tag === '' ? undefined : grammar(tag);
  const h = core();
  if (name === undefined || h === null) return undefined;
  const html = h.highlight(code, { language: name, ignoreIllegals: true }).value;
  // A span may cross lines (a block comment): each line reopens what is open where it starts.
  const lines: string[] = [];
  let carry = '';
  for (const line of toAnsi(html).split('\n')) {
    lines.push(`${carry}${line}\u001b[0m`);
    const opened = [...line.matchAll(/\u001b\[[0-9;]*m/g)].at(-1)?.[0];
    if (opened !== undefined) carry = opened === '\u001b[0m' ? '' : opened;
  }
  return lines;
}
