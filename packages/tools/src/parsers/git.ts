import type { Commit, DiffFile, GitFileChange, GitStatus, LineMachine, ParseResult, StreamEvent } from './types.js';
import { BaseMachine, lineParser } from './util.js';

const PORCELAIN = /^([ MTADRCU?!])([ MTADRCU?!]) (.+)$/;
const HUMAN_ENTRY = new RegExp(
  '^\\t(modified|new file|deleted|renamed|copied|typechange|both modified|both added|both deleted|' +
    'added by us|added by them|deleted by us|deleted by them):\\s+(.+)$',
);
const CODES: Record<string, GitFileChange['status']> = {
  M: 'modified',
  T: 'typechange',
  A: 'added',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  U: 'unmerged',
};
const WORDS: Record<string, GitFileChange['status']> = {
  modified: 'modified',
  'new file': 'added',
  deleted: 'deleted',
  renamed: 'renamed',
  copied: 'copied',
  typechange: 'typechange',
};

function change(status: GitFileChange['status'], path: string): GitFileChange {
  const arrow = path.indexOf(' -> ');
  if ((status === 'renamed' || status === 'copied') && arrow > 0)
    return { path: path.slice(arrow + 4), status, from: path.slice(0, arrow) };
  return { path, status };
}

/** `git status` in porcelain v1 (`XY path`, `## branch`) and the human long format. */
class GitStatusMachine extends BaseMachine implements LineMachine {
  private readonly status: GitStatus = { staged: [], unstaged: [], untracked: [] };
  private section: 'staged' | 'unstaged' | 'untracked' | 'unmerged' | undefined;

  onLine(line: string): StreamEvent[] {
    const branch = /^## (\S+?)(?:\.\.\.\S+)?(?: \[.*\])?$/.exec(line) ?? /^On branch (\S+)$/.exec(line);
    if (branch !== null) {
      this.status.branch = branch[1];
      return [];
    }
    if (/^Changes to be committed:/.test(line)) this.section = 'staged';
    else if (/^Changes not staged for commit:/.test(line)) this.section = 'unstaged';
    else if (/^Untracked files:/.test(line)) this.section = 'untracked';
    else if (/^Unmerged paths:/.test(line)) this.section = 'unmerged';
    else if (this.section !== undefined && line.startsWith('\t')) this.human(line);
    else if (this.section === undefined) this.porcelain(line);
    return [];
  }

  private human(line: string): void {
    const m = HUMAN_ENTRY.exec(line);
    if (this.section === 'untracked') {
      this.status.untracked.push(line.trim());
    } else if (m !== null) {
      const status = this.section === 'unmerged' ? 'unmerged' : (WORDS[m[1] ?? ''] ?? 'modified');
      const list = this.section === 'staged' ? this.status.staged : this.status.unstaged;
      list.push(change(status, m[2]?.trim() ?? ''));
    }
  }

  private porcelain(line: string): void {
    const m = PORCELAIN.exec(line);
    if (m === null) return;
    const [x, y, path] = [m[1] ?? ' ', m[2] ?? ' ', unquote(m[3] ?? '')];
    if (x === '?' && y === '?') return void this.status.untracked.push(path);
    if (x === '!') return;
    if (x === 'U' || y === 'U' || (x === 'A' && y === 'A') || (x === 'D' && y === 'D')) {
      return void this.status.unstaged.push({ path, status: 'unmerged' });
    }
    const staged = CODES[x];
    const unstaged = CODES[y];
    if (staged !== undefined) this.status.staged.push(change(staged, path));
    if (unstaged !== undefined)
      this.status.unstaged.push(change(unstaged, path.includes(' -> ') ? (path.split(' -> ')[1] ?? path) : path));
  }

  extras(): Partial<ParseResult> {
    return { gitStatus: this.status };
  }

  override toolSummary(): string {
    const s = this.status;
    return `${s.staged.length} staged, ${s.unstaged.length} unstaged, ${s.untracked.length} untracked`;
  }
}

function unquote(path: string): string {
  return path.startsWith('"') && path.endsWith('"') ? (JSON.parse(path) as string) : path;
}

/** `git diff` patches (and `--numstat`): files with added/removed line counts. */
class GitDiffMachine extends BaseMachine {
  private readonly files: DiffFile[] = [];
  private current: DiffFile | undefined;
  private inHunk = false;

  onLine(line: string): StreamEvent[] {
    const header = /^diff --git a\/(.+) b\/(.+)$/.exec(line);
    if (header !== null) {
      this.current = { file: header[2] ?? '', added: 0, removed: 0 };
      this.files.push(this.current);
      this.inHunk = false;
      return [];
    }
    const numstat = /^(\d+|-)\t(\d+|-)\t(.+)$/.exec(line);
    if (numstat !== null && !this.inHunk) {
      const binary = numstat[1] === '-';
      this.files.push({
        file: numstat[3] ?? '',
        added: binary ? 0 : Number(numstat[1]),
        removed: binary ? 0 : Number(numstat[2]),
        ...(binary ? { binary } : {}),
      });
      return [];
    }
    const c = this.current;
    if (c === undefined) return [];
    if (line.startsWith('@@')) this.inHunk = true;
    else if (!this.inHunk && /^Binary files .* differ$/.test(line)) c.binary = true;
    else if (this.inHunk && line.startsWith('+')) c.added++;
    else if (this.inHunk && line.startsWith('-')) c.removed++;
    return [];
  }

  extras(): Partial<ParseResult> {
    return { diff: this.files };
  }

  override toolSummary(): string {
    const added = this.files.reduce((n, f) => n + f.added, 0);
    const removed = this.files.reduce((n, f) => n + f.removed, 0);
    return `${this.files.length} file(s) changed, +${added} -${removed}`;
  }
}

/** `git log` default/medium format and `--oneline`. */
class GitLogMachine extends BaseMachine {
  private readonly commits: Commit[] = [];
  private current: Commit | undefined;

  onLine(line: string): StreamEvent[] {
    const commit = /^commit ([0-9a-f]{7,64})\b/.exec(line);
    if (commit !== null) {
      this.current = { hash: commit[1] ?? '', message: '' };
      this.commits.push(this.current);
      return [];
    }
    const c = this.current;
    if (c === undefined) {
      const oneline = /^([0-9a-f]{7,64}) (?:\(.*?\) )?(.*)$/.exec(line);
      if (oneline !== null) this.commits.push({ hash: oneline[1] ?? '', message: oneline[2] ?? '' });
      return [];
    }
    const author = /^Author:\s+(.*?)(?: <(.*)>)?$/.exec(line);
    if (author !== null && c.message === '') {
      c.author = author[1];
      if (author[2] !== undefined) c.email = author[2];
    } else if (/^Date:\s+/.test(line) && c.message === '') {
      c.date = line.replace(/^Date:\s+/, '');
    } else if (line.startsWith('    ')) {
      c.message = c.message === '' ? line.slice(4) : `${c.message}\n${line.slice(4)}`;
    }
    return [];
  }

  extras(): Partial<ParseResult> {
    return { commits: this.commits };
  }

  override toolSummary(): string {
    return `${this.commits.length} commit(s)`;
  }
}

export const gitStatusParser = lineParser('git status', () => new GitStatusMachine());
export const gitDiffParser = lineParser('git diff', () => new GitDiffMachine());
export const gitLogParser = lineParser('git log', () => new GitLogMachine());
