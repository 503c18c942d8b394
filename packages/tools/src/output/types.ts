export type StreamName = 'stdout' | 'stderr';

/** One captured output line; `no` counts lines of both streams in arrival order, from 1. */
export interface OutputLine {
  no: number;
  text: string;
  stream: StreamName;
}

export type LineKind = 'error' | 'warning' | 'important';

export interface ImportantLine extends OutputLine {
  kind: LineKind;
}

/**
 * What a command printed, bounded in memory: the first lines, a tail window, the important
 * lines in between and counts over every line. The full bytes are in the spool file.
 */
export interface CapturedOutput {
  totalLines: number;
  /** Bytes received on stdout + stderr. */
  totalBytes: number;
  head: OutputLine[];
  tail: OutputLine[];
  /** Important lines in order (also those in the head); bounded (see `importantDropped`). */
  important: ImportantLine[];
  importantDropped: number;
  /** Lines that matched an error pattern, counted over all lines. */
  errorCount: number;
  /** Lines that matched a warning pattern (and no error pattern), counted over all lines. */
  warningCount: number;
  /** Lines longer than the in-memory cap, cut in the buffered form (intact in the spool). */
  longLinesCut: number;
  /** The spool file with the raw interleaved bytes, or null when nothing was printed / no spool. */
  rawPath: string | null;
  rawBytes: number;
  /** The spool stopped at its size limit or failed to write. */
  rawTruncated: boolean;
}
