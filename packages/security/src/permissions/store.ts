/**
 * The user's allowlist for one project, kept in Sylk's state directory
 * (`{state}/permissions/<projectHash>.yaml`) where a cloned repository cannot put one: separate
 * lists of command, domain and path rules, written atomically with mode 0600. A file that cannot
 * be read as an allowlist counts as empty and is never overwritten until someone fixes it.
 */
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import nodePath from 'node:path';
import { parse, stringify } from 'yaml';
import { ErrorTier, SylkError, errorMessage, tierForNodeCode, type Clock, type Logger } from '@sylk/core';
import type { PathOp, PermissionRule, RuleDraft, RuleKind } from './types.js';

const LISTS: ReadonlyArray<readonly [string, RuleKind]> = [
  ['commands', 'command'],
  ['domains', 'domain'],
  ['paths', 'path'],
  ['mcp_tools', 'mcp'],
  ['mcp_servers', 'mcp_server'],
];
const RULE_KEYS = new Set(['id', 'pattern', 'op', 'createdAt']);
const OPS: readonly PathOp[] = ['read', 'write', 'delete'];
const HEADER = '# Your Sylk "allow always" rules for one project; see `sylk permissions list|revoke`.\n';

/** Stable id from what the rule allows, so granting the same rule twice keeps one entry. */
export function ruleId(draft: RuleDraft): string {
  const hash = createHash('sha256')
    .update(`${draft.kind}\0${draft.op ?? ''}\0${draft.pattern}`)
    .digest('hex');
  return `${draft.kind[0]}-${hash.slice(0, 10)}`;
}

export function validateDraft(draft: RuleDraft): RuleDraft {
  const pattern = typeof draft.pattern === 'string' ? draft.pattern.trim() : '';
  const problem =
    pattern === ''
      ? 'an empty pattern'
      : !LISTS.some(([, kind]) => kind === draft.kind)
        ? `unknown kind "${String(draft.kind)}"`
        : draft.kind === 'path' && !OPS.includes(draft.op as PathOp)
          ? 'a path rule without op read, write or delete'
          : draft.kind !== 'path' && draft.op !== undefined
            ? `op on a ${draft.kind} rule`
            : draft.kind === 'mcp' && !/^[A-Za-z0-9_-]+\/(\*|[^/\s]+)$/.test(pattern)
              ? 'an mcp rule that is not <server>/<tool> or <server>/*'
              : draft.kind === 'mcp_server' && !/^[A-Za-z0-9_-]+ \S/.test(pattern)
                ? 'an mcp_server rule that is not "<server> <command or URL>"'
                : undefined;
  if (problem !== undefined) {
    throw new SylkError(`Invalid permission rule: ${problem}`, {
      tier: ErrorTier.Permanent,
      code: 'permissions.invalid_rule',
      details: { kind: draft.kind, pattern },
    });
  }
  return draft.kind === 'path' ? { kind: 'path', pattern, op: draft.op } : { kind: draft.kind, pattern };
}

function parseRules(text: string): PermissionRule[] {
  const doc: unknown = parse(text);
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the top level is not a mapping');
  const rules: PermissionRule[] = [];
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'version') {
      if (value !== 1) throw new Error(`unsupported version ${JSON.stringify(value)}`);
      continue;
    }
    const kind = LISTS.find(([name]) => name === key)?.[1];
    if (kind === undefined) throw new Error(`unknown key "${key}"`);
    if (value === null) continue;
    if (!Array.isArray(value)) throw new Error(`"${key}" is not a list`);
    value.forEach((entry: unknown, index) => {
      const where = `${key}[${index}]`;
      if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
        throw new Error(`${where} is not a mapping`);
      const e = entry as Record<string, unknown>;
      const unknownKey = Object.keys(e).find((k) => !RULE_KEYS.has(k));
      if (unknownKey !== undefined) throw new Error(`${where} has unknown key "${unknownKey}"`);
      if (e.createdAt !== undefined && typeof e.createdAt !== 'number')
        throw new Error(`${where}.createdAt is not a number`);
      if (e.id !== undefined && typeof e.id !== 'string') throw new Error(`${where}.id is not a string`);
      let draft: RuleDraft;
      try {
        draft = validateDraft({ kind, pattern: e.pattern as string, op: e.op as PathOp | undefined });
      } catch (err) {
        throw new Error(`${where}: ${errorMessage(err)}`);
      }
      rules.push({
        ...draft,
        id: (e.id as string | undefined) ?? ruleId(draft),
        createdAt: (e.createdAt as number | undefined) ?? 0,
      });
    });
  }
  return rules;
}

function render(rules: readonly PermissionRule[]): string {
  const doc: Record<string, unknown> = { version: 1 };
  for (const [name, kind] of LISTS) {
    doc[name] = rules
      .filter((r) => r.kind === kind)
      .map(({ id, pattern, op, createdAt }) =>
        op === undefined ? { id, pattern, createdAt } : { id, pattern, op, createdAt },
      );
  }
  return HEADER + stringify(doc);
}

type State = { ok: true; rules: PermissionRule[] } | { ok: false; problem: string };

export interface AllowlistStoreOptions {
  /** Absolute path of the allowlist file. */
  file: string;
  clock: Clock;
  logger: Logger;
}

export class AllowlistStore {
  readonly path: string;
  readonly #dir: string;
  readonly #opts: AllowlistStoreOptions;
  #state: State = { ok: true, rules: [] };
  #tempCounter = 0;

  constructor(opts: AllowlistStoreOptions) {
    this.#opts = opts;
    this.path = nodePath.resolve(opts.file);
    this.#dir = nodePath.dirname(this.path);
    this.reload();
  }

  rules(): readonly PermissionRule[] {
    return this.#state.ok ? this.#state.rules : [];
  }

  /** The reason the file is being ignored, or undefined when it was read fine (or is absent). */
  problem(): string | undefined {
    return this.#state.ok ? undefined : this.#state.problem;
  }

  reload(): void {
    this.#state = this.#read();
    if (!this.#state.ok) {
      this.#opts.logger.warn(
        { path: this.path, problem: this.#state.problem },
        'permission allowlist unreadable; treating it as empty',
      );
    }
  }

  #read(): State {
    let text: string;
    try {
      text = readFileSync(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { ok: true, rules: [] };
      return { ok: false, problem: errorMessage(err) };
    }
    try {
      return { ok: true, rules: parseRules(text) };
    } catch (err) {
      return { ok: false, problem: errorMessage(err) };
    }
  }

  /** Adds a rule (re-reading the file first, so other sessions' grants survive) and returns it. */
  add(draft: RuleDraft): PermissionRule {
    const valid = validateDraft(draft);
    const rules = this.#fresh();
    const id = ruleId(valid);
    const existing = rules.find((r) => r.id === id);
    if (existing !== undefined) return existing;
    const rule: PermissionRule = { ...valid, id, createdAt: this.#opts.clock.now() };
    this.#write([...rules, rule]);
    return rule;
  }

  /** Removes the rule with this id, or the only rule with this pattern. */
  remove(idOrPattern: string): PermissionRule {
    const rules = this.#fresh();
    const byId = rules.filter((r) => r.id === idOrPattern);
    const matches = byId.length > 0 ? byId : rules.filter((r) => r.pattern === idOrPattern.trim());
    if (matches.length === 0) {
      throw new SylkError(`No persisted permission rule has id or pattern "${idOrPattern}"`, {
        tier: ErrorTier.UserFixable,
        code: 'permissions.not_found',
        hint: 'Run `sylk permissions list` to see the rules and their ids.',
        details: { rule: idOrPattern },
      });
    }
    if (matches.length > 1) {
      throw new SylkError(`Several permission rules have pattern "${idOrPattern}"; revoke one by id`, {
        tier: ErrorTier.UserFixable,
        code: 'permissions.ambiguous',
        details: { ids: matches.map((r) => r.id) },
      });
    }
    const removed = matches[0] as PermissionRule;
    this.#write(rules.filter((r) => r !== removed));
    return removed;
  }

  #fresh(): PermissionRule[] {
    this.reload();
    if (!this.#state.ok) {
      throw new SylkError(
        `The permission allowlist ${this.path} cannot be read (${this.#state.problem}); refusing to overwrite it`,
        {
          tier: ErrorTier.UserFixable,
          code: 'permissions.file_invalid',
          hint: `Fix or delete ${this.path}, then try again.`,
          details: { path: this.path, problem: this.#state.problem },
        },
      );
    }
    return this.#state.rules;
  }

  #write(rules: PermissionRule[]): void {
    const temp = `${this.path}.${process.pid}.${++this.#tempCounter}.tmp`;
    try {
      mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
      const fd = openSync(temp, 'wx', 0o600);
      try {
        writeSync(fd, render(rules));
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(temp, 0o600);
      renameSync(temp, this.path);
    } catch (err) {
      rmSync(temp, { force: true });
      throw new SylkError(`Cannot write the permission allowlist ${this.path}: ${errorMessage(err)}`, {
        tier: tierForNodeCode((err as NodeJS.ErrnoException).code) ?? ErrorTier.Permanent,
        code: 'permissions.write_failed',
        cause: err,
        details: { path: this.path },
      });
    }
    this.#state = { ok: true, rules };
  }
}
