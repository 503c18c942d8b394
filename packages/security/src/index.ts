export { PermissionManager, PROJECT_ALLOWLIST, ignoredAllowlistNotice } from './permissions/manager.js';
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
export { nullAuditSink } from './audit/types.js';
export type { AuditCategory, AuditDetailValue, AuditRecord, AuditSeverity, AuditSink } from './audit/types.js';
export { CredentialStore, DEFAULT_PROFILE, EncryptedCredentialFile, checkProfile, machineIdentity, maskKey, systemKeychain } from './credentials/index.js';
export type { CredentialMeta, CredentialStatus, CredentialStoreOptions, EncryptedFileOptions, Keychain, MachineIdentity, ResolvedCredential } from './credentials/index.js';
export { AUDIT_CATEGORIES } from './audit/types.js';
export type { AuditEntry, AuditProblem, AuditQuery, AuditVerifyReport } from './audit/types.js';
export { AuditLog } from './audit/writer.js';
export type { AuditFileHandle, AuditLogOptions, AuditLogStats, AuditOpen } from './audit/writer.js';
export { verifyAuditLog } from './audit/verify.js';
export type { VerifyOptions } from './audit/verify.js';
export { queryAuditLog, compileQuery, compileTargetRegex, MAX_TARGET_REGEX } from './audit/query.js';
export { PUBLIC_KEY_FILE, PRIVATE_KEY_FILE } from './audit/keys.js';
export * from './sandbox/index.js';
export * from './proxy/index.js';
