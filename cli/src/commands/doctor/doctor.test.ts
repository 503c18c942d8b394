import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runChecks } from '../doctor.js';
import { configCheck, lineOfKey } from './config-check.js';
import { diskCheck, keyStoreCheck, providersCheck } from './daemon-checks.js';
import { nativeCheck, nodeCheck, satisfiesRange } from './runtime.js';
import { serviceCheck } from './service-check.js';
import { gitCheck } from './tools.js';
import type { CheckResult, DoctorContext, ExecResult } from './types.js';

const ROOT = resolve(import.meta.dirname, '..', '..', '..', '..');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'sylk-doctor-'));
  dirs.push(d);
  return d;
};

const noExec = async (): Promise<ExecResult> => ({ code: 127, stdout: '', stderr: 'not run' });

function ctx(over: Partial<DoctorContext> = {}): DoctorContext {
  const home = over.env?.SYLK_HOME ?? tmp();
  return {
    env: { PATH: process.env.PATH, HOME: join(home, 'home'), SYLK_HOME: home },
    cwd: home,
    platform: 'linux',
    conn: undefined,
    connectError: 'no daemon',
    checkStorage: false,
    offline: false,
    profile: '',
    node: { version: process.version, execPath: process.execPath },
    cliDir: join(ROOT, 'cli', 'dist'),
    sylkd: join(ROOT, 'daemon', 'src', 'main.ts'),
    exec: noExec,
    ...over,
  };
}
const one = (r: CheckResult | CheckResult[]): CheckResult => (Array.isArray(r) ? (r[0] as CheckResult) : r);

describe('node', () => {
  it('reads engines.node from the nearest package.json above sylk', async () => {
    const pkg = tmp();
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ engines: { node: '>=22.12' } }));
    mkdirSync(join(pkg, 'dist'));
    const old = one(await nodeCheck(ctx({ cliDir: join(pkg, 'dist'), node: { version: 'v20.19.5', execPath: '/n' } })));
    expect(old).toMatchObject({ name: 'node', status: 'fail' });
    expect(old.detail).toContain(`v20.19.5 (/n) does not satisfy >=22.12 (${join(pkg, 'package.json')})`);
    expect(old.fix).toContain('nvm install 26');
    const ok = one(await nodeCheck(ctx({ cliDir: join(pkg, 'dist'), node: { version: 'v22.12.0', execPath: '/n' } })));
    expect(ok).toMatchObject({ status: 'ok' });
  });

  it('understands engines ranges', () => {
    expect(satisfiesRange('v22.12.0', '>=22.12')).toBe(true);
    expect(satisfiesRange('v22.11.9', '>=22.12')).toBe(false);
    expect(satisfiesRange('v24.1.0', '^20.19 || >=22.12')).toBe(true);
    expect(satisfiesRange('v20.18.0', '^20.19 || >=22.12')).toBe(false);
    expect(satisfiesRange('v20.19.2', '>= 20.19 < 21')).toBe(true);
  });
});

describe('native modules', () => {
  it('loads better-sqlite3 and @napi-rs/keyring as sylkd resolves them', async () => {
    const r = await nativeCheck(ctx({ sylkd: join(ROOT, 'daemon', 'src', 'main.ts'), exec: realExec }));
    expect(r).toEqual([
      expect.objectContaining({ name: 'sqlite', status: 'ok' }),
      expect.objectContaining({ name: 'keyring', status: 'ok' }),
    ]);
  });

  it('fails with the rebuild command when sylkd cannot load them', async () => {
    const lonely = join(tmp(), 'main.js');
    writeFileSync(lonely, '');
    const [sqlite, keyring] = (await nativeCheck(ctx({ sylkd: lonely, exec: realExec }))) as CheckResult[];
    expect(sqlite).toMatchObject({ name: 'sqlite', status: 'fail', fix: 'npm rebuild better-sqlite3' });
    expect(sqlite?.detail).toContain("Cannot find module 'better-sqlite3'");
    expect(keyring).toMatchObject({ name: 'keyring', status: 'warn' });
  });
});

describe('config', () => {
  it('is validated by sylkd: skipped without one', async () => {
    expect(one(await configCheck(ctx()))).toMatchObject({ name: 'config', status: 'skip' });
  });

  it('finds the line of a dotted key, or its nearest parent', () => {
    const text = 'a:\n  b:\n    c: 1\n  d: 2\ne:\n  c: 3\n';
    expect(lineOfKey(text, 'a.b.c')).toBe(3);
    expect(lineOfKey(text, 'e.c')).toBe(6);
    expect(lineOfKey(text, 'a.x')).toBe(1);
    expect(lineOfKey(text, 'z')).toBeUndefined();
  });
});

describe('service', () => {
  const unitAt = (c: DoctorContext) => join(c.env.HOME as string, '.config', 'systemd', 'user', 'sylkd.service');
  const writeUnit = (c: DoctorContext, node: string, main: string, extra = 'StandardOutput=journal\n') => {
    mkdirSync(join(c.env.HOME as string, '.config', 'systemd', 'user'), { recursive: true });
    writeFileSync(unitAt(c), `[Service]\nExecStart=${node} --max-semi-space-size=4 ${main} --foreground\n${extra}`);
  };
  const systemctl =
    (enabled: string, active: string) =>
    async (_file: string, args: readonly string[]): Promise<ExecResult> => ({
      code: 0,
      stdout: `${args[1] === 'is-enabled' ? enabled : active}\n`,
      stderr: '',
    });

  it('missing: a warning with the install command', async () => {
    const c = ctx();
    const r = one(await serviceCheck(c));
    expect(r).toMatchObject({ name: 'service', status: 'warn' });
    expect(r.detail).toContain(`not installed (${unitAt(c)})`);
    expect(r.fix).toContain('install-service');
  });

  it('this node and this sylkd, enabled and active: ok; not enabled: the enable command', async () => {
    const c = ctx({ exec: systemctl('enabled', 'active') });
    writeUnit(c, process.execPath, c.sylkd as string);
    expect(one(await serviceCheck(c))).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('enabled and active'),
    });
    const off = one(await serviceCheck({ ...c, exec: systemctl('disabled', 'inactive') }));
    expect(off).toMatchObject({
      status: 'warn',
      fix: 'systemctl --user daemon-reload && systemctl --user enable --now sylkd.service',
    });
    const stopped = one(await serviceCheck({ ...c, exec: systemctl('enabled', 'failed') }));
    expect(stopped).toMatchObject({ status: 'warn', detail: 'enabled but failed' });
    expect(stopped.fix).toContain('systemctl --user start sylkd.service');
  });

  it('another node, a vanished one, no journal, a key in the unit', async () => {
    const c = ctx({ exec: systemctl('enabled', 'active') });
    const otherNode = join(tmp(), 'node');
    writeFileSync(otherNode, '');
    writeUnit(c, otherNode, c.sylkd as string, 'Environment="ANTHROPIC_API_KEY=sk-x"\n');
    const problems = (await serviceCheck(c)) as CheckResult[];
    expect(problems.map((p) => p.status)).toEqual(['warn', 'warn', 'warn']);
    expect(problems[0]?.detail).toContain('not this Node and sylkd');
    expect(problems[0]?.fix).toContain('install-service --force && systemctl --user daemon-reload');
    expect(problems[1]?.detail).toContain('holds a provider API key');
    expect(problems[2]?.detail).toContain('journal');
    writeUnit(c, '/nonexistent/node', c.sylkd as string);
    expect(one(await serviceCheck(c))).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('no longer exists'),
    });
  });

  it('launchd: reads ProgramArguments and asks launchctl', async () => {
    const c = ctx({
      platform: 'darwin',
      exec: async () => ({ code: 0, stdout: 'state = running\n', stderr: '' }),
    });
    const plist = join(c.env.HOME as string, 'Library', 'LaunchAgents', 'dev.sylk.sylkd.plist');
    mkdirSync(join(c.env.HOME as string, 'Library', 'LaunchAgents'), { recursive: true });
    writeFileSync(
      plist,
      `<plist><dict><key>ProgramArguments</key>\n<array>\n<string>${process.execPath}</string>\n<string>${c.sylkd}</string>\n<string>--foreground</string>\n</array></dict></plist>`,
    );
    expect(one(await serviceCheck(c))).toMatchObject({
      status: 'ok',
      detail: expect.stringContaining('loaded and running'),
    });
  });
});

describe('checks without a daemon or network', () => {
  it('providers are skipped --offline; keys fall back to the D-Bus check', async () => {
    expect(one(await providersCheck(ctx({ offline: true })))).toMatchObject({
      status: 'skip',
      detail: '--offline: not contacted',
    });
    const noBus = one(await keyStoreCheck(ctx()));
    expect(noBus).toMatchObject({ name: 'keys', status: 'warn' });
    expect(noBus.fix).toContain('dbus-run-session');
    const c = ctx();
    expect(one(await keyStoreCheck({ ...c, env: { ...c.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/x' } })).status).toBe(
      'ok',
    );
  });

  it('disk: the free space of the data dir', async () => {
    const c = ctx();
    mkdirSync(join(c.env.SYLK_HOME as string, 'data'), { recursive: true });
    expect(one(await diskCheck(c))).toMatchObject({
      status: 'ok',
      detail: expect.stringMatching(/(GiB|MiB) free on /),
    });
  });

  it('an old git is a warning with the install command', async () => {
    const r = one(await gitCheck(ctx({ exec: async () => ({ code: 0, stdout: 'git version 2.20.1\n', stderr: '' }) })));
    expect(r).toMatchObject({ status: 'warn', fix: expect.stringContaining('apt-get install git') });
  });

  it('a check that throws is a failure, the rest still run', async () => {
    const boom = async (): Promise<CheckResult> => {
      throw new Error('boom');
    };
    const fine = async (): Promise<CheckResult> => ({ name: 'fine', status: 'ok', detail: '', fix: '' });
    const checks = [
      { name: 'boom', run: boom },
      { name: 'fine', run: fine },
    ];
    expect(await runChecks(ctx(), checks)).toEqual([
      { name: 'boom', status: 'fail', detail: 'boom', fix: '' },
      { name: 'fine', status: 'ok', detail: '', fix: '' },
    ]);
  });
});

async function realExec(file: string, args: readonly string[]): Promise<ExecResult> {
  const { execFile } = await import('node:child_process');
  return new Promise((res) =>
    execFile(file, args, (err, stdout, stderr) =>
      res({ code: err ? 1 : 0, stdout: String(stdout), stderr: String(stderr) }),
    ),
  );
}
