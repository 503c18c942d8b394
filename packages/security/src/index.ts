export { PermissionManager, ignoredAllowlistNotice } from './permissions/manager.js';
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
export { Role } from './permissions/roles.js';
export type { ShellCommand, ShellParse, ShellRedirect, ShellWord } from './permissions/shell.js';
export { SAFE_DOMAINS } from './permissions/safe-list.js';
export { nullAuditSink } from './audit/types.js';
export type { AuditCategory, AuditDetailValue, AuditRecord, AuditSeverity, AuditSink } from './audit/types.js';
export {
  CredentialStore,
  DEFAULT_PROFILE,
  EncryptedCredentialFile,
  checkProfile,
  machineIdentity,
  maskKey,
  systemKeychain,
} from './credentials/index.js';
export type {
  CredentialMeta,
  CredentialStatus,
  CredentialStoreOptions,
  EncryptedFileOptions,
  Keychain,
  MachineIdentity,
  ResolvedCredential,
} from './credentials/index.js';
export type { AuditEntry, AuditProblem, AuditQuery, AuditVerifyReport } from './audit/types.js';
export { AuditLog } from './audit/writer.js';
export type { AuditFileHandle, AuditLogOptions, AuditLogStats, AuditOpen } from './audit/writer.js';
export { verifyAuditLog } from './audit/verify.js';
export type { VerifyOptions } from './audit/verify.js';
export { queryAuditLog } from './audit/query.js';
export * from './sandbox/index.js';
export * from './proxy/index.js';
