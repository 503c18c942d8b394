/**
 * The permission manager: role → protected paths → safe defaults → the user's
 * allowlist for the project → session grants → ask. One instance per session; the allowlist
 * file (in Sylk's state directory, never in the project) is shared by the project's sessions and
 * re-read before every change.
 */
import { lstatSync } from 'node:fs';
import nodePath from 'node:path';
import { ErrorTier, SylkError, silentLogger, type Clock, type Logger } from '@sylk/core';
import { checkCommandLine } from './check-command.js';
import { patternTokens } from './commands.js';
import { decide } from './decision.js';
import { Judge } from './judge.js';
import { isInside, linkedGitDirs, resolvePath, type PathContext } from './paths.js';
import { normalizeDomain, ruleForAction } from './propose.js';
import { isRole, type Role } from './roles.js';
import { SAFE_DOMAINS } from './safe-list.js';
import { AllowlistStore, ruleId, validateDraft } from './store.js';
import type { PermissionAction, PermissionDecision, PermissionRule, RuleDraft, RuleProposal } from './types.js';

/** Where older Sylk versions kept the allowlist, and where a repository could plant one. */
const PROJECT_ALLOWLIST = '.sylk/local/permissions.yaml';

/** The one notice a session gets when its project carries an allowlist file that was ignored. */
export function ignoredAllowlistNotice(file: string, userFile: string): string {
  return (
    `Ignored ${file}: a file inside the project cannot grant permissions (a cloned repository could ship one). ` +
    `Nothing in it is allowed. To accept its rules, answer "allow always" when Sylk asks for them; ` +
    `your answers are kept in ${userFile} (\`sylk permissions list\`). Delete the project file to stop this notice.`
  );
}

export interface PermissionManagerOptions {
  projectRoot: string;
  role: Role;
  /**
   * The user's allowlist file for this project: `{dirs.state}/permissions/<projectHash>.yaml`.
   * Never a file inside the project, which a cloned repository could ship.
   */
  allowlistFile: string;
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
  readonly #projectRoot: string;

  constructor(opts: PermissionManagerOptions) {
    if (!isRole(opts.role)) {
      throw new SylkError(`Unknown agent role "${String(opts.role)}"`, {
        tier: ErrorTier.Permanent,
        code: 'permissions.unknown_role',
      });
    }
    if (
      !nodePath.isAbsolute(opts.projectRoot) ||
      !nodePath.isAbsolute(opts.homeDir) ||
      !nodePath.isAbsolute(opts.allowlistFile)
    ) {
      throw new SylkError('The permission manager needs absolute project, home and allowlist paths', {
        tier: ErrorTier.Permanent,
        code: 'permissions.relative_root',
        details: { projectRoot: opts.projectRoot, homeDir: opts.homeDir, allowlistFile: opts.allowlistFile },
      });
    }
    const projectRoot = nodePath.resolve(opts.projectRoot);
    const allowlistFile = nodePath.resolve(opts.allowlistFile);
    if (isInside(allowlistFile, projectRoot)) {
      throw new SylkError('The permission allowlist must live outside the project', {
        tier: ErrorTier.Permanent,
        code: 'permissions.allowlist_in_project',
        details: { allowlistFile },
      });
    }
    this.role = opts.role;
    this.#clock = opts.clock;
    this.#logger = opts.logger ?? silentLogger();
    this.#ctx = {
      projectRoot,
      homeDir: nodePath.resolve(opts.homeDir),
      // The allowlist's own directory: an agent must not grant itself rules by writing (or read them).
      extraProtected: [...(opts.protectedPaths ?? []), nodePath.dirname(allowlistFile)],
      gitDirs: linkedGitDirs(projectRoot),
    };
    this.#projectRoot = projectRoot;
    this.#store = new AllowlistStore({ file: allowlistFile, clock: opts.clock, logger: this.#logger });
    const customSafe = (opts.customSafeList ?? []).map(patternTokens).filter((t) => t.length > 0);
    const rules = { allowlist: () => this.#store.rules(), session: () => this.#session };
    this.#judge = new Judge(opts.role, this.#ctx, customSafe, rules);
  }

  /** Path of the user's allowlist file for this project. */
  get allowlistPath(): string {
    return this.#store.path;
  }

  /**
   * `.sylk/local/permissions.yaml` inside the project, if there is one. It grants nothing: a
   * repository could ship it. The caller tells the user it was ignored (see `ignoredAllowlistNotice`).
   */
  ignoredProjectAllowlist(): string | undefined {
    const file = nodePath.join(this.#projectRoot, PROJECT_ALLOWLIST);
    try {
      lstatSync(file);
      return file;
    } catch {
      return undefined;
    }
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
        return checkCommandLine(
          judge,
          action.command,
          resolvePath(action.cwd ?? '.', this.#ctx.projectRoot, this.#ctx.homeDir),
        );
      case 'network': {
        if (!judge.can('network')) return decide('deny', 'role', `role ${this.role} may not use the network`);
        const domain = normalizeDomain(action.domain);
        if (SAFE_DOMAINS.has(domain))
          return decide('allow', 'safe_list', `${domain} is a package registry or documentation site`);
        return (
          judge.findRule('domain', (r) => r.pattern === domain) ??
          decide('ask', 'default', `${domain} is not in the safe list or the project allowlist`)
        );
      }
      case 'mcp': {
        // An MCP tool can do anything its server can: the same capability as running a command.
        if (!judge.can('command')) return decide('deny', 'role', `role ${this.role} may not call MCP tools`);
        return (
          judge.findRule(
            'mcp',
            (r) => r.pattern === `${action.server}/${action.tool}` || r.pattern === `${action.server}/*`,
          ) ?? decide('ask', 'default', `no rule allows MCP tool ${action.tool} of server ${action.server}`)
        );
      }
      case 'mcp_server':
        if (!judge.can('command')) return decide('deny', 'role', `role ${this.role} may not start MCP servers`);
        return (
          judge.findRule('mcp_server', (r) => r.pattern === `${action.server} ${action.launch}`) ??
          decide(
            'ask',
            'default',
            `MCP server ${action.server} is defined by the project's config, and you have not approved \`${action.launch}\` for this project`,
          )
        );
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
    const asking = (decision.parts ?? []).filter(
      (p) => p.verdict === 'ask' && p.source === 'default' && p.command !== undefined,
    );
    return asking.flatMap((p) => ruleForAction({ kind: 'command', command: p.command as string }, this.#ctx));
  }

  /** Whether the session was granted anything for its life (what an unloaded session must keep). */
  get hasSessionGrants(): boolean {
    return this.#session.length > 0;
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

  /** Add to the user's allowlist file; refuses (`permissions.file_invalid`) while that file is unreadable. */
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
    if (draft.kind === 'domain' && typeof draft.pattern === 'string')
      return { ...draft, pattern: normalizeDomain(draft.pattern) };
    if (draft.kind === 'command' && typeof draft.pattern === 'string') {
      return { ...draft, pattern: patternTokens(draft.pattern).join(' ') };
    }
    return draft;
  }
}
