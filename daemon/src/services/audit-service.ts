import type { AuditService, ServiceImpl } from '@sylk/proto';
import type { AuditEntry, AuditQuery } from '@sylk/security';
import type { DaemonAudit } from '../audit.js';

type Methods = typeof AuditService extends { method: infer M } ? M : never;

function toProto(e: AuditEntry) {
  return {
    id: e.id,
    timeUnixMs: BigInt(e.time),
    seq: BigInt(e.seq),
    category: e.category,
    action: e.action,
    target: e.target,
    outcome: e.outcome,
    sessionId: e.sessionId,
    projectId: e.projectId,
    detailsJson: JSON.stringify(e.details),
    prevHash: e.prev,
    hash: e.hash,
    severity: e.severity,
  };
}

/** AuditService: query (streamed, oldest first) and verify the daemon's audit log. */
export function auditServiceImpl(audit: () => DaemonAudit): ServiceImpl<Methods> {
  return {
    async *queryAudit(req, ctx) {
      const q: AuditQuery = {
        ...(req.sinceUnixMs > 0n ? { since: Number(req.sinceUnixMs) } : {}),
        ...(req.untilUnixMs > 0n ? { until: Number(req.untilUnixMs) } : {}),
        ...(req.categories.length > 0 ? { categories: req.categories } : {}),
        ...(req.sessionId ? { sessionId: req.sessionId } : {}),
        ...(req.action ? { action: req.action } : {}),
        ...(req.outcome ? { outcome: req.outcome } : {}),
        ...(req.targetRegex ? { targetRegex: req.targetRegex } : {}),
        ...(req.limit > 0 ? { limit: req.limit } : {}),
        order: 'oldest',
      };
      for await (const entry of audit().query(q)) {
        if (ctx.signal.aborted) return;
        yield { entry: toProto(entry) };
      }
    },
    async verifyAudit() {
      const r = await audit().verify();
      return {
        ok: r.ok,
        entries: BigInt(r.entries),
        signatures: BigInt(r.signatures),
        files: r.files,
        problems: r.problems.map((p) => ({
          file: p.file,
          line: BigInt(p.line),
          seq: BigInt(p.seq),
          problem: p.problem,
        })),
      };
    },
  };
}
