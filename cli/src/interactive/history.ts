import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { projectHash, resolveDirs, type Env } from '@sylk/config/paths';

/** Earlier prompts, oldest first; `add` remembers one (persisted when backed by a file). */
export interface History {
  entries(): readonly string[];
  add(text: string): void;
}

const MAX_ENTRIES = 1000;

/**
 * A project's prompt history: one JSON string per line (so a multi-line prompt stays one entry)
 * in `<state>/history/<project hash>.jsonl`, next to the user's other per-project state and never
 * in the project. Kept to the newest MAX_ENTRIES; a repeat of the previous entry is not added.
 * A file that cannot be read or written leaves the history in memory only.
 */
export class FileHistory implements History {
  private readonly list: string[];

  constructor(private readonly file: string) {
    this.list = FileHistory.load(file);
    if (this.list.length > MAX_ENTRIES) {
      this.list.splice(0, this.list.length - MAX_ENTRIES);
      this.rewrite();
    }
  }

  entries(): readonly string[] {
    return this.list;
  }

  add(text: string): void {
    if (this.list.at(-1) === text) return;
    this.list.push(text);
    try {
      mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
      appendFileSync(this.file, `${JSON.stringify(text)}\n`, { mode: 0o600 });
    } catch {
      // A read-only state directory: the history still works for this run.
    }
  }

  private rewrite(): void {
    try {
      writeFileSync(this.file, this.list.map((e) => `${JSON.stringify(e)}\n`).join(''), { mode: 0o600 });
    } catch {
      // as in add()
    }
  }

  private static load(file: string): string[] {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      return [];
    }
    const out: string[] = [];
    for (const line of text.split('\n')) {
      try {
        const v: unknown = JSON.parse(line);
        if (typeof v === 'string') out.push(v);
      } catch {
        // a torn last line or a hand edit: skip it
      }
    }
    return out;
  }
}

/**
 * The history file of a project under the CLI's state directory (SYLK_HOME / XDG from `env`),
 * keyed like the daemon's per-project state; undefined when the project directory is gone.
 */
export function historyFile(env: Env, projectRoot: string): string | undefined {
  try {
    return join(resolveDirs(env).state, 'history', `${projectHash(projectRoot)}.jsonl`);
  } catch {
    return undefined;
  }
}
