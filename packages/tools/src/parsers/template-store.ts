import { promises as fsp } from 'node:fs';
import { basename, dirname } from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Logger } from '@sylk/core';
import { writeJsonAtomic } from '../fs/index.js';
import { globToRegExp, normalizeCommand } from './command.js';
import { validateTemplate, type ParseTemplate } from './templates.js';

interface StoreFile {
  version: 1;
  templates: ParseTemplate[];
}

/**
 * Validated templates keyed by toolPattern, LRU-bounded, persisted as one JSON file (written
 * atomically) at an injected path, e.g. in the project's knowledge dir.
 */
export class TemplateStore {
  private readonly templates = new Map<string, ParseTemplate>();
  private readonly logger: Logger;

  constructor(private readonly options: { path: string; maxEntries?: number; logger?: Logger }) {
    this.logger = options.logger ?? silentLogger();
  }

  add(template: ParseTemplate): void {
    validateTemplate(template);
    this.templates.delete(template.toolPattern);
    this.templates.set(template.toolPattern, template);
    const max = this.options.maxEntries ?? 200;
    while (this.templates.size > max) {
      const oldest = this.templates.keys().next().value;
      if (oldest === undefined) break;
      this.templates.delete(oldest);
    }
  }

  /** The template whose pattern matches the command (marks it recently used). */
  find(command: string): ParseTemplate | undefined {
    const line = normalizeCommand(command);
    for (const [key, t] of [...this.templates].reverse()) {
      if (!globToRegExp(key).test(line)) continue;
      this.templates.delete(key);
      this.templates.set(key, t);
      return t;
    }
    return undefined;
  }

  list(): ParseTemplate[] {
    return [...this.templates.values()];
  }

  async save(): Promise<void> {
    const file: StoreFile = { version: 1, templates: this.list() };
    await fsp.mkdir(dirname(this.options.path), { recursive: true });
    await writeJsonAtomic(dirname(this.options.path), basename(this.options.path), file);
  }

  /** Loads the file (missing = empty); templates that no longer validate are dropped with a warning. */
  async load(): Promise<void> {
    let text: string;
    try {
      text = await fsp.readFile(this.options.path, 'utf8');
    } catch (err) {
      if ((err as { code?: string }).code === 'ENOENT') return;
      throw err;
    }
    let file: StoreFile;
    try {
      file = JSON.parse(text) as StoreFile;
      if (!Array.isArray(file.templates)) throw new Error('no templates array');
    } catch (err) {
      throw new SylkError(`Template store ${this.options.path} is corrupt`, { code: 'tools.template_store_corrupt', tier: ErrorTier.Permanent, cause: err });
    }
    for (const t of file.templates) {
      try {
        this.add(t);
      } catch (err) {
        this.logger.warn({ err, toolPattern: t.toolPattern }, 'dropping invalid stored parse template');
      }
    }
  }
}
