import type { NpmFailure, ParseResult, StreamEvent } from './types.js';
import { BaseMachine, diag, lineParser, progress } from './util.js';

const ERR = /^npm (?:ERR!|error)\s?(.*)$/;
const WARN = /^npm (?:WARN|warn)\s?(.*)$/;

/** npm install/ci failures (old `npm ERR!` and new `npm error` prefixes) and warnings. */
class NpmMachine extends BaseMachine {
  private code: string | undefined;
  private detail: string[] = [];
  private pkg: string | undefined;
  private done: string | undefined;

  onLine(line: string): StreamEvent[] {
    const err = ERR.exec(line);
    if (err !== null) {
      this.isFatal = true;
      const text = err[1] ?? '';
      const code = /^code (\S+)$/.exec(text);
      if (code !== null) {
        this.code = code[1];
        return [];
      }
      if (/^(syscall|errno) /.test(text) || /complete log of this run|^A complete log/.test(text)) return [];
      const requested = /The requested resource '(.+?)' could not be found/.exec(text);
      if (requested !== null) this.pkg = requested[1];
      const get = /^404 Not Found - GET \S+\/([^/\s]+) /.exec(text);
      if (get !== null) this.pkg ??= decodeURIComponent(get[1] ?? '');
      if (text.trim() !== '') this.detail.push(text.replace(/^(404|network)\s+/, '').trim());
      return [];
    }
    const warn = WARN.exec(line);
    if (warn !== null) return [diag('warning', warn[1] ?? '', { rule: /^(\w+)/.exec(warn[1] ?? '')?.[1] })];
    if (/^(added|removed|changed|up to date|audited) .*\d/.test(line)) {
      this.done = line.trim();
      return [progress(line.trim())];
    }
    return [];
  }

  override end(): StreamEvent[] {
    if (!this.isFatal) return [];
    return [diag('error', this.failure().summary, { rule: this.code })];
  }

  private failure(): NpmFailure {
    const useful = this.detail.filter((l) => l !== '');
    const summary = (
      this.code === 'ERESOLVE'
        ? useful.slice(0, 2).concat(useful.filter((l) => /^(peer |Could not resolve)/.test(l)))
        : useful.slice(0, 1)
    ).join('; ');
    const failure: NpmFailure = {
      summary: summary === '' ? `npm failed${this.code === undefined ? '' : ` (${this.code})`}` : summary,
    };
    if (this.code !== undefined) failure.code = this.code;
    if (this.pkg !== undefined) failure.package = this.pkg;
    return failure;
  }

  extras(): Partial<ParseResult> {
    return this.isFatal ? { npm: this.failure() } : {};
  }

  override toolSummary(): string | undefined {
    return this.isFatal ? `npm failed: ${this.code ?? 'unknown error'}` : this.done;
  }
}

export const npmParser = lineParser('npm', () => new NpmMachine());
