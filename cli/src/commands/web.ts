import type { Command } from 'commander';
import { spawn } from 'node:child_process';
import { connectDaemon, probeDaemon } from '../connection.js';
import { emit, style } from '../output.js';
import type { Runtime } from '../runtime.js';

/** Hands the address to the desktop's browser; the address holds the token, so it goes in argv, never a shell. */
function openInBrowser(url: string, env: NodeJS.ProcessEnv): Promise<boolean> {
  const opener = process.platform === 'darwin' ? 'open' : 'xdg-open';
  return new Promise((resolve) => {
    const child = spawn(opener, [url], { env, stdio: 'ignore', detached: true });
    child.once('error', () => resolve(false));
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
  });
}

/** `sylk web [--open] [--stop]`: the dashboard inside sylkd. */
export function registerWebCommand(program: Command, rt: Runtime): void {
  program
    .command('web')
    .description('start the web dashboard inside sylkd (127.0.0.1, random port) and print its address')
    .option('--open', 'also open the address in the desktop browser (xdg-open)')
    .option('--stop', 'stop the dashboard (it also stops with sylkd)')
    .addHelpText(
      'after',
      '\nThe address carries a token that is new each time the dashboard starts: anyone with it can\n' +
        'approve commands in your sessions. The page moves it into a cookie and out of the address.',
    )
    .action(async (o: { open?: boolean; stop?: boolean }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const st = style(rt.color(opts));
      if (o.stop === true) {
        const conn = await probeDaemon(opts, rt.env);
        const stopped =
          conn === undefined ? false : (await conn.daemon.stopWeb({}, { metadata: conn.metadata })).stopped;
        conn?.close();
        emit(opts, { stopped }, () => (stopped ? 'web dashboard stopped' : 'the web dashboard was not running'));
        return;
      }
      const conn = await connectDaemon(opts, rt.env);
      try {
        const web = await conn.daemon.startWeb({}, { metadata: conn.metadata });
        const opened = o.open === true ? await openInBrowser(web.url, rt.env) : false;
        emit(opts, { url: web.url, port: web.port, alreadyRunning: web.alreadyRunning, opened }, () =>
          [
            `${web.alreadyRunning ? 'Web dashboard running' : 'Web dashboard started'}; open:`,
            `  ${st.bold(web.url)}`,
            st.dim(
              '(the token in it is new each start and grants control of your sessions; `sylk web --stop` ends it)',
            ),
            ...(o.open === true && !opened ? [st.yellow('could not run xdg-open: open the address yourself')] : []),
          ].join('\n'),
        );
      } finally {
        conn.close();
      }
    });
}
