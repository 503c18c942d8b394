import { isAbsolute, join } from 'node:path';
import { editConfigFile, type ConfigStore, type SylkConfig, type SylkDirs } from '@sylk/config';
import { ErrorTier, SylkError, filterEnv, type Clock, type Logger } from '@sylk/core';
import { McpManager, launchLine, toolName, unknownServer, type McpServerSpec, type McpServerStatus } from '@sylk/mcp';
import type { McpServerInfo, McpService, ServiceImpl } from '@sylk/proto';
import type { AuditSink, PermissionManager } from '@sylk/security';
import { mcpSettings, type McpHub } from '../sessions/mcp.js';
import { sessionTools } from '../sessions/project-config.js';
import type { DaemonSandbox } from './sandbox-service.js';

type Methods = typeof McpService extends { method: infer M } ? M : never;

export interface McpServiceDeps {
  hub: McpHub;
  /** The daemon's config (user file and environment). */
  config: ConfigStore;
  /** A project's effective config (its layers over the daemon's). */
  projectConfig: (projectRoot: string) => SylkConfig;
  permissionsFor: (projectRoot: string) => PermissionManager;
  /** The project's allowlist changed: its loaded sessions re-read it. */
  allowlistChanged: (projectRoot: string) => void;
  dirs: SylkDirs;
  env: Readonly<Record<string, string | undefined>>;
  sandbox?: DaemonSandbox;
  clock: Clock;
  logger: Logger;
  audit?: AuditSink;
}

function checkRoot(projectRoot: string): void {
  if (projectRoot !== '' && !isAbsolute(projectRoot))
    throw new SylkError(`project_root must be absolute, got '${projectRoot}'`, {
      code: 'invalid_argument',
      tier: ErrorTier.UserFixable,
    });
}

function info(spec: McpServerSpec, status: McpServerStatus | undefined): McpServerInfo {
  return {
    $typeName: 'sylk.v1.McpServerInfo',
    name: spec.name,
    layer: spec.origin,
    transport: spec.transport,
    launch: launchLine(spec),
    enabled: spec.enabled,
    state: status?.state ?? 'not_loaded',
    tools: status?.tools ?? [],
    lastError: status?.lastError ?? '',
    restarts: status?.restarts ?? 0,
    pid: status?.pid ?? 0,
    problem: '',
  };
}

/** `sylk mcp list|add|remove|test`: what is configured and running, file edits, and a live test. */
export function mcpServiceImpl(deps: McpServiceDeps): ServiceImpl<Methods> {
  const configFor = (projectRoot: string) =>
    projectRoot === '' ? deps.config.current().config : deps.projectConfig(projectRoot);
  const fileFor = (projectRoot: string, project: boolean) => {
    if (!project) return join(deps.dirs.config, 'config.yaml');
    if (projectRoot === '')
      throw new SylkError('--project needs a project directory', {
        code: 'invalid_argument',
        tier: ErrorTier.UserFixable,
        hint: 'Run it inside the project, or pass --dir.',
      });
    return join(projectRoot, '.sylk', 'config.yaml');
  };
  const describe = (projectRoot: string): McpServerInfo[] => {
    const config = configFor(projectRoot);
    const { specs, problems } = deps.hub.specs(config);
    const running = new Map((projectRoot === '' ? [] : (deps.hub.status(projectRoot) ?? [])).map((s) => [s.name, s]));
    const out = specs.map((s) => info(s, running.get(s.name)));
    for (const p of problems) {
      out.push({
        $typeName: 'sylk.v1.McpServerInfo',
        name: p.name,
        layer: '',
        transport: '',
        launch: '',
        enabled: false,
        state: 'invalid',
        tools: [],
        lastError: '',
        restarts: 0,
        pid: 0,
        problem: p.message,
      });
    }
    return out.sort((a, b) => a.name.localeCompare(b.name));
  };

  return {
    listMcpServers(req) {
      checkRoot(req.projectRoot);
      return { servers: describe(req.projectRoot) };
    },

    addMcpServer(req) {
      checkRoot(req.projectRoot);
      const command = req.command.trim();
      const url = req.url.trim();
      if ((command === '') === (url === '')) {
        throw new SylkError('give either a command (`sylk mcp add <name> -- <command> [args…]`) or --url, not both', {
          code: 'invalid_argument',
          tier: ErrorTier.UserFixable,
        });
      }
      const entry =
        command !== ''
          ? { command, args: req.args, ...(Object.keys(req.env).length > 0 ? { env: req.env } : {}) }
          : { url };
      const path = fileFor(req.projectRoot, req.project);
      const { existed } = editConfigFile(path, ['mcp', 'servers', req.name], entry);
      if (!req.project) deps.config.reload(`sylk mcp add ${req.name}`);
      deps.audit?.record({
        category: 'config',
        action: 'mcp_server_add',
        target: req.name,
        outcome: 'ok',
        details: { path, transport: command !== '' ? 'stdio' : 'http' },
      });
      const added = describe(req.projectRoot).find((s) => s.name === req.name);
      return { path, replaced: existed, ...(added !== undefined ? { server: added } : {}) };
    },

    removeMcpServer(req) {
      checkRoot(req.projectRoot);
      const path = fileFor(req.projectRoot, req.project);
      const { existed } = editConfigFile(path, ['mcp', 'servers', req.name], undefined);
      if (!existed) {
        throw new SylkError(`${path} defines no MCP server "${req.name}"`, {
          code: 'mcp.unknown_server',
          tier: ErrorTier.UserFixable,
          hint: req.project
            ? 'Without --project, `sylk mcp remove` edits your user config.'
            : "A server from the project's .sylk/config.yaml is removed with --project.",
        });
      }
      if (!req.project) deps.config.reload(`sylk mcp remove ${req.name}`);
      deps.audit?.record({
        category: 'config',
        action: 'mcp_server_remove',
        target: req.name,
        outcome: 'ok',
        details: { path },
      });
      return { path };
    },

    allowMcpTools(req) {
      checkRoot(req.projectRoot);
      if (req.projectRoot === '')
        throw new SylkError('allowing MCP tools needs a project', {
          code: 'invalid_argument',
          tier: ErrorTier.UserFixable,
          hint: 'Run it inside the project, or pass --dir.',
        });
      const known = deps.hub.specs(configFor(req.projectRoot)).specs.map((s) => s.name);
      if (!known.includes(req.server)) throw unknownServer(req.server, known);
      const pm = deps.permissionsFor(req.projectRoot);
      const rule = pm.persist({ kind: 'mcp', pattern: `${req.server}/${req.tool === '' ? '*' : req.tool}` });
      deps.allowlistChanged(req.projectRoot);
      deps.audit?.record({
        category: 'permission',
        action: 'rule_add',
        target: rule.pattern,
        outcome: 'ok',
        severity: 'security',
        details: { kind: 'mcp', id: rule.id, by: 'sylk mcp allow' },
      });
      return { pattern: rule.pattern, ruleId: rule.id, file: pm.allowlistPath };
    },

    async testMcpServer(req, ctx) {
      checkRoot(req.projectRoot);
      const config = configFor(req.projectRoot);
      const { specs } = deps.hub.specs(config);
      const spec = specs.find((s) => s.name === req.name);
      if (spec === undefined)
        throw unknownServer(
          req.name,
          specs.map((s) => s.name),
        );
      const launch = launchLine(spec);
      if (spec.origin === 'project' && req.confirmedLaunch !== launch) {
        const allowed =
          req.projectRoot !== '' &&
          deps.permissionsFor(req.projectRoot).check({ kind: 'mcp_server', server: spec.name, launch }).verdict ===
            'allow';
        if (!allowed) {
          throw new SylkError(`MCP server "${spec.name}" comes from the project's config and would run: ${launch}`, {
            code: 'mcp.needs_confirmation',
            tier: ErrorTier.UserFixable,
            hint: `Read the command; if you trust it, run \`sylk mcp test ${spec.name} --yes\`.`,
          });
        }
      }
      const root = req.projectRoot === '' ? deps.dirs.temp : req.projectRoot;
      const manager = new McpManager({
        projectRoot: root,
        clock: deps.clock,
        logger: deps.logger.child({ component: 'mcp-test' }),
        settings: () => mcpSettings(config.mcp),
      });
      manager.configure([{ ...spec, enabled: true }]);
      const wrapper = deps.sandbox?.forSession({
        writableRoots: [root],
        logger: deps.logger.child({ component: 'sandbox' }),
      });
      const started = deps.clock.monotonic();
      try {
        const [listed] = await manager.tools(
          [spec.name],
          {
            owner: 'sylk-mcp-test',
            env: filterEnv(deps.env, sessionTools(config.tools, deps.config.current().config.tools).env_blocklist),
            ...(wrapper !== undefined ? { wrapper } : {}),
          },
          ctx.signal,
        );
        deps.audit?.record({
          category: 'mcp',
          action: 'server_test',
          target: spec.name,
          outcome: listed?.ok ? 'ok' : 'failed',
          details: { launch, layer: spec.origin },
        });
        if (listed === undefined || !listed.ok)
          throw listed?.error ?? new SylkError('no answer', { code: 'mcp.call_failed' });
        return {
          server: info(spec, manager.status()[0]),
          tools: listed.tools.map((t) => ({
            name: t.name,
            description: t.description,
            readOnlyHint: t.readOnlyHint === true,
            agentName: toolName(spec.name, t.name),
          })),
          durationMs: BigInt(Math.round(deps.clock.monotonic() - started)),
        };
      } finally {
        await manager.close();
      }
    },
  };
}
