import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { addService, DaemonService, protocolGuard } from '@sylk/proto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { CLI, daemonPidsOf, parseJson, runCli, runSylkd, startForeground, useHomes } from '../helpers/sylk.js';

const home = useHomes();

describe('sylk CLI', () => {
  it('has help on every level', async () => {
    const h = home();
    for (const args of [
      ['--help'],
      ['daemon', '--help'],
      ['config', '--help'],
      ['daemon', 'logs', '--help'],
      ['help', 'config'],
    ]) {
      const r = await runCli(args, { env: h.env });
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/Usage: sylk/);
    }
    const top = await runCli(['--help'], { env: h.env });
    for (const word of [
      'status',
      'daemon',
      'config',
      'completion',
      '--json',
      '--socket',
      '--no-color',
      '--verbose',
      '--profile',
      'Exit codes',
    ])
      expect(top.stdout).toContain(word);
  });

  it('exits 2 on usage errors and suggests the closest command', async () => {
    const h = home();
    const r = await runCli(['stauts'], { env: h.env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('status');
    const bad = await runCli(['daemon', 'logs', '--lines', 'x'], { env: h.env });
    expect(bad.code).toBe(2);
  });

  it('says why and what to do when the daemon is unreachable (--no-autostart)', async () => {
    const h = home();
    const r = await runCli(['status', '--no-autostart'], { env: h.env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`cannot reach sylkd at ${h.socket}: sylkd is not running`);
    expect(r.stderr).toContain('sylk daemon start');
    const j = await runCli(['status', '--no-autostart', '--json'], { env: h.env });
    expect(parseJson<{ error: { code: string; exitCode: number } }>(j.stderr).error).toMatchObject({
      code: 'cli.daemon_unavailable',
      exitCode: 3,
    });
  });

  it('auto-starts the daemon for commands that need it', async () => {
    const h = home();
    expect(daemonPidsOf(h.home)).toEqual([]);
    const r = await runCli(['status', '--json'], { env: h.env });
    expect(r.code, r.stderr).toBe(0);
    const s = parseJson<{ daemon: { pid: number; state: string; version: string } }>(r.stdout);
    expect(s.daemon.state).toBe('ready');
    expect(daemonPidsOf(h.home)).toEqual([s.daemon.pid]);
  });

  it('several CLIs auto-starting at once start exactly one daemon', async () => {
    const h = home();
    const results = await Promise.all(Array.from({ length: 5 }, () => runCli(['status', '--json'], { env: h.env })));
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const pids = new Set(results.map((r) => parseJson<{ daemon: { pid: number } }>(r.stdout).daemon.pid));
    expect(pids.size).toBe(1);
    expect(daemonPidsOf(h.home)).toEqual([...pids]);
  });

  it('reports a startup failure clearly', async () => {
    const h = home();
    const env = { ...h.env, SYLK_SOCKET: 'relative/sylkd.sock' };
    const r = await runCli(['status'], { env });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/SYLK_SOCKET|absolute/);
  });

  /** A real gRPC server on the socket standing in for a daemon of another version. */
  async function otherDaemon(
    h: { socket: string; home: string },
    identity: { version: string; protocolMajor: number },
  ) {
    mkdirSync(join(h.home, 'run'), { recursive: true, mode: 0o700 });
    const exempt = ['/sylk.v1.DaemonService/Hello', '/sylk.v1.DaemonService/Shutdown'];
    const server = new Server({ interceptors: [protocolGuard({ exempt, identity })] });
    const shutdowns: string[] = [];
    addService(server, DaemonService, {
      hello: () => ({
        daemonVersion: identity.version,
        protocolMajor: identity.protocolMajor,
        pid: 4242,
        compatible: false,
        message: '',
      }),
      status: () => ({ version: identity.version, protocolMajor: identity.protocolMajor, pid: 4242 }),
      shutdown: (req) => {
        shutdowns.push(req.reason);
        return { accepted: true, pid: 999_999_999 };
      },
      reloadConfig: () => ({}),
      backupNow: () => ({}),
      listBackups: () => ({}),
      checkStorage: () => ({}),
      restoreBackup: () => ({}),
      top: () => ({}),
      metrics: () => ({}),
      startWeb: () => ({}),
      stopWeb: () => ({}),
    });
    await new Promise<void>((res, rej) =>
      server.bindAsync(`unix:${h.socket}`, ServerCredentials.createInsecure(), (e) => (e ? rej(e) : res())),
    );
    return { shutdowns, close: () => server.forceShutdown() };
  }

  it('refuses to talk to a daemon with another protocol (exit 4), and can still stop it', async () => {
    const h = home();
    const future = await otherDaemon(h, { version: '9.0.0', protocolMajor: 9 });
    try {
      const r = await runCli(['status'], { env: h.env });
      expect(r.code).toBe(4);
      expect(r.stderr).toContain('protocol mismatch: sylk 0.1.0 speaks v2, sylkd 9.0.0 speaks v9');
      expect(r.stderr).toContain('sylk daemon restart');
      const json = await runCli(['status', '--json'], { env: h.env });
      expect(json.code).toBe(4);
      expect(parseJson<{ error: { code: string; exitCode: number } }>(json.stderr).error).toMatchObject({
        code: 'version_mismatch',
        exitCode: 4,
      });
      // Shutdown is exempt from the check: `sylk daemon stop` (and so restart) reaches it.
      const stop = await runCli(['daemon', 'stop'], { env: h.env });
      expect(stop.code, stop.stderr).toBe(0);
      expect(future.shutdowns).toEqual(['sylk daemon stop']);
    } finally {
      future.close();
    }
  });

  it('warns when the daemon is older than the CLI, and carries on', async () => {
    const h = home();
    const older = await otherDaemon(h, { version: '0.0.9', protocolMajor: 2 });
    try {
      const r = await runCli(['status', '--json'], { env: h.env });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(
        'sylk 0.1.0 is newer than the running sylkd 0.0.9; run `sylk daemon restart` to upgrade it',
      );
      expect(parseJson<{ daemon: { version: string } }>(r.stdout).daemon.version).toBe('0.0.9');
    } finally {
      older.close();
    }
  });

  it('config get/validate/path with stable JSON shapes', async () => {
    const h = home({ SYLK_LLM_TIMEOUT: '42' });
    const project = join(h.home, 'proj');
    mkdirSync(join(project, '.sylk', 'local'), { recursive: true });
    writeFileSync(join(project, '.sylk', 'config.yaml'), 'sessions:\n  max_turns: 7\n');
    await startForeground(h);

    const timeout = parseJson<{ key: string; value: unknown }>(
      (await runCli(['config', 'get', 'llm.timeout', '--json'], { env: h.env })).stdout,
    );
    expect(timeout).toEqual({
      key: 'llm.timeout',
      value: 42,
      origins: [{ key: 'llm.timeout', value: 42, layer: 'env', source: '$SYLK_LLM_TIMEOUT' }],
    });
    const turns = parseJson<{ value: unknown }>(
      (await runCli(['config', 'get', 'sessions.max_turns', '--json'], { env: h.env, cwd: project })).stdout,
    );
    expect(turns.value).toBe(7);

    const unknown = await runCli(['config', 'get', 'llm.nope'], { env: h.env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('llm.nope');

    const bad = join(h.home, 'bad.yaml');
    writeFileSync(bad, 'daemon:\n  log_level: loud\n');
    const v = await runCli(['config', 'validate', bad, '--json'], { env: h.env });
    expect(v.code).toBe(1);
    const verdict = parseJson<{ valid: boolean; warnings: { file: string; path: string; reason: string }[] }>(v.stdout);
    expect(verdict.valid).toBe(false);
    expect(verdict.warnings[0]).toMatchObject({ file: bad, path: 'daemon.log_level' });

    const broken = join(h.home, 'broken.yaml');
    writeFileSync(broken, 'llm: [unclosed\n');
    const b = await runCli(['config', 'validate', broken], { env: h.env });
    expect(b.code).toBe(1);
    expect(b.stdout).toContain(broken);

    const p = parseJson<Record<string, string>>(
      (await runCli(['config', 'path', '--json'], { env: h.env, cwd: project })).stdout,
    );
    expect(p).toMatchObject({
      socket: h.socket,
      userConfig: join(h.home, 'config', 'config.yaml'),
      projectConfig: join(project, '.sylk', 'config.yaml'),
    });
  });

  it('prints versions, logs and completion scripts', async () => {
    const h = home();
    const d = await startForeground(h);
    const v = parseJson<{ sylk: { version: string }; sylkd: { pid: number } }>(
      (await runCli(['version', '--json'], { env: h.env })).stdout,
    );
    expect(v.sylkd.pid).toBe(d.pid);
    expect(v.sylk.version).toMatch(/^\d+\.\d+\.\d+/);

    const logs = await runCli(['daemon', 'logs', '-n', '5'], { env: h.env });
    expect(logs.code, logs.stderr).toBe(0);
    expect(logs.stdout).toContain('sylkd ready');

    for (const shell of ['bash', 'zsh', 'fish']) {
      const c = await runCli(['completion', shell], { env: h.env });
      expect(c.code).toBe(0);
      expect(c.stdout).toContain('sylk __complete');
    }
    const bash = await runCli(['completion', 'bash'], { env: h.env });
    const file = join(h.home, 'sylk.bash');
    writeFileSync(file, bash.stdout);
    // The script parses, and completing `sylk daemon s` (through `sylk __complete`) offers start/stop/status.
    mkdirSync(join(h.home, 'bin'));
    writeFileSync(join(h.home, 'bin', 'sylk'), `#!/bin/sh\nexec "${process.execPath}" "${CLI}" "$@"\n`, {
      mode: 0o755,
    });
    const line = 'COMP_LINE="sylk daemon s"; COMP_POINT=13; COMP_WORDS=(sylk daemon s); COMP_CWORD=2';
    const out = execFileSync('bash', ['-c', `source ${file}; ${line}; _sylk_complete; echo "\${COMPREPLY[@]}"`], {
      encoding: 'utf8',
      env: { ...h.env, PATH: `${join(h.home, 'bin')}:${h.env.PATH}` },
    });
    expect(out.trim().split(' ').sort()).toEqual(['start', 'status', 'stop']);
    const unsupported = await runCli(['completion', 'powershell'], { env: h.env });
    expect(unsupported.code).toBe(2);
  });

  it('sylkd install-service writes a systemd user unit under the user config dir', async () => {
    const h = home();
    const xdg = join(h.home, 'xdg-config');
    const env = { ...h.env, XDG_CONFIG_HOME: xdg };
    const r = await runSylkd(['install-service'], { env });
    expect(r.code, r.stderr).toBe(0);
    const unit = join(xdg, 'systemd', 'user', 'sylkd.service');
    expect(existsSync(unit)).toBe(true);
    const text = readFileSync(unit, 'utf8');
    expect(text).toMatch(/ExecStart=.*main\.js --foreground/);
    expect(text).toContain(`Environment="SYLK_HOME=${h.home}"`);
    expect(r.stdout).toContain('systemctl --user enable --now sylkd.service');
    const again = await runSylkd(['install-service'], { env });
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('--force');
  });
});
