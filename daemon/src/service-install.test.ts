import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installService } from './service-install.js';

const KEY = 'sk-ant-unit-test-secret-0123456789';
const env = {
  HOME: '/home/u',
  PATH: '/usr/local/bin:/usr/bin',
  SYLK_HOME: '/srv/sylk',
  ANTHROPIC_API_KEY: KEY,
  OPENAI_API_KEY: 'sk-openai-unit-secret',
  GITHUB_TOKEN: 'ghp_unitsecret',
};
const paths = { nodePath: '/opt/node/bin/node', mainPath: '/opt/sylk/daemon/dist/main.js' };

describe('installService', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('systemd: runs this node and this sylkd in the foreground, logs to the journal, copies no key', () => {
    const unit = installService({ env, platform: 'linux', homedir: '/home/u', print: true, force: false, ...paths });
    expect(unit).toContain(
      'ExecStart=/opt/node/bin/node --max-semi-space-size=4 /opt/sylk/daemon/dist/main.js --foreground\n',
    );
    expect(unit).toContain('StandardOutput=journal\n');
    expect(unit).toContain('StandardError=journal\n');
    expect(unit).toContain('Environment="SYLK_HOME=/srv/sylk"\n');
    expect(unit).toContain('Environment="PATH=/usr/local/bin:/usr/bin"\n');
    for (const secret of [KEY, 'sk-openai-unit-secret', 'ghp_unitsecret', 'API_KEY', 'TOKEN'])
      expect(unit).not.toContain(secret);
  });

  it('launchd: the same program and no key in EnvironmentVariables', () => {
    const plist = installService({ env, platform: 'darwin', homedir: '/Users/u', print: true, force: false, ...paths });
    expect(plist).toContain(
      '<string>/opt/node/bin/node</string>\n      <string>--max-semi-space-size=4</string>\n      <string>/opt/sylk/daemon/dist/main.js</string>',
    );
    expect(plist).toContain('<string>/opt/sylk/daemon/dist/main.js</string>');
    expect(plist).toContain('<key>SYLK_HOME</key><string>/srv/sylk</string>');
    for (const secret of [KEY, 'sk-openai-unit-secret', 'ghp_unitsecret', 'API_KEY'])
      expect(plist).not.toContain(secret);
  });

  it('writes the unit under $XDG_CONFIG_HOME, refuses to overwrite without --force', () => {
    const home = mkdtempSync(join(tmpdir(), 'sylk-unit-'));
    dirs.push(home);
    const xdg = join(home, 'xdg');
    const o = {
      env: { ...env, XDG_CONFIG_HOME: xdg },
      platform: 'linux' as const,
      homedir: home,
      print: false,
      ...paths,
    };
    const said = installService({ ...o, force: false });
    const file = join(xdg, 'systemd', 'user', 'sylkd.service');
    expect(said).toContain(`wrote ${file}`);
    expect(said).toContain('systemctl --user daemon-reload && systemctl --user enable --now sylkd.service');
    expect(readFileSync(file, 'utf8')).toContain('StandardOutput=journal');
    expect(() => installService({ ...o, force: false })).toThrow(/already exists/);
    expect(installService({ ...o, force: true })).toContain('wrote');
  });

  it('refuses other platforms with a clear error', () => {
    expect(() =>
      installService({ env, platform: 'win32', homedir: 'C:\\u', print: true, force: false, ...paths }),
    ).toThrow(/Linux \(systemd\) and macOS \(launchd\)/);
  });
});
