/** Exact-match bookkeeping for edit_file: where old_string occurs and, when it does not, what is close. */

/** Start offsets of every non-overlapping occurrence. */
export function occurrences(text: string, needle: string): number[] {
  const out: number[] = [];
  for (let at = text.indexOf(needle); at !== -1; at = text.indexOf(needle, at + needle.length)) out.push(at);
  return out;
}

/** 1-based line number of an offset. */
export function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) line++;
  return line;
}

/** Replaces the occurrences at `offsets` (literal: no `$&` patterns as String.replace would apply). */
export function replaceAt(text: string, offsets: number[], oldLength: number, replacement: string): string {
  let out = '';
  let previous = 0;
  for (const at of offsets) {
    out += text.slice(previous, at) + replacement;
    previous = at + oldLength;
  }
  return out + text.slice(previous);
}

function bigrams(s: string): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < s.length - 1; i++) {
    const g = s.slice(i, i + 2);
    m.set(g, (m.get(g) ?? 0) + 1);
  }
  return m;
}

/** Sørensen–Dice similarity over character bigrams, 0..1. */
function similarity(a: string, b: string): number {
  if (a === b) return 1;
  if (a.length < 2 || b.length < 2) return 0;
  const ga = bigrams(a);
  let shared = 0;
  for (const [g, n] of bigrams(b)) shared += Math.min(n, ga.get(g) ?? 0);
  return (2 * shared) / (a.length - 1 + b.length - 1);
}

const collapse = (s: string) => s.replace(/\s+/g, ' ').trim();

/** Explains a missing match: whitespace-only differences, else the most similar lines. */
export function explainMissing(text: string, needle: string): string {
  if (collapse(needle) !== '' && collapse(text).includes(collapse(needle))) {
    return (
      'old_string matches only if whitespace is ignored: check indentation (tabs vs spaces) and line endings, ' +
      'and copy the text exactly as read_file shows it (without the line-number prefix).'
    );
  }
  const probe =
    needle
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l !== '') ?? '';
  const scored = text
    .split('\n')
    .map((line, i) => ({ no: i + 1, line, score: similarity(probe, line.trim()) }))
    .filter((c) => c.score >= 0.4)
    .sort((a, b) => b.score - a.score || a.no - b.no)
    .slice(0, 3);
  if (scored.length === 0) return 'No similar line found; read the file again before editing.';
  const lines = scored.map(
    (c) => `${String(c.no).padStart(6)}\t${c.line.length > 200 ? `${c.line.slice(0, 200)}…` : c.line}`,
  );
  return `Closest line${scored.length > 1 ? 's' : ''} in the file:\n${lines.join('\n')}`;
}
