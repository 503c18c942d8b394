import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import { ConfigStore, resolveDirs, type SylkDirs } from '@sylk/config';
import type { AuditEntry } from '@sylk/security';
import { DaemonAudit } from './audit.js';

let home: string;
let dirs: SylkDirs;
let config: ConfigStore;

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'sylk-daemon-audit-'));
  const env = { SYLK_HOME: home };
  dirs = resolveDirs(env);
  mkdirSync(dirs.config, { recursive: true });
  config = new ConfigStore({ dirs, env, logger: silentLogger() });
});
afterEach(async () => {
  await config.close();
  rmSync(home, { recursive: true, force: true });
});

async function entries(audit: DaemonAudit): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of audit.query({})) out.push(e);
  return out;
}

describe('DaemonAudit', () => {
  it('scrubs credential-shaped text from targets and details before they are written', async () => {
    const audit = await DaemonAudit.open({ config, dirs, clock: new ManualClock(1_000), logger: silentLogger() });
    const key = 'sk-ant-api03-abcdefghijklmnopqrstuvwxyz0123';
    audit.sink.record({
      category: 'process',
      action: 'process_start',
      target: `curl -H "x-api-key: ${key}" https://api.example`,
      outcome: 'started',
      details: { note: `Bearer ${key}` },
    });
    await audit.close();
    const file = readdirSync(join(dirs.state, 'audit')).find((f) => f.endsWith('.jsonl')) as string;
    const text = readFileSync(join(dirs.state, 'audit', file), 'utf8');
    expect(text).not.toContain(key);
    expect(text).toContain('[REDACTED]');
  });

  it('records config reloads with the changed sections and applies the new audit settings live', async () => {
    const audit = await DaemonAudit.open({ config, dirs, clock: new ManualClock(1_000), logger: silentLogger() });
    writeFileSync(join(dirs.config, 'config.yaml'), 'security:\n  audit:\n    signature_interval: 2\n');
    expect(config.reload('test reload').changed).toBe(true);
    for (let i = 0; i < 3; i++)
      audit.sink.record({ category: 'file', action: 'file_write', target: `/p/${i}`, outcome: 'ok' });
    const all = await entries(audit);
    expect(all[0]).toMatchObject({
      category: 'config',
      action: 'config_reload',
      target: 'test reload',
      outcome: 'ok',
      details: { sections: 'security' },
    });
    const report = await audit.verify();
    expect(report).toMatchObject({ ok: true, entries: 4, signatures: 2, unsignedTail: 0 });
    expect(audit.component()).toMatchObject({ name: 'audit', state: 'ok' });
    await audit.close();
  });
});
