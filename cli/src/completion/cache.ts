import { lstatSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the daemon answered a few seconds ago (and the command tree), so that Tab does not ask again. */
export interface CompletionCache {
  get(key: string): unknown;
  set(key: string, value: unknown, ttlMs: number): void;
}

interface Entry {
  at: number;
  ttl: number;
  value: unknown;
}

const FILE = 'completion-cache.json';

/**
 * A cache in one JSON file of the per-user runtime directory (0700; the file 0600), read once per
 * process. A file that is not a private regular file of this user is ignored: completion would
 * show what others wrote there otherwise. Every failure means "not cached".
 */
export function fileCache(dir: string, now: () => number): CompletionCache {
  const file = join(dir, FILE);
  const fresh = (e: Entry | undefined): e is Entry =>
    e !== undefined && typeof e.at === 'number' && typeof e.ttl === 'number' && e.at <= now() && now() - e.at < e.ttl;
  let entries: Record<string, Entry> | undefined;
  const read = (): Record<string, Entry> => {
    try {
      const st = lstatSync(file);
      const mine = process.getuid === undefined || st.uid === process.getuid();
      if (!st.isFile() || !mine || (st.mode & 0o077) !== 0) return {};
      const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
      return parsed !== null && typeof parsed === 'object' ? (parsed as Record<string, Entry>) : {};
    } catch {
      return {};
    }
  };
  return {
    get(key) {
      const entry = (entries ??= read())[key];
      return fresh(entry) ? entry.value : undefined;
    },
    set(key, value, ttl) {
      entries = Object.fromEntries(Object.entries(entries ?? read()).filter(([, e]) => fresh(e)));
      entries[key] = { at: now(), ttl, value };
      const tmp = `${file}.${process.pid}`;
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        writeFileSync(tmp, JSON.stringify(entries), { mode: 0o600 });
        renameSync(tmp, file);
      } catch {
        rmSync(tmp, { force: true });
      }
    },
  };
}
