import { ErrorTier, SylkError } from '@sylk/core';

/** Agent roles, each inheriting the capabilities of the previous one (SPEC 4.1). */
export const Role = {
  Observer: 'observer',
  ObserverKnowledge: 'observer_knowledge',
  Worker: 'worker',
  Supervisor: 'supervisor',
  Orchestrator: 'orchestrator',
  Admin: 'admin',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export type Capability =
  | 'read'
  | 'safe_command'
  | 'knowledge_write'
  | 'write'
  | 'delete'
  | 'command'
  | 'network'
  | 'approve_escalation'
  | 'spawn_pipeline'
  | 'grant_declared'
  | 'config'
  | 'credential';

/** What each role adds to the one before it, in order. */
const ADDED: ReadonlyArray<readonly [Role, readonly Capability[]]> = [
  [Role.Observer, ['read', 'safe_command']],
  [Role.ObserverKnowledge, ['knowledge_write']],
  [Role.Worker, ['write', 'delete', 'command', 'network']],
  [Role.Supervisor, ['approve_escalation']],
  [Role.Orchestrator, ['spawn_pipeline', 'grant_declared']],
  [Role.Admin, ['config', 'credential']],
];

export const ROLES: readonly Role[] = ADDED.map(([role]) => role);

const CAPABILITIES = new Map<Role, ReadonlySet<Capability>>();
{
  const acc: Capability[] = [];
  for (const [role, added] of ADDED) {
    acc.push(...added);
    CAPABILITIES.set(role, new Set(acc));
  }
}

export function roleCapabilities(role: Role): ReadonlySet<Capability> {
  const caps = CAPABILITIES.get(role);
  if (caps === undefined) {
    throw new SylkError(`Unknown agent role "${String(role)}"`, { tier: ErrorTier.Permanent, code: 'permissions.unknown_role' });
  }
  return caps;
}

export function hasCapability(role: Role, capability: Capability): boolean {
  return roleCapabilities(role).has(capability);
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && CAPABILITIES.has(value as Role);
}
