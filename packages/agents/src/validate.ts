import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import type { AgentTool } from './tools/tool.js';

export type Validation = { ok: true } | { ok: false; message: string };

/**
 * Compiled validators, shared by every turn: a tool's schema is compiled the first time one of
 * its calls is checked, once per process (compiling the built-in set per turn stalled the
 * daemon's event loop for every session).
 */
const compiled = new WeakMap<object, ValidateFunction>();
let sharedAjv: Ajv | undefined;

function validatorFor(schema: AgentTool['parameters']): ValidateFunction {
  let check = compiled.get(schema);
  if (check === undefined) {
    sharedAjv ??= new Ajv({ allErrors: true, strict: true });
    check = sharedAjv.compile(schema);
    compiled.set(schema, check);
  }
  return check;
}

/** Checks call arguments against each tool's JSON Schema (all errors reported). */
export class ArgumentValidator {
  private readonly tools: ReadonlySet<string>;

  constructor(tools: readonly AgentTool[]) {
    this.tools = new Set(tools.map((t) => t.name));
  }

  validate(tool: AgentTool, args: Record<string, unknown>): Validation {
    if (!this.tools.has(tool.name)) return { ok: true };
    const check = validatorFor(tool.parameters);
    if (check(args)) return { ok: true };
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
