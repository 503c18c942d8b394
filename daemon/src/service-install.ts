import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DAEMON_NODE_FLAGS, ErrorTier, SylkError } from '@sylk/core';
import { resolveDirs } from '@sylk/config';

export interface InstallServiceOptions {
  env: Readonly<Record<string, string | undefined>>;
  platform?: NodeJS.Platform;
  homedir?: string;
  /** Print the unit instead of writing it. */
  print: boolean;
  /** Overwrite an existing unit. */
  force: boolean;
  nodePath?: string;
  mainPath?: string;
}

/**
 * Variables the daemon must keep when a service manager starts it. Never provider keys: the
 * service reads them from the credential store (`sylk auth login`), so no key sits in a unit file.
 */
const PASSTHROUGH = [
  'SYLK_HOME',
  'SYLK_SOCKET',
  'SYLK_CONFIG_DIR',
  'SYLK_DATA_DIR',
  'SYLK_STATE_DIR',
  'SYLK_CACHE_DIR',
  'SYLK_RUNTIME_DIR',
  'PATH',
];

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function systemdUnit(node: string, main: string, env: Readonly<Record<string, string | undefined>>): string {
  const envLines = PASSTHROUGH.filter((k) => env[k]).map(
    (k) => `Environment="${k}=${String(env[k]).replace(/"/g, '\\"')}"`,
  );
  return [
    '[Unit]',
    'Description=Sylk daemon (sylkd): runs LLM coding agents for this user',
    'Documentation=file://' + join(dirname(main), '..', '..', 'docs', 'operations.md'),
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${[node, ...DAEMON_NODE_FLAGS, main].join(' ')} --foreground`,
    'ExecReload=/bin/kill -HUP $MAINPID',
    'Restart=on-failure',
    'RestartSec=2',
    'KillSignal=SIGTERM',
    'TimeoutStopSec=40',
    // sylkd sees JOURNAL_STREAM on its stdout and logs JSON lines there as well as to its file.
    'StandardOutput=journal',
    'StandardError=journal',
    'SyslogIdentifier=sylkd',
    ...envLines,
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

function launchdPlist(
  node: string,
  main: string,
  logs: string,
  env: Readonly<Record<string, string | undefined>>,
): string {
  const envEntries = PASSTHROUGH.filter((k) => env[k]).map(
    (k) => `      <key>${k}</key><string>${escapeXml(String(env[k]))}</string>`,
  );
  return `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
  <dict>
    <key>Label</key><string>dev.sylk.sylkd</string>
    <key>ProgramArguments</key>
    <array>
      <string>${escapeXml(node)}</string>
${DAEMON_NODE_FLAGS.map((flag) => `      <string>${escapeXml(flag)}</string>\n`).join('')}      <string>${escapeXml(main)}</string>
      <string>--foreground</string>
    </array>
    <key>RunAtLoad</key><true/>
    <key>KeepAlive</key><dict><key>SuccessfulExit</key><false/></dict>
    <key>StandardOutPath</key><string>${escapeXml(join(logs, 'sylkd.out'))}</string>
    <key>StandardErrorPath</key><string>${escapeXml(join(logs, 'sylkd.out'))}</string>
    <key>EnvironmentVariables</key>
    <dict>
${envEntries.join('\n')}
    </dict>
  </dict>
</plist>
`;
}

/** Write (or print) the service definition and return what to tell the user. */
export function installService(options: InstallServiceOptions): string {
  const platform = options.platform ?? process.platform;
  const home = options.homedir ?? options.env.HOME ?? homedir();
  const node = options.nodePath ?? process.execPath;
  const main = options.mainPath ?? fileURLToPath(new URL('./main.js', import.meta.url));
  let path: string;
  let content: string;
  let enable: string;
  if (platform === 'linux') {
    const xdg = options.env.XDG_CONFIG_HOME;
    const configHome = xdg && xdg.startsWith('/') ? xdg : join(home, '.config');
    path = join(configHome, 'systemd', 'user', 'sylkd.service');
    content = systemdUnit(node, main, options.env);
    enable = 'systemctl --user daemon-reload && systemctl --user enable --now sylkd.service';
  } else if (platform === 'darwin') {
    path = join(home, 'Library', 'LaunchAgents', 'dev.sylk.sylkd.plist');
    content = launchdPlist(node, main, resolveDirs(options.env, { platform, homedir: home }).logs, options.env);
    enable = `launchctl bootstrap gui/$(id -u) ${path}`;
  } else {
    throw new SylkError(`install-service supports Linux (systemd) and macOS (launchd), not ${platform}`, {
      code: 'daemon.service_unsupported',
      tier: ErrorTier.UserFixable,
    });
  }
  if (options.print) return content;
  if (existsSync(path) && !options.force) {
    throw new SylkError(`${path} already exists`, {
      code: 'daemon.service_exists',
      tier: ErrorTier.UserFixable,
      hint: 'pass --force to overwrite it',
    });
  }
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode: 0o644 });
  return `wrote ${path}\nenable and start it with:\n  ${enable}\n`;
}
