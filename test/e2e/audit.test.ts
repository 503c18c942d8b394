// The audit log end to end: a real sylkd and sylk, a scripted model (sylk-emulator over real
// HTTP) that runs a command and edits a file; then `sylk audit query/verify/export`, and a
// flipped byte in the real file, found and located by `sylk audit verify`.
import type { EntryJson } from '../../cli/src/commands/audit.js';
import { afterEach, describe, expect, it } from 'vitest';
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { parseJson } from '../helpers/sylk.js';
import { scenarioFile, sessionHarness, type SessionHarness } from '../helpers/sessions.js';

let harness: SessionHarness | undefined;
afterEach(async () => {
  await harness?.cleanup();
  harness = undefined;
});

interface VerifyJson {
  ok: boolean;
  entries: number;
  signatures: number;
  files: number;
  problems: Array<{ file: string; line: number; seq: number; problem: string }>;
}

describe('sylk audit', () => {
  it('records a session’s decisions and actions, verifies the chain, and locates a flipped byte', async () => {
    const s = (harness = await sessionHarness({ path: scenarioFile('fix-failing-test') }));
    const project = s.fixtureProject('failing-test');
    const run = await s.cli(['run', '--yes', '-C', project, 'The test fails. Fix it.'], { timeoutMs: 45_000 });
    expect(run.code, run.stderr).toBe(0);
    const [session] = await s.sessions();
    const id = session?.id ?? '';
    expect((await s.cli(['close', id])).code).toBe(0);

    const q = await s.cli(['audit', 'query', '--session', id, '--json']);
    expect(q.code, q.stderr).toBe(0);
    const entries = parseJson<EntryJson[]>(q.stdout);
    const seen = new Set(entries.map((e) => `${e.category}/${e.action}`));
    for (const kind of [
      'session/session_create',
      'permission/verdict',
      'permission/approval',
      'process/process_start',
      'process/process_exit',
      'file/file_write',
      'llm/llm_call',
      'session/session_close',
    ]) {
      expect(
        seen,
        `${kind} among ${entries.map((e) => `${e.seq} ${e.category}/${e.action} ${e.outcome}`).join(', ')}`,
      ).toContain(kind);
    }
    for (const e of entries) expect(e).toMatchObject({ sessionId: id });
    const asked = entries.find((e) => e.action === 'verdict' && e.target === 'node --test');
    expect(asked).toMatchObject({ category: 'permission', outcome: 'ask', severity: 'security' });
    expect(entries.find((e) => e.action === 'approval')).toMatchObject({
      target: 'node --test',
      outcome: 'allow_once',
    });
    expect(entries.filter((e) => e.action === 'process_exit').map((e) => [e.target, e.outcome])).toEqual([
      ['node --test', '1'],
      ['node --test', '0'],
    ]);
    const write = entries.find((e) => e.action === 'file_write');
    expect(write?.target).toBe(join(project, 'src', 'math.js'));
    expect(write?.details).toMatchObject({
      size: statSync(join(project, 'src', 'math.js')).size,
      sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    const llm = entries.filter((e) => e.category === 'llm');
    expect(llm).toHaveLength(5);
    expect(llm[0]).toMatchObject({
      target: expect.stringMatching(/^anthropic\//),
      outcome: 'ok',
      details: { inputTokens: 900, outputTokens: 60 },
    });
    // Never content: no prompt, reply or file body in any entry.
    expect(q.stdout).not.toContain('return a + b');
    expect(q.stdout).not.toContain('The test fails');

    // Filters combine; CSV and table render; a bad regex is a usage error with the daemon up.
    const filtered = parseJson<EntryJson[]>(
      (
        await s.cli([
          'audit',
          'query',
          '--category',
          'process',
          '--outcome',
          '0',
          '--target-regex',
          '^node\\b',
          '--json',
        ])
      ).stdout,
    );
    expect(filtered.map((e) => e.action)).toEqual(['process_exit']);
    const csv = await s.cli(['audit', 'query', '--category', 'file', '--format', 'csv']);
    expect(csv.stdout.split('\n')[0]).toBe(
      'seq,time,category,severity,action,target,outcome,session_id,project_id,details,hash',
    );
    expect(csv.stdout).toContain(',file,info,file_write,');
    const table = await s.cli(['audit', 'query', '--category', 'session']);
    expect(table.stdout).toContain('session_create');
    const bad = await s.cli(['audit', 'query', '--target-regex', '(?=x)']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/invalid target regex/);

    const ok = await s.cli(['audit', 'verify', '--json']);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    const report = parseJson<VerifyJson>(ok.stdout);
    expect(report).toMatchObject({ ok: true, files: 1, problems: [] });
    expect(report.entries).toBeGreaterThanOrEqual(entries.length);

    const exported = join(s.h.home, 'export.json');
    const exp = await s.cli(['audit', 'export', '--since', '1h', '-o', exported]);
    expect(exp.code, exp.stderr).toBe(0);
    expect(statSync(exported).mode & 0o777).toBe(0o600);
    expect(parseJson<EntryJson[]>(readFileSync(exported, 'utf8')).length).toBe(report.entries);

    // Flip one byte inside the write entry's target, in place (the daemon keeps appending).
    const dir = join(s.h.home, 'state', 'audit');
    const file = readdirSync(dir).find((f) => f.endsWith('.jsonl')) as string;
    const text = readFileSync(join(dir, file), 'utf8');
    const lines = text.split('\n');
    const lineIndex = lines.findIndex((l) => l.includes('"action":"file_write"'));
    const at = Buffer.byteLength(lines.slice(0, lineIndex).join('\n')) + 1 + lines[lineIndex]!.indexOf('math.js');
    const fd = openSync(join(dir, file), 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, at);
    writeSync(fd, Buffer.from([byte[0]! ^ 0x01]), 0, 1, at);
    closeSync(fd);

    const broken = await s.cli(['audit', 'verify']);
    expect(broken.code).toBe(1);
    expect(broken.stdout).toContain(
      `${file}:${lineIndex + 1} (seq ${write?.seq}): entry hash mismatch: the entry was edited`,
    );
    const brokenJson = parseJson<VerifyJson>((await s.cli(['audit', 'verify', '--json'])).stdout);
    expect(brokenJson.problems).toEqual([
      { file, line: lineIndex + 1, seq: write?.seq, problem: 'entry hash mismatch: the entry was edited' },
    ]);
    // The daemon stays up and keeps auditing.
    const status = await s.cli(['status', '--json']);
    expect(status.code).toBe(0);
    expect(status.stdout).toContain('"audit"');
  });
});
