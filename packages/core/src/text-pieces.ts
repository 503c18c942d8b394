/** Pieces joined into one flat string at a time (see {@link TextPieces}). */
const JOIN_EVERY = 256;

/**
 * Text that arrives in many small pieces (a streamed reply's deltas) and is read whole at the
 * end. `text += piece` keeps every piece alive behind a rope node until then, so each
 * young-generation GC copies all the pieces appended since the previous one: for a fast stream
 * that was most of what sylkd's main thread promoted, and the scavenges that did it set the
 * relay's tail latency (docs/decisions/005). Joining every 256 pieces lets the pieces die young; what survives is
 * their characters in one flat string.
 */
export class TextPieces {
  private joined = '';
  private pending: string[] = [];
  private chars = 0;

  append(piece: string): void {
    if (piece === '') return;
    this.pending.push(piece);
    this.chars += piece.length;
    if (this.pending.length >= JOIN_EVERY) this.join();
  }

  /** Characters appended so far. */
  get length(): number {
    return this.chars;
  }

  toString(): string {
    if (this.pending.length > 0) this.join();
    return this.joined;
  }

  private join(): void {
    this.joined += this.pending.join('');
    this.pending = [];
  }
}
