import { appendFileSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open as openFile, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock, silentLogger } from '@sylk/core';
import { AuditLog, type AuditLogOptions, type AuditOpen } from './writer.js';
import { verifyAuditLog } from './verify.js';
import { queryAuditLog } from './query.js';
import { GENESIS_HASH, parseLine } from './format.js';
import type { AuditEntry, AuditQuery, AuditRecord } from './types.js';

let dir: string;
let clock: ManualClock;

beforeEach(() => {
  dir = join(mkdtempSync(join(tmpdir(), 'sylk-audit-')), 'audit');
  clock = new ManualClock(1_700_000_000_000);
});
afterEach(() => rmSync(join(dir, '..'), { recursive: true, force: true }));

function open(opts: Partial<AuditLogOptions> = {}): Promise<AuditLog> {
  return AuditLog.open({
    dir,
    rotateBytes: 100 * 1024 * 1024,
    signatureInterval: 100,
    clock,
    logger: silentLogger(),
    ...opts,
  });
}

const rec = (i: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  category: 'process',
  action: 'process_start',
  target: `npm test --shard ${i}`,
  outcome: 'ok',
  sessionId: `s${i % 3}`,
  details: { pid: 1000 + i },
  ...extra,
});

async function writeN(n: number, opts: Partial<AuditLogOptions> = {}, close = true): Promise<AuditLog> {
  const log = await open(opts);
  for (let i = 0; i < n; i++) {
    log.record(rec(i));
    clock.advance(10);
  }
  if (close) await log.close();
  else await log.flush();
  return log;
}

function files(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort();
}
function linesOf(file: string): string[] {
  return readFileSync(join(dir, file), 'utf8').split('\n').slice(0, -1);
}
const verify = () => verifyAuditLog({ dir });

async function all(q: AuditQuery = {}): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of queryAuditLog(dir, q)) out.push(e);
  return out;
}

describe('audit log: chain, sequence, signatures', () => {
  it('chains entries with gapless sequence numbers and signs every interval and at close', async () => {
    const log = await writeN(250, {}, false);
    let report = await verify();
    expect(report).toMatchObject({ ok: true, entries: 250, signatures: 2, files: 1, unsignedTail: 50, problems: [] });
    await log.close();
    report = await verify();
    expect(report).toMatchObject({ ok: true, entries: 250, signatures: 3, unsignedTail: 0 });
    const entries = await all();
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 250 }, (_, i) => i + 1));
    expect(entries[0]?.prev).toBe(GENESIS_HASH);
    for (let i = 1; i < entries.length; i++) expect(entries[i]?.prev).toBe(entries[i - 1]?.hash);
    const sigs = linesOf(files()[0] as string)
      .map(parseLine)
      .filter((p) => p.kind === 'signature');
    expect(sigs.map((s) => (s.kind === 'signature' ? [s.sig.from, s.sig.to] : []))).toEqual([
      [1, 100],
      [101, 200],
      [201, 250],
    ]);
  });

  it('stores any text exactly: canonical text is JSON.stringify of the fields in order', async () => {
    const target = 'echo "a,b"\n\t\\ \u2028 é 😀 </script>';
    const log = await open();
    log.record({
      category: 'process',
      action: 'process_start',
      target,
      outcome: 'ok',
      details: { z: 1, a: 'x"y', m: null, b: true },
    });
    await log.close();
    const line = linesOf(files()[0] as string)[0] as string;
    const parsed = JSON.parse(line) as AuditEntry;
    const { hash: _hash, ...rest } = parsed;
    expect(line).toBe(`${JSON.stringify(rest).slice(0, -1)},"hash":"${parsed.hash}"}`);
    expect(Object.keys(parsed.details)).toEqual(['a', 'b', 'm', 'z']);
    expect((await all())[0]?.target).toBe(target);
    expect((await verify()).ok).toBe(true);
  });

  it('keeps the key private: key 0600 in a 0700 directory, the log directory 0700, files 0600', async () => {
    await writeN(3);
    expect(statSync(join(dir, 'keys')).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, 'keys', 'audit-ed25519.key')).mode & 0o777).toBe(0o600);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, files()[0] as string)).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'keys', 'audit-ed25519.pub'), 'utf8')).toContain('PUBLIC KEY');
  });

  it('detects an edit of any single byte of the file', async () => {
    await writeN(2, { signatureInterval: 1 });
    const path = join(dir, files()[0] as string);
    const original = readFileSync(path);
    expect((await verify()).ok).toBe(true);
    const missed: number[] = [];
    for (let i = 0; i < original.length; i++) {
      const copy = Buffer.from(original);
      copy[i] = (copy[i] as number) ^ 0x01;
      writeFileSync(path, copy);
      if ((await verify()).ok) missed.push(i);
    }
    expect(missed).toEqual([]);
  });

  it('reports an edited entry with its file, line and seq, once', async () => {
    await writeN(10);
    const name = files()[0] as string;
    const lines = linesOf(name);
    lines[4] = (lines[4] as string).replace('npm test', 'rm -rf /');
    writeFileSync(join(dir, name), `${lines.join('\n')}\n`);
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { file: name, line: 5, seq: 5, problem: 'entry hash mismatch: the entry was edited' },
    ]);
  });

  it('reports a deleted line as a sequence gap and reordered lines at their positions', async () => {
    await writeN(10);
    const name = files()[0] as string;
    const lines = linesOf(name);
    const deleted = lines.filter((_, i) => i !== 3);
    writeFileSync(join(dir, name), `${deleted.join('\n')}\n`);
    let report = await verify();
    expect(report.problems).toEqual([
      { file: name, line: 4, seq: 5, problem: 'sequence gap: expected 4, found 5 (1 entry missing)' },
    ]);

    const swapped = [...lines];
    [swapped[6], swapped[7]] = [swapped[7] as string, swapped[6] as string];
    writeFileSync(join(dir, name), `${swapped.join('\n')}\n`);
    report = await verify();
    expect(report.problems.map((p) => [p.line, p.seq])).toEqual([
      [7, 8],
      [8, 7],
      [9, 9],
    ]);
    expect(report.problems[1]?.problem).toMatch(/backwards/);
  });

  it('reports every problem, not just the first, and an edited or dropped signature', async () => {
    await writeN(30, { signatureInterval: 10 });
    const name = files()[0] as string;
    const lines = linesOf(name);
    // lines: 10 entries, sig, 10 entries, sig, 10 entries, sig
    lines[1] = (lines[1] as string).replace('"outcome":"ok"', '"outcome":"no"');
    lines[10] = (lines[10] as string).replace('"to":10', '"to":11');
    const withoutSecondSig = lines.filter((_, i) => i !== 21);
    writeFileSync(join(dir, name), `${withoutSecondSig.join('\n')}\n`);
    const report = await verify();
    const problems = report.problems.map((p) => `${p.line}:${p.seq}:${p.problem}`);
    expect(problems).toEqual([
      '2:2:entry hash mismatch: the entry was edited',
      '11:11:signature does not verify (the signature record was edited)',
      '11:11:signature covers up to seq 11 but follows seq 10',
      '32:30:signature range starts at seq 21, expected 12 (a signature record is missing)',
    ]);
  });

  it('reports a long unsigned tail when signatures are missing', async () => {
    await writeN(30, { signatureInterval: 10 });
    const name = files()[0] as string;
    const kept = linesOf(name).filter((l) => !l.startsWith('{"sig":') || l.includes('"to":10,'));
    writeFileSync(join(dir, name), `${kept.join('\n')}\n`);
    const report = await verifyAuditLog({ dir, signatureInterval: 10 });
    expect(report.unsignedTail).toBe(20);
    expect(report.problems).toEqual([
      {
        file: name,
        line: 31,
        seq: 30,
        problem: 'entries 11..30 are not signed (the signing key was unusable or signature records were removed)',
      },
    ]);
  });

  it('detects entries cut off the end when the writer says how far it got', async () => {
    const log = await writeN(5, {}, false);
    const name = files()[0] as string;
    const lines = linesOf(name);
    writeFileSync(join(dir, name), `${lines.slice(0, 3).join('\n')}\n`);
    const report = await verifyAuditLog({ dir, expectLastSeq: log.lastSeq });
    expect(report.problems).toEqual([
      {
        file: name,
        line: 3,
        seq: 3,
        problem: 'log ends at seq 3 but the daemon has written up to 5 (entries at the end were removed)',
      },
    ]);
    await log.close();
  });
});

describe('audit log: rotation, restart, crashes and write failures', () => {
  it('rotates by size with the chain continuing across files whose names sort', async () => {
    await writeN(60, { rotateBytes: 4096, signatureInterval: 7, maxBatch: 5 });
    const names = files();
    expect(names.length).toBeGreaterThan(3);
    expect([...names].sort()).toEqual(names);
    for (const n of names) expect(statSync(join(dir, n)).size).toBeLessThanOrEqual(4096 + 1024);
    const report = await verify();
    expect(report).toMatchObject({ ok: true, entries: 60, files: names.length, unsignedTail: 0 });
    expect((await all()).map((e) => e.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // Removing a whole middle file is a gap.
    rmSync(join(dir, names[1] as string));
    const cut = await verify();
    expect(cut.ok).toBe(false);
    expect(cut.problems[0]).toMatchObject({ file: names[2], line: 1 });
    expect(cut.problems[0]?.problem).toMatch(/sequence gap/);
  });

  it('resumes the chain and the signature ranges after a restart', async () => {
    await writeN(15, { signatureInterval: 10 });
    const second = await writeN(15, { signatureInterval: 10 });
    expect(second.lastSeq).toBe(30);
    const report = await verify();
    expect(report).toMatchObject({ ok: true, entries: 30, unsignedTail: 0 });
    const sigs = linesOf(files()[0] as string)
      .map(parseLine)
      .flatMap((p) => (p.kind === 'signature' ? [[p.sig.from, p.sig.to]] : []));
    expect(sigs).toEqual([
      [1, 10],
      [11, 15],
      [16, 25],
      [26, 30],
    ]);
  });

  it('resumes after a crash (no final signature): the next signature covers the unsigned tail', async () => {
    // Never closed, like kill -9 after a flush: only the files go, as the kernel closes them (a
    // FileHandle left to the garbage collector is an uncaught error on current Node).
    const handles: FileHandle[] = [];
    const killable: AuditOpen = async (p) => {
      const fh = await openFile(p, 'a', 0o600);
      handles.push(fh);
      return fh;
    };
    await writeN(15, { signatureInterval: 10, open: killable }, false);
    await Promise.all(handles.map((fh) => fh.close()));
    await writeN(10, { signatureInterval: 10 });
    const report = await verify();
    expect(report).toMatchObject({ ok: true, entries: 25, unsignedTail: 0 });
  });

  it('keeps a torn last line, reports it, and continues the chain after a marker entry', async () => {
    await writeN(5);
    const name = files()[0] as string;
    appendFileSync(join(dir, name), '{"seq":6,"id":"au_01');
    let report = await verify();
    expect(report.problems).toEqual([
      { file: name, line: 7, seq: 0, problem: 'the last line is incomplete (torn write, e.g. a crash mid-write)' },
    ]);
    const log = await open();
    expect(log.lastSeq).toBe(5);
    log.record(rec(99));
    await log.close();
    report = await verify();
    expect(report.entries).toBe(7);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]).toMatchObject({ file: name, line: 7, seq: 0 });
    expect(report.problems[0]?.problem).toMatch(/torn write/);
    const marker = (await all({ categories: ['audit'] }))[0];
    expect(marker).toMatchObject({ seq: 6, action: 'torn_line_recovered', target: name, severity: 'warning' });
  });

  it('never throws on a failing disk: counts the loss, then writes a marker that verify reports', async () => {
    let failing = true;
    const realOpen: AuditOpen = (p) => openFile(p, 'a', 0o600);
    const flaky: AuditOpen = async (p) => {
      const fh = await realOpen(p);
      return {
        write: (t) =>
          failing
            ? Promise.reject(Object.assign(new Error('no space left on device'), { code: 'ENOSPC' }))
            : fh.write(t),
        datasync: () => fh.datasync(),
        truncate: (n) => fh.truncate(n),
        close: () => fh.close(),
      };
    };
    const log = await open({ open: flaky });
    log.record(rec(1));
    log.record(rec(2));
    await expect(log.flush()).resolves.toBeUndefined();
    expect(log.stats()).toMatchObject({ lost: 2, written: 0, lastSeq: 0 });
    failing = false;
    log.record(rec(3));
    await log.close();
    expect(log.stats()).toMatchObject({ lost: 2, written: 1, lastSeq: 2 });
    const entries = await all();
    expect(entries.map((e) => [e.seq, e.action])).toEqual([
      [1, 'entries_lost'],
      [2, 'process_start'],
    ]);
    expect(entries[0]?.details).toMatchObject({ count: 2, error: 'ENOSPC' });
    const report = await verify();
    expect(report.ok).toBe(false);
    expect(report.problems).toEqual([
      { file: files()[0], line: 1, seq: 1, problem: '2 entries lost before this point (write failed: ENOSPC)' },
    ]);
  });

  it('survives an unopenable file (EACCES) the same way', async () => {
    let denied = true;
    const gate: AuditOpen = (p) =>
      denied
        ? Promise.reject(Object.assign(new Error('permission denied'), { code: 'EACCES' }))
        : openFile(p, 'a', 0o600);
    const log = await open({ open: gate });
    log.record(rec(1));
    await log.flush();
    expect(log.stats().lost).toBe(1);
    denied = false;
    log.record(rec(2));
    await log.close();
    expect((await all()).map((e) => e.action)).toEqual(['entries_lost', 'process_start']);
  });

  it('drops a partial append so the file still ends on a whole line', async () => {
    let failOnce = true;
    const partial: AuditOpen = async (p) => {
      const fh = await openFile(p, 'a', 0o600);
      return {
        write: async (t) => {
          if (!failOnce) return fh.write(t);
          failOnce = false;
          await fh.write(t.slice(0, 40));
          throw Object.assign(new Error('no space'), { code: 'ENOSPC' });
        },
        datasync: () => fh.datasync(),
        truncate: (n) => fh.truncate(n),
        close: () => fh.close(),
      };
    };
    const log = await open({ open: partial });
    log.record(rec(1));
    await log.flush();
    log.record(rec(2));
    await log.close();
    const report = await verify();
    expect(report.problems.map((p) => p.problem)).toEqual(['1 entries lost before this point (write failed: ENOSPC)']);
  });
});

describe('audit query', () => {
  beforeEach(async () => {
    const log = await open();
    const add = (r: AuditRecord) => {
      log.record(r);
      clock.advance(1000);
    };
    add({
      category: 'permission',
      action: 'verdict',
      target: 'rm -rf build',
      outcome: 'ask',
      sessionId: 'a',
      details: { source: 'default' },
    });
    add({ category: 'permission', action: 'verdict', target: 'ls', outcome: 'allow', sessionId: 'a' });
    add({ category: 'file', action: 'file_write', target: '/p/src/main.go', outcome: 'ok', sessionId: 'b' });
    add({ category: 'file', action: 'file_write', target: '/p/README.md', outcome: 'ok', sessionId: 'a' });
    add({
      category: 'llm',
      action: 'llm_call',
      target: 'anthropic/claude',
      outcome: 'ok',
      sessionId: 'a',
      details: { inputTokens: 10 },
    });
    add({ category: 'permission', action: 'verdict', target: 'curl evil.example', outcome: 'deny', sessionId: 'b' });
    await log.close();
  });
  const t0 = 1_700_000_000_000;

  it('combines filters', async () => {
    const targets = async (q: AuditQuery) => (await all(q)).map((e) => e.target);
    expect(await targets({ categories: ['permission'], sessionId: 'a' })).toEqual(['rm -rf build', 'ls']);
    expect(await targets({ categories: ['file', 'llm'], targetRegex: '\\.(go|md)$' })).toEqual([
      '/p/src/main.go',
      '/p/README.md',
    ]);
    expect(await targets({ action: 'verdict', outcome: 'deny' })).toEqual(['curl evil.example']);
    expect(await targets({ since: t0 + 1000, until: t0 + 3000 })).toEqual(['ls', '/p/src/main.go', '/p/README.md']);
    expect(await targets({ order: 'newest', limit: 2 })).toEqual(['curl evil.example', 'anthropic/claude']);
    expect(await targets({ limit: 2 })).toEqual(['rm -rf build', 'ls']);
  });

  it('refuses bad input with a clear error and runs hostile patterns in linear time', async () => {
    await expect(all({ categories: ['nope'] })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: "unknown audit category 'nope'",
    });
    await expect(all({ targetRegex: '(' })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(all({ targetRegex: 'a'.repeat(300) })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringContaining('at most 256'),
    });
    await expect(all({ targetRegex: '(?=x)' })).rejects.toMatchObject({ code: 'invalid_argument' });
    const log = await open();
    log.record({ category: 'file', action: 'file_write', target: `${'a'.repeat(5000)}!`, outcome: 'ok' });
    await log.close();
    expect(await all({ targetRegex: '(a+)+$' })).toHaveLength(0);
    expect(await all({ targetRegex: '^(a+)+!$' })).toHaveLength(1);
  });
});
