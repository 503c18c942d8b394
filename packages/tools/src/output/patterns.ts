/**
 * Which lines matter to the model. Patterns run over whole blocks of lines (multiline mode) so
 * the common case, a block with nothing important, costs one regex scan per pattern instead of
 * one test per line per pattern.
 */
export interface OutputPatterns {
  error: RegExp[];
  warning: RegExp[];
  /** Important but neither error nor warning: `file:line:col`, stack frames. */
  important: RegExp[];
}

function defaultOutputPatterns(): OutputPatterns {
  return {
    error: [
      /\b(?:error|errors|fatal|fail|fails|failed|failure|failures|panic|panicked|exception|traceback)\b/i,
      /[a-z](?:Error|Exception)\b/, // TypeError, NullPointerException
      /\bERR!/,
    ],
    warning: [/\bwarn(?:s|ing|ings)?\b/i],
    important: [
      /\.[A-Za-z][A-Za-z0-9]{0,5}:\d+/, // file.ext:line[:col]; starts at a literal '.' so it scans fast
      /^[ \t]+at \S/m, // JS / Java stack frames
      /^[ \t]*File "[^"\n]+", line \d+/m, // Python
      /^goroutine \d+ \[/m, // Go
    ],
  };
}

export const FLAG_ERROR = 1;
export const FLAG_WARNING = 2;
const FLAG_IMPORTANT = 4;

function globalise(re: RegExp): RegExp {
  const flags = new Set(re.flags.split(''));
  flags.add('g');
  flags.add('m');
  flags.delete('y');
  return new RegExp(re.source, [...flags].join(''));
}

const classifiers = new WeakMap<OutputPatterns, LineClassifier>();
let defaultPatterns: OutputPatterns | undefined;

/**
 * One compiled classifier per pattern set (compiling a dozen regexes per command adds up).
 * Sharing is safe: `classify` is synchronous and resets every regex's lastIndex.
 */
export function classifierFor(patterns?: OutputPatterns): LineClassifier {
  const key = patterns ?? (defaultPatterns ??= defaultOutputPatterns());
  let classifier = classifiers.get(key);
  if (classifier === undefined) classifiers.set(key, (classifier = new LineClassifier(key)));
  return classifier;
}

/** Marks lines of a block with FLAG_* bits. */
export class LineClassifier {
  private readonly rules: Array<{ re: RegExp; flag: number }>;

  constructor(patterns: OutputPatterns = defaultOutputPatterns()) {
    this.rules = [
      ...patterns.error.map((re) => ({ re: globalise(re), flag: FLAG_ERROR })),
      ...patterns.warning.map((re) => ({ re: globalise(re), flag: FLAG_WARNING })),
      ...patterns.important.map((re) => ({ re: globalise(re), flag: FLAG_IMPORTANT })),
    ];
  }

  /**
   * `starts[i]` is where line i begins in `block`; `starts[count]` is one past the block end.
   * Fills `flags[0..count)`; returns true when any line was marked.
   */
  classify(block: string, starts: Int32Array, count: number, flags: Uint8Array): boolean {
    flags.fill(0, 0, count);
    let any = false;
    for (const { re, flag } of this.rules) {
      re.lastIndex = 0;
      let line = 0;
      let match: RegExpExecArray | null;
      while ((match = re.exec(block)) !== null) {
        const at = match.index;
        while (line + 1 < count && (starts[line + 1] as number) <= at) line++;
        flags[line] = (flags[line] as number) | flag;
        any = true;
        // One hit per line is enough: continue after this line.
        const next = starts[line + 1] as number;
        re.lastIndex = Math.max(next, re.lastIndex + (match[0] === '' ? 1 : 0));
        if (re.lastIndex >= block.length) break;
      }
    }
    return any;
  }
}
