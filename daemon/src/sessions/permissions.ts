import type { PermissionOutcome, ToolPermissionRequest } from '@sylk/agents';
import type { AuditSink, PermissionAction, PermissionManager, RuleProposal } from '@sylk/security';
import type { Approval, ApprovalDecision } from '@sylk/sessions';

/** What the runtime needs to raise an approval and wait for its answer. */
export interface ApprovalBridge {
  /** Persist the request, announce it, and resolve with the decided approval. */
  ask(
    request: { kind: string; summary: string; detail: string; reason: string; proposedRule: string },
    signal: AbortSignal,
  ): Promise<Approval>;
  /** A decision already taken for this exact action (e.g. decided after a restart), consumed once. */
  predecided(kind: string, target: string): ApprovalDecision | undefined;
  /** Another session's "allow always" changed the project allowlist. */
  allowlistChanged(): void;
  /** The session's audit sink: every verdict and every approval decision is recorded. */
  audit?: AuditSink;
}

/** A connection a sandboxed command asked the session's network proxy for; the target is the host name. */
interface NetworkPermissionRequest {
  action: 'network';
  target: string;
}

/** Starting an MCP server a project's config defines (see mcp.ts); the target is the server name. */
interface McpServerPermissionRequest {
  action: 'mcp_server';
  target: string;
  /** The exact command line or URL, as approved. */
  launch: string;
}

/** What asks: a tool call of the agent, the session's network proxy, or an MCP server start. */
export type PermissionRequest = ToolPermissionRequest | NetworkPermissionRequest | McpServerPermissionRequest;

function toAction(req: PermissionRequest): PermissionAction {
  switch (req.action) {
    case 'command':
      return { kind: 'command', command: req.target, ...(req.cwd ? { cwd: req.cwd } : {}) };
    case 'write':
      return { kind: 'path', op: 'write', path: req.target };
    case 'network':
      return { kind: 'network', domain: req.target };
    case 'mcp': {
      const slash = req.target.indexOf('/');
      return { kind: 'mcp', server: req.target.slice(0, slash), tool: req.target.slice(slash + 1) };
    }
    case 'mcp_server':
      return { kind: 'mcp_server', server: req.target, launch: req.launch };
  }
}

function describe(req: PermissionRequest): { kind: string; summary: string; detail: string } {
  switch (req.action) {
    case 'command':
      return { kind: 'command', summary: `run \`${req.target}\``, detail: req.target };
    case 'write':
      return { kind: 'path', summary: `write ${req.target}`, detail: req.preview ?? req.target };
    case 'network':
      return { kind: 'network', summary: `connect to ${req.target}`, detail: req.target };
    case 'mcp':
      return { kind: 'mcp', summary: `call MCP tool ${req.target}`, detail: req.preview ?? req.target };
    case 'mcp_server':
      return {
        kind: 'mcp_server',
        summary: `start MCP server ${req.target} from the project's config: ${req.launch}`,
        detail: req.launch,
      };
  }
}

function ruleText(rules: RuleProposal[]): string {
  return rules.map((r) => `${r.kind}${r.op ? ` ${r.op}` : ''}: ${r.pattern}`).join('; ');
}

/**
 * The permission hook of the agent's tool calls and of the session's network proxy: the
 * project's permission manager decides allow / deny / ask;
 * "ask" becomes a persisted approval whose decision may grant a rule for the session or persist
 * it to the project allowlist. A denial's message goes back to the model verbatim.
 */
export async function decidePermission(
  pm: PermissionManager,
  bridge: ApprovalBridge,
  req: PermissionRequest,
  signal: AbortSignal,
): Promise<PermissionOutcome> {
  const action = toAction(req);
  const decision = pm.check(action);
  bridge.audit?.record({
    category: req.action === 'network' ? 'network' : 'permission',
    action: 'verdict',
    target: req.target,
    outcome: decision.verdict,
    severity: decision.verdict === 'allow' ? 'info' : 'security',
    details: { kind: action.kind, source: decision.source, reason: decision.reason },
  });
  if (decision.verdict === 'allow') return { allowed: true };
  if (decision.verdict === 'deny')
    return { allowed: false, message: `Not permitted (${decision.source}): ${decision.reason}` };
  const what = describe(req);
  const rules = pm.ruleForAction(action);
  const early = bridge.predecided(what.kind, req.target);
  const approval =
    early === undefined
      ? await bridge.ask({ ...what, reason: decision.reason, proposedRule: ruleText(rules) }, signal)
      : ({ decision: early, message: null } as Pick<Approval, 'decision' | 'message'>);
  bridge.audit?.record({
    category: req.action === 'network' ? 'network' : 'permission',
    action: 'approval',
    target: req.target,
    outcome: approval.decision ?? 'none',
    severity: 'security',
    details: {
      kind: action.kind,
      ...(early === undefined
        ? {
            approvalId: (approval as Approval).id,
            decidedBy: (approval as Approval).decidedBy,
            state: (approval as Approval).state,
          }
        : { predecided: true }),
      rule: approval.decision === 'allow_always' || approval.decision === 'allow_session' ? ruleText(rules) : null,
    },
  });
  // `sylk approve -m`: the user's note reaches the model with the tool result.
  const allowed = approval.message
    ? { allowed: true as const, note: `[The user allowed this and says: ${approval.message}]` }
    : { allowed: true as const };
  switch (approval.decision) {
    case 'allow_once':
      return allowed;
    case 'allow_session':
      for (const rule of rules) pm.grantForSession(rule);
      return allowed;
    case 'allow_always':
      for (const rule of rules) pm.persist(rule);
      bridge.allowlistChanged();
      return allowed;
    case 'deny_with_message':
      return { allowed: false, message: `The user denied this and says: ${approval.message ?? ''}` };
    default:
      return {
        allowed: false,
        message: approval.message ? `The user denied this: ${approval.message}` : 'The user denied this.',
      };
  }
}
