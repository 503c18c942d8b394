/**
 * The permission manager (SPEC 4.1): role → protected paths → safe defaults → project allowlist
 * → session grants → ask. One instance per session; the allowlist file is shared by the
 * project's sessions and re-read before every change.
 */
import nodePath from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Clock, type Logger } from '@sylk/core';
import { checkCommandLine } from './check-command.js';
import { patternTokens } from './commands.js';
import { decide } from './decision.js';
import { Judge } from './judge.js';
import { resolvePath, type PathContext } from './paths.js';
import { normalizeDomain, ruleForAction } from './propose.js';
import { isRole, type Role } from './roles.js';
import { SAFE_DOMAINS } from './safe-list.js';
import { AllowlistStore, ruleId, validateDraft } from './store.js';
import type { PermissionAction, PermissionDecision, PermissionRule, RuleDraft, RuleProposal } from './types.js';

export interface PermissionManagerOptions {
  projectRoot: string;
  role: Role;
  /** Home directory for `~` and shell start-up files; injected so tests never touch the real one. */
  homeDir: string;
  clock: Clock;
  logger?: Logger;
  /** `security.permissions.custom_safe_list`: command prefixes run without asking (`make` covers every `make …`). */
  customSafeList?: readonly string[];
  /** More absolute paths that always need approval to change (e.g. the Sylk config directory). */
  protectedPaths?: readonly string[];
}

export class PermissionManager {
  readonly role: Role;
  readonly #ctx: PathContext;
  readonly #store: AllowlistStore;
  readonly #session: PermissionRule[] = [];
  readonly #judge: Judge;
  readonly #clock: Clock;
  readonly #logger: Logger;

  constructor(opts: PermissionManagerOptions) {
    if (!isRole(opts.role)) {
      throw new SylkError(`Unknown agent role "${String(opts.role)}"`, { tier: ErrorTier.Permanent, code: 'permissions.unknown_role' });
    }
    if (!nodePath.isAbsolute(opts.projectRoot) || !nodePath.isAbsolute(opts.homeDir)) {
      throw new SylkError('The permission manager needs absolute project and home directories', {
        tier: ErrorTier.Permanent,
        code: 'permissions.relative_root',
        details: { projectRoot: opts.projectRoot, homeDir: opts.homeDir },
      });
    }
    this.role = opts.role;
    this.#clock = opts.clock;
    this.#logger = opts.logger ?? silentLogger();
    this.#ctx = {
      projectRoot: nodePath.resolve(opts.projectRoot),
      homeDir: nodePath.resolve(opts.homeDir),
      extraProtected: opts.protectedPaths ?? [],
    };
    this.#store = new AllowlistStore({ projectRoot: this.#ctx.projectRoot, clock: opts.clock, logger: this.#logger });
    const customSafe = (opts.customSafeList ?? []).map(patternTokens).filter((t) => t.length > 0);
    const rules = { allowlist: () => this.#store.rules(), session: () => this.#session };
    this.#judge = new Judge(opts.role, this.#ctx, customSafe, rules);
  }

  /** Path of the project allowlist file. */
  get allowlistPath(): string {
    return this.#store.path;
  }

  check(action: PermissionAction): PermissionDecision {
    const decision = this.#check(action);
    if (decision.verdict !== 'allow') {
      this.#logger.debug({ action: action.kind, verdict: decision.verdict, source: decision.source }, decision.reason);
    }
    return decision;
  }

  #check(action: PermissionAction): PermissionDecision {
    const judge = this.#judge;
    switch (action.kind) {
      case 'path':
        return judge.checkPath(action.op, resolvePath(action.path, this.#ctx.projectRoot, this.#ctx.homeDir));
      case 'command':
        return checkCommandLine(judge, action.command, resolvePath(action.cwd ?? '.', this.#ctx.projectRoot, this.#ctx.homeDir));
      case 'network': {
        if (!judge.can('network')) return decide('deny', 'role', `role ${this.role} may not use the network`);
        const domain = normalizeDomain(action.domain);
        if (SAFE_DOMAINS.has(domain)) return decide('allow', 'safe_list', `${domain} is a package registry or documentation site`);
        return (
          judge.findRule('domain', (r) => r.pattern === domain) ??
          decide('ask', 'default', `${domain} is not in the safe list or the project allowlist`)
        );
      }
      case 'config':
        return judge.can('config')
          ? decide('allow', 'role', 'admins may change configuration')
          : decide('deny', 'role', `role ${this.role} may not change configuration`);
      case 'credential':
        return judge.can('credential')
          ? decide('allow', 'role', `admins may use the ${action.provider} credential`)
          : decide('deny', 'role', `role ${this.role} may not use credentials`);
    }
  }

  /**
   * Rules an "allow always" answer would persist: for a command line, one per command that asked
   * for no stronger reason than being unlisted. Protected paths and indirect commands get none.
   */
  ruleForAction(action: PermissionAction): RuleProposal[] {
    const decision = this.check(action);
    if (decision.verdict !== 'ask') return [];
    if (action.kind !== 'command') return decision.source === 'default' ? ruleForAction(action, this.#ctx) : [];
    const asking = (decision.parts ?? []).filter((p) => p.verdict === 'ask' && p.source === 'default' && p.command !== undefined);
    return asking.flatMap((p) => ruleForAction({ kind: 'command', command: p.command as string }, this.#ctx));
  }

  /** Allow for the life of this manager (one session) only. */
  grantForSession(draft: RuleDraft): PermissionRule {
    const valid = validateDraft(this.#normalize(draft));
    const id = ruleId(valid);
    const existing = this.#session.find((r) => r.id === id);
    if (existing !== undefined) return existing;
    const rule: PermissionRule = { ...valid, id, createdAt: this.#clock.now() };
    this.#session.push(rule);
    return rule;
  }

  /** Add to `.sylk/local/permissions.yaml`; refuses (`permissions.file_invalid`) while that file is unreadable. */
  persist(draft: RuleDraft): PermissionRule {
    return this.#store.add(this.#normalize(draft));
  }

  list(): PermissionRule[] {
    return [...this.#store.rules()];
  }

  revoke(idOrPattern: string): PermissionRule {
    return this.#store.remove(idOrPattern);
  }

  /** Re-read the allowlist (after another session or the user changed it). */
  reload(): void {
    this.#store.reload();
  }

  /** Why the allowlist file is being ignored, if it is. */
  allowlistProblem(): string | undefined {
    return this.#store.problem();
  }

  #normalize(draft: RuleDraft): RuleDraft {
    if (draft.kind === 'domain' && typeof draft.pattern === 'string') return { ...draft, pattern: normalizeDomain(draft.pattern) };
    if (draft.kind === 'command' && typeof draft.pattern === 'string') {
      return { ...draft, pattern: patternTokens(draft.pattern).join(' ') };
    }
    return draft;
  }
}
