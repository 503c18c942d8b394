import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { AgentTool } from './tools/tool.js';

export type Validation = { ok: true } | { ok: false; message: string };

/** Compiles every tool's JSON Schema once and checks call arguments against it (all errors). */
export class ArgumentValidator {
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(tools: readonly AgentTool[]) {
    const ajv = new Ajv({ allErrors: true, strict: true });
    for (const tool of tools) this.validators.set(tool.name, ajv.compile(tool.parameters));
  }

  validate(tool: AgentTool, args: Record<string, unknown>): Validation {
    const check = this.validators.get(tool.name);
    if (check === undefined || check(args)) return { ok: true };
    const problems = (check.errors ?? []).map(describeError);
    return {
      ok: false,
      message:
        `Invalid arguments for ${tool.name}: ${problems.join('; ')}. ` +
        `Call it again with arguments matching its schema: ${JSON.stringify(tool.parameters)}`,
    };
  }
}

function describeError(e: ErrorObject): string {
  const at = e.instancePath === '' ? 'arguments' : `"${e.instancePath.slice(1).replace(/\//g, '.')}"`;
  if (e.keyword === 'required') return `missing required property "${String(e.params['missingProperty'])}"`;
  if (e.keyword === 'additionalProperties') return `unknown property "${String(e.params['additionalProperty'])}"`;
  return `${at} ${e.message ?? 'is invalid'}`;
}
