/**
 * What the rest of Sylk hands the audit log: one record per security-relevant decision or
 * action. Never put secrets or content (prompts, file bodies, command output) in a record.
 */
export type AuditCategory =
  'permission' | 'file' | 'process' | 'network' | 'llm' | 'session' | 'config' | 'auth' | 'audit' | 'mcp';
/** Every category, for validating user input (`audit` is the log's own entries: markers of lost or torn writes). */
export const AUDIT_CATEGORIES: readonly AuditCategory[] = [
  'permission',
  'file',
  'process',
  'network',
  'llm',
  'session',
  'config',
  'auth',
  'audit',
  'mcp',
];
export type AuditSeverity = 'info' | 'warning' | 'security' | 'critical';
export type AuditDetailValue = string | number | boolean | null;

export interface AuditRecord {
  category: AuditCategory;
  /** What happened, snake_case: `verdict`, `approval`, `file_write`, `process_start`, `connect`, … */
  action: string;
  /** What it happened to: a command line, a path, a domain, a provider/model, a session id. */
  target: string;
  /** `allow`, `deny`, `ask`, `ok`, `error`, `blocked`, an exit code, … */
  outcome: string;
  severity?: AuditSeverity;
  sessionId?: string;
  projectId?: string;
  details?: Readonly<Record<string, AuditDetailValue>>;
}

/** Where records go. Recording never throws and never blocks on disk. */
export interface AuditSink {
  record(entry: AuditRecord): void;
}

/** For tests and for code paths that run with the audit log turned off. */
export const nullAuditSink: AuditSink = { record: () => undefined };

/** One stored entry (a line of the JSONL file), in its canonical field order. */
export interface AuditEntry {
  seq: number;
  id: string;
  /** Wall-clock ms when the record was made. */
  time: number;
  category: AuditCategory;
  severity: AuditSeverity;
  action: string;
  target: string;
  outcome: string;
  sessionId: string;
  projectId: string;
  details: Record<string, AuditDetailValue>;
  /** SHA-256 (hex) of the previous entry; 64 zeros for the first. */
  prev: string;
  /** SHA-256 (hex) over this entry's canonical text (every field above, prev included). */
  hash: string;
}

export interface AuditQuery {
  /** Wall-clock ms, inclusive; undefined = unbounded. */
  since?: number;
  until?: number;
  categories?: readonly string[];
  sessionId?: string;
  action?: string;
  outcome?: string;
  /** RE2 syntax (linear time), at most MAX_TARGET_REGEX characters, matched anywhere in the target. */
  targetRegex?: string;
  /** 0/undefined = no limit. */
  limit?: number;
  order?: 'oldest' | 'newest';
}

export interface AuditProblem {
  file: string;
  /** 1-based line in that file. */
  line: number;
  /** The entry's sequence number where known, else 0. */
  seq: number;
  problem: string;
}

export interface AuditVerifyReport {
  ok: boolean;
  entries: number;
  signatures: number;
  files: number;
  /** Entries after the last signature (signed at the next interval or clean shutdown). */
  unsignedTail: number;
  problems: AuditProblem[];
}
