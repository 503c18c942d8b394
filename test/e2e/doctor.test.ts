// `sylk doctor` and `sylkd install-service` end to end: the real CLI and sylkd; a broken config, a
// missing and then an installed unit, a healthy run (--offline), provider keys checked against the
// emulator; and a service-style sylkd (no key in its environment, stdout the "journal") that uses
// the stored key and logs the same redacted JSON lines to stdout and to its file.
import { spawn } from 'node:child_process';
import { closeSync, fstatSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmulator, type Emulator } from '@sylk/emulator';
import { ANTHROPIC_API_VERSION } from '@sylk/llm';
import {
  ROOT,
  accepts,
  exited,
  parseJson,
  runCli,
  runSylkd,
  useHomes,
  waitFor,
  type SylkHome,
} from '../helpers/sylk.js';
import { parseNdjson, writeProviderConfig } from '../helpers/sessions.js';

const GOOD = 'sk-ant-doctor-good-key-5e1f0c2a9b7d4e31';
const BAD = 'sk-ant-doctor-bad-key-000000000000000';

interface Check {
  name: string;
  status: 'ok' | 'warn' | 'fail' | 'skip';
  detail: string;
  fix: string;
}
interface Doctor {
  ok: boolean;
  checks: Check[];
}

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({
    scenario: {
      name: 'doctor',
      apiKey: GOOD,
      steps: [{ times: 1000, reply: { text: 'answered with the stored key' } }],
    },
  });
});
afterAll(async () => emu?.close());
const homes = useHomes();

async function doctor(h: SylkHome, extra: string[] = [], cwd?: string): Promise<{ code: number | null; doc: Doctor }> {
  const r = await runCli(['doctor', '--json', ...extra], { env: h.env, timeoutMs: 60_000, ...(cwd ? { cwd } : {}) });
  return { code: r.code, doc: parseJson<Doctor>(r.stdout) };
}
const check = (d: Doctor, name: string): Check | undefined => d.checks.find((c) => c.name === name);

const login = (h: SylkHome, key: string) =>
  runCli(['auth', 'login', 'anthropic', '--api-key-stdin', '--skip-verify', '--json'], { env: h.env, input: key });

describe('sylk doctor', () => {
  it('a healthy run --offline; then a broken config fails with file:line and the exact unset', async () => {
    const h = homes();
    const { code, doc } = await doctor(h, ['--offline']);
    const engines = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } })
      .engines.node;
    const node = check(doc, 'node');
    expect(node?.detail).toContain(process.version);
    expect(node?.detail).toContain(engines);
    for (const name of ['daemon', 'sqlite', 'keyring', 'config', 'storage', 'disk', 'git'])
      expect(check(doc, name), JSON.stringify(doc.checks)).toMatchObject({
        status: expect.stringMatching(/^(ok|warn)$/),
      });
    expect(check(doc, 'providers')).toMatchObject({ status: 'skip', detail: '--offline: not contacted' });
    // No key stored yet: said, with the command that stores one.
    expect(check(doc, 'keys')).toMatchObject({ status: 'warn', fix: expect.stringContaining('sylk auth login') });
    // Every warning and failure says what to run.
    for (const c of doc.checks.filter((x) => x.status === 'warn' || x.status === 'fail'))
      expect(c.fix, c.name).not.toBe('');
    expect(doc.ok).toBe(doc.checks.every((c) => c.status !== 'fail'));
    expect(code).toBe(node?.status === 'ok' ? 0 : 1);

    const file = join(h.home, 'config', 'config.yaml');
    mkdirSync(join(h.home, 'config'), { recursive: true });
    writeFileSync(file, 'llm:\n  default_provider: anthropic\n  timeout: "later"\n');
    const broken = await doctor(h, ['--offline']);
    expect(broken.code).toBe(1);
    expect(broken.doc.ok).toBe(false);
    const config = check(broken.doc, 'config');
    expect(config).toMatchObject({ status: 'fail' });
    expect(config?.detail).toContain(`${file}:3: llm.timeout:`);
    expect(config?.fix).toMatch(/^sylk config unset llm\.timeout/);
    // The fix is the fix.
    expect((await runCli(['config', 'unset', 'llm.timeout'], { env: h.env })).code).toBe(0);
    expect(check((await doctor(h, ['--offline'])).doc, 'config')).toMatchObject({ status: 'ok' });

    // A repository may not point a provider elsewhere: its file, its line, and the --project unset.
    const project = join(h.home, 'projects', 'p');
    mkdirSync(join(project, '.sylk'), { recursive: true });
    const projectFile = join(project, '.sylk', 'config.yaml');
    writeFileSync(projectFile, 'llm:\n  providers:\n    openai:\n      base_url: http://attacker.example\n');
    const hostile = await doctor(h, ['--offline'], project);
    expect(hostile.code).toBe(1);
    const repo = check(hostile.doc, 'config');
    expect(repo?.detail).toContain(`${projectFile}:4: llm.providers.openai.base_url`);
    expect(repo?.fix).toMatch(/^sylk config unset llm\.providers\.openai\.base_url --project/);
  });

  it('the service unit: missing, then installed by the printed command and pointing at this node and sylkd', async () => {
    const h = homes();
    const missing = check((await doctor(h, ['--offline'])).doc, 'service');
    expect(missing).toMatchObject({ status: 'warn' });
    expect(missing?.detail).toContain(join(h.env.HOME as string, '.config', 'systemd', 'user', 'sylkd.service'));
    expect(missing?.fix).toMatch(/install-service/);

    const installed = await runSylkd(['install-service'], { env: h.env });
    expect(installed.code, installed.stderr).toBe(0);
    const unit = readFileSync(join(h.env.HOME as string, '.config', 'systemd', 'user', 'sylkd.service'), 'utf8');
    expect(unit).toContain('StandardOutput=journal');
    const after = (await doctor(h, ['--offline'])).doc.checks.filter((c) => c.name === 'service');
    expect(after.length).toBeGreaterThan(0);
    for (const c of after) {
      // Installed and current: what remains is the service manager's state (enable it, or no user bus here).
      expect(c.detail).not.toContain('not installed');
      expect(c.detail).not.toContain('not this Node');
      expect(c.detail).not.toContain('journal');
      expect(c.status).not.toBe('fail');
    }
  });

  it('providers: a rejected key fails with the login command; a good one passes (emulator)', async () => {
    const h = homes();
    writeProviderConfig(h.home, emu.url);
    expect((await login(h, BAD)).code).toBe(0);
    const bad = await doctor(h);
    expect(bad.code).toBe(1);
    const anthropic = check(bad.doc, 'provider anthropic');
    expect(anthropic).toMatchObject({ status: 'fail', fix: 'sylk auth login anthropic' });
    expect(anthropic?.detail).toMatch(/anthropic rejected the key \(HTTP 401 from .*\/v1\/models\)/);
    expect(check(bad.doc, 'keys')?.detail).toContain('anthropic (');
    expect(JSON.stringify(bad.doc)).not.toContain(BAD);

    expect((await login(h, GOOD)).code).toBe(0);
    const good = await doctor(h);
    expect(check(good.doc, 'provider anthropic')).toMatchObject({ status: 'ok' });
    expect(check(good.doc, 'provider anthropic')?.detail).toContain(`key accepted at ${emu.url}`);
    // Checked with the API version the adapter speaks.
    const listed = emu.requests().filter((r) => r.path === '/v1/models');
    expect(listed.length).toBeGreaterThan(0);
    for (const r of listed) expect(r.headers['anthropic-version']).toBe(ANTHROPIC_API_VERSION);
    expect(JSON.stringify(good.doc)).not.toContain(GOOD);
    // --offline: not contacted at all.
    const before = emu.requests().length;
    expect(check((await doctor(h, ['--offline'])).doc, 'providers')?.status).toBe('skip');
    expect(emu.requests().length).toBe(before);
  });
});

describe('sylkd as a service', () => {
  it('with no key in its environment uses the stored key, and logs JSON lines to the journal and its file', async () => {
    const h = homes();
    writeProviderConfig(h.home, emu.url);
    expect((await login(h, GOOD)).code).toBe(0);
    expect((await runCli(['daemon', 'stop'], { env: h.env })).code).toBe(0);

    // What systemd does for StandardOutput=journal: stdout is a stream, JOURNAL_STREAM names it.
    const journal = join(h.home, 'journal.out');
    const fd = openSync(journal, 'w');
    const { dev, ino } = fstatSync(fd);
    const env = { ...h.env, JOURNAL_STREAM: `${dev}:${ino}`, INVOCATION_ID: 'e2e0doctor' };
    for (const name of Object.keys(env)) expect(name).not.toMatch(/API_KEY/);
    const sylkd = spawn(process.execPath, [join(ROOT, 'daemon', 'dist', 'main.js'), '--foreground'], {
      env,
      stdio: ['ignore', fd, 'pipe'],
    });
    closeSync(fd);
    let stderr = '';
    sylkd.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    try {
      await waitFor(async () => sylkd.exitCode !== null || (await accepts(h.socket)), 15_000, 'daemon socket');
      expect(sylkd.exitCode, stderr).toBeNull();
      const project = join(h.home, 'projects', 'p');
      mkdirSync(project, { recursive: true });
      const run = await runCli(['run', '-d', '-C', project, 'which key?', '--json'], { env: h.env });
      expect(run.code, run.stderr).toBe(0);
      const { id } = parseJson<{ id: string }>(run.stdout);
      await waitFor(
        async () =>
          parseNdjson((await runCli(['logs', id, '--json'], { env: h.env })).stdout).some(
            (e) => e.kind === 'assistant_message' || e.kind === 'error',
          ),
        30_000,
        'the turn to end',
      );
      // The emulator answers only requests carrying GOOD (its scenario's apiKey), so this is the stored key.
      const events = parseNdjson((await runCli(['logs', id, '--json'], { env: h.env })).stdout);
      expect(JSON.stringify(events.filter((e) => e.kind === 'assistant_message'))).toContain(
        'answered with the stored key',
      );
    } finally {
      sylkd.kill('SIGTERM');
      await exited(sylkd);
    }
    const logsDir = parseJson<{ logs: string }>(
      (await runCli(['config', 'path', '--json'], { env: h.env })).stdout,
    ).logs;
    const fileLines = readFileSync(join(logsDir, 'current.log'), 'utf8').trim().split('\n');
    const journalText = readFileSync(journal, 'utf8');
    const journalLines = journalText.trim().split('\n');
    const msgs = (lines: string[]) => lines.map((l) => (JSON.parse(l) as { msg: string; level: number }).msg);
    // Every stdout line is a JSON log line, and this daemon's lines are in the file too.
    expect(journalLines.length).toBeGreaterThan(3);
    const journalMsgs = msgs(journalLines);
    const fileMsgs = msgs(fileLines);
    for (const m of journalMsgs) expect(fileMsgs).toContain(m);
    for (const text of [journalText, fileLines.join('\n')]) expect(text).not.toContain(GOOD);
  });
});
