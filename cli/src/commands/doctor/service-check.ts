/**
 * The service `sylkd install-service` writes (daemon/src/service-install.ts): installed, running this
 * Node and this sylkd, logging to the journal, no key in it, and enabled/active (systemd) or loaded (launchd).
 */
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { onPath } from './tools.js';
import { result, type Check, type CheckResult, type DoctorContext } from './types.js';

const LAUNCHD_LABEL = 'dev.sylk.sylkd';

/** Where install-service writes the unit (the same rule as service-install.ts). */
function serviceFile(ctx: Pick<DoctorContext, 'env' | 'platform'>): string | undefined {
  const home = ctx.env.HOME ?? homedir();
  if (ctx.platform === 'darwin') return join(home, 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
  if (ctx.platform !== 'linux') return undefined;
  const xdg = ctx.env.XDG_CONFIG_HOME;
  return join(xdg && xdg.startsWith('/') ? xdg : join(home, '.config'), 'systemd', 'user', 'sylkd.service');
}

/**
 * The program and the script a unit runs, Node's flags between them skipped:
 * `ExecStart=node [--flag…] main.js --foreground` or ProgramArguments.
 */
function unitProgram(text: string, platform: NodeJS.Platform): { node: string; main: string } | undefined {
  let argv: string[];
  if (platform === 'darwin') {
    const args = /<key>ProgramArguments<\/key>\s*<array>([\s\S]*?)<\/array>/.exec(text)?.[1] ?? '';
    argv = [...args.matchAll(/<string>([^<]*)<\/string>/g)].map((m) =>
      (m[1] as string).replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&'),
    );
  } else {
    argv = /^ExecStart=(.*)$/m.exec(text)?.[1]?.trim().split(/\s+/) ?? [];
  }
  const [node, ...rest] = argv;
  const main = rest.find((arg) => !arg.startsWith('-'));
  return node !== undefined && main !== undefined ? { node, main } : undefined;
}

const real = (p: string): string => {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
};

const same = (a: string, b: string): boolean => real(a) === real(b);

/** The package a file belongs to (its nearest package.json's folder). */
function packageRoot(file: string): string {
  for (let d = dirname(real(file)); ; d = dirname(d)) {
    if (existsSync(join(d, 'package.json')) || dirname(d) === d) return d;
  }
}

/** The unit's sylkd is this one: the same file, or another entry (bin/sylkd.js, dist/main.js) of the same package. */
const sameSylkd = (a: string, b: string): boolean => same(a, b) || packageRoot(a) === packageRoot(b);

/** `sylkd install-service`, spelled so it runs from here (sylkd may not be on PATH in a clone). */
function installCommand(ctx: DoctorContext, extra = ''): string {
  const sylkd = onPath('sylkd', ctx.env) ?? (ctx.sylkd ? `${ctx.node.execPath} ${ctx.sylkd}` : 'sylkd');
  return `${sylkd} install-service${extra}`;
}

export const serviceCheck: Check = async (ctx) => {
  const file = serviceFile(ctx);
  if (file === undefined) return result('service', 'skip', `no service manager support on ${ctx.platform}`);
  const reload =
    ctx.platform === 'darwin'
      ? `launchctl bootout gui/$(id -u)/${LAUNCHD_LABEL}; launchctl bootstrap gui/$(id -u) ${file}`
      : 'systemctl --user daemon-reload && systemctl --user restart sylkd.service';
  if (!existsSync(file))
    return result(
      'service',
      'warn',
      `not installed (${file}): sylkd starts on the first command, not at login, and not again after a crash`,
      `${installCommand(ctx)}  (then enable it as it prints)`,
    );
  const text = readFileSync(file, 'utf8');
  const program = unitProgram(text, ctx.platform);
  const problems: CheckResult[] = [];
  if (program === undefined)
    return result(
      'service',
      'fail',
      `${file} names no program to run`,
      installCommand(ctx, ' --force') + ` && ${reload}`,
    );
  if (!existsSync(program.node) || !existsSync(program.main))
    return result(
      'service',
      'fail',
      `${file} runs ${program.node} ${program.main}, which no longer exists`,
      `${installCommand(ctx, ' --force')} && ${reload}`,
    );
  if (!same(program.node, ctx.node.execPath) || (ctx.sylkd !== undefined && !sameSylkd(program.main, ctx.sylkd)))
    problems.push(
      result(
        'service',
        'warn',
        `${file} runs ${program.node} ${program.main}, not this Node and sylkd (${ctx.node.execPath} ${ctx.sylkd ?? '?'})`,
        `${installCommand(ctx, ' --force')} && ${reload}`,
      ),
    );
  if (/_API_KEY[=<]|API_KEY<\/key>/.test(text))
    problems.push(
      result(
        'service',
        'warn',
        `${file} holds a provider API key; sylkd reads keys from the credential store`,
        `sylk auth login <provider>, then: ${installCommand(ctx, ' --force')} && ${reload}`,
      ),
    );
  if (ctx.platform === 'linux' && !/^StandardOutput=journal/m.test(text))
    problems.push(
      result(
        'service',
        'warn',
        `${file} does not send sylkd's output to the journal`,
        `${installCommand(ctx, ' --force')} && ${reload}`,
      ),
    );
  const state = await serviceState(ctx, file);
  if (problems.length === 0 && state.status === 'ok')
    return result('service', 'ok', `${file}: runs ${program.node} ${program.main}; ${state.detail}`);
  return state.status === 'ok' ? problems : [...problems, state];
};

async function serviceState(ctx: DoctorContext, file: string): Promise<CheckResult> {
  if (ctx.platform === 'darwin') {
    const uid = process.getuid?.() ?? 0;
    const r = await ctx.exec('launchctl', ['print', `gui/${uid}/${LAUNCHD_LABEL}`], 5_000);
    if (r.code !== 0)
      return result('service', 'warn', `${LAUNCHD_LABEL} is not loaded`, `launchctl bootstrap gui/$(id -u) ${file}`);
    const running = /state = running/.test(r.stdout);
    return running
      ? result('service', 'ok', 'loaded and running')
      : result('service', 'warn', 'loaded but not running', `launchctl kickstart gui/$(id -u)/${LAUNCHD_LABEL}`);
  }
  const enabled = await ctx.exec('systemctl', ['--user', 'is-enabled', 'sylkd.service'], 5_000);
  if (enabled.code === 127)
    return result(
      'service',
      'warn',
      `${file} is installed but there is no systemctl to run it`,
      `rm ${file}  (without systemd, sylkd starts on the first command)`,
    );
  const active = await ctx.exec('systemctl', ['--user', 'is-active', 'sylkd.service'], 5_000);
  const isEnabled = enabled.stdout.trim();
  const isActive = active.stdout.trim();
  if (isEnabled === '' && isActive === '')
    return result(
      'service',
      'warn',
      `systemctl --user cannot answer: ${(enabled.stderr || active.stderr).trim().split('\n')[0] ?? ''}`,
      'loginctl enable-linger $USER  (a user service manager for this user), then: systemctl --user daemon-reload',
    );
  if (isEnabled !== 'enabled')
    return result(
      'service',
      'warn',
      `installed but ${isEnabled || 'not enabled'}`,
      'systemctl --user daemon-reload && systemctl --user enable --now sylkd.service',
    );
  if (isActive !== 'active')
    return result(
      'service',
      'warn',
      `enabled but ${isActive || 'not active'}`,
      'systemctl --user start sylkd.service  (journalctl --user -u sylkd shows why it stopped)',
    );
  return result('service', 'ok', 'enabled and active');
}
