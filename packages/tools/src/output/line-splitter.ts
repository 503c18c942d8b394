import { StringDecoder } from 'node:string_decoder';

/** @internal exported for tests */
export const LINE_CUT_MARKER = ' …[line truncated]';

/**
 * Turns one stream's chunks into blocks of whole lines ("a\nb\n"), whatever the chunk
 * boundaries (split lines, split UTF-8 sequences). The unfinished line carried between chunks is
 * capped at `maxLineChars`: past that the line is emitted cut and the rest of it is skipped, so a
 * command printing one endless line cannot grow memory.
 */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private carry = '';
  private skipping = false;
  /** Lines cut because they were longer than the cap. */
  cut = 0;

  constructor(private readonly maxLineChars: number) {}

  /** Whole lines completed by this chunk, each ending in '\n' (possibly ''). */
  push(chunk: Buffer): string {
    let text = this.decoder.write(chunk);
    if (this.skipping) {
      const nl = text.indexOf('\n');
      if (nl === -1) return '';
      this.skipping = false;
      text = text.slice(nl + 1);
    }
    const last = text.lastIndexOf('\n');
    if (last === -1) return this.hold(this.carry + text, '');
    const block = this.carry === '' ? text.slice(0, last + 1) : this.carry + text.slice(0, last + 1);
    return this.hold(text.slice(last + 1), block);
  }

  /** The last, unterminated line (if any) as a block. */
  end(): string {
    const rest = this.carry + this.decoder.end();
    this.carry = '';
    if (this.skipping || rest === '') return '';
    return rest + '\n';
  }

  private hold(carry: string, block: string): string {
    if (carry.length <= this.maxLineChars) {
      this.carry = carry;
      return block;
    }
    this.carry = '';
    this.skipping = true;
    // One character over the cap, so `capped` marks and counts it like any other long line.
    return block + carry.slice(0, this.maxLineChars + 1) + '\n';
  }

  /** Cap one line; every emitted line goes through here. */
  capped(line: string): string {
    if (line.length <= this.maxLineChars) return line;
    this.cut++;
    return line.slice(0, this.maxLineChars) + LINE_CUT_MARKER;
  }
}
