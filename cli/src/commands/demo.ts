import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, cpSync, existsSync, mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { createClient } from '@sylk/proto/client';
import { SessionService } from '@sylk/proto/session';
import { UsageService, UsageGroup } from '@sylk/proto/usage';
import { connectDaemon, locate, startDaemon } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { cliRoot, packageBin } from '../installed.js';
import { style, type GlobalOptions } from '../output.js';
import { formatUsd } from '../render/session-view.js';
import { runTerminal } from '../sessions/terminal.js';
import type { Runtime } from '../runtime.js';

const DEMO_KEY = 'sylk-demo-key';

/**
 * The demo's assets: its scenario and project ship in the CLI package (demo/), the provider
 * emulator is the `sylk-emulator` program of @sylk/emulator, found by module resolution.
 */
function assets(): { scenario: string; project: string; emulator: string } {
  const found = {
    scenario: join(cliRoot, 'demo', 'scenario.yaml'),
    project: join(cliRoot, 'demo', 'project'),
    emulator: packageBin('@sylk/emulator', 'sylk-emulator') ?? '@sylk/emulator (not installed beside sylk)',
  };
  for (const path of Object.values(found)) {
    if (!existsSync(path))
      throw new CliError(
        `demo asset missing: ${path}`,
        EXIT.failure,
        'install Sylk again (see "Install" in the README), or in a clone run `npm run build`',
      );
  }
  return found;
}

/**
 * Start sylk-emulator on a free port and return its URL. It runs in its own process group with
 * its log in `logFile`, so it can outlive the demo when the user detaches (`keepAlive`).
 */
function startEmulator(bin: string, scenario: string, logFile: string): Promise<{ child: ChildProcess; url: string }> {
  const log = openSync(logFile, 'a');
  const child = spawn(process.execPath, [bin, '--scenario', scenario, '--port', '0'], {
    stdio: ['ignore', 'pipe', log],
    detached: true,
  });
  closeSync(log);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line?.startsWith('http')) resolve({ child, url: line.trim() });
    });
    child.on('exit', (code) =>
      reject(new CliError(`the provider emulator exited (${code}); its log: ${logFile}`, EXIT.failure)),
    );
  });
}

/** The demo was left attached-elsewhere: its emulator keeps serving after this process exits. */
function keepAlive(child: ChildProcess): void {
  child.removeAllListeners('exit');
  child.stdout?.destroy();
  child.unref();
}

/**
 * `sylk demo`: an offline session against a scripted model. It runs its own sylkd on a
 * throwaway home (your sessions, config and usage are untouched), a provider emulator
 * speaking the Anthropic wire format, and a small project with a failing test.
 */
export function registerDemoCommand(program: Command, rt: Runtime): void {
  program
    .command('demo')
    .description(
      'offline demo: an agent fixes a failing test in a throwaway project (scripted model, everything else real)',
    )
    .option('-y, --yes', 'answer the approval prompts with "allow once"')
    .option('--keep', 'keep the demo project and its daemon home afterwards')
    .action(async (o: { yes?: boolean; keep?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const st = style(rt.color(opts));
      const say = (text: string) => {
        if (!opts.json) process.stdout.write(`${text}\n`);
      };
      const a = assets();
      // Short base path: it holds the daemon's Unix socket.
      const base = mkdtempSync(join(tmpdir(), 'sylk-demo-'));
      const home = join(base, 'home');
      const project = join(base, 'project');
      cpSync(a.project, project, { recursive: true });
      mkdirSync(home, { recursive: true, mode: 0o700 });
      const emulator = await startEmulator(a.emulator, a.scenario, join(base, 'emulator.log'));
      let kept = false;
      const env: NodeJS.ProcessEnv = {
        ...rt.env,
        SYLK_HOME: home,
        SYLK_SOCKET: join(home, 'run', 'sylkd.sock'),
        ANTHROPIC_API_KEY: DEMO_KEY,
      };
      for (const k of ['SYLK_CONFIG_DIR', 'SYLK_DATA_DIR', 'SYLK_STATE_DIR', 'SYLK_CACHE_DIR', 'SYLK_RUNTIME_DIR'])
        delete env[k];
      mkdirSync(join(home, 'config'), { recursive: true, mode: 0o700 });
      writeFileSync(
        join(home, 'config', 'config.yaml'),
        [
          'llm:',
          '  default_provider: anthropic',
          '  providers:',
          '    anthropic:',
          `      base_url: ${emulator.url}`,
          '      default_model: claude-sonnet-5-5',
          '',
        ].join('\n'),
      );
      const demoOpts: GlobalOptions = { ...opts, socket: env.SYLK_SOCKET as string, autostart: false };
      say(st.bold('Sylk demo') + st.dim(` — project ${project}, scripted model at ${emulator.url}`));
      say(st.dim(`The agent will ask before running the tests${o.yes ? ' (auto-approved: --yes)' : ''}.`));
      await startDaemon(locate(demoOpts, env), env);
      const conn = await connectDaemon(demoOpts, env, false);
      try {
        const sessions = createClient(SessionService, conn.channel);
        const created = await sessions.createSession({
          projectRoot: project,
          name: 'demo',
          prompt: 'The test in this project fails. Find the bug and fix it.',
          provider: 'anthropic',
          model: 'claude-sonnet-5-5',
        });
        const session = created.session;
        if (!session) throw new CliError('the demo daemon returned no session', EXIT.failure);
        const interactive = !opts.json && process.stdin.isTTY === true && process.stdout.isTTY === true;
        // Without a terminal nobody can answer the prompt: the demo answers "allow once" itself and says so.
        const autoApprove = o.yes === true || !interactive;
        if (autoApprove && o.yes !== true)
          say(st.dim('No terminal to prompt in: approvals are answered "allow once" automatically.'));
        const result = await runTerminal({
          session: session.id,
          fromSeq: 1,
          tail: 0,
          interactive,
          json: opts.json,
          yes: autoApprove,
          exitWhenIdleAfter: 0,
          style: st,
          connect: async () => (await connectDaemon(demoOpts, env, false)).channel,
          stdin: process.stdin,
          stdout: process.stdout,
          signal: rt.signal,
        });
        if (result.reason === 'detached' || result.reason === 'interrupted') {
          // The session goes on in the demo's own daemon: say exactly how to get back to it and
          // how to clean up, rather than judging tests the agent has not finished with.
          kept = true;
          if (result.reason === 'interrupted') rt.exitCode = EXIT.interrupted;
          keepAlive(emulator.child);
          const sock = demoOpts.socket as string;
          say('');
          say(
            `The demo session keeps running in the demo's own daemon. Back to it: ${st.bold(`SYLK_SOCKET=${sock} sylk attach demo`)}`,
          );
          say(st.dim(`When done: SYLK_SOCKET=${sock} sylk daemon stop; kill ${emulator.child.pid}; rm -rf ${base}`));
          return;
        }
        const usage = await createClient(UsageService, conn.channel).report({
          sessionId: session.id,
          groupBy: [UsageGroup.MODEL],
        });
        const tests = spawnSync(process.execPath, ['--test'], { cwd: project, encoding: 'utf8' });
        const passed = tests.status === 0;
        const t = usage.totals;
        say('');
        say(
          `${passed ? st.green('✓ tests pass') : st.red('✗ tests still fail')} ${st.dim('(node --test in the demo project, run by the CLI just now)')}`,
        );
        say(
          `usage: ${Number(t?.inputTokens ?? 0)} input + ${Number(t?.outputTokens ?? 0)} output tokens ` +
            `(${Number(t?.cacheReadTokens ?? 0)} cache reads) · ${formatUsd(t?.costUsd ?? 0)} at catalogue prices`,
        );
        if (o.keep) say(st.dim(`kept: project ${project}, daemon home ${home}`));
        if (opts.json)
          process.stdout.write(
            JSON.stringify({
              demo: {
                sessionId: session.id,
                finalState: result.finalState ?? null,
                testsPass: passed,
                usage: {
                  inputTokens: Number(t?.inputTokens ?? 0),
                  outputTokens: Number(t?.outputTokens ?? 0),
                  costUsd: t?.costUsd ?? 0,
                },
                project,
              },
            }) + '\n',
          );
        if (!passed && autoApprove) rt.exitCode = EXIT.failure;
        await conn.daemon.shutdown({ reason: 'sylk demo finished' }).catch(() => undefined);
      } finally {
        conn.close();
        if (!kept) emulator.child.kill('SIGTERM');
        if (!o.keep && !kept) {
          await new Promise((r) => setTimeout(r, 300));
          rmSync(base, { recursive: true, force: true });
        }
      }
    });
}
