import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@sylk/core';
import { PermissionManager } from './manager.js';
import { Role, type Role as RoleName } from './roles.js';
import type { PermissionAction } from './types.js';

let dir: string;
const clock = new ManualClock(1_700_000_000_000);
const allowlist = () => join(dir, 'state', 'permissions', 'p.yaml');
const manager = (role: RoleName = Role.Worker) =>
  new PermissionManager({
    projectRoot: join(dir, 'project'),
    homeDir: join(dir, 'home'),
    role,
    clock,
    allowlistFile: allowlist(),
  });
const call = (server: string, tool: string): PermissionAction => ({ kind: 'mcp', server, tool });
const start = (server: string, launch: string): PermissionAction => ({ kind: 'mcp_server', server, launch });

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sylk-mcp-perm-'));
  mkdirSync(join(dir, 'project'));
  mkdirSync(join(dir, 'home'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('MCP permissions', () => {
  it('asks by default; "allow always" on a tool allows that tool only', () => {
    const pm = manager();
    expect(pm.check(call('fs', 'read')).verdict).toBe('ask');
    const rules = pm.ruleForAction(call('fs', 'read'));
    expect(rules).toEqual([{ kind: 'mcp', pattern: 'fs/read' }]);
    for (const r of rules) pm.persist(r);
    expect(pm.check(call('fs', 'read'))).toMatchObject({ verdict: 'allow', source: 'allowlist' });
    expect(pm.check(call('fs', 'write')).verdict).toBe('ask');
    expect(pm.check(call('fsx', 'read')).verdict).toBe('ask');
    expect(readFileSync(allowlist(), 'utf8')).toContain('mcp_tools:');
  });

  it('a server-wide rule allows every tool of that server', () => {
    const pm = manager();
    pm.grantForSession({ kind: 'mcp', pattern: 'fs/*' });
    expect(pm.check(call('fs', 'write'))).toMatchObject({ verdict: 'allow', source: 'session' });
    expect(pm.check(call('git', 'push')).verdict).toBe('ask');
  });

  it('a project server start is approved for its exact command line only', () => {
    const pm = manager();
    const action = start('docs', 'npx -y docs-server');
    expect(pm.check(action).verdict).toBe('ask');
    for (const r of pm.ruleForAction(action)) pm.persist(r);
    expect(pm.check(action).verdict).toBe('allow');
    expect(pm.check(start('docs', 'npx -y docs-server --evil')).verdict).toBe('ask');
    expect(pm.check(start('other', 'npx -y docs-server')).verdict).toBe('ask');
  });

  it('observers may not call MCP tools or start servers', () => {
    const pm = manager(Role.Observer);
    expect(pm.check(call('fs', 'read')).verdict).toBe('deny');
    expect(pm.check(start('fs', 'x')).verdict).toBe('deny');
  });

  it('rejects malformed mcp rules, in grants and in the file', () => {
    const pm = manager();
    expect(() => pm.grantForSession({ kind: 'mcp', pattern: 'no-slash' })).toThrow(/<server>\/<tool>/);
    mkdirSync(join(dir, 'state', 'permissions'), { recursive: true });
    writeFileSync(allowlist(), 'version: 1\nmcp_tools:\n  - pattern: "bad pattern"\n');
    const fresh = manager();
    expect(fresh.allowlistProblem()).toMatch(/mcp rule/);
    expect(fresh.check(call('bad', 'pattern')).verdict).toBe('ask');
  });
});
