/**
 * The most recent output bytes of a long-running (background) process, addressed by absolute
 * offset so a reader can poll "what is new since offset N" and learn when it fell behind.
 */
export class RecentBytes {
  private chunks: Buffer[] = [];
  private startOffset = 0;
  private endOffset = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(Buffer.from(chunk));
    this.endOffset += chunk.length;
    this.dropTo(this.maxBytes);
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.endOffset - this.startOffset;
  }

  /** Memory pressure: keeps only the newest `maxBytes` (readers of older offsets see `truncated`); returns the bytes dropped. */
  trim(maxBytes: number): number {
    const before = this.heldBytes;
    this.dropTo(Math.max(0, maxBytes));
    return before - this.heldBytes;
  }

  private dropTo(maxBytes: number): void {
    while (this.endOffset - this.startOffset > maxBytes && this.chunks.length > 0) {
      const first = this.chunks[0] as Buffer;
      const excess = this.endOffset - this.startOffset - maxBytes;
      if (first.length <= excess) {
        this.chunks.shift();
        this.startOffset += first.length;
      } else {
        this.chunks[0] = Buffer.from(first.subarray(excess)); // a copy: the dropped part is freed
        this.startOffset += excess;
      }
    }
  }

  /** Text since `sinceOffset` (default: everything still held); `truncated` when some was dropped. */
  read(sinceOffset = 0): { text: string; nextOffset: number; truncated: boolean } {
    const from = Math.max(sinceOffset, this.startOffset);
    const truncated = sinceOffset < this.startOffset;
    if (from >= this.endOffset) return { text: '', nextOffset: Math.max(sinceOffset, this.endOffset), truncated };
    const parts: Buffer[] = [];
    let offset = this.startOffset;
    for (const chunk of this.chunks) {
      const end = offset + chunk.length;
      if (end > from) parts.push(offset >= from ? chunk : chunk.subarray(from - offset));
      offset = end;
    }
    return { text: Buffer.concat(parts).toString('utf8'), nextOffset: this.endOffset, truncated };
  }
}
