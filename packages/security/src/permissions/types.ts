/** What an agent wants to do. Renames are a delete of the source plus a write of the target. */
export type PermissionAction =
  | { kind: 'command'; command: string; cwd?: string }
  | { kind: 'path'; op: PathOp; path: string }
  | { kind: 'network'; domain: string }
  /** Call a tool of an MCP server. */
  | { kind: 'mcp'; server: string; tool: string }
  /** Start (or connect to) an MCP server a project's config defines; `launch` is its exact command line or URL. */
  | { kind: 'mcp_server'; server: string; launch: string };

export type PathOp = 'read' | 'write' | 'delete';
export type Verdict = 'allow' | 'deny' | 'ask';
export type DecisionSource = 'role' | 'safe_list' | 'allowlist' | 'session' | 'protected' | 'default';

export interface PermissionDecision {
  verdict: Verdict;
  source: DecisionSource;
  reason: string;
  /** The allowlist or session rule that allowed it. */
  rule?: PermissionRule;
  /** One decision per simple command of a shell line, in source order. */
  parts?: PermissionDecision[];
  /** The simple command a part decision is about. */
  command?: string;
}

export type RuleKind = 'command' | 'path' | 'domain' | 'mcp' | 'mcp_server';

/**
 * A persisted or session grant. Command patterns are token prefixes (`npm run test`), path
 * patterns are globs (`**` crosses directories) relative to the project root unless absolute or
 * `~/…`, domain patterns are exact host names, mcp patterns are `<server>/<tool>` or `<server>/*`,
 * mcp_server patterns are `<server> <exact command line or URL>`.
 */
export interface PermissionRule {
  id: string;
  kind: RuleKind;
  pattern: string;
  /** Path rules only. */
  op?: PathOp;
  createdAt: number;
}

/** A rule before it is granted: `ruleForAction` proposes one, `persist`/`grantForSession` stamp it. */
export interface RuleDraft {
  kind: RuleKind;
  pattern: string;
  op?: PathOp;
}

export interface RuleProposal extends RuleDraft {
  /** Why the rule is broader than the user may expect, e.g. an executable missing from the arity table. */
  note?: string;
}
