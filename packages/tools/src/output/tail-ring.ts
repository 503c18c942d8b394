import type { OutputLine, StreamName } from './types.js';

/**
 * The last lines of the output, bounded by count and by characters. Lines arrive with
 * consecutive numbers, so only the number of the newest line is stored.
 */
export class TailRing {
  private readonly texts: string[];
  private streams: Uint8Array;
  private start = 0;
  private size = 0;
  private chars = 0;
  private lastNo = 0;

  constructor(
    private readonly maxLines: number,
    private readonly maxChars: number,
  ) {
    // Grown on demand: most commands print a handful of lines.
    this.texts = [];
    this.streams = new Uint8Array(Math.min(maxLines, 64));
  }

  /** Lines it can hold at most. */
  get capacity(): number {
    return this.maxLines;
  }

  push(no: number, text: string, stream: StreamName): void {
    if (this.maxLines === 0) return;
    if (this.size === this.maxLines) this.dropOldest();
    const at = (this.start + this.size) % this.maxLines;
    if (at >= this.streams.length) this.growStreams();
    this.texts[at] = text;
    this.streams[at] = stream === 'stdout' ? 0 : 1;
    this.size++;
    this.chars += text.length;
    this.lastNo = no;
    while (this.chars > this.maxChars && this.size > 1) this.dropOldest();
  }

  lines(): OutputLine[] {
    const out: OutputLine[] = [];
    const firstNo = this.lastNo - this.size + 1;
    for (let i = 0; i < this.size; i++) {
      const at = (this.start + i) % this.maxLines;
      out.push({
        no: firstNo + i,
        text: this.texts[at] as string,
        stream: this.streams[at] === 0 ? 'stdout' : 'stderr',
      });
    }
    return out;
  }

  private growStreams(): void {
    const streams = new Uint8Array(Math.min(this.maxLines, this.streams.length * 2));
    streams.set(this.streams);
    this.streams = streams;
  }

  private dropOldest(): void {
    this.chars -= (this.texts[this.start] as string).length;
    this.texts[this.start] = '';
    this.start = (this.start + 1) % this.maxLines;
    this.size--;
  }
}
