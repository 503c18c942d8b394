/** The MCP tools of one session, as agent tools: asked, called, audited (see mcp.ts for the hub). */
import { errorMessage, isSylkError, type Logger } from '@sylk/core';
import { ArgumentValidator, defineTool, denied, toolError, type AgentTool } from '@sylk/agents';
import {
  launchLine,
  toolName,
  type LaunchContext,
  type McpManager,
  type McpServerSpec,
  type McpToolInfo,
} from '@sylk/mcp';
import type { McpHub, McpSessionInput, McpTurn } from './mcp.js';

const PREVIEW_CHARS = 4000;

/** One session's view: which project servers it may start, notices once, its tools per turn. */
export class SessionMcp {
  /** Project servers this session may start (approved) or not (denied), by name and exact launch line. */
  private readonly approved = new Set<string>();
  private readonly refused = new Set<string>();
  /** Notices already shown, so a broken server is reported once, not every turn. */
  private readonly told = new Set<string>();

  constructor(
    private readonly hub: McpHub,
    private readonly input: McpSessionInput,
    private readonly launch: LaunchContext,
    private readonly logger: Logger,
  ) {}

  private tell(turn: McpTurn, message: string): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    turn.emit({ type: 'notice', message });
  }

  async tools(turn: McpTurn): Promise<AgentTool[]> {
    const config = this.input.config();
    if (Object.keys(config.mcp.servers).length === 0) return [];
    const manager = this.hub.manager(this.input.projectRoot, config);
    const { problems } = this.hub.specs(config);
    for (const p of problems) this.tell(turn, `${p.message}; its tools are not offered.`);
    const usable: McpServerSpec[] = [];
    for (const spec of manager.specs()) {
      if (!spec.enabled || turn.signal.aborted) continue;
      if (spec.origin === 'project' && !(await this.mayStart(spec, turn))) continue;
      usable.push(spec);
    }
    const listed = await manager.tools(
      usable.map((s) => s.name),
      this.launch,
      turn.signal,
    );
    const tools: AgentTool[] = [];
    for (const entry of listed) {
      if (!entry.ok) {
        if (!turn.signal.aborted)
          this.tell(turn, `MCP server ${entry.server} is unavailable this turn: ${errorMessage(entry.error)}`);
        continue;
      }
      for (const info of entry.tools) tools.push(this.agentTool(manager, info));
    }
    // Two tools whose names clash after sanitising: the first keeps the name.
    const seen = new Set<string>();
    return tools.filter((t) => !seen.has(t.name) && seen.add(t.name));
  }

  /** A project-defined server starts only once the user approved exactly this command line or URL. */
  private async mayStart(spec: McpServerSpec, turn: McpTurn): Promise<boolean> {
    const launch = launchLine(spec);
    const key = `${spec.name}\u0000${launch}`;
    if (this.approved.has(key)) return true;
    if (this.refused.has(key)) return false;
    const verdict = await turn.ask({ action: 'mcp_server', target: spec.name, launch });
    this.input.audit?.record({
      category: 'mcp',
      action: 'server_start_approval',
      target: spec.name,
      outcome: verdict.allowed ? 'allow' : 'deny',
      severity: 'security',
      details: { launch, transport: spec.transport },
    });
    if (verdict.allowed) {
      this.approved.add(key);
      return true;
    }
    if (!turn.signal.aborted) {
      this.refused.add(key);
      this.tell(
        turn,
        `MCP server ${spec.name} from the project's config was not started (${verdict.message}); this session does not offer its tools.`,
      );
    }
    return false;
  }

  private agentTool(manager: McpManager, info: McpToolInfo): AgentTool {
    const target = `${info.server}/${info.name}`;
    const { parameters, checked } = safeParameters(info);
    const hints = [
      info.readOnlyHint === true ? 'the server says this tool only reads (not verified)' : '',
      info.destructiveHint === true ? 'the server says this tool may be destructive' : '',
    ].filter((h) => h !== '');
    const audit = this.input.audit;
    const launch = this.launch;
    return defineTool<Record<string, unknown>>({
      name: toolName(info.server, info.name),
      description: (
        `[MCP server "${info.server}", tool "${info.name}"] ${info.description}` +
        (checked ? '' : ' (its argument schema could not be checked: send a JSON object as the description says)')
      ).slice(0, 4096),
      parameters,
      // Never run alongside other tools: a server's read-only hint is not trusted.
      readOnly: false,
      describe: (args) => `${target} ${clip(JSON.stringify(args), 200)}`,
      run: async (args, env) => {
        const preview =
          `MCP tool ${info.name} of server ${info.server}${hints.length > 0 ? ` (${hints.join('; ')})` : ''}` +
          `\narguments: ${clip(JSON.stringify(args, null, 2), PREVIEW_CHARS)}`;
        const verdict = await env.askPermission({ action: 'mcp', target, preview });
        if (!verdict.allowed) return denied(verdict.message);
        const started = env.clock.monotonic();
        try {
          const result = await manager.call(info.server, info.name, args, launch, env.signal);
          audit?.record({
            category: 'mcp',
            action: 'tool_call',
            target,
            outcome: result.isError ? 'error' : 'ok',
            details: {
              bytes: result.bytes,
              truncated: result.truncated,
              durationMs: Math.round(env.clock.monotonic() - started),
            },
          });
          const size = result.truncated ? `${result.bytes} bytes, truncated` : `${result.bytes} bytes`;
          return {
            content: result.text,
            isError: result.isError,
            summary: `${result.isError ? 'error from' : 'result from'} ${target} (${size})`,
          };
        } catch (err) {
          const code = isSylkError(err) ? err.code : 'mcp.call_failed';
          audit?.record({
            category: 'mcp',
            action: 'tool_call',
            target,
            outcome: 'failed',
            severity: 'warning',
            details: { code, durationMs: Math.round(env.clock.monotonic() - started) },
          });
          if (env.signal.aborted) throw err;
          this.logger.info({ err, tool: target }, 'MCP tool call failed');
          const hint = isSylkError(err) && err.hint !== undefined ? `\n(${err.hint})` : '';
          return toolError(`${errorMessage(err)}${hint}`, `${target} failed: ${code}`);
        }
      },
    });
  }
}

type JsonSchema = AgentTool['parameters'];

const PERMISSIVE: JsonSchema = { type: 'object', additionalProperties: true };

/**
 * The server's schema when the loop's validator accepts it and it describes an object; else any object.
 * @internal exported for tests
 */
export function safeParameters(info: McpToolInfo): { parameters: JsonSchema; checked: boolean } {
  const { $schema: _ignored, ...schema } = info.inputSchema;
  if (schema.type !== 'object') return { parameters: PERMISSIVE, checked: false };
  const probe: AgentTool = {
    name: 'probe',
    description: '',
    parameters: schema as JsonSchema,
    readOnly: true,
    describe: () => '',
    run: () => Promise.resolve(toolError('')),
  };
  try {
    new ArgumentValidator([probe]).validate(probe, {});
    return { parameters: schema as JsonSchema, checked: true };
  } catch {
    return { parameters: PERMISSIVE, checked: false };
  }
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
