/**
 * Agent roles. Sessions run as Worker; Observer (read files, run read-only safe commands) is the
 * narrower role a delegated sub-task can be given.
 */
export const Role = {
  Observer: 'observer',
  Worker: 'worker',
} as const;
export type Role = (typeof Role)[keyof typeof Role];

export type Capability = 'read' | 'write' | 'delete' | 'command' | 'network';

const CAPABILITIES: ReadonlyMap<Role, ReadonlySet<Capability>> = new Map([
  [Role.Observer, new Set<Capability>(['read'])],
  [Role.Worker, new Set<Capability>(['read', 'write', 'delete', 'command', 'network'])],
]);

export function hasCapability(role: Role, capability: Capability): boolean {
  return CAPABILITIES.get(role)?.has(capability) === true;
}

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && CAPABILITIES.has(value as Role);
}
