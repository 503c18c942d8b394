import { resolve } from 'node:path';
import type { Command } from 'commander';
import { findProjectRoot } from '@sylk/config/paths';
import { createClient } from '@sylk/proto/client';
import { McpService, type McpServerInfo } from '@sylk/proto/mcp';
import { connectDaemon, type DaemonConnection } from '../connection.js';
import { CliError, EXIT } from '../exit-codes.js';
import { emit, style, type GlobalOptions, type Style } from '../output.js';
import { askLine } from '../sessions/home-root.js';
import type { Runtime } from '../runtime.js';

function mcpClient(conn: DaemonConnection) {
  return createClient(McpService, conn.channel);
}

async function withMcp<T>(
  rt: Runtime,
  opts: GlobalOptions,
  fn: (c: ReturnType<typeof mcpClient>, conn: DaemonConnection) => Promise<T>,
): Promise<T> {
  const conn = await connectDaemon(opts, rt.env);
  try {
    return await fn(mcpClient(conn), conn);
  } finally {
    conn.close();
  }
}

function projectOf(rt: Runtime, dir?: string): string {
  const start = resolve(rt.cwd, dir ?? '.');
  return findProjectRoot(start) ?? start;
}

export function serverJson(s: McpServerInfo) {
  return {
    name: s.name,
    layer: s.layer || null,
    transport: s.transport || null,
    launch: s.launch || null,
    enabled: s.enabled,
    state: s.state,
    tools: s.tools,
    lastError: s.lastError || null,
    restarts: s.restarts,
    pid: s.pid || null,
    problem: s.problem || null,
  };
}

function stateText(s: McpServerInfo, st: Style): string {
  if (s.problem) return st.red('invalid');
  if (!s.enabled) return st.dim('disabled');
  if (s.state === 'running') return st.green('running');
  if (s.state === 'crashed' || s.state === 'failed') return st.red(s.state);
  return s.state === 'not_loaded' ? st.dim('not started') : s.state;
}

function renderList(servers: McpServerInfo[], st: Style): string {
  if (servers.length === 0)
    return 'no MCP servers configured (add one: sylk mcp add <name> -- <command> [args…], or --url <url>)';
  const lines: string[] = [];
  for (const s of servers) {
    lines.push(
      `${st.bold(s.name)}  ${s.layer || '-'}  ${s.transport || '-'}  ${stateText(s, st)}` +
        `${s.tools.length > 0 ? `  ${s.tools.length} tools` : ''}${s.restarts > 0 ? `  ${s.restarts} restarts` : ''}`,
    );
    if (s.problem) lines.push(`    ${st.red(s.problem)}`);
    else lines.push(`    ${s.launch}`);
    if (s.tools.length > 0) lines.push(`    tools: ${s.tools.join(', ')}`);
    if (s.lastError) lines.push(`    ${st.yellow('last error:')} ${s.lastError.split('\n')[0] ?? ''}`);
    if (s.layer === 'project')
      lines.push(st.dim("    from the project's .sylk/ config: starts only after you approve this exact command"));
  }
  return lines.join('\n');
}

function parseEnv(pairs: string[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const p of pairs) {
    const eq = p.indexOf('=');
    if (eq <= 0) throw new CliError(`--env takes NAME=value, got '${p}'`, EXIT.usage);
    env[p.slice(0, eq)] = p.slice(eq + 1);
  }
  return env;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerMcpCommands(program: Command, rt: Runtime): void {
  const mcp = program.command('mcp').description('MCP servers whose tools the agent may call (config mcp.servers)');
  mcp
    .command('list')
    .description('configured servers (user and project layers) and, for this project, their state and tools')
    .option('-C, --dir <dir>', 'project directory')
    .action(async (o: { dir?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withMcp(rt, opts, (c, conn) =>
        c.listMcpServers({ projectRoot: projectOf(rt, o.dir) }, { metadata: conn.metadata }),
      );
      emit(opts, { servers: res.servers.map(serverJson) }, () => renderList(res.servers, style(rt.color(opts))));
    });
  mcp
    .command('add')
    .description(
      "add a server to your user config (or the project's with --project): add <name> -- <command> [args…] | add <name> --url <url>",
    )
    .argument('<name>', 'server name (letters, digits, single - or _)')
    .argument('[command...]', 'the stdio server command and its arguments, after --')
    .option('--url <url>', 'a streamable-HTTP server instead of a command')
    .option('--env <NAME=value>', 'environment variable for a stdio server (repeatable)', collect, [] as string[])
    .option('--project', "write the project's .sylk/config.yaml instead of your user config")
    .option('-C, --dir <dir>', 'project directory')
    .action(
      async (
        name: string,
        command: string[],
        o: { url?: string; env: string[]; project?: boolean; dir?: string },
        cmd: Command,
      ) => {
        const opts = rt.globals(cmd);
        if ((command.length === 0) === (o.url === undefined))
          throw new CliError(
            'give a command after -- or --url <url> (not both)',
            EXIT.usage,
            'e.g. sylk mcp add docs -- npx -y @acme/docs-mcp',
          );
        const [file = '', ...args] = command;
        const res = await withMcp(rt, opts, (c, conn) =>
          c.addMcpServer(
            {
              projectRoot: projectOf(rt, o.dir),
              name,
              command: file,
              args,
              url: o.url ?? '',
              env: parseEnv(o.env),
              project: o.project === true,
            },
            { metadata: conn.metadata },
          ),
        );
        emit(
          opts,
          { path: res.path, replaced: res.replaced, server: res.server ? serverJson(res.server) : null },
          () =>
            `${res.replaced ? 'replaced' : 'added'} MCP server ${name} in ${res.path}\n    ${res.server?.launch ?? ''}\ntry it: sylk mcp test ${name}`,
        );
      },
    );
  mcp
    .command('remove')
    .description("remove a server from your user config (or the project's with --project)")
    .argument('<name>', 'server name')
    .option('--project', "edit the project's .sylk/config.yaml instead of your user config")
    .option('-C, --dir <dir>', 'project directory')
    .action(async (name: string, o: { project?: boolean; dir?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withMcp(rt, opts, (c, conn) =>
        c.removeMcpServer(
          { projectRoot: projectOf(rt, o.dir), name, project: o.project === true },
          { metadata: conn.metadata },
        ),
      );
      emit(opts, { path: res.path, removed: name }, () => `removed MCP server ${name} from ${res.path}`);
    });
  mcp
    .command('allow')
    .description(
      "allow a server's tool (or every tool of it) without asking, in this project (your allowlist; sylk permissions revoke undoes it)",
    )
    .argument('<name>', 'server name')
    .argument('[tool]', "the tool's name as the server lists it; omitted: every tool of the server")
    .option('-C, --dir <dir>', 'project directory')
    .action(async (name: string, tool: string | undefined, o: { dir?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const res = await withMcp(rt, opts, (c, conn) =>
        c.allowMcpTools(
          { projectRoot: projectOf(rt, o.dir), server: name, tool: tool ?? '' },
          { metadata: conn.metadata },
        ),
      );
      emit(
        opts,
        { pattern: res.pattern, id: res.ruleId, file: res.file },
        () => `allowed mcp: ${res.pattern} in ${res.file} (rule ${res.ruleId})`,
      );
    });
  mcp
    .command('test')
    .description('start (or connect to) a server through sylkd and list its tools')
    .argument('<name>', 'server name')
    .option(
      '-y, --yes',
      "run a server from the project's config without asking (read its command first: sylk mcp list)",
    )
    .option('-C, --dir <dir>', 'project directory')
    .action(async (name: string, o: { yes?: boolean; dir?: string }, cmd: Command) => {
      const opts = rt.globals(cmd);
      const st = style(rt.color(opts));
      const projectRoot = projectOf(rt, o.dir);
      const res = await withMcp(rt, opts, async (c, conn) => {
        const listed = (await c.listMcpServers({ projectRoot }, { metadata: conn.metadata })).servers.find(
          (s) => s.name === name,
        );
        let confirmedLaunch = '';
        // A repository's server runs only once its user has read the exact command.
        if (listed?.layer === 'project') {
          if (!o.yes) {
            if (process.stdin.isTTY !== true || process.stderr.isTTY !== true) {
              throw new CliError(
                `MCP server ${name} comes from the project's config and would run: ${listed.launch}`,
                EXIT.usage,
                `read it; if you trust it: sylk mcp test ${name} --yes`,
                'mcp.needs_confirmation',
              );
            }
            const answer = await askLine(
              `${st.yellow('!')} ${name} is defined by the project's config and runs:\n    ${listed.launch}\n  Run it? [y/N] `,
              process.stdin,
              process.stderr,
            );
            if (!/^\s*y(es)?\s*$/i.test(answer)) throw new CliError('not started', EXIT.failure);
          }
          confirmedLaunch = listed.launch;
        }
        return c.testMcpServer(
          { projectRoot, name, confirmedLaunch },
          { metadata: conn.metadata, timeoutMs: 10 * 60_000 },
        );
      });
      const tools = res.tools.map((t) => ({
        name: t.name,
        agentName: t.agentName,
        description: t.description,
        readOnlyHint: t.readOnlyHint,
      }));
      emit(
        opts,
        { server: res.server ? serverJson(res.server) : null, tools, durationMs: Number(res.durationMs) },
        () =>
          [
            `${st.green('ok')} ${name} answered in ${Number(res.durationMs)} ms with ${tools.length} tools:`,
            ...tools.map(
              (t) =>
                `  ${st.bold(t.agentName)}${t.readOnlyHint ? st.dim(' (says read-only)') : ''}` +
                `${t.description ? `  ${t.description.split('\n')[0] ?? ''}` : ''}`,
            ),
          ].join('\n'),
      );
    });
}
