/** What the path, command and network checks share: the role, the project and the rules. */
import nodePath from 'node:path';
import { decide } from './decision.js';
import { hasCapability, type Capability, type Role } from './roles.js';
import {
  HARMLESS_DEVICES,
  isInside,
  matchesPathPattern,
  protectedReadReason,
  protectedReason,
  realTarget,
  repositoryTop,
  sensitiveDeleteReason,
  type PathContext,
} from './paths.js';
import type { PathOp, PermissionDecision, PermissionRule, RuleKind } from './types.js';

export interface RuleSources {
  allowlist: () => readonly PermissionRule[];
  session: () => readonly PermissionRule[];
}

export class Judge {
  readonly #realRoot: string;
  constructor(
    readonly role: Role,
    readonly ctx: PathContext,
    readonly customSafe: readonly string[][],
    private readonly rules: RuleSources,
  ) {
    this.#realRoot = realTarget(nodePath.resolve(ctx.projectRoot));
  }

  /**
   * Why git run in `dir` (absolute) would use a repository that reaches beyond the project (a
   * parent directory or the home directory under version control): its history and files are
   * not the project's. Undefined when the repository is inside the project or there is none.
   */
  repositoryOutside(dir: string): string | undefined {
    const top = repositoryTop(realTarget(dir));
    if (top === undefined || isInside(top, this.#realRoot)) return undefined;
    return `git there would use the repository at ${top}, which is larger than the project`;
  }

  can(capability: Capability): boolean {
    return hasCapability(this.role, capability);
  }

  /** An allowlist rule first, then a session grant. */
  findRule(kind: RuleKind, test: (rule: PermissionRule) => boolean): PermissionDecision | undefined {
    for (const source of ['allowlist', 'session'] as const) {
      const rule = this.rules[source]().find((r) => r.kind === kind && test(r));
      if (rule !== undefined) return decide('allow', source, `allowed by ${source} rule "${rule.pattern}"`, rule);
    }
    return undefined;
  }

  /** `path` must be absolute and normalized. */
  checkPath(op: PathOp, path: string): PermissionDecision {
    if (!this.can(op)) return decide('deny', 'role', `role ${this.role} may not ${op} files`);
    if (op === 'read' && HARMLESS_DEVICES.has(path))
      return decide('allow', 'safe_list', `${path} is a harmless device`);
    const real = realTarget(path);
    if (op === 'read') {
      const reason = protectedReadReason(path, this.ctx) ?? protectedReadReason(real, this.ctx);
      if (reason !== undefined) return decide('ask', 'protected', `read ${path} always needs approval: ${reason}`);
    }
    if (op !== 'read') {
      const reason = protectedReason(path, this.ctx, op) ?? protectedReason(real, this.ctx, op);
      if (reason !== undefined) return decide('ask', 'protected', `${op} ${path} always needs approval: ${reason}`);
    }
    if (op === 'delete') {
      const reason = sensitiveDeleteReason(path) ?? sensitiveDeleteReason(real);
      if (reason !== undefined) return decide('ask', 'protected', `deleting ${path} needs approval: ${reason}`);
    }
    if (isInside(path, nodePath.resolve(this.ctx.projectRoot)) && isInside(real, this.#realRoot)) {
      return decide('allow', 'safe_list', `${op} inside the project`);
    }
    return (
      this.findRule('path', (r) => r.op === op && matchesPathPattern(path, r.pattern, this.ctx)) ??
      decide(
        'ask',
        'default',
        `${op} ${path}${real === path ? '' : ` (which leads to ${real})`} is outside the project and no rule allows it`,
      )
    );
  }
}
