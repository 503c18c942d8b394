/**
 * Glob matching for list_files / search and the .gitignore-lite rules, with ripgrep's convention:
 * a pattern without `/` matches a name at any depth (`*.ts`); one with `/` matches the whole
 * relative path (`src/**\/*.ts`). Supports `**`, `*`, `?`, `[...]` and `{a,b}`.
 */
export interface GlobMatcher {
  (relativePath: string): boolean;
}

export function globMatcher(pattern: string): GlobMatcher {
  const trimmed = pattern.startsWith('./') ? pattern.slice(2) : pattern;
  const anchored = trimmed.includes('/');
  const source = trimmed.startsWith('/') ? trimmed.slice(1) : trimmed;
  const regex = new RegExp(`^${globSource(source)}$`);
  if (anchored) return (path) => regex.test(path);
  return (path) => regex.test(path.slice(path.lastIndexOf('/') + 1));
}

function globSource(glob: string): string {
  let out = '';
  let braces = 0;
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*') {
      if (glob[i + 1] === '*') {
        const slashAfter = glob[i + 2] === '/';
        out += slashAfter ? '(?:.*/)?' : '.*';
        i += slashAfter ? 2 : 1;
      } else out += '[^/]*';
    } else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        const body = glob.slice(i + 1, end).replace(/\\/g, '\\\\');
        out += body.startsWith('!') ? `[^${body.slice(1)}]` : `[${body}]`;
        i = end;
      }
    } else if (c === '{') {
      braces++;
      out += '(?:';
    } else if (c === '}' && braces > 0) {
      braces--;
      out += ')';
    } else if (c === ',' && braces > 0) out += '|';
    else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return out + ')'.repeat(braces);
}
