export { PermissionManager } from './permissions/manager.js';
export type { PermissionManagerOptions } from './permissions/manager.js';
export type {
  PermissionAction,
  PermissionDecision,
  PermissionRule,
  PathOp,
  Verdict,
  DecisionSource,
  RuleKind,
  RuleDraft,
  RuleProposal,
} from './permissions/types.js';
export { Role, ROLES, roleCapabilities, hasCapability, isRole } from './permissions/roles.js';
export type { Capability } from './permissions/roles.js';
export { parseShellLine, splitShellCommand } from './permissions/shell.js';
export type { ShellCommand, ShellParse, ShellRedirect, ShellWord } from './permissions/shell.js';
export { commandPrefix, matchesCommandPattern, normalizeArgv } from './permissions/commands.js';
export { ruleForAction, normalizeDomain } from './permissions/propose.js';
export { SAFE_COMMANDS, SAFE_DOMAINS } from './permissions/safe-list.js';
